import { createEffect, createRenderEffect, on, type Setter } from "solid-js";
import { announce } from "./announce";
import { ApiError, errorMessage } from "./api";

/** Field name → message. */
export type FieldErrors = Record<string, string>;

/**
 * The per-field messages of a 422 VALIDATION_FAILED. The server names the failed fields in `details.fields`
 * (an array of names; an object of name → message is accepted too) and gives one message for all of them.
 * A schema failure's message is generic ("Invalid email, password"), so each form passes its own wording per
 * field (`hints`) for it; a rule's message ("too small to buy at this limit price") says what is wrong with every
 * field it names, and is shown beside each.
 */
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
      result[name] = generic ? (hints[name] ?? error.message) : error.message;
    }
  } else if (typeof raw === "object" && raw !== null) {
    for (const [name, message] of Object.entries(raw)) {
      result[name] = typeof message === "string" && message ? message : (hints[name] ?? error.message);
    }
  }
  return result;
}

/** "in 42 seconds", "in 3 minutes", "in 2 hours". */
export function formatWait(seconds: number): string {
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? "" : "s"}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 90) return `in ${minutes} minute${minutes === 1 ? "" : "s"}`;
  const hours = Math.round(minutes / 60);
  return `in ${hours} hour${hours === 1 ? "" : "s"}`;
}

/** The text shown for a 429: when the user may try again, from `Retry-After`. */
export function rateLimitMessage(error: ApiError, what = "Too many attempts."): string {
  if (error.retryAfter === undefined) return `${what} Please wait a while and try again.`;
  const at = new Date(Date.now() + error.retryAfter * 1000);
  const clock = at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  return `${what} Try again ${formatWait(error.retryAfter)} (at ${clock}).`;
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
 * The `?next=` path to go to after signing in: only a path of this site (no "//host", no "/\host",
 * no scheme), and never back to a page of the sign-in flow.
 */
export function safeNext(next: string | string[] | undefined, fallback = "/dashboard"): string {
  const value = Array.isArray(next) ? next[0] : next;
  if (!value?.startsWith("/") || value.startsWith("//") || value.startsWith("/\\")) return fallback;
  // No control characters or whitespace either (browsers strip tabs and newlines out of URLs).
  if ([...value].some((char) => char.charCodeAt(0) < 0x20 || char === "\u007f")) return fallback;
  const path = value.split(/[?#]/)[0] ?? "";
  if (["/login", "/register", "/forgot-password", "/reset-password", "/verify-email"].includes(path)) return fallback;
  return value;
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

/** The id of the paragraph that says what is wrong with the control of id `controlId` (components/Field). */
export const fieldErrorId = (controlId: string) => `${controlId}-error`;

/**
 * Moves focus to a control a submit just marked invalid (or back to one to change), which reads its label and
 * its error (aria-describedby). A control that has focus already (Enter was pressed in it) is not focused again,
 * and a screen reader would read nothing new: its error is announced instead.
 */
export function focusField(control: HTMLElement | null | undefined) {
  if (!control) return;
  // A disabled control (a list with nothing to choose from) takes no focus: its message is read out instead, as is
  // the message of a control that has the focus already (moving it there would say nothing).
  if (control !== document.activeElement && !control.matches(":disabled")) control.focus();
  else {
    const error = document.getElementById(fieldErrorId(control.id))?.textContent;
    if (error) announce(error, "assertive");
  }
}

/** Moves focus to the form's control named `name` (e.g. back to the field the user came to change). */
export function focusControl(form: HTMLFormElement | undefined, name: string) {
  queueMicrotask(() => focusField(form?.querySelector<HTMLElement>(`[name="${name}"]`)));
}

/**
 * A `ref` that focuses its element once it is shown, when `wanted` (buttons that swap in place, such as a
 * confirmation replacing the button that asked for it, keep keyboard focus where the user is).
 */
export const focusWhen = (wanted: boolean) => (element: HTMLElement) => {
  if (wanted) requestAnimationFrame(() => element.focus());
};

/**
 * A `ref` for an inline confirmation (a row's "Yes, cancel" / "Keep it", a quote's Confirm / Cancel): Escape, pressed
 * with focus anywhere inside it, runs `cancel`, which answers it as its Cancel or Back button does and puts focus back
 * on the control that opened it (keyboard users expect Escape to back out of a question). A listener rather than
 * `onKeyDown`: the element is no control, only where the keys of its buttons pass by. Left alone while an IME
 * composes text: there Escape drops the composition.
 */
export const cancelOnEscape = (cancel: () => void) => (element: HTMLElement) => {
  element.addEventListener("keydown", (event) => {
    if (event.key !== "Escape" || event.defaultPrevented || event.isComposing) return;
    event.preventDefault();
    cancel();
  });
};

/** Moves focus to the element of `id` once it is rendered (a step's heading, the button a step returns to). */
export function focusById(id: string) {
  queueMicrotask(() => document.getElementById(id)?.focus());
}

/** Moves focus to the first control of the form that is marked invalid. */
export function focusFirstInvalid(form: HTMLFormElement | undefined) {
  queueMicrotask(() => focusField(form?.querySelector<HTMLElement>("[aria-invalid='true']")));
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

/** Focuses an element that is not a control (a heading, a message): focusable by script only, not by Tab. */
function focusByScript(element: HTMLElement) {
  if (!element.hasAttribute("tabindex") && element.tabIndex < 0) element.tabIndex = -1;
  element.focus();
}

/** A `ref` for a result that answers what the user just did (a request made): it takes focus once shown. */
export const focusOnShow = (element: HTMLElement) => requestAnimationFrame(() => focusByScript(element));

/** Whether keyboard focus is lost: on the page itself, as when the focused control was removed. */
const focusLost = () => !document.activeElement || document.activeElement === document.body;

/** About ten seconds of frames: how long an element made while its page still loads may wait to be shown. */
const SHOWN_WITHIN_FRAMES = 600;

/**
 * Runs `then` on the first frame `element` is in the document. One made under a Suspense that still waits for
 * something else (the user, read again) is kept out of it until then; one that never comes is given up.
 */
function whenShown(element: HTMLElement, then: () => void, frames = SHOWN_WITHIN_FRAMES) {
  requestAnimationFrame(() => {
    if (element.isConnected) then();
    else if (frames > 0) whenShown(element, then, frames - 1);
  });
}

/**
 * A `ref` for what an action leaves where its control was (a result message where a row's Confirm button went
 * with its row, the button that replaces an expired quote's): once shown, it takes focus if focus fell to the page
 * with that control, or is still on `from` (the control that did it, about to go). Never from anywhere else the
 * user has put it meanwhile. A disabled control cannot take it: of several such refs shown together, the first
 * that can does (they run in document order).
 */
export const focusIfLost =
  (from?: Element | null) =>
  (element: HTMLElement): void => {
    whenShown(element, () => {
      if (element.matches(":disabled")) return;
      if (focusLost() || (from && document.activeElement === from)) focusByScript(element);
    });
  };

/**
 * After a refused submit: focus goes to the first control marked invalid or, when the refusal is about the whole
 * form (an unverified email, a frozen account: nothing to correct in a field), to the form's message of it
 * (role="alert"), if focus fell to the page with the submit button, disabled while it was sent.
 */
export function focusRefusal(form: HTMLFormElement | undefined) {
  queueMicrotask(() => {
    const control = form?.querySelector<HTMLElement>("[aria-invalid='true']");
    const message = form?.querySelector<HTMLElement>("[role='alert']");
    if (control) focusField(control);
    else if (message) focusIfLost()(message);
  });
}

/**
 * A `ref` for a button disabled while its list loads (Load more, Refresh), which drops keyboard focus to the
 * page: if it had focus when the load began (the user pressed it, or a live update reloaded the list under it),
 * it gets focus back once the load ends, or, gone by then (the list's last page came), `instead` does.
 */
export function refocusAfterBusy(busy: () => boolean, instead?: () => HTMLElement | undefined) {
  let button: HTMLElement | undefined;
  let hadFocus = false;
  // A render effect made before the button: it runs before the button is disabled, while it still has focus.
  createRenderEffect(
    on(busy, (now) => {
      if (now) hadFocus ||= button !== undefined && document.activeElement === button;
    }),
  );
  createEffect(
    on(busy, (now) => {
      if (now || !hadFocus) return;
      hadFocus = false;
      // A frame later, once the list has its new state: whether the button is still there.
      requestAnimationFrame(() => {
        const target = button?.isConnected ? button : instead?.();
        if (target) focusIfLost()(target);
      });
    }),
  );
  return (element: HTMLElement) => {
    button = element;
  };
}

/**
 * For a control that goes away as the user leaves the page with it (a Sign in button, a link in the phone's
 * folding menu), which would drop focus to the top of the document: once the next page's main heading is shown,
 * it takes focus (made focusable by script only), unless the user has put focus somewhere meanwhile. `leaving`
 * is the heading of the page being left, still shown until then; `holder` is where focus was put to wait.
 * Answers a function that stops waiting (the move did not happen after all).
 */
export function focusNextHeading(leaving: HTMLElement | null | undefined, holder?: HTMLElement): () => void {
  const main = document.getElementById("main");
  if (!main) return () => undefined;
  const observer = new MutationObserver(() => {
    // Not the stand-in of a page still loading (components/Loading): it goes once the page's own comes.
    const heading = main.querySelector<HTMLElement>("h1:not([data-loading])");
    if (!heading || heading === leaving) return;
    observer.disconnect();
    if (focusLost() || document.activeElement === holder) focusByScript(heading);
  });
  observer.observe(main, { childList: true, subtree: true });
  // A page that never shows a heading must not keep the observer (or take focus much later).
  setTimeout(() => observer.disconnect(), 10_000);
  return () => observer.disconnect();
}
