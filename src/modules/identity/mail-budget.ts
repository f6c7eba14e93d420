/**
 * Mails a request can make us send to an address — a password reset (anyone can ask) and the verification
 * mail again — are capped per address, so nobody can fill a member's inbox through us. Counted by address
 * whether or not an account has it, so the 429 says nothing about who is a member.
 */
import type { CounterStore } from "../../platform/counters";
import { rateLimited } from "../../platform/http/rate-limit";

export const MAILS_PER_HOUR = 5;
const HOUR_MS = 3_600_000;

export type MailBudget = ReturnType<typeof createMailBudget>;

export function createMailBudget(counters: CounterStore) {
  return {
    /** Counts one `kind` mail to `email`; 429 with Retry-After past MAILS_PER_HOUR in the hour. */
    async spend(kind: "password_reset" | "verify_email", email: string): Promise<void> {
      const { count, resetMs } = await counters.hit(`mail:${kind}:${email}`, HOUR_MS);
      if (count > MAILS_PER_HOUR) throw rateLimited("Too many of these emails were asked for; try again later", resetMs);
    },
  };
}
