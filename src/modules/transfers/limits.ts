/** Daily USD limits (P2P and withdrawals): counted per UTC day, in cents, never with floats. */
import { AppError } from "../../platform/http/errors";
import { formatUsdCents } from "../../platform/money";
import type { Limit } from "./model";

export function utcDayStart(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

const nextUtcDay = (now: Date) => new Date(utcDayStart(now).getTime() + 24 * 3600 * 1000);

export function limitView(kind: Limit["kind"], limitCents: bigint, usedCents: bigint): Limit {
  const remaining = limitCents > usedCents ? limitCents - usedCents : 0n;
  return {
    kind,
    limitUsd: formatUsdCents(limitCents),
    usedUsd: formatUsdCents(usedCents),
    remainingUsd: formatUsdCents(remaining),
    resetsAt: nextUtcDay(new Date()).toISOString(),
  };
}

/** 422 LIMIT_EXCEEDED, with limit, used and remaining, when `addCents` would pass the day's limit. */
export function assertWithinLimit(kind: Limit["kind"], limitCents: bigint, usedCents: bigint, addCents: bigint): void {
  if (usedCents + addCents <= limitCents) return;
  const view = limitView(kind, limitCents, usedCents);
  throw new AppError(
    422,
    "LIMIT_EXCEEDED",
    `This would pass your daily ${kind === "p2p" ? "transfer" : "withdrawal"} limit of ${view.limitUsd} USD`,
    {
      limit: view.limitUsd,
      used: view.usedUsd,
      remaining: view.remainingUsd,
      resetsAt: view.resetsAt,
    },
  );
}
