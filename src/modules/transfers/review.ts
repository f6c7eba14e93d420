/** Held P2P transfers: the admin's review queue and decision, and the sender's cancel while one waits. */
import { and, desc, eq, sql } from "drizzle-orm";
import type { DbTransaction } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { formatAmount } from "../../platform/money";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { accountsOf } from "../identity/accounts";
import { assertNotOwnCase } from "../identity/guards";
import { findUser } from "../identity/service";
import { precisionOf } from "../ledger/assets";
import { balanceEvents, type MoneyContext } from "../ledger/money-context";
import { userAccount } from "../ledger/service";
import { followTransfer, recordTransactions, toTx } from "../transactions/service";
import { resolveHoldingFlags } from "./flags";
import type { Transfer } from "./model";
import { p2pTransfers } from "./schema";
import { receivedRow, type TransferRow, toTransfer } from "./service";

export async function listTransfersForReview(
  ctx: MoneyContext,
  query: { status?: TransferRow["status"]; limit?: number; cursor?: string },
) {
  const limit = pageLimit(query.limit);
  const rows = await ctx.db
    .select()
    .from(p2pTransfers)
    .where(
      and(
        eq(p2pTransfers.status, query.status ?? "pending_review"),
        after(p2pTransfers.createdAt, p2pTransfers.id, decodeCursor(query.cursor)),
      ),
    )
    .orderBy(desc(p2pTransfers.createdAt), desc(p2pTransfers.id))
    .limit(limit + 1);
  const accounts = await accountsOf(
    ctx.db,
    rows.flatMap((row) => [row.recipientId, row.senderId]),
  );
  return pageOf(rows, limit, (row) => ({
    ...toTransfer(ctx, row, accounts.get(row.recipientId)?.email ?? ""),
    senderEmail: accounts.get(row.senderId)?.email ?? "",
    // A frozen sender's held transfer can be rejected, not approved (decideTransfer): the admin page says so.
    senderFrozen: accounts.get(row.senderId)?.frozen ?? false,
  }));
}

/** How a held transfer ends: an admin approves or rejects it (saying why, or not), or its sender cancels it. */
type HeldOutcome =
  | { status: "completed"; adminId: string }
  | { status: "rejected"; adminId: string; reason: string | null }
  | { status: "cancelled" };

/**
 * The transfer `transferId` (an id checked with isUuid), locked for a decision or a cancel: they take it one at a
 * time, and the second finds it no longer held (assertHeld). With `senderId`, only that sender's transfer is found.
 */
async function lockTransfer(tx: DbTransaction, transferId: string, senderId?: string): Promise<TransferRow> {
  const [row] = await tx
    .select()
    .from(p2pTransfers)
    .where(and(eq(p2pTransfers.id, transferId), senderId ? eq(p2pTransfers.senderId, senderId) : undefined))
    .for("update");
  if (!row) throw notFound("Transfer");
  return row;
}

const assertHeld = (row: TransferRow) => {
  if (row.status !== "pending_review") throw new AppError(409, "INVALID_STATE", `This transfer is already ${row.status}`);
};

/**
 * An admin's decision on a held transfer: approve moves the held funds to the recipient, reject returns
 * them to the sender, and may say why (`reason`, told to the sender alone). Only a pending transfer can be
 * decided (409 INVALID_STATE otherwise).
 */
export async function decideTransfer(
  ctx: MoneyContext,
  adminId: string,
  transferId: string,
  approve: boolean,
  actor: Actor,
  reason?: string,
): Promise<Transfer> {
  if (!isUuid(transferId)) throw notFound("Transfer");
  return ctx.db.transaction(async (tx) => {
    const row = await lockTransfer(tx, transferId);
    assertNotOwnCase(adminId, [row.senderId, row.recipientId]);
    const outcome: HeldOutcome = approve
      ? { status: "completed", adminId }
      : { status: "rejected", adminId, reason: reason ?? null };
    return settleHeldTransfer(ctx, tx, row, outcome, actor);
  });
}

/**
 * POST /api/transfers/:id/cancel: the sender takes back a transfer held for review, whose funds return to their
 * available balance, as a rejection's do. Anyone else's transfer, the recipient's too, is 404. The AML flags it
 * raised stay open: an admin looks into them and resolves them, as for a completed transfer's.
 */
export async function cancelTransfer(ctx: MoneyContext, senderId: string, transferId: string, actor: Actor): Promise<Transfer> {
  if (!isUuid(transferId)) throw notFound("Transfer");
  return ctx.db.transaction(async (tx) => {
    const row = await lockTransfer(tx, transferId, senderId);
    return settleHeldTransfer(ctx, tx, row, { status: "cancelled" }, actor);
  });
}

/**
 * Ends a held transfer, locked (409 INVALID_STATE unless still held): the money, the sender's limit, both users'
 * history, audit and events.
 */
async function settleHeldTransfer(
  ctx: MoneyContext,
  tx: DbTransaction,
  row: TransferRow,
  outcome: HeldOutcome,
  actor: Actor,
): Promise<Transfer> {
  assertHeld(row);
  const approve = outcome.status === "completed";
  // The sender's limit counts this transfer until it is rejected or cancelled: that takes it off its day's total
  // (if that day is still the one counted), and transfers judged before now are stale. Taken before the sender is
  // read: a freeze under way holds this row (settleSendsInFlight), so the read below sees it once it commits.
  const returned = approve ? "0" : row.amountUsdCents.toString();
  await tx.execute(sql`insert into p2p_senders (sender_id, version) values (${row.senderId}, 1)
    on conflict (sender_id) do update set version = p2p_senders.version + 1,
      day_total_usd_cents = p2p_senders.day_total_usd_cents - case
        when p2p_senders.day = (${row.createdAt.toISOString()}::timestamptz at time zone 'UTC')::date then ${returned}::bigint else 0 end`);
  const [sender, recipient] = [await findUser(tx, row.senderId), await findUser(tx, row.recipientId)];
  if (!sender || !recipient) throw notFound("User");
  // A freeze stops the sender's money leaving, held transfers too; rejecting or cancelling gives it back to them.
  if (approve && sender.frozenAt) {
    throw new AppError(409, "INVALID_STATE", "The sender's account is frozen: unfreeze it to approve, or reject the transfer");
  }
  const { balances } = await ctx.ledger.post(tx, {
    kind: approve ? "p2p_release" : "p2p_return",
    legs: [
      {
        from: userAccount(row.senderId, row.asset, "held"),
        to: approve ? userAccount(row.recipientId, row.asset, "available") : userAccount(row.senderId, row.asset, "available"),
        amount: row.amount,
      },
    ],
  });
  const adminId = "adminId" in outcome ? outcome.adminId : null;
  const rejectionReason = outcome.status === "rejected" ? outcome.reason : null;
  const [updated] = await tx
    .update(p2pTransfers)
    .set({
      status: outcome.status,
      reviewedBy: adminId,
      reviewedAt: adminId ? sql`now()` : null,
      rejectionReason,
    })
    .where(eq(p2pTransfers.id, row.id))
    .returning();
  if (adminId) await resolveHoldingFlags(tx, row.id, adminId, approve ? "approved" : "rejected");
  // The sender's row and the recipient's (transfers held before recipients saw them have none: made on approval).
  const settled = await followTransfer(tx, row.id, outcome.status, rejectionReason);
  const recipientSawIt = settled.some((h) => h.type === "transfer_in");
  const received = approve && !recipientSawIt ? await recordTransactions(tx, [receivedRow(updated, sender.email)]) : [];
  await recordAudit(tx, heldOutcomeAudit(ctx, row, outcome, sender.email, actor));
  await enqueueEvents(tx, [
    ...balanceEvents(ctx, balances),
    ...[...settled, ...received].map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) })),
  ]);
  return toTransfer(ctx, updated, recipient.email);
}

/**
 * The audit rows of a held transfer's end: an admin's decision in the admin's chain and the sender's (a rejection
 * says why; null: no reason given), and an approval's receipt in the recipient's; a cancel in the sender's alone.
 */
function heldOutcomeAudit(ctx: MoneyContext, row: TransferRow, outcome: HeldOutcome, senderEmail: string, actor: Actor) {
  // What moved, in every row: each is read alone, in its own user's log.
  const moved = {
    transferId: row.id,
    asset: row.asset,
    amount: formatAmount(row.amount, precisionOf(ctx.config, row.asset)),
    status: outcome.status,
  };
  if (outcome.status === "cancelled") return [{ userId: row.senderId, action: "transfer.cancelled", metadata: moved, ...actor }];
  const approve = outcome.status === "completed";
  const action = approve ? "admin.transfer_approved" : "admin.transfer_rejected";
  const metadata = { ...moved, ...(approve ? {} : { reason: outcome.reason }) };
  return [
    { userId: outcome.adminId, action, metadata, ...actor },
    { userId: row.senderId, action, metadata },
    ...(approve ? [{ userId: row.recipientId, action: "transfer.received", metadata: { ...moved, from: senderEmail } }] : []),
  ];
}
