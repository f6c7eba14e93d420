/**
 * Failed sign-ins are counted per account and per IP in a sliding 15-minute window. Past either budget
 * the login answers 429 until old failures leave the window: it decays by itself, so nobody can lock an
 * account for good, and the per-IP budget (ten times larger) stops one address trying many accounts.
 * A signed-in user's wrong secrets — second-factor codes (2FA disable, new recovery codes, withdrawals) and
 * the current password on a password change — get a budget of the same size, so a stolen session cannot
 * guess either at the request rate limit's pace.
 */
import type { CounterStore } from "../../platform/counters";
import { rateLimited } from "../../platform/http/rate-limit";

export const LOGIN_WINDOW_MS = 15 * 60 * 1000;

export function createLoginThrottle(counters: CounterStore, perAccount: number) {
  const keys = (email: string, ip: string | null) => ({
    account: `login-fail:acct:${email}`,
    ip: `login-fail:ip:${ip ?? "unknown"}`,
  });
  return {
    async assertAllowed(email: string, ip: string | null): Promise<void> {
      const k = keys(email, ip);
      const [account, address] = await Promise.all([
        counters.recent(k.account, LOGIN_WINDOW_MS),
        counters.recent(k.ip, LOGIN_WINDOW_MS),
      ]);
      const blocked = [
        account.count >= perAccount ? account.resetMs : 0,
        address.count >= perAccount * 10 ? address.resetMs : 0,
      ].filter((ms) => ms > 0);
      if (blocked.length) throw rateLimited("Too many failed sign-ins; try again later", Math.max(...blocked));
    },
    async recordFailure(email: string, ip: string | null): Promise<void> {
      const k = keys(email, ip);
      await Promise.all([counters.record(k.account, LOGIN_WINDOW_MS), counters.record(k.ip, LOGIN_WINDOW_MS)]);
    },
    /** Runs a signed-in user's secret `check` within the budget: 429 past it, a wrong one counted, a right one clearing. */
    async judgeSecret(userId: string, check: () => Promise<boolean>): Promise<boolean> {
      const key = `secret-fail:user:${userId}`;
      const failures = await counters.recent(key, LOGIN_WINDOW_MS);
      if (failures.count >= perAccount) throw rateLimited("Too many failed attempts; try again later", failures.resetMs);
      const accepted = await check();
      if (!accepted) await counters.record(key, LOGIN_WINDOW_MS);
      else if (failures.count > 0) await counters.clear(key);
      return accepted;
    },
    /** A successful sign-in clears the account's failures (not the IP's). */
    async recordSuccess(email: string): Promise<void> {
      await counters.clear(keys(email, null).account);
    },
  };
}

export type LoginThrottle = ReturnType<typeof createLoginThrottle>;
