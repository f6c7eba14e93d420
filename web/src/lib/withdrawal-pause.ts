import { createEffect, createSignal, onCleanup } from "solid-js";
import { formatDateTime } from "./format";
import type { User } from "./session";

/**
 * The longest delay setTimeout keeps (2^31 − 1 ms, about 24.8 days); a longer pause (WITHDRAWAL_LOCK_HOURS goes up
 * to a year) is looked at again then.
 */
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * What to say after a security change (password changed or reset, 2FA turned off) about withdrawals and transfers
 * to other users, which the server pauses. Its length is WITHDRAWAL_LOCK_HOURS on the server, which the web app is
 * not told: the time comes from the user read again after the change. Without it (the change signed the user
 * out) the sentence names no length, true for any. Empty when the user says there is no pause
 * (WITHDRAWAL_LOCK_HOURS=0).
 */
export function pauseAfterChange(user: User | null | undefined): string {
  if (!user) return "Withdrawals and transfers are paused for a while after this change, in case someone else made it.";
  const until = user.withdrawalsLockedUntil;
  return until
    ? `Withdrawals and transfers to other users are paused until ${formatDateTime(until)}, in case someone else made this change.`
    : "";
}

/**
 * When the user's pause on withdrawals and transfers ends (the server's ISO time) while it lasts, else undefined:
 * it becomes undefined by itself at that moment, without waiting for the user record to be read again.
 */
export function createWithdrawalPause(user: () => User): () => string | undefined {
  /** Bumped when a pause may have ended: whoever reads the pause then looks at the clock again. */
  const [wakeUp, setWakeUp] = createSignal(0);
  const pausedUntil = () => {
    wakeUp();
    const until = user().withdrawalsLockedUntil;
    return until && Date.parse(until) > Date.now() ? until : undefined;
  };
  createEffect(() => {
    const until = pausedUntil();
    if (!until) return;
    const timer = setTimeout(() => setWakeUp((n) => n + 1), Math.min(Date.parse(until) - Date.now(), LONGEST_TIMEOUT_MS));
    onCleanup(() => clearTimeout(timer));
  });
  return pausedUntil;
}
