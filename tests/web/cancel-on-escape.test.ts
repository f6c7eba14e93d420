/** Escape backs out of the web app's inline confirmations (web/src/lib/focus.ts cancelOnEscape). */
import { expect, test } from "bun:test";
import { cancelOnEscape } from "../../web/src/lib/focus";

/** A keydown as a focused button inside the confirmation sends it (bun has no KeyboardEvent). */
const keydown = (key: string, more: { isComposing?: boolean } = {}) =>
  Object.assign(new Event("keydown", { cancelable: true }), { key, isComposing: false, ...more });

test("Escape inside the confirmation cancels it, once, and is used up; other keys and IME composition are left alone", () => {
  let cancelled = 0;
  // Bun has no DOM: an EventTarget is all of the element the helper uses.
  const confirmation = new EventTarget();
  cancelOnEscape(() => cancelled++)(confirmation as HTMLElement);

  const pressed = keydown("Escape");
  confirmation.dispatchEvent(pressed);
  expect(cancelled).toBe(1);
  expect(pressed.defaultPrevented).toBe(true);

  for (const other of [keydown("Enter"), keydown("Escape", { isComposing: true })]) {
    confirmation.dispatchEvent(other);
    expect(other.defaultPrevented).toBe(false);
  }
  // One already used by something inside (an open list of its own) is not taken for the confirmation's.
  const used = keydown("Escape");
  used.preventDefault();
  confirmation.dispatchEvent(used);
  expect(cancelled).toBe(1);
});
