/** The admin's review of held P2P transfers: the queue, and approve or reject. */
import { and, desc, eq, sql } from "drizzle-orm";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { accountsOf } from "../identity/accounts";
import { assertNotOwnCase } from "../identity/guards";
import { findUser } from "../identity/service";
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
    const [row] = await tx.select().from(p2pTransfers).where(eq(p2pTransfers.id, transferId)).for("update");
    if (!row) throw notFound("Transfer");
    assertNotOwnCase(adminId, [row.senderId, row.recipientId]);
    if (row.status !== "pending_review") throw new AppError(409, "INVALID_STATE", `This transfer is already ${row.status}`);
    // The sender's limit counts this transfer until it is rejected: a rejection takes it off its day's total
    // (if that day is still the one counted), and transfers judged before now are stale.
    const returned = approve ? "0" : row.amountUsdCents.toString();
    await tx.execute(sql`insert into p2p_senders (sender_id, version) values (${row.senderId}, 1)
      on conflict (sender_id) do update set version = p2p_senders.version + 1,
        day_total_usd_cents = p2p_senders.day_total_usd_cents - case
          when p2p_senders.day = (${row.createdAt.toISOString()}::timestamptz at time zone 'UTC')::date then ${returned}::bigint else 0 end`);
    const [sender, recipient] = [await findUser(tx, row.senderId), await findUser(tx, row.recipientId)];
    if (!sender || !recipient) throw notFound("User");
    // A freeze stops the sender's money leaving, held transfers too; rejecting gives it back to them.
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
    const status = approve ? "completed" : "rejected";
    const rejectionReason = approve ? null : (reason ?? null);
    const [updated] = await tx
      .update(p2pTransfers)
      .set({ status, reviewedBy: adminId, reviewedAt: sql`now()`, rejectionReason })
      .where(eq(p2pTransfers.id, row.id))
      .returning();
    await resolveHoldingFlags(tx, row.id, adminId, approve ? "approved" : "rejected");
    // The sender's row and the recipient's (transfers held before recipients saw them have none: made on approval).
    const decided = await followTransfer(tx, row.id, status, rejectionReason);
    const recipientSawIt = decided.some((h) => h.type === "transfer_in");
    const received = approve && !recipientSawIt ? await recordTransactions(tx, [receivedRow(updated, sender.email)]) : [];
    const action = approve ? "admin.transfer_approved" : "admin.transfer_rejected";
    // A rejection's audit rows say why (null: the admin gave no reason).
    const metadata = { transferId: row.id, ...(approve ? {} : { reason: rejectionReason }) };
    await recordAudit(tx, [
      { userId: adminId, action, metadata, ...actor },
      { userId: row.senderId, action, metadata },
      ...(approve
        ? [{ userId: row.recipientId, action: "transfer.received", metadata: { transferId: row.id, from: sender.email } }]
        : []),
    ]);
    await enqueueEvents(tx, [
      ...balanceEvents(ctx, balances),
      ...[...decided, ...received].map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) })),
    ]);
    return toTransfer(ctx, updated, recipient.email);
  });
}
