/**
 * A withdrawal's status changes after its request: the owner's cancel, an admin's approval or rejection, and
 * `settleWithdrawal`, the one way any status changes (the payout worker's included), with its ledger posting:
 * completion moves held to external (and the fee to fees); reject, fail and cancel return held to available.
 */
import { and, eq, sql } from "drizzle-orm";
import type { DbTransaction } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import type { MailKind } from "../../platform/mail/templates";
import { type Actor, recordAudit } from "../audit/service";
import { assertNotOwnCase } from "../identity/guards";
import { getUser, mailIfVerified } from "../identity/service";
import { balanceEvents, type MoneyContext } from "../ledger/money-context";
import { type Balance, systemAccount, userAccount } from "../ledger/service";
import { followWithdrawal, toTx } from "../transactions/service";
import type { Withdrawal } from "./model";
import { withdrawals } from "./schema";
import { toWithdrawal, type WithdrawalRow } from "./withdrawals";

/** Where a status change takes a withdrawal: `by` is the admin who decided it, `action` its audit rows' action. */
export type WithdrawalOutcome = {
  status: WithdrawalRow["status"];
  txHash?: string;
  by?: string;
  action: string;
  reason?: string;
};

/**
 * The moves a withdrawal's status may make. The callers refuse the others first, each with its own answer (409 to a
 * user or an admin); settleWithdrawal refuses them too, so no new caller can pay out a withdrawal nobody reviewed.
 */
const NEXT_STATUSES: Record<WithdrawalRow["status"], readonly WithdrawalRow["status"][]> = {
  pending_review: ["processing", "rejected", "cancelled"],
  // Rejected while a freeze of its owner holds its payout back (assertRejectable).
  processing: ["completed", "failed", "rejected"],
  completed: [],
  rejected: [],
  failed: [],
  cancelled: [],
};

/**
 * Moves a withdrawal (`row`, locked) to its next status, with the matching ledger posting: completion
 * pays held out to external (fee to fees); rejection, failure and cancellation return held to available.
 */
export async function settleWithdrawal(
  ctx: MoneyContext,
  tx: DbTransaction,
  row: WithdrawalRow,
  outcome: WithdrawalOutcome,
  actor: Actor = {},
): Promise<Withdrawal> {
  if (!NEXT_STATUSES[row.status].includes(outcome.status))
    throw new Error(`settleWithdrawal: withdrawal ${row.id} is ${row.status}, which cannot become ${outcome.status}`);
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

/** The withdrawal's row, locked for update to the end of `tx`; 404 when it is not there (or, given `userId`, not theirs). */
export async function lockWithdrawal(tx: DbTransaction, id: string, userId?: string): Promise<WithdrawalRow> {
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
    return settleWithdrawal(ctx, tx, row, { status: "cancelled", action: "wallet.withdrawal_cancelled" }, actor);
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
      return settleWithdrawal(ctx, tx, row, { status: "processing", by: adminId, action: "admin.withdrawal_approved" }, actor);
    }
    assertRejectable(row, ownerFrozen);
    const rejection: WithdrawalOutcome = {
      status: "rejected",
      by: adminId,
      action: "admin.withdrawal_rejected",
      reason,
    };
    return settleWithdrawal(ctx, tx, row, rejection, actor);
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
