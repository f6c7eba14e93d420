import { createSignal } from "solid-js";
import { createStore } from "solid-js/store";

/**
 * A user picked elsewhere on the page (e.g. from an AML flag) for the freeze form, by email: the form looks the
 * account up, to show whether it is frozen and offer what can be done.
 */
const [freezeTarget, setFreezeTarget] = createSignal<{ email: string; at: number }>();

export { freezeTarget };

export function pickUserToFreeze(email: string) {
  setFreezeTarget({ email, at: Date.now() });
  queueMicrotask(() => document.getElementById("freeze-title")?.scrollIntoView({ block: "start" }));
}

/**
 * Whether each user (by id) is frozen, as the page last learned it: from a list's answer (a flag's userFrozen), a
 * lookup by email, or a freeze's or unfreeze's answer. A user not in it is not known either way.
 */
const [frozenUsers, setFrozenUsers] = createStore<Record<string, boolean>>({});

export { frozenUsers };

export function noteStanding(user: { id: string; frozen?: boolean }) {
  if (user.frozen !== undefined) setFrozenUsers(user.id, user.frozen);
}

/**
 * The transfer decided last in the review queue (or whose decision was refused, being no longer held): its AML flag,
 * which the decision resolved or the cancel left resolvable, is shown anew.
 */
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
