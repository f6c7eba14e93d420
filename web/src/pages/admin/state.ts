import { createSignal } from "solid-js";

/** A user id picked elsewhere on the page (e.g. from an AML flag) for the freeze form. */
const [freezeTarget, setFreezeTarget] = createSignal<{ id: string; at: number }>();

export { freezeTarget };

export function pickUserToFreeze(id: string) {
  setFreezeTarget({ id, at: Date.now() });
  queueMicrotask(() => document.getElementById("freeze-title")?.scrollIntoView({ block: "start" }));
}

/** The transfer decided last in the review queue: its AML flag, which the decision resolved, is shown anew. */
const [decidedTransfer, setDecidedTransfer] = createSignal<{ id: string; at: number }>();

export { decidedTransfer };

export function noteTransferDecided(id: string) {
  setDecidedTransfer({ id, at: Date.now() });
}

/**
 * How many decisions, freezes and flag resolutions were made on the page: each writes the audit log, and a
 * decision moves money in the ledger, so both panels read theirs again after each.
 */
const [adminActions, setAdminActions] = createSignal(0);

export { adminActions };

export function noteAdminAction() {
  setAdminActions((count) => count + 1);
}
