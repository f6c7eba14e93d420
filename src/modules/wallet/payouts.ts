/**
 * The payout worker: sends each processing withdrawal to the payout provider and settles it with the answer.
 * An attempt is stamped (committed) before the provider is called; one whose outcome is unknown stays held and
 * is sent again later under the same withdrawal id.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import { formatAmount } from "../../platform/money";
import type { Logger } from "../../platform/observability/logger";
import { lockedUnfrozen, ownerNotFrozen } from "../identity/guards";
import { precisionOf } from "../ledger/assets";
import type { MoneyContext } from "../ledger/money-context";
import { type PayoutProvider, PayoutRefused } from "./providers";
import { withdrawals } from "./schema";
import { lockWithdrawal, settleWithdrawal, type WithdrawalOutcome } from "./withdrawal-review";
import type { WithdrawalRow } from "./withdrawals";

/** How long after an attempt whose outcome was never learned a payout is sent again (same withdrawal id). */
const PAYOUT_RETRY_AFTER = sql`interval '1 minute'`;

/** Processing withdrawals the worker may send now: the owner is not frozen and no unanswered attempt is recent. */
const payoutDue = and(
  eq(withdrawals.status, "processing"),
  ownerNotFrozen(withdrawals.userId),
  sql`(${withdrawals.payoutAttemptedAt} is null or ${withdrawals.payoutAttemptedAt} <= now() - ${PAYOUT_RETRY_AFTER})`,
);

/** How many due withdrawals one payout pass takes up at most. */
export const PAYOUT_BATCH = 10;

/**
 * The payout worker: pays up to `batch` due withdrawals, oldest first, each in its own transaction, so one
 * payout's settlement never waits on (or is undone with) another's. Returns how many it took up; throws
 * (after the others) when one could not be settled.
 */
export async function runPayouts(
  ctx: MoneyContext,
  provider: PayoutProvider,
  logger: Logger,
  batch = PAYOUT_BATCH,
): Promise<number> {
  const due = await ctx.db
    .select({ id: withdrawals.id })
    .from(withdrawals)
    .where(payoutDue)
    .orderBy(asc(withdrawals.createdAt))
    .limit(batch);
  const failures: unknown[] = [];
  for (const { id } of due) {
    // A failure leaves that payout processing, claimed (sent again a minute later, which the provider's
    // idempotency makes safe), and stops none of the others; the tick then fails for the worker to report.
    await payOut(ctx, provider, logger, id).catch((error) => failures.push(error));
  }
  if (failures.length)
    throw new AggregateError(failures, `${failures.length} of ${due.length} payouts failed to settle`, { cause: failures[0] });
  return due.length;
}

/**
 * Pays one withdrawal: completed with the provider's id, or failed with its funds returned when the provider
 * refused. When the outcome is unknown the funds stay held; it is sent again later, never returned on a guess.
 */
async function payOut(ctx: MoneyContext, provider: PayoutProvider, logger: Logger, id: string): Promise<void> {
  const claimed = await claimPayout(ctx, id);
  if (!claimed) return;
  const { row, attemptedBefore } = claimed;
  // An earlier attempt never settled (its instance died mid-payout, or the provider's answer was lost): said, as
  // the provider may now be paying it twice unless its adapter is idempotent on the withdrawal id.
  if (attemptedBefore)
    logger.warn("payout sent again: an earlier attempt's outcome is unknown", { withdrawalId: row.id, attemptedBefore });
  // The provider is called with no transaction open: a slow provider holds no row lock and no connection.
  let txHash: string;
  try {
    ({ txHash } = await provider.send({
      withdrawalId: row.id,
      asset: row.asset,
      amount: formatAmount(row.amount, precisionOf(ctx.config, row.asset)),
      address: row.address,
    }));
  } catch (error) {
    if (error instanceof PayoutRefused) {
      logger.warn("payout refused", { withdrawalId: row.id, error: error.message });
      await settlePayout(ctx, row.id, { status: "failed", action: "wallet.withdrawal_failed" });
      return;
    }
    logger.warn("payout outcome unknown; it will be sent again", { withdrawalId: row.id, error: (error as Error).message });
    return;
  }
  await settlePayout(ctx, row.id, { status: "completed", txHash, action: "wallet.withdrawal_completed" });
}

/**
 * Takes a due payout for this worker by stamping its attempt, committed before the provider is called: from
 * then on it may have been paid, so no admin rejects it (assertRejectable), and no worker sends it again for a
 * minute (SKIP LOCKED and the stamp, so instances never send one together). Undefined when it is not due, or
 * its owner's freeze has committed meanwhile or is committing (the owner's row is locked against it).
 */
async function claimPayout(
  ctx: MoneyContext,
  id: string,
): Promise<{ row: WithdrawalRow; attemptedBefore: Date | null } | undefined> {
  return ctx.db.transaction(async (tx) => {
    const [due] = await tx
      .select({ userId: withdrawals.userId, attemptedBefore: withdrawals.payoutAttemptedAt })
      .from(withdrawals)
      .where(and(eq(withdrawals.id, id), payoutDue))
      .for("update", { skipLocked: true });
    if (!due || !(await lockedUnfrozen(tx, due.userId))) return undefined;
    const [row] = await tx.update(withdrawals).set({ payoutAttemptedAt: sql`now()` }).where(eq(withdrawals.id, id)).returning();
    return { row, attemptedBefore: due.attemptedBefore };
  });
}

/** Settles a claimed payout with the provider's answer. A stamped withdrawal stays processing until then. */
async function settlePayout(ctx: MoneyContext, id: string, outcome: WithdrawalOutcome): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    // A claimed payout is processing: settleWithdrawal refuses any other (NEXT_STATUSES).
    await settleWithdrawal(ctx, tx, await lockWithdrawal(tx, id), outcome);
  });
}
