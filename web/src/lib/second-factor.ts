/**
 * The second factor money leaving the account takes when the user has 2FA on (a withdrawal, a transfer to another
 * user): the form's `code` field (components/AuthCodeField), a TOTP or a recovery code.
 */
import type { User } from "./session";

/** Said on the code field when it is left empty or is no code, and for the server's 401 TOTP_REQUIRED. */
export const CODE_MISSING = "Enter the 6-digit code from your authenticator app.";

/** Said on the code field for what was typed as a recovery code (letters in it) but is none. */
export const RECOVERY_CODE_MALFORMED = "Enter a recovery code as it was shown to you: 10 letters and digits.";

/** What an authenticator app shows. */
export const TOTP_FORMAT = /^\d{6}$/;

/**
 * A recovery code as the server makes them (src/modules/identity/two-factor-codes.ts): ten of Crockford's base32
 * (no i, l, o or u), "k3x9q-7mzp2", read whatever the case and wherever the dashes.
 */
const RECOVERY_FORMAT = /^[0-9a-hjkmnp-tv-z]{10}$/;

/**
 * Whether `code` (spaces taken out) can be a second factor at all: 6 digits, or a recovery code. Anything else is
 * refused on the page: sent, it would only spend one of the few wrong codes the account is allowed.
 */
export function isSecondFactorFormat(code: string): boolean {
  return TOTP_FORMAT.test(code) || RECOVERY_FORMAT.test(code.toLowerCase().replace(/-/g, ""));
}

/**
 * The code typed in `form` when `user` has 2FA on (spaces taken out: apps show "123 456"), or `missing` (the field's
 * message) when it is needed and empty, or no code (5 digits; a recovery code mistyped). Without 2FA there is no code.
 */
export function readSecondFactor(form: HTMLFormElement, user: User): { code?: string; missing?: string } {
  if (!user.twoFactorEnabled) return {};
  const code = String(new FormData(form).get("code") ?? "").replace(/\s+/g, "");
  if (isSecondFactorFormat(code)) return { code };
  return { missing: /[^\d]/.test(code) ? RECOVERY_CODE_MALFORMED : CODE_MISSING };
}

/**
 * The request body with the code, when there is one. The Idempotency-Key follows `request` (without the code): a
 * retry with a fresh code is the same request to the server, which leaves the code out of its fingerprint too.
 */
export function withSecondFactor<T extends object>(request: T, code: string | undefined): T & { code?: string } {
  return code ? { ...request, code } : request;
}

/** Told to the code field (components/AuthCodeField) when its code was used: it asks for an app's code again. */
export const CODE_USED_EVENT = "second-factor-used";

/**
 * Once the code has been used (it works once), the field is emptied for the next one, which is asked as an
 * authenticator's digits again: a recovery code is for the odd time the phone is not at hand.
 */
export function clearSecondFactor(form: HTMLFormElement) {
  const input = form.elements.namedItem("code");
  if (!(input instanceof HTMLInputElement)) return;
  input.value = "";
  input.dispatchEvent(new Event(CODE_USED_EVENT, { bubbles: true }));
}
