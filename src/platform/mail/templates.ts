/**
 * Every mail the platform sends, in text and HTML. Each carries the user's anti-phishing code when one is
 * set, so a user can tell our mail from a forgery at a glance. Subjects are fixed by API.md.
 */

import { groupThousands } from "../money";
import { escapeHtml } from "./html";
import type { OutgoingMail } from "./transports";

/** What every mail about one withdrawal tells (amount and fee in its asset, as the API writes them). */
type WithdrawalFacts = { amount: string; fee: string; asset: string; address: string; at: Date };

export type MailKind =
  | { kind: "verify_email"; link: string }
  | { kind: "password_reset"; link: string }
  | { kind: "new_sign_in"; ip: string | null; userAgent: string | null; at: Date }
  | { kind: "password_changed"; at: Date }
  // Turned on, the mail carries the link that undoes it (for an owner who did not turn it on).
  | { kind: "two_factor_changed"; enabled: true; undoLink: string; at: Date }
  // Turned off with a code, the session that did it stays signed in; undone by the mail's link, none does.
  | { kind: "two_factor_changed"; enabled: false; sessionsEnded: "others" | "all"; at: Date }
  // New recovery codes: the old ones no longer work, which an owner who did not ask for them needs to know.
  | { kind: "two_factor_changed"; recoveryCodesReplaced: true; at: Date }
  | { kind: "anti_phishing_code_changed"; code: string | null; at: Date }
  | { kind: "address_added"; asset: string; label: string; address: string; activeAt: Date; at: Date }
  | ({ kind: "withdrawal_requested" | "withdrawal_failed" } & WithdrawalFacts)
  | ({ kind: "withdrawal_completed"; txHash: string | null } & WithdrawalFacts)
  // A rejection says why when the admin gave a reason.
  | ({ kind: "withdrawal_rejected"; reason: string | null } & WithdrawalFacts)
  | {
      kind: "deposit_credited";
      orderId: string;
      asset: string;
      credited: string;
      received: string;
      ordered: string;
      status: "confirmed" | "partially_paid" | "confirmed_late";
      at: Date;
    }
  | { kind: "account_frozen" | "account_unfrozen"; at: Date }
  | { kind: "price_alert"; symbol: string; direction: "above" | "below"; price: string; triggeredPrice: string; at: Date };

/** `name` is null where the greeting should not name anyone (see mailUser). */
export type Recipient = { email: string; name: string | null; antiPhishingCode: string | null };

const SUBJECTS: Record<MailKind["kind"], string> = {
  verify_email: "Verify your email",
  password_reset: "Reset your password",
  new_sign_in: "New sign-in to your account",
  password_changed: "Your password was changed",
  two_factor_changed: "Two-factor authentication changed",
  anti_phishing_code_changed: "Your anti-phishing code was changed",
  address_added: "New withdrawal address added",
  withdrawal_requested: "Withdrawal requested",
  withdrawal_completed: "Withdrawal completed",
  withdrawal_rejected: "Withdrawal rejected",
  withdrawal_failed: "Withdrawal failed",
  deposit_credited: "Deposit credited",
  account_frozen: "Your account was frozen",
  account_unfrozen: "Your account was unfrozen",
  price_alert: "Price alert",
};

const NOT_YOU = "If this was not you, reset your password at once and contact support.";

/** Whoever did what a mail reports, if not the owner, holds a session of theirs. */
const SIGNED_IN_ELSEWHERE = "If this was not you, someone else is signed in to your account";
/** A new password signs out every other session (pages named as the web app's menu names them). */
const CHANGE_PASSWORD = "change your password under Security at once, which signs out every other session";

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
const twoDigits = (n: number) => String(n).padStart(2, "0");

/**
 * A moment as people read it, "28 Nov 2026, 00:51 UTC": the same for every reader, whatever their zone. Spelled out
 * here, not by Intl, whose month names change with the runtime's locale data ("Sept" in some).
 */
export const readableUtc = (at: Date) =>
  `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}, ${twoDigits(at.getUTCHours())}:${twoDigits(at.getUTCMinutes())} UTC`;

/** What became of a deposit order once a payment was credited, in the words of the mail that says so. */
const DEPOSIT_STANDING = {
  confirmed: "paid",
  partially_paid: "partly paid: whatever more arrives is credited too",
  confirmed_late: "paid after the order had expired, and credited all the same",
} as const;

/** A device as its browser names itself: any text of any length, shown to its first 120 characters. */
const shortened = (text: string) => (text.length > 120 ? `${text.slice(0, 120)}…` : text);

/** Paragraphs of plain text; links are kept apart so the HTML version can make them clickable. */
function body(mail: MailKind): { lines: string[]; link?: string } {
  switch (mail.kind) {
    case "verify_email":
      // True however REQUIRE_EMAIL_VERIFICATION is set: whether money waits for it is the app's to say.
      // Confirming an account someone else made would hand them one under this address: its owner takes it over by
      // a password reset instead, which removes what they set up.
      return {
        lines: [
          "Confirm that this email address is yours. The link is valid for 24 hours.",
          'If you did not create this account, do not open the link: use "Forgot password" with this address instead, and the account is yours.',
        ],
        link: mail.link,
      };
    case "password_reset":
      return {
        lines: [
          "Someone asked to reset your password. The link is valid for 1 hour and works once.",
          "If you did not ask, ignore this mail.",
        ],
        link: mail.link,
      };
    case "new_sign_in":
      return {
        lines: [
          `Your account was signed in from a new device or network at ${readableUtc(mail.at)}.`,
          `IP address: ${mail.ip ?? "unknown"}. Device: ${mail.userAgent ? shortened(mail.userAgent) : "unknown"}.`,
          NOT_YOU,
        ],
      };
    case "password_changed":
      return {
        lines: [
          `Your password was changed at ${readableUtc(mail.at)}. Your other sessions were signed out, and withdrawals and transfers to other users are paused for a while.`,
          NOT_YOU,
        ],
      };
    case "two_factor_changed":
      if ("recoveryCodesReplaced" in mail) {
        return {
          lines: [
            `New recovery codes for two-factor authentication were made at ${readableUtc(mail.at)}; the earlier ones no longer work.`,
            `${SIGNED_IN_ELSEWHERE}, with your second factor: ${CHANGE_PASSWORD}, then turn two-factor authentication off and on again.`,
          ],
        };
      }
      if (mail.enabled) {
        return {
          lines: [
            `Two-factor authentication was turned on at ${readableUtc(mail.at)}. Keep your recovery codes somewhere safe.`,
            "If this was not you, someone else is signed in to your account. Open this link within 72 hours: it turns two-factor authentication off again and signs out every device. Then reset your password.",
          ],
          link: mail.undoLink,
        };
      }
      return {
        lines: [
          `Two-factor authentication was turned off at ${readableUtc(mail.at)}.`,
          `${mail.sessionsEnded === "others" ? "Your other sessions were" : "Every session was"} signed out, and withdrawals and transfers to other users are paused for a while.`,
          NOT_YOU,
        ],
      };
    case "anti_phishing_code_changed":
      return {
        lines: [
          mail.code
            ? `Your anti-phishing code was changed at ${readableUtc(mail.at)}. From now on every mail from us shows it at the top, as this one does.`
            : `Your anti-phishing code was removed at ${readableUtc(mail.at)}. Our mails no longer show one.`,
          `${SIGNED_IN_ELSEWHERE}: ${CHANGE_PASSWORD}, then set your own code again.`,
        ],
      };
    case "address_added":
      return {
        lines: [
          `A ${mail.asset} withdrawal address "${mail.label}" was added to your address book at ${readableUtc(mail.at)}: ${mail.address}`,
          `Withdrawals can go to it from ${readableUtc(mail.activeAt)}.`,
          `${SIGNED_IN_ELSEWHERE}: remove the address under Wallet before then, and ${CHANGE_PASSWORD}.`,
        ],
      };
    case "withdrawal_requested":
      return {
        lines: [
          `A withdrawal of ${groupThousands(mail.amount)} ${mail.asset} (fee ${groupThousands(mail.fee)} ${mail.asset}) to ${mail.address} was requested at ${readableUtc(mail.at)}.`,
          NOT_YOU,
        ],
      };
    case "withdrawal_completed":
      return {
        lines: [
          `Your withdrawal of ${groupThousands(mail.amount)} ${mail.asset} (fee ${groupThousands(mail.fee)} ${mail.asset}) to ${mail.address} was paid out at ${readableUtc(mail.at)}.`,
          `Transaction: ${mail.txHash ?? "not given by the payout provider"}.`,
        ],
      };
    case "withdrawal_rejected":
    case "withdrawal_failed":
      return {
        lines: [
          mail.kind === "withdrawal_rejected"
            ? `Your withdrawal of ${groupThousands(mail.amount)} ${mail.asset} to ${mail.address} was rejected on review at ${readableUtc(mail.at)}.`
            : `Your withdrawal of ${groupThousands(mail.amount)} ${mail.asset} to ${mail.address} could not be paid out: the payout provider refused it at ${readableUtc(mail.at)}.`,
          ...(mail.kind === "withdrawal_rejected" && mail.reason ? [`The reviewer's reason: ${mail.reason}`] : []),
          `The amount and its fee (${groupThousands(mail.fee)} ${mail.asset}) are back in your available balance. Contact support if you want to know more.`,
        ],
      };
    case "deposit_credited":
      return {
        lines: [
          `${groupThousands(mail.credited)} ${mail.asset} from your deposit was credited to your available balance at ${readableUtc(mail.at)}.`,
          `The deposit order ${mail.orderId} asked for ${groupThousands(mail.ordered)} ${mail.asset} and has received ${groupThousands(mail.received)} ${mail.asset} in all: it is ${DEPOSIT_STANDING[mail.status]}.`,
        ],
      };
    case "account_frozen":
      return {
        lines: [
          `Your account was frozen by our team at ${readableUtc(mail.at)}.`,
          "While it is frozen you can sign in and see your balances and history, but not deposit, withdraw, send to other users, trade or add withdrawal addresses; your open orders, and the withdrawals and transfers waiting to go out, are held until the freeze is lifted.",
          "Contact support to learn why and how to have it lifted.",
        ],
      };
    case "account_unfrozen":
      return {
        lines: [
          `Your account was unfrozen at ${readableUtc(mail.at)}. You can move money again, and what the freeze held goes ahead.`,
        ],
      };
    case "price_alert":
      return {
        lines: [
          `${mail.symbol} is ${mail.direction} ${groupThousands(mail.price)} USD: it was ${groupThousands(mail.triggeredPrice)} USD at ${readableUtc(mail.at)}.`,
          "This alert has fired and is now inactive.",
        ],
      };
  }
}

export function renderMail(to: Recipient, mail: MailKind): OutgoingMail {
  const { lines, link } = body(mail);
  const code = to.antiPhishingCode ? `Your anti-phishing code: ${to.antiPhishingCode}` : undefined;
  const greeting = to.name ? `Hello ${to.name},` : "Hello,";
  const text = [code, greeting, ...lines, link, "— CryptoVault"].filter(Boolean).join("\n\n");
  const html = [
    code ? `<p style="padding:8px;border:1px solid #999"><strong>${escapeHtml(code)}</strong></p>` : "",
    `<p>${escapeHtml(greeting)}</p>`,
    ...lines.map((line) => `<p>${escapeHtml(line)}</p>`),
    link ? `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>` : "",
    "<p>— CryptoVault</p>",
  ].join("\n");
  return { to: to.email, subject: SUBJECTS[mail.kind], text, html };
}
