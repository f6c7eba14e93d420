import type { Setter } from "solid-js";
import { ApiError, errorMessage } from "./api";
import { focusFirstInvalid } from "./focus";
import { formatDateTime } from "./format";

/** Field name → message. */
export type FieldErrors = Record<string, string>;

/**
 * The per-field messages of a 422 VALIDATION_FAILED. The server names the failed fields in `details.fields`
 * (an array of names; an object of name → message is accepted too) and gives one message for all of them.
 * A schema failure's message says what each field must be ("Invalid request: amount must be …; note must be …"),
 * in the server's words: each form passes its own wording per field (`hints`) for it, and a field without one is
 * given its own clause of the message. A rule's message ("too small to buy at this limit price") says what is
 * wrong with every field it names, and is shown beside each.
 */
/** The clause of a schema failure's message about `field` ("amount must be …" → "Amount must be …"), else all of it. */
function clauseAbout(message: string, field: string): string {
  const clause = message
    .replace(/^Invalid request: /, "")
    .split("; ")
    .find((part) => part.startsWith(`${field} `));
  return clause ? `${clause[0].toUpperCase()}${clause.slice(1)}.` : message;
}

export function fieldErrors(error: unknown, hints: Record<string, string> = {}): FieldErrors {
  if (!(error instanceof ApiError) || error.code !== "VALIDATION_FAILED") return {};
  const raw = error.details?.fields;
  const result: FieldErrors = {};
  const generic = /^invalid\b/i.test(error.message);
  if (Array.isArray(raw)) {
    const names = raw.map((entry) =>
      typeof entry === "string"
        ? entry
        : typeof entry === "object" && entry !== null
          ? String((entry as { field?: unknown; path?: unknown }).field ?? (entry as { path?: unknown }).path ?? "")
          : "",
    );
    const named = names.filter(Boolean).map((name) => name.replace(/^\//, "").split(/[./]/)[0] ?? name);
    for (const name of named) {
      result[name] = generic ? (hints[name] ?? clauseAbout(error.message, name)) : error.message;
    }
  } else if (typeof raw === "object" && raw !== null) {
    for (const [name, message] of Object.entries(raw)) {
      result[name] = typeof message === "string" && message ? message : (hints[name] ?? error.message);
    }
  }
  return result;
}

/** "in 42 seconds", "in 3 minutes", "in 2 hours". */
function formatWait(seconds: number): string {
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `in ${hours} hour${hours === 1 ? "" : "s"}`;
}

/** The text shown for a 429: when the user may try again, from `Retry-After`, at a time that names its zone as all do. */
export function rateLimitMessage(error: ApiError, what = "Too many attempts."): string {
  if (error.retryAfter === undefined) return `${what} Please wait a while and try again.`;
  const at = new Date(Date.now() + error.retryAfter * 1000);
  // The time alone is enough today; a wait past midnight names the day too.
  const today = at.toDateString() === new Date().toDateString();
  return `${what} Try again ${formatWait(error.retryAfter)} (at ${formatDateTime(at.toISOString(), today ? "time" : "minute")}).`;
}

/** A form-level message for any failure: rate limits get their wait time, the rest the server's words. */
export function actionMessage(error: unknown): string {
  if (error instanceof ApiError && error.code === "RATE_LIMITED") return rateLimitMessage(error);
  return errorMessage(error);
}

/** A form control's trimmed text value by name. */
export function formValue(form: HTMLFormElement, name: string, trim = true): string {
  const value = new FormData(form).get(name);
  const text = typeof value === "string" ? value : "";
  return trim ? text.trim() : text;
}

/** An email address as a form checks it before sending: something@domain.tld without spaces (the server decides the rest). */
export const looksLikeEmail = (email: string) => /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email);

/** What is wrong with a typed email, if anything; `missing` is what to say when there is none. */
export function emailProblem(email: string, missing: string): string | undefined {
  if (!email) return missing;
  if (!looksLikeEmail(email)) return "Enter an email address like name@example.com.";
  return undefined;
}

/** A new password's length as API.md gives it, in characters (an emoji is one); the server checks the rest. */
const NEW_PASSWORD_CHARACTERS = { min: 8, max: 128 };

/** What is wrong with the length of a password being chosen, if anything. */
export function newPasswordProblem(password: string): string | undefined {
  const { min, max } = NEW_PASSWORD_CHARACTERS;
  const length = [...password].length;
  if (length === 0) return `Choose a password of ${min} to ${max} characters.`;
  if (length < min || length > max) return `Use ${min} to ${max} characters: this one has ${length}.`;
  return undefined;
}

/** The fields a form's own checks found a problem with (each check answers undefined when its field is fine). */
export function problemsOf(checks: Record<string, string | undefined>): FieldErrors {
  return Object.fromEntries(Object.entries(checks).filter((check): check is [string, string] => check[1] !== undefined));
}

/**
 * The errors without the one of field `name` (the same object when it has none, so nothing re-renders). A message
 * shown beside several fields is one rule's about them together ("too small to buy at this limit price"): editing
 * any of them answers it, so it goes from all.
 */
export function withoutField(errors: FieldErrors, name: string): FieldErrors {
  if (!(name in errors)) return errors;
  const message = errors[name];
  return Object.fromEntries(Object.entries(errors).filter(([field, text]) => field !== name && text !== message));
}

/** A result message of tone "success" (forms keep their last result, failed or not, in one signal). */
function isSuccess(message: unknown): boolean {
  return typeof message === "object" && message !== null && "tone" in message && message.tone === "success";
}

/**
 * A form's `onInput`: what the last submit said about a value stops being true once the user edits it, so the
 * edited control's message goes, and so does the form's own failure message (it was about the values as sent).
 * A success ("Profile saved.") stays: it is still true. Input events bubble from every control, selects included,
 * and fire even when the browser's own validation later blocks the submit, which would keep an old message up.
 */
export function clearMessagesOnEdit<T extends string | object>(
  setErrors: Setter<FieldErrors>,
  setMessage?: Setter<T | undefined>,
) {
  return (event: InputEvent) => {
    const name = (event.target as { name?: unknown } | null)?.name;
    if (typeof name === "string" && name) setErrors((errors) => withoutField(errors, name));
    setMessage?.((message) => (isSuccess(message) ? message : undefined));
  };
}

/**
 * Keeps a form from being sent with what its own checks `found` (forms are novalidate: the browser's bubble shows
 * only the first bad field, for a moment, with nothing on the page): each message stays at its field, which is
 * marked invalid, and the first such field takes focus. Answers whether anything was found.
 */
export function refuseProblems(form: HTMLFormElement | undefined, found: FieldErrors, setErrors: Setter<FieldErrors>): boolean {
  if (Object.keys(found).length === 0) return false;
  setErrors(found);
  focusFirstInvalid(form);
  return true;
}
