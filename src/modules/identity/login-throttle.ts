/**
 * Failed sign-ins are counted per account and per IP in a sliding 15-minute window. Past either budget
 * the login answers 429 until old failures leave the window: it decays by itself, so nobody can lock an
 * account for good, and the per-IP budget (ten times larger) stops one address trying many accounts. A
 * success does not wipe the failures before it (API.md: they count until the window decays): otherwise each
 * sign-in of the owner would hand someone guessing the password a fresh budget.
 * A signed-in user's wrong secrets — second-factor codes (2FA disable, new recovery codes, withdrawals) and
 * the current password on a password change — get a budget of the same size, so a stolen session cannot
 * guess either at the request rate limit's pace. A wrong current password is also counted in the account's
 * sign-in budget (it is the same password), which refuses sign-ins only: anyone can fill it with wrong
 * passwords, and the owner signed in must still be able to change a password under attack. A sign-in's wrong
 * code spends the sign-in's budgets, not the signed-in user's, for the same reason.
 */
import { type Budget, type CounterStore, personalKey, type Slot } from "../../platform/counters";
import { budgetNetwork } from "../../platform/http/ip-network";
import { rateLimited, rateLimitHeaders } from "../../platform/http/rate-limit";

export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

/** What checking a secret found; a check may say more (whom it proved, why it refused). */
type Checked = { accepted: boolean };

/**
 * How long an attempt waits for the attempts being checked to settle when only they fill its budget, and how often
 * it looks again: a check takes milliseconds, and most give their slot back (only a wrong secret keeps it).
 */
const SETTLING_WAIT_MS = 3_000;
const SETTLING_POLL_MS = 25;

export function createLoginThrottle(counters: CounterStore, perAccount: number) {
  /**
   * A slot in every one of `budgets`, pending while its secret is checked; 429 at once when failures alone fill a
   * budget (Retry-After: until enough of them leave the window). When attempts still being checked fill what
   * failures leave, waits for them to settle, up to `settlingWaitMs`, then 429 with Retry-After: 1.
   */
  async function claimSlot(budgets: Budget[], refusal: string, settlingWaitMs: number): Promise<Slot> {
    const giveUpAt = Date.now() + settlingWaitMs;
    for (;;) {
      const claim = await counters.claim(budgets, LOGIN_WINDOW_MS);
      if (claim.outcome === "granted") return claim.slot;
      // The refusal's RateLimit-* headers are of the budget that refused it, not of the minute's request budget.
      if (claim.outcome === "full") throw rateLimited(refusal, claim.retryMs, rateLimitHeaders(claim.limit, 0, claim.retryMs));
      if (Date.now() >= giveUpAt) throw rateLimited(refusal, 1000, rateLimitHeaders(claim.limit, 0, 1000));
      await Bun.sleep(SETTLING_POLL_MS);
    }
  }

  /**
   * The rule of every budget here. An attempt claims a slot in each of its budgets before its secret is checked
   * (check-and-add in one step, so attempts arriving together cannot all find room). A wrong secret commits its
   * slot: that slot is the failure's record. A right one gives it back, and so does an attempt that ends neither
   * way (`check` throws: no code was sent, a dependency failed).
   */
  async function spendAttempt<T extends Checked>(
    budgets: Budget[],
    refusal: string,
    check: () => Promise<T>,
    settlingWaitMs = SETTLING_WAIT_MS,
  ): Promise<T> {
    const slot = await claimSlot(budgets, refusal, settlingWaitMs);
    let failed = false;
    try {
      const checked = await check();
      failed = !checked.accepted;
      return checked;
    } finally {
      await (failed ? counters.commit(slot, LOGIN_WINDOW_MS) : counters.release(slot));
    }
  }

  const accountBudget = (email: string) => ({ key: `login-fail:acct:${personalKey(email)}`, limit: perAccount });
  const secretBudget = (userId: string) => ({ key: `secret-fail:user:${userId}`, limit: perAccount });
  /** A budget whose log records the attempt but whose limit never refuses it. */
  const countedOnly = (budget: Budget): Budget => ({ ...budget, limit: Number.MAX_SAFE_INTEGER });
  const judged = async (budgets: Budget[], check: () => Promise<boolean>, settlingWaitMs?: number) => {
    const refusal = "Too many failed attempts; try again later";
    return (await spendAttempt(budgets, refusal, async () => ({ accepted: await check() }), settlingWaitMs)).accepted;
  };

  return {
    /** Runs a sign-in's `check` within the account's and the IP's budgets. */
    judgeSignIn<T extends Checked>(email: string, ip: string | null, check: () => Promise<T>): Promise<T> {
      const budgets = [
        accountBudget(email),
        { key: `login-fail:ip:${ip ? budgetNetwork(ip) : "unknown"}`, limit: perAccount * 10 },
      ];
      return spendAttempt(budgets, "Too many failed sign-ins; try again later", check);
    },
    /**
     * Runs a signed-in user's second-factor `check` within the user's budget. `holdingLocks`: the caller holds the
     * user's row, which the attempts being checked may be waiting for, so waiting for them to settle would only
     * hold it longer: 429 at once instead.
     */
    judgeSecret: (userId: string, check: () => Promise<boolean>, { holdingLocks = false } = {}) =>
      judged([secretBudget(userId)], check, holdingLocks ? 0 : SETTLING_WAIT_MS),
    /**
     * Runs a signed-in user's current-password `check` within the user's budget. A wrong one is counted in the
     * account's sign-in budget too (it is the password sign-in guards), but that budget never refuses it:
     * strangers' failed sign-ins would otherwise keep the signed-in owner from changing a password under attack.
     */
    judgeCurrentPassword: (user: { id: string; email: string }, check: () => Promise<boolean>) =>
      judged([secretBudget(user.id), countedOnly(accountBudget(user.email))], check),
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
