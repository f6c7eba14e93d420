/**
 * Withdrawals: amount plus the asset's fee move from available to held at request; large ones wait for
 * an admin; a worker pays out the rest. Completion moves held to external (and the fee to fees); reject,
 * fail and cancel return held to available.
 */
import { and, asc, desc, eq, gte, inArray, sql } from "drizzle-orm";
import type { DbTransaction } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import type { MailKind } from "../../platform/mail/templates";
import { formatAmount } from "../../platform/money";
import type { Logger } from "../../platform/observability/logger";
import { after, decodeCursor, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { assertNotOwnCase, assertWithdrawalsUnlocked, lockedUnfrozen, ownerNotFrozen } from "../identity/guards";
import { accountsOf, getUser, mailIfVerified } from "../identity/service";
import { assertSecondFactorGiven, spendSecondFactor } from "../identity/two-factor";
import { parseAssetAmount, precisionOf } from "../ledger/assets";
import { balanceEvents, type MoneyContext, valueInUsdCents } from "../ledger/money-context";
import { assertAvailable, type Balance, systemAccount, userAccount, userBalances } from "../ledger/service";
import { followWithdrawal, recordTransactions, toTx } from "../transactions/service";
import { assertWithinLimit, limitView, utcDayStart } from "../transfers/limits";
import type { Limit } from "../transfers/model";
import { bookedDestination } from "./addresses";
import type { Withdrawal, WithdrawRequest } from "./model";
import { type PayoutProvider, PayoutRefused } from "./providers";
import { withdrawals } from "./schema";

type WithdrawalRow = typeof withdrawals.$inferSelect;

function toWithdrawal(ctx: MoneyContext, row: WithdrawalRow): Withdrawal {
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

/** 403 WITHDRAWALS_LOCKED during the lock after a security change; checked before idempotency replays. */
export async function assertCanWithdraw(ctx: MoneyContext, userId: string): Promise<void> {
  assertWithdrawalsUnlocked(await getUser(ctx.db, userId));
}

/** Checks that need no money transaction: amount, a second factor given, address, accounts. */
export async function prepareWithdrawal(ctx: MoneyContext, userId: string, body: WithdrawRequest) {
  const { asset, units } = parseAssetAmount(ctx.config, body.asset, body.amount);
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
  const { asset, units, address, user, code, amountUsdCents } = prepared;
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`withdrawal-limit:${user.id}`}, 0))`);
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
  const limit = filter.limit ?? 20;
  return pageOf(await withdrawalRows(ctx, userId, filter, limit), limit, (row) => toWithdrawal(ctx, row));
}

/** The admin's list: every user's withdrawals (any status, or the one asked for), each with who asked for it. */
export async function listEveryonesWithdrawals(ctx: MoneyContext, filter: WithdrawalFilter) {
  const limit = filter.limit ?? 20;
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

type Outcome = { status: WithdrawalRow["status"]; txHash?: string; by?: string; action: string; reason?: string };

/**
 * Moves a withdrawal to its next status under a row lock, with the matching ledger posting: completion
 * pays held out to external (fee to fees); rejection, failure and cancellation return held to available.
 */
async function settle(
  ctx: MoneyContext,
  tx: DbTransaction,
  row: WithdrawalRow,
  outcome: Outcome,
  actor: Actor = {},
): Promise<Withdrawal> {
  const held = userAccount(row.userId, row.asset, "held");
  // Approval only changes the status: the funds stay held until the payout.
  let balances: Balance[] = [];
  if (outcome.status === "completed") {
    ({ balances } = await ctx.ledger.post(tx, {
      kind: "withdrawal_payout",
      legs: [
        { from: held, to: systemAccount(row.asset, "external"), amount: row.amount },
        { from: held, to: systemAccount(row.asset, "fees"), amount: row.fee },
      ],
    }));
  } else if (outcome.status !== "processing") {
    ({ balances } = await ctx.ledger.post(tx, {
      kind: "withdrawal_return",
      legs: [{ from: held, to: userAccount(row.userId, row.asset, "available"), amount: row.amount + row.fee }],
    }));
  }
  const [updated] = await tx
    .update(withdrawals)
    .set({
      status: outcome.status,
      txHash: outcome.txHash ?? row.txHash,
      reviewedBy: outcome.by ?? row.reviewedBy,
      rejectionReason: outcome.reason ?? row.rejectionReason,
      updatedAt: sql`now()`,
    })
    .where(eq(withdrawals.id, row.id))
    .returning();
  const history = await followWithdrawal(tx, row, outcome.status, updated.txHash, updated.rejectionReason);
  // A rejection's audit rows say why (null: the admin gave no reason).
  const why = outcome.status === "rejected" ? { reason: updated.rejectionReason } : {};
  await recordAudit(tx, [
    ...(outcome.by ? [{ userId: outcome.by, action: outcome.action, metadata: { withdrawalId: row.id, ...why }, ...actor }] : []),
    {
      userId: row.userId,
      action: outcome.action,
      metadata: { withdrawalId: row.id, status: outcome.status, txHash: updated.txHash, ...why },
      ...(outcome.by ? {} : actor),
    },
  ]);
  await enqueueEvents(tx, [
    ...balanceEvents(ctx, balances),
    ...(history ? [{ userId: row.userId, type: "transaction" as const, data: toTx(ctx.config, history) }] : []),
  ]);
  const withdrawal = toWithdrawal(ctx, updated);
  const mail = outcomeMail(withdrawal);
  if (mail) await mailIfVerified(tx, await getUser(tx, row.userId), mail);
  return withdrawal;
}

/**
 * The mail that tells the owner how their withdrawal ended: paid out, or refused (by an admin or by the payout
 * provider) with its funds back. None for an approval (it is not over) nor for the owner's own cancel.
 */
function outcomeMail(withdrawal: Withdrawal): MailKind | undefined {
  const { amount, fee, asset, address } = withdrawal;
  const about = { amount, fee, asset, address, at: new Date() };
  switch (withdrawal.status) {
    case "completed":
      return { kind: "withdrawal_completed", ...about, txHash: withdrawal.txHash };
    case "rejected":
      return { kind: "withdrawal_rejected", ...about, reason: withdrawal.rejectionReason ?? null };
    case "failed":
      return { kind: "withdrawal_failed", ...about };
    default:
      return undefined;
  }
}

async function lockWithdrawal(tx: DbTransaction, id: string, userId?: string): Promise<WithdrawalRow> {
  if (!isUuid(id)) throw notFound("Withdrawal");
  const [row] = await tx
    .select()
    .from(withdrawals)
    .where(and(eq(withdrawals.id, id), userId ? eq(withdrawals.userId, userId) : undefined))
    .for("update");
  if (!row) throw notFound("Withdrawal");
  return row;
}

const invalidState = (row: WithdrawalRow, what: string) =>
  new AppError(409, "INVALID_STATE", `Cannot ${what} a withdrawal that is ${row.status}`);

export async function cancelWithdrawal(ctx: MoneyContext, userId: string, id: string, actor: Actor) {
  return ctx.db.transaction(async (tx) => {
    const row = await lockWithdrawal(tx, id, userId);
    if (row.status !== "pending_review") throw invalidState(row, "cancel");
    return settle(ctx, tx, row, { status: "cancelled", action: "wallet.withdrawal_cancelled" }, actor);
  });
}

/** An admin approves or rejects a withdrawal; a rejection may say why (`reason`, told to its owner), an approval not. */
export async function reviewWithdrawal(
  ctx: MoneyContext,
  adminId: string,
  id: string,
  approve: boolean,
  actor: Actor,
  reason?: string,
) {
  return ctx.db.transaction(async (tx) => {
    const row = await lockWithdrawal(tx, id);
    assertNotOwnCase(adminId, [row.userId]);
    const ownerFrozen = (await getUser(tx, row.userId)).frozenAt !== null;
    if (approve) {
      if (row.status !== "pending_review") throw invalidState(row, "approve");
      // As for a held transfer: a frozen user's money does not leave, and an approval would only wait for the unfreeze.
      if (ownerFrozen) {
        throw new AppError(
          409,
          "INVALID_STATE",
          "The user's account is frozen: unfreeze it to approve, or reject the withdrawal",
        );
      }
      return settle(ctx, tx, row, { status: "processing", by: adminId, action: "admin.withdrawal_approved" }, actor);
    }
    assertRejectable(row, ownerFrozen);
    const rejection: Outcome = { status: "rejected", by: adminId, action: "admin.withdrawal_rejected", reason: reason?.trim() };
    return settle(ctx, tx, row, rejection, actor);
  });
}

/**
 * An admin rejects a withdrawal under review, or an approved one (processing) that a freeze of its owner holds
 * back from the payout worker: a freeze is how an approval is stopped (any other approved withdrawal is paid out
 * within seconds; decided once, it is not decided again). One the worker has handed to the provider is rejected
 * never: the provider may pay it whatever we do, so only its answer settles it.
 */
function assertRejectable(row: WithdrawalRow, ownerFrozen: boolean) {
  if (row.status === "pending_review") return;
  if (row.status !== "processing") throw invalidState(row, "reject");
  if (row.payoutAttemptedAt) {
    throw new AppError(
      409,
      "INVALID_STATE",
      "Cannot reject this withdrawal: its payout was sent to the payout provider, whose answer completes or fails it",
    );
  }
  if (!ownerFrozen) {
    throw new AppError(
      409,
      "INVALID_STATE",
      "Cannot reject an approved withdrawal: freeze its owner first, which holds the payout, then reject it",
    );
  }
}

/** How long after an attempt whose outcome was never learned a payout is sent again (same withdrawal id). */
const PAYOUT_RETRY_AFTER = sql`interval '1 minute'`;

/** Processing withdrawals the worker may send now: the owner is not frozen and no unanswered attempt is recent. */
const payoutDue = and(
  eq(withdrawals.status, "processing"),
  ownerNotFrozen(withdrawals.userId),
  sql`(${withdrawals.payoutAttemptedAt} is null or ${withdrawals.payoutAttemptedAt} <= now() - ${PAYOUT_RETRY_AFTER})`,
);

/**
 * The payout worker: pays up to `batch` due withdrawals, oldest first, each in its own transaction, so one
 * payout's settlement never waits on (or is undone with) another's. Returns how many it took up; throws
 * (after the others) when one could not be settled.
 */
export async function runPayouts(ctx: MoneyContext, provider: PayoutProvider, logger: Logger, batch = 10): Promise<number> {
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
  const row = await claimPayout(ctx, id);
  if (!row) return;
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
async function claimPayout(ctx: MoneyContext, id: string): Promise<WithdrawalRow | undefined> {
  return ctx.db.transaction(async (tx) => {
    const [due] = await tx
      .select({ userId: withdrawals.userId })
      .from(withdrawals)
      .where(and(eq(withdrawals.id, id), payoutDue))
      .for("update", { skipLocked: true });
    if (!due || !(await lockedUnfrozen(tx, due.userId))) return undefined;
    const [row] = await tx.update(withdrawals).set({ payoutAttemptedAt: sql`now()` }).where(eq(withdrawals.id, id)).returning();
    return row;
  });
}

/** Settles a claimed payout with the provider's answer. A stamped withdrawal stays processing until then. */
async function settlePayout(ctx: MoneyContext, id: string, outcome: Outcome): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const row = await lockWithdrawal(tx, id);
    if (row.status !== "processing")
      throw new Error(`payout ${id}: answered while ${row.status}, which a claimed payout never is`);
    await settle(ctx, tx, row, outcome);
  });
}
