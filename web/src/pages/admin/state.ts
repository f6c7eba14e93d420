import { createSignal } from "solid-js";

/** A user id picked elsewhere on the page (e.g. from an AML flag) for the freeze form. */
const [freezeTarget, setFreezeTarget] = createSignal<{ id: string; at: number }>();

export { freezeTarget };

export function pickUserToFreeze(id: string) {
  setFreezeTarget({ id, at: Date.now() });
  queueMicrotask(() => document.getElementById("freeze-title")?.scrollIntoView({ block: "start" }));
}
