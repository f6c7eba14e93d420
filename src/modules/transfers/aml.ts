/**
 * Anti-money-laundering screening of a P2P transfer before it is posted. Pure: the caller counts the
 * sender's earlier transfers in the rules' windows, and records the flags with the transfer.
 * Amounts are bigint USD cents; no float is involved.
 */
import { formatUsdCents, groupThousands } from "../../platform/money";

/**
 * A window of the sender's earlier P2P transfers: since a time (later stamps count too), optionally within a
 * USD band. Counting stops at `upTo` when the rule needs no more, so a busy sender's count costs no more.
 */
export type AmlWindow = { since: Date; minUsdCents?: bigint; maxUsdCents?: bigint; upTo?: number };

export type AmlInput = {
  amountUsdCents: bigint;
  now: Date;
  /** AML_REVIEW_THRESHOLD_USD in cents. */
  reviewThresholdUsdCents: bigint;
  /** Per counting rule (by name), how many earlier transfers of the sender its window holds. */
  earlier: Record<string, number>;
  /** The counting rules of which the sender has an unresolved flag raised within the rule's window. */
  openFlags: readonly string[];
};

export type AmlFlag = { rule: string; detail: string };

export type AmlResult = { decision: "complete" | "review"; flags: AmlFlag[] };

/**
 * One named rule. `check` returns why the transfer is flagged, or null. `holdsForReview` says whether a
 * flag holds the transfer for an admin; otherwise it completes and the flag is kept for investigation.
 * A rule that counts earlier transfers names its `window` (null when this transfer is not judged on it);
 * the caller counts them in the database (so a sender's long history is never loaded) and hands the count
 * in as `earlier[name]`.
 */
export type AmlRule = {
  name: string;
  holdsForReview: boolean;
  window?: (input: WindowInput) => AmlWindow | null;
  check: (input: AmlInput) => string | null;
};

type WindowInput = Pick<AmlInput, "amountUsdCents" | "now" | "reviewThresholdUsdCents">;

const HOUR_MS = 60 * 60 * 1000;
const MAX_TRANSFERS_PER_VELOCITY_WINDOW = 10;
const STRUCTURING_MIN_TRANSFERS = 3;

/**
 * The lower edge of "just under the threshold": 90 % of it, rounded down to a whole cent, so that an
 * amount of exactly 90 % is always inside the band (at worst the band starts a fraction of a cent lower).
 */
function nearThresholdFloor(thresholdUsdCents: bigint): bigint {
  return (thresholdUsdCents * 9n) / 10n;
}

/** "$12,879.80", as the admin pages write dollars (a flag's detail is read there). */
const usd = (cents: bigint) => {
  const [whole, fraction = ""] = formatUsdCents(cents).split(".");
  return `$${groupThousands(whole)}.${fraction.padEnd(2, "0")}`;
};

/** Whether an amount is "just under the threshold": from 90 % of it up to the threshold, both included. */
function isNearThreshold(amountUsdCents: bigint, thresholdUsdCents: bigint): boolean {
  return amountUsdCents >= nearThresholdFloor(thresholdUsdCents) && amountUsdCents <= thresholdUsdCents;
}

/** The count handed in for a counting rule; its absence is a caller's bug, never "none". */
function earlierCount(input: AmlInput, rule: string): number {
  const count = input.earlier[rule];
  if (count === undefined) throw new Error(`aml: no count of earlier transfers for ${rule}`);
  return count;
}

/** Every rule, in the order their flags are reported. A new rule is one more entry here. */
export const AML_RULES: readonly AmlRule[] = [
  {
    // API.md: a transfer above the threshold is held until an admin approves or rejects it.
    name: "over_threshold",
    holdsForReview: true,
    check: ({ amountUsdCents, reviewThresholdUsdCents }) =>
      amountUsdCents > reviewThresholdUsdCents
        ? `${usd(amountUsdCents)} is above the review threshold of ${usd(reviewThresholdUsdCents)}`
        : null,
  },
  {
    // Many transfers in a short time: flagged for investigation; API.md has smaller transfers complete at once.
    // A transfer exactly an hour old still counts (the stricter reading). Counting stops once the rule is
    // decided: a sender with thousands of transfers in the hour costs what one with eleven does.
    name: "velocity",
    holdsForReview: false,
    window: ({ now }) => ({ since: new Date(now.getTime() - HOUR_MS), upTo: MAX_TRANSFERS_PER_VELOCITY_WINDOW }),
    check: (input) =>
      earlierCount(input, "velocity") + 1 > MAX_TRANSFERS_PER_VELOCITY_WINDOW
        ? `more than ${MAX_TRANSFERS_PER_VELOCITY_WINDOW} transfers within an hour`
        : null,
  },
  {
    // Splitting a large sum into amounts just under the threshold to avoid review. Judged when such a
    // transfer is made; it completes, as API.md has every transfer up to the threshold complete at once.
    name: "structuring",
    holdsForReview: false,
    window: ({ amountUsdCents, now, reviewThresholdUsdCents }) =>
      isNearThreshold(amountUsdCents, reviewThresholdUsdCents)
        ? {
            since: new Date(now.getTime() - 24 * HOUR_MS),
            minUsdCents: nearThresholdFloor(reviewThresholdUsdCents),
            maxUsdCents: reviewThresholdUsdCents,
          }
        : null,
    check: (input) => {
      if (!isNearThreshold(input.amountUsdCents, input.reviewThresholdUsdCents)) return null;
      const count = earlierCount(input, "structuring") + 1;
      return count >= STRUCTURING_MIN_TRANSFERS
        ? `${count} transfers between ${usd(nearThresholdFloor(input.reviewThresholdUsdCents))} and ${usd(input.reviewThresholdUsdCents)} within 24 hours`
        : null;
    },
  },
];

/** A counting rule's window for one transfer. */
export type RuleWindow = { rule: string; window: AmlWindow };

/** Whether a flag of this rule holds its transfer for an admin's decision. */
export const holdsForReview = (rule: string) => AML_RULES.some((r) => r.name === rule && r.holdsForReview);

/** The windows the counting rules look at for this transfer, by rule name, for the caller to count. */
export function amlWindows(input: WindowInput, rules: readonly AmlRule[] = AML_RULES): RuleWindow[] {
  return rules.flatMap((rule) => {
    const window = rule.window?.(input);
    return window ? [{ rule: rule.name, window }] : [];
  });
}

/**
 * Runs every rule; the transfer is held for review when any flag from a holding rule is raised.
 * A counting rule raises no second flag while one of its flags on the sender, raised within its window, is
 * unresolved: an investigator already looks into that pattern, and a flag on every further transfer of a busy
 * sender would bury the queue. Once the flag is resolved, or older than the window, the pattern flags again.
 */
export function screenTransfer(input: AmlInput, rules: readonly AmlRule[] = AML_RULES): AmlResult {
  const flagged = rules.flatMap((rule) => {
    if (rule.window && input.openFlags.includes(rule.name)) return [];
    const detail = rule.check(input);
    return detail === null ? [] : [{ rule, detail }];
  });
  return {
    decision: flagged.some(({ rule }) => rule.holdsForReview) ? "review" : "complete",
    flags: flagged.map(({ rule, detail }) => ({ rule: rule.name, detail })),
  };
}
