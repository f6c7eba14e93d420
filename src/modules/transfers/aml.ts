/**
 * Anti-money-laundering screening of a P2P transfer before it is posted. Pure: the caller loads the
 * sender's recent transfers and the threshold, and records the flags with the transfer.
 * Amounts are bigint USD cents; no float is involved.
 */
import { formatAmount } from "../../platform/money";

export type AmlInput = {
  amountUsdCents: bigint;
  now: Date;
  /** The sender's own earlier P2P transfers, at least those of the last 24 hours. */
  recent: { amountUsdCents: bigint; createdAt: Date }[];
  /** AML_REVIEW_THRESHOLD_USD in cents. */
  reviewThresholdUsdCents: bigint;
};

export type AmlFlag = { rule: string; detail: string };

export type AmlResult = { decision: "complete" | "review"; flags: AmlFlag[] };

/**
 * One named rule. `check` returns why the transfer is flagged, or null. `holdsForReview` says whether a
 * flag holds the transfer for an admin; otherwise it completes and the flag is kept for investigation.
 */
export type AmlRule = { name: string; holdsForReview: boolean; check: (input: AmlInput) => string | null };

const HOUR_MS = 60 * 60 * 1000;
const VELOCITY_WINDOW_MS = HOUR_MS;
const MAX_TRANSFERS_PER_VELOCITY_WINDOW = 10;
const STRUCTURING_WINDOW_MS = 24 * HOUR_MS;
const STRUCTURING_MIN_TRANSFERS = 3;

/**
 * How many transfers happened in the window ending now, this one included. A transfer exactly at the
 * window's start still counts (the stricter reading), and so does one stamped slightly after `now`, which
 * only clock skew between instances can produce.
 */
function transfersWithin(input: AmlInput, windowMs: number, counts: (amountUsdCents: bigint) => boolean): number {
  const start = input.now.getTime() - windowMs;
  const earlier = input.recent.filter((t) => t.createdAt.getTime() >= start && counts(t.amountUsdCents)).length;
  return earlier + 1;
}

/**
 * The lower edge of "just under the threshold": 90 % of it, rounded down to a whole cent, so that an
 * amount of exactly 90 % is always inside the band (at worst the band starts a fraction of a cent lower).
 */
function nearThresholdFloor(thresholdUsdCents: bigint): bigint {
  return (thresholdUsdCents * 9n) / 10n;
}

const usd = (cents: bigint) => `${formatAmount(cents, 2)} USD`;

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
    name: "velocity",
    holdsForReview: false,
    check: (input) => {
      const count = transfersWithin(input, VELOCITY_WINDOW_MS, () => true);
      return count > MAX_TRANSFERS_PER_VELOCITY_WINDOW
        ? `${count} transfers within an hour, more than ${MAX_TRANSFERS_PER_VELOCITY_WINDOW}`
        : null;
    },
  },
  {
    // Splitting a large sum into amounts just under the threshold to avoid review. Judged when such a
    // transfer is made; it completes, as API.md has every transfer up to the threshold complete at once.
    name: "structuring",
    holdsForReview: false,
    check: (input) => {
      const floor = nearThresholdFloor(input.reviewThresholdUsdCents);
      const isNearThreshold = (cents: bigint) => cents >= floor && cents <= input.reviewThresholdUsdCents;
      if (!isNearThreshold(input.amountUsdCents)) return null;
      const count = transfersWithin(input, STRUCTURING_WINDOW_MS, isNearThreshold);
      return count >= STRUCTURING_MIN_TRANSFERS
        ? `${count} transfers between ${usd(floor)} and ${usd(input.reviewThresholdUsdCents)} within 24 hours`
        : null;
    },
  },
];

/** Runs every rule; the transfer is held for review when any flag from a holding rule is raised. */
export function screenTransfer(input: AmlInput, rules: readonly AmlRule[] = AML_RULES): AmlResult {
  const flagged = rules.flatMap((rule) => {
    const detail = rule.check(input);
    return detail === null ? [] : [{ rule, detail }];
  });
  return {
    decision: flagged.some(({ rule }) => rule.holdsForReview) ? "review" : "complete",
    flags: flagged.map(({ rule, detail }) => ({ rule: rule.name, detail })),
  };
}
