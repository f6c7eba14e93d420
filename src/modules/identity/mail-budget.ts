/**
 * Mails a request can make us send to an address are capped, so nobody can fill a member's inbox through us:
 * - a password reset, which anyone can ask for: per address and requesting IP, so a stranger who spends the
 *   budget spends only their own and cannot keep the owner from resetting;
 * - the verification mail again, which only the signed-in owner can ask for: per address;
 * - the new sign-in alert, which whoever has the password causes from each new device: per address.
 * Past the cap the request is still answered 202, as API.md has it, and the mail is not sent: the answer is the
 * same for members and strangers, within the cap or past it, so it says nothing about who is a member.
 * The mails about what an account itself did (a new address, its anti-phishing code, its money, its standing) are
 * not capped: they go to a verified address only (mailIfVerified), so only its owner or someone in the owner's
 * session causes them, and a cap would let that someone silence the very mail that warns the owner.
 */
import { type CounterStore, personalKey } from "../../platform/counters";
import { budgetNetwork } from "../../platform/http/ip-network";

export const MAILS_PER_HOUR = 5;
const HOUR_MS = 3_600_000;

export type MailBudget = ReturnType<typeof createMailBudget>;

export function createMailBudget(counters: CounterStore) {
  /** Counts one mail; false once MAILS_PER_HOUR were asked for in the hour: then none is sent. */
  const spend = async (key: string) => (await counters.hit(key, HOUR_MS)).count <= MAILS_PER_HOUR;
  return {
    /** Counts one reset mail to `email` asked from `ip`; false past MAILS_PER_HOUR in the hour. */
    passwordReset: (email: string, ip: string | null) =>
      spend(`mail:password_reset:${personalKey(email)}:${ip ? budgetNetwork(ip) : "unknown"}`),
    /** Counts one verification mail to `email`; false past MAILS_PER_HOUR in the hour. */
    verification: (email: string) => spend(`mail:verify_email:${personalKey(email)}`),
    /** Counts one new sign-in alert to `email`; false past MAILS_PER_HOUR in the hour. */
    newSignIn: (email: string) => spend(`mail:new_sign_in:${personalKey(email)}`),
  };
}
