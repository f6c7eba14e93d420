/**
 * What a failed money movement (deposit, withdrawal, P2P transfer) means for the user, and where to say it:
 * next to a field (`fields`) or over the whole action (`form`). The server's words are kept where they are
 * specific (e.g. "This address becomes usable at …"), and replaced where a plainer sentence helps.
 */
import { ApiError } from "./api";
import { focusFirstInvalid, focusRefusal } from "./focus";
import { formatDateTime } from "./format";
import { actionMessage, type FieldErrors, fieldErrors } from "./forms";
import { formatUsd } from "./money";
import { CODE_MISSING } from "./second-factor";

export type MoneyProblem = {
  fields: FieldErrors;
  form?: string;
  /** The error code, so a form can add something (e.g. the resend-verification button). */
  code?: string;
};

const str = (value: unknown) => (typeof value === "string" ? value : undefined);

/** "Daily withdrawal limit: 10,000.00 USD, 9,500.00 used, 500.00 left (resets …)." from LIMIT_EXCEEDED details. */
function limitMessage(error: ApiError, kind: "withdrawal" | "transfer"): string {
  const limit = str(error.details?.limit);
  const used = str(error.details?.used);
  const remaining = str(error.details?.remaining);
  const resetsAt = str(error.details?.resetsAt);
  if (!limit || !remaining) return error.message;
  const parts = [`This would pass your daily ${kind} limit of ${formatUsd(limit)} USD.`];
  parts.push(
    used
      ? `Used today: ${formatUsd(used)} USD; you can still ${kind === "withdrawal" ? "withdraw" : "send"} ${formatUsd(remaining)} USD.`
      : `You can still ${kind === "withdrawal" ? "withdraw" : "send"} ${formatUsd(remaining)} USD today.`,
  );
  if (resetsAt) parts.push(`The limit resets ${formatDateTime(resetsAt)}.`);
  return parts.join(" ");
}

export function moneyProblem(
  error: unknown,
  options: { kind: "deposit" | "withdrawal" | "transfer"; hints?: Record<string, string> },
): MoneyProblem {
  if (!(error instanceof ApiError)) return { fields: {}, form: actionMessage(error) };
  const code = error.code;
  const at = (field: string, message: string): MoneyProblem => ({ fields: { [field]: message }, code });
  const form = (message: string): MoneyProblem => ({ fields: {}, form: message, code });
  switch (code) {
    case "VALIDATION_FAILED": {
      const fields = fieldErrors(error, options.hints);
      return Object.keys(fields).length > 0 ? { fields, code } : form(error.message);
    }
    case "INSUFFICIENT_FUNDS":
      return at(
        "amount",
        options.kind === "withdrawal"
          ? "Not enough available balance for this amount plus the withdrawal fee."
          : "Not enough available balance for this amount.",
      );
    case "LIMIT_EXCEEDED":
      return at("amount", limitMessage(error, options.kind === "withdrawal" ? "withdrawal" : "transfer"));
    case "ADDRESS_NOT_ALLOWED":
      return at("address", error.message || "Withdrawals to this address are not allowed.");
    case "RECIPIENT_NOT_FOUND":
      return at("recipientEmail", "No CryptoVault account has this email. Check it with the recipient.");
    case "SELF_TRANSFER":
      return at("recipientEmail", "This is your own email: you cannot send to yourself.");
    case "TOTP_REQUIRED":
      return at("code", CODE_MISSING);
    case "INVALID_TOTP":
      return at("code", "That code is not valid. Codes change every 30 seconds and each works once.");
    case "WITHDRAWALS_LOCKED": {
      const until = str(error.details?.until);
      return form(
        until
          ? `Withdrawals and transfers to other users are paused after a recent security change (password or two-factor), until ${formatDateTime(until)}. This protects you if someone else made that change.`
          : error.message,
      );
    }
    case "EMAIL_NOT_VERIFIED":
      return form("Verify your email address before moving money. Check your inbox for the link.");
    case "FORBIDDEN":
      return form(/frozen/i.test(error.message) ? "Your account is frozen, so money cannot move." : error.message);
    case "UNAVAILABLE": {
      const said = error.message.replace(/[.\s]+$/, "");
      // Without a price the request was refused before anything was written; any other 503 may come after.
      return form(
        /price/i.test(said)
          ? `${said}. Its value in USD, which daily limits and reviews are based on, cannot be checked right now.`
          : `The service is temporarily unavailable (${said}). ${mayHaveGoneThrough(options.kind)}`,
      );
    }
    case "IDEMPOTENCY_IN_PROGRESS":
      return form("This request is still being processed. Wait a moment, then try again: it will not be sent twice.");
    case "IDEMPOTENCY_KEY_REUSED":
      return form(`This ${options.kind} was already submitted with different details. Check the list below before trying again.`);
    case "NETWORK_ERROR":
      return form(`${error.message} ${mayHaveGoneThrough(options.kind)}`);
    default:
      return form(error.status >= 500 ? `${actionMessage(error)} ${mayHaveGoneThrough(options.kind)}` : actionMessage(error));
  }
}

/**
 * After an answer that was lost or failed on the server's side: the request may have been carried out all the same.
 * The same submission sent again (here, or after a reload within minutes: idempotency.ts) tells, and is never
 * carried out twice.
 */
const mayHaveGoneThrough = (kind: "deposit" | "withdrawal" | "transfer") =>
  `Your ${kind === "deposit" ? "deposit order" : kind} may have gone through: send it again unchanged to find out (it is ` +
  `never carried out twice), or look in ${kind === "transfer" ? "your History" : `the ${kind === "deposit" ? "Deposits" : "Withdrawals"} list`}.`;

/** The two steps of a form that reviews a money movement before sending it: its details, then the confirmation. */
export type ReviewedForm = {
  /** The details step's form and the confirmation's (which asks the 2FA code), read when the refusal is shown. */
  details: () => HTMLFormElement | undefined;
  confirmation: () => HTMLFormElement | undefined;
  setErrors: (errors: FieldErrors) => void;
  setFormError: (error: { text: string; code?: string }) => void;
  /** Back to the details step. */
  backToDetails: () => void;
};

/**
 * Shows a refused request where the user can act on it: a problem with the authentication code beside the code,
 * on the confirmation step that asked it; one with something typed back on the details, beside that field; any
 * other over the confirmation, which stays so the user can try again.
 */
export function showRefusal(problem: MoneyProblem, view: ReviewedForm): void {
  if (problem.fields.code) {
    view.setErrors(problem.fields);
    focusFirstInvalid(view.confirmation());
  } else if (Object.keys(problem.fields).length > 0) {
    view.setErrors(problem.fields);
    view.backToDetails();
    focusFirstInvalid(view.details());
  } else {
    view.setFormError({ text: problem.form ?? "Something went wrong.", code: problem.code });
    focusRefusal(view.confirmation());
  }
}
