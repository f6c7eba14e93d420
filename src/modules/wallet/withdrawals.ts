/**
 * Withdrawals, asked for and listed: at request, amount plus the asset's fee move from available to held, and the
 * withdrawal waits for an admin (above WITHDRAWAL_REVIEW_THRESHOLD_USD) or goes to the payout worker. What happens
 * next is in withdrawal-review.ts (cancel, approve, reject, settle) and payouts.ts (the worker).
 */
import { and, desc, eq, gte, inArray, sql } from "drizzle-orm";
import type { Asset } from "../../config";
import { type DbTransaction, lockUntilCommit } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { formatAmount } from "../../platform/money";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { accountsOf } from "../identity/accounts";
import { assertNotFrozen, assertWithdrawalsUnlocked } from "../identity/guards";
import { getUser, mailIfVerified } from "../identity/service";
import { assertSecondFactorGiven, spendSecondFactor } from "../identity/two-factor";
import { lockUser } from "../identity/user-lock";
import { parseAssetAmount, precisionOf } from "../ledger/assets";
import { balanceEvents, type MoneyContext, valueInUsdCents } from "../ledger/money-context";
import { assertAvailable, systemAccount, userAccount, userBalances } from "../ledger/service";
import { recordTransactions, toTx } from "../transactions/service";
import { assertWithinLimit, limitView, utcDayStart } from "../transfers/limits";
import type { Limit } from "../transfers/model";
import { bookedDestination, lockAddressBook } from "./addresses";
import type { Withdrawal, WithdrawRequest } from "./model";
import { withdrawals } from "./schema";

export type WithdrawalRow = typeof withdrawals.$inferSelect;

/** A row as API.md's Withdrawal object. */
export function toWithdrawal(ctx: MoneyContext, row: WithdrawalRow): Withdrawal {
  const precision = precisionOf(ctx.config, row.asset);
  return {
    id: row.id,
    asset: row.asset,
    amount: formatAmount(row.amount, precision),
    fee: formatAmount(row.fee, precision),
    address: row.address,
    status: row.status,
    txHash: row.txHash,
    // Only where an admin gave one: the objects of API.md keep their documented fields otherwise.
    ...(row.rejectionReason === null ? {} : { rejectionReason: row.rejectionReason }),
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

async function withdrawnToday(db: MoneyContext["db"] | DbTransaction, userId: string): Promise<bigint> {
  const [row] = await db
    .select({ used: sql<string>`coalesce(sum(${withdrawals.amountUsdCents}), 0)::text` })
    .from(withdrawals)
    .where(
      and(
        eq(withdrawals.userId, userId),
        gte(withdrawals.createdAt, utcDayStart()),
        inArray(withdrawals.status, ["pending_review", "processing", "completed"]),
      ),
    );
  return BigInt(row.used);
}

export async function withdrawalLimit(ctx: MoneyContext, userId: string): Promise<Limit> {
  return limitView("withdrawal", ctx.config.withdrawalDailyLimitUsdCents, await withdrawnToday(ctx.db, userId));
}

/**
 * 422 for a withdrawal no larger than its fee: as much or more would be paid for it than arrives, which nobody means
 * to do. The refusal names the smallest withdrawal, the fee and one minor unit, as `details.minimumAmount` (the
 * field a trade too small for its fee answers with). An asset without a fee takes any positive amount.
 */
function assertMoreThanWithdrawalFee(asset: Asset, units: bigint): void {
  if (units > asset.withdrawalFee) return;
  const minimumAmount = formatAmount(asset.withdrawalFee + 1n, asset.precision);
  const fee = formatAmount(asset.withdrawalFee, asset.precision);
  throw new AppError(
    422,
    "VALIDATION_FAILED",
    // The smallest amount stays in `details`: written out, ETH's would be 0.001000000000000001, which nobody reads.
    `The amount must be more than the withdrawal fee of ${fee} ${asset.symbol}`,
    { fields: ["amount"], minimumAmount },
  );
}

/** Checks that need no money transaction: amount, a second factor given, address, accounts. */
export async function prepareWithdrawal(ctx: MoneyContext, userId: string, body: WithdrawRequest) {
  const { asset, units } = parseAssetAmount(ctx.config, body.asset, body.amount);
  // A 422 of the amount itself, as a malformed one is: before the code is asked for.
  assertMoreThanWithdrawalFee(asset, units);
  const user = await getUser(ctx.db, userId);
  // A code asked for before any rule of the withdrawal itself, as for a P2P send: without one, every refusal is
  // TOTP_REQUIRED. It is spent with the money, once the rules have passed (requestWithdrawal).
  assertSecondFactorGiven({ twoFactor: user.totpSecret !== null }, body.code, "withdraw");
  const address = await bookedDestination(ctx.db, ctx.sanctioned, userId, asset.symbol, body.address);
  await ctx.ledger.openAccounts(ctx.db, [
    userAccount(userId, asset.symbol, "available"),
    userAccount(userId, asset.symbol, "held"),
    systemAccount(asset.symbol, "external"),
    systemAccount(asset.symbol, "fees"),
  ]);
  return { asset, units, address, user, code: body.code, amountUsdCents: valueInUsdCents(ctx, asset.symbol, units) };
}

export async function requestWithdrawal(
  ctx: MoneyContext,
  tx: DbTransaction,
  prepared: Awaited<ReturnType<typeof prepareWithdrawal>>,
  actor: Actor,
  idempotencyKey: string,
): Promise<Withdrawal> {
  const { asset, units, address, code, amountUsdCents } = prepared;
  // The user as of now, locked: a security change (lockForSecurityChange) or a freeze under way is waited for and
  // seen, and none can begin until this commits. Read before, the user may predate it (and its 2FA).
  const user = await lockUser(tx, prepared.user.id);
  assertNotFrozen({ frozen: user.frozenAt !== null });
  assertWithdrawalsUnlocked(user);
  // The destination again, under the book's lock: one removed since prepareWithdrawal looked (the removal answered
  // 204 already, maybe because the owner saw an address they never added) takes no withdrawal.
  await lockAddressBook(tx, user.id);
  await bookedDestination(tx, ctx.sanctioned, user.id, asset.symbol, address);
  await lockUntilCommit(tx, `withdrawal-limit:${user.id}`);
  const [balance] = await userBalances(tx, user.id, [asset.symbol]);
  assertAvailable(asset.symbol, balance.available, units + asset.withdrawalFee);
  assertWithinLimit("withdrawal", ctx.config.withdrawalDailyLimitUsdCents, await withdrawnToday(tx, user.id), amountUsdCents);
  await spendSecondFactor(ctx.identity, tx, { id: user.id, twoFactor: user.totpSecret !== null }, code);
  const review = amountUsdCents > ctx.config.withdrawalReviewThresholdUsdCents;
  const { balances } = await ctx.ledger.post(tx, {
    kind: "withdrawal_hold",
    idempotencyKey,
    legs: [
      {
        from: userAccount(user.id, asset.symbol, "available"),
        to: userAccount(user.id, asset.symbol, "held"),
        amount: units + asset.withdrawalFee,
      },
    ],
  });
  const [row] = await tx
    .insert(withdrawals)
    .values({
      userId: user.id,
      asset: asset.symbol,
      amount: units,
      fee: asset.withdrawalFee,
      amountUsdCents,
      address,
      status: review ? "pending_review" : "processing",
    })
    .returning();
  const history = await recordTransactions(tx, [
    {
      userId: user.id,
      type: "withdrawal",
      asset: asset.symbol,
      amount: units,
      fee: asset.withdrawalFee,
      status: row.status,
      direction: "out",
      counterparty: null,
      reference: null,
      note: null,
      id: row.id,
    },
  ]);
  const amount = formatAmount(units, asset.precision);
  await mailIfVerified(tx, user, {
    kind: "withdrawal_requested",
    amount,
    fee: formatAmount(asset.withdrawalFee, asset.precision),
    asset: asset.symbol,
    address: row.address,
    at: new Date(),
  });
  await recordAudit(tx, [
    {
      userId: user.id,
      action: "wallet.withdrawal_requested",
      metadata: { withdrawalId: row.id, asset: asset.symbol, amount, status: row.status },
      ...actor,
    },
  ]);
  await enqueueEvents(tx, [
    ...balanceEvents(ctx, balances),
    { userId: user.id, type: "transaction", data: toTx(ctx.config, history[0]) },
  ]);
  return toWithdrawal(ctx, row);
}

export async function getWithdrawal(ctx: MoneyContext, userId: string, id: string) {
  if (!isUuid(id)) throw notFound("Withdrawal");
  const [row] = await ctx.db
    .select()
    .from(withdrawals)
    .where(and(eq(withdrawals.id, id), eq(withdrawals.userId, userId)));
  if (!row) throw notFound("Withdrawal");
  return toWithdrawal(ctx, row);
}

type WithdrawalFilter = { status?: string; limit?: number; cursor?: string };

/** One user's withdrawals. */
export async function listWithdrawals(ctx: MoneyContext, userId: string, filter: WithdrawalFilter) {
  const limit = pageLimit(filter.limit);
  return pageOf(await withdrawalRows(ctx, userId, filter, limit), limit, (row) => toWithdrawal(ctx, row));
}

/** The admin's list: every user's withdrawals (any status, or the one asked for), each with who asked for it. */
export async function listEveryonesWithdrawals(ctx: MoneyContext, filter: WithdrawalFilter) {
  const limit = pageLimit(filter.limit);
  const rows = await withdrawalRows(ctx, null, filter, limit);
  const owners = await accountsOf(
    ctx.db,
    rows.map((row) => row.userId),
  );
  return pageOf(rows, limit, (row) => ({
    ...toWithdrawal(ctx, row),
    userId: row.userId,
    userEmail: owners.get(row.userId)?.email ?? "",
    userFrozen: owners.get(row.userId)?.frozen ?? false,
    payoutAttemptedAt: row.payoutAttemptedAt?.toISOString() ?? null,
  }));
}

/**
 * One page (and one more row, to tell whether another page follows), newest first: of one user's withdrawals,
 * or of everyone's when `userId` is null (the admin's list only). The owner is a required argument so that no
 * user-facing caller can get everyone's rows by leaving it out.
 */
function withdrawalRows(ctx: MoneyContext, userId: string | null, filter: WithdrawalFilter, limit: number) {
  return ctx.db
    .select()
    .from(withdrawals)
    .where(
      and(
        userId === null ? undefined : eq(withdrawals.userId, userId),
        filter.status ? eq(withdrawals.status, filter.status as WithdrawalRow["status"]) : undefined,
        after(withdrawals.createdAt, withdrawals.id, decodeCursor(filter.cursor)),
      ),
    )
    .orderBy(desc(withdrawals.createdAt), desc(withdrawals.id))
    .limit(limit + 1);
}
