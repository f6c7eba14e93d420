/**
 * Every mail the platform sends, in text and HTML. Each carries the user's anti-phishing code when one is
 * set, so a user can tell our mail from a forgery at a glance. Subjects are fixed by API.md.
 */
import type { OutgoingMail } from "./transports";

export type MailKind =
  | { kind: "verify_email"; link: string }
  | { kind: "password_reset"; link: string }
  | { kind: "new_sign_in"; ip: string | null; userAgent: string | null; at: Date }
  | { kind: "password_changed"; at: Date }
  // Turned on, the mail carries the link that undoes it (for an owner who did not turn it on).
  | { kind: "two_factor_changed"; enabled: true; undoLink: string; at: Date }
  | { kind: "two_factor_changed"; enabled: false; at: Date }
  | { kind: "withdrawal_requested"; amount: string; fee: string; asset: string; address: string; at: Date }
  | { kind: "price_alert"; symbol: string; direction: "above" | "below"; price: string; triggeredPrice: string; at: Date };

/** `name` is null where the greeting should not name anyone (see mailUser). */
export type Recipient = { email: string; name: string | null; antiPhishingCode: string | null };

const SUBJECTS: Record<MailKind["kind"], string> = {
  verify_email: "Verify your email",
  password_reset: "Reset your password",
  new_sign_in: "New sign-in to your account",
  password_changed: "Your password was changed",
  two_factor_changed: "Two-factor authentication changed",
  withdrawal_requested: "Withdrawal requested",
  price_alert: "Price alert",
};

const NOT_YOU = "If this was not you, reset your password at once and contact support.";

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
          `Your account was signed in from a new device or network at ${mail.at.toISOString()}.`,
          `IP address: ${mail.ip ?? "unknown"}. Device: ${mail.userAgent ? shortened(mail.userAgent) : "unknown"}.`,
          NOT_YOU,
        ],
      };
    case "password_changed":
      return {
        lines: [
          `Your password was changed at ${mail.at.toISOString()}. Your other sessions were signed out, and withdrawals and transfers to other users are paused for a while.`,
          NOT_YOU,
        ],
      };
    case "two_factor_changed":
      if (mail.enabled) {
        return {
          lines: [
            `Two-factor authentication was turned on at ${mail.at.toISOString()}. Keep your recovery codes somewhere safe.`,
            "If this was not you, someone else is signed in to your account. Open this link within 72 hours: it turns two-factor authentication off again and signs out every device. Then reset your password.",
          ],
          link: mail.undoLink,
        };
      }
      return {
        lines: [
          `Two-factor authentication was turned off at ${mail.at.toISOString()}.`,
          "Withdrawals and transfers to other users are paused for a while.",
          NOT_YOU,
        ],
      };
    case "withdrawal_requested":
      return {
        lines: [
          `A withdrawal of ${mail.amount} ${mail.asset} (fee ${mail.fee} ${mail.asset}) to ${mail.address} was requested at ${mail.at.toISOString()}.`,
          NOT_YOU,
        ],
      };
    case "price_alert":
      return {
        lines: [
          `${mail.symbol} is ${mail.direction} ${mail.price} USD: it was ${mail.triggeredPrice} USD at ${mail.at.toISOString()}.`,
          "This alert has fired and is now inactive.",
        ],
      };
  }
}

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] as string);

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
