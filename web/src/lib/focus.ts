/**
 * Where keyboard focus goes as the page changes under the user: to a field a submit refused, to a result that
 * replaced the control that asked for it, back to a button after its list loaded, to the next page's heading.
 * Without it, focus falls to the top of the document and keyboard and screen-reader users lose their place.
 */
import { createEffect, createRenderEffect, on } from "solid-js";
import { announce } from "./announce";

/** The id of the paragraph that says what is wrong with the control of id `controlId`: components/Field gives it, focusField reads it out. */
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
