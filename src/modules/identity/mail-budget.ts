/**
 * Mails a request can make us send to an address are capped, so nobody can fill a member's inbox through us:
 * - a password reset, which anyone can ask for: per address and requesting IP, so a stranger who spends the
 *   budget spends only their own and cannot keep the owner from resetting;
 * - the verification mail again, which only the signed-in owner can ask for: per address.
 * Counted whether or not an account has the address, so the 429 says nothing about who is a member.
 */
import type { CounterStore } from "../../platform/counters";
import { rateLimited } from "../../platform/http/rate-limit";

export const MAILS_PER_HOUR = 5;
const HOUR_MS = 3_600_000;

export type MailBudget = ReturnType<typeof createMailBudget>;

export function createMailBudget(counters: CounterStore) {
  const spend = async (key: string) => {
    const { count, resetMs } = await counters.hit(key, HOUR_MS);
    if (count > MAILS_PER_HOUR) throw rateLimited("Too many of these emails were asked for; try again later", resetMs);
  };
  return {
    /** Counts one reset mail to `email` asked from `ip`; 429 with Retry-After past MAILS_PER_HOUR in the hour. */
    passwordReset: (email: string, ip: string | null) => spend(`mail:password_reset:${email}:${ip ?? "unknown"}`),
    /** Counts one verification mail to `email`; 429 with Retry-After past MAILS_PER_HOUR in the hour. */
    verification: (email: string) => spend(`mail:verify_email:${email}`),
  };
}
