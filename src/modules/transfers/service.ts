/**
 * P2P transfers: recipient by email, no fee, daily USD limit, AML screening. Small transfers complete at
 * once; flagged ones wait with the sender's funds held until an admin approves or rejects them.
 */
import { and, desc, eq, gte, ne, sql } from "drizzle-orm";
import type { Tx } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { formatAmount } from "../../platform/money";
import { type Actor, recordAudit } from "../audit/service";
import { findUser, findUserByEmail } from "../identity/service";
import { parseAssetAmount } from "../ledger/assets";
import { balanceEvent, type MoneyContext, valueInUsdCents } from "../ledger/money-context";
import { userAccount } from "../ledger/service";
import { transactions } from "../transactions/schema";
import { recordTransactions, toTx } from "../transactions/service";
import { screenTransfer } from "./aml";
import { assertWithinLimit, limitView, utcDayStart } from "./limits";
import type { Limit, Transfer } from "./model";
import { amlFlags, p2pTransfers } from "./schema";

type TransferRow = typeof p2pTransfers.$inferSelect;

function toTransfer(ctx: MoneyContext, row: TransferRow, recipientEmail: string): Transfer {
  const precision = ctx.config.assets.find((a) => a.symbol === row.asset)?.precision ?? 0;
  return {
    id: row.id,
    asset: row.asset,
    amount: formatAmount(row.amount, precision),
    recipientEmail,
    note: row.note,
    status: row.status,
    createdAt: row.createdAt.toISOString(),
  };
}

/** USD cents the user has sent today (UTC), rejected transfers excluded. */
async function p2pUsedToday(tx: Tx | MoneyContext["db"], userId: string): Promise<bigint> {
  const [row] = await tx
    .select({ used: sql<string>`coalesce(sum(${p2pTransfers.amountUsdCents}), 0)::text` })
    .from(p2pTransfers)
    .where(
      and(eq(p2pTransfers.senderId, userId), gte(p2pTransfers.createdAt, utcDayStart()), ne(p2pTransfers.status, "rejected")),
    );
  return BigInt(row.used);
}

export async function p2pLimit(ctx: MoneyContext, userId: string): Promise<Limit> {
  return limitView("p2p", ctx.config.p2pDailyLimitUsd, await p2pUsedToday(ctx.db, userId));
}

export type P2pRequest = { recipientEmail: string; asset: string; amount: string; note?: string };

/** Everything before the transaction that can be settled without one: parse, find the recipient, open accounts. */
export async function prepareP2p(ctx: MoneyContext, senderId: string, body: P2pRequest) {
  const { asset, units } = parseAssetAmount(ctx.config, body.asset, body.amount);
  const recipient = await findUserByEmail(ctx.db, body.recipientEmail);
  if (!recipient) throw new AppError(422, "RECIPIENT_NOT_FOUND", "No CryptoVault account has this email");
  if (recipient.id === senderId) throw new AppError(422, "SELF_TRANSFER", "You cannot send to yourself");
  await ctx.ledger.openAccounts(ctx.db, [
    userAccount(senderId, asset.symbol, "available"),
    userAccount(senderId, asset.symbol, "held"),
    userAccount(recipient.id, asset.symbol, "available"),
  ]);
  return { asset, units, recipient, amountUsdCents: valueInUsdCents(ctx, asset.symbol, units) };
}

/** The money part, inside the caller's (idempotent) transaction. */
export async function sendP2p(
  ctx: MoneyContext,
  tx: Tx,
  senderId: string,
  body: P2pRequest,
  prepared: Awaited<ReturnType<typeof prepareP2p>>,
  actor: Actor,
  idempotencyKey: string,
): Promise<Transfer> {
  const { asset, units, recipient, amountUsdCents } = prepared;
  const sender = await findUser(tx, senderId);
  if (!sender) throw notFound("User");
  // One sender's transfers are checked against the limit one at a time, so two cannot both squeeze in.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`p2p-limit:${senderId}`}, 0))`);
  assertWithinLimit("p2p", ctx.config.p2pDailyLimitUsd, await p2pUsedToday(tx, senderId), amountUsdCents);
  const since = new Date(Date.now() - 24 * 3600 * 1000);
  const recent = await tx
    .select({ amountUsdCents: p2pTransfers.amountUsdCents, createdAt: p2pTransfers.createdAt })
    .from(p2pTransfers)
    .where(and(eq(p2pTransfers.senderId, senderId), gte(p2pTransfers.createdAt, since)));
  const screening = screenTransfer({
    amountUsdCents,
    now: new Date(),
    recent,
    reviewThresholdUsdCents: ctx.config.amlReviewThresholdUsd,
  });
  const review = screening.decision === "review";

  await ctx.ledger.post(tx, {
    kind: review ? "p2p_hold" : "p2p",
    idempotencyKey,
    legs: [
      {
        from: userAccount(senderId, asset.symbol, "available"),
        to: review ? userAccount(senderId, asset.symbol, "held") : userAccount(recipient.id, asset.symbol, "available"),
        amount: units,
      },
    ],
  });
  const [row] = await tx
    .insert(p2pTransfers)
    .values({
      senderId,
      recipientId: recipient.id,
      asset: asset.symbol,
      amount: units,
      amountUsdCents,
      note: body.note ?? null,
      status: review ? "pending_review" : "completed",
    })
    .returning();
  if (screening.flags.length) {
    await tx.insert(amlFlags).values(screening.flags.map((flag) => ({ transferId: row.id, userId: senderId, ...flag })));
  }
  const history = await recordTransactions(tx, [
    {
      userId: senderId,
      type: "transfer_out",
      asset: asset.symbol,
      amount: units,
      fee: 0n,
      status: row.status,
      direction: "out",
      counterparty: recipient.email,
      reference: row.id,
      note: row.note,
    },
    ...(review ? [] : [receivedRow(row, sender.email)]),
  ]);
  const meta = { transferId: row.id, asset: asset.symbol, amount: formatAmount(units, asset.precision), status: row.status };
  await recordAudit(tx, [
    { userId: senderId, action: "transfer.sent", metadata: { ...meta, to: recipient.id }, ...actor },
    ...(review ? [] : [{ userId: recipient.id, action: "transfer.received", metadata: { ...meta, from: senderId }, ...actor }]),
  ]);
  await enqueueEvents(tx, [
    await balanceEvent(ctx, tx, senderId, asset.symbol),
    ...(review ? [] : [await balanceEvent(ctx, tx, recipient.id, asset.symbol)]),
    ...history.map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) })),
  ]);
  return toTransfer(ctx, row, recipient.email);
}

const receivedRow = (row: TransferRow, senderEmail: string) => ({
  userId: row.recipientId,
  type: "transfer_in" as const,
  asset: row.asset,
  amount: row.amount,
  fee: 0n,
  status: "completed",
  direction: "in" as const,
  counterparty: senderEmail,
  reference: row.id,
  note: row.note,
});

export async function listTransfersForReview(ctx: MoneyContext, status: TransferRow["status"] = "pending_review") {
  const rows = await ctx.db
    .select()
    .from(p2pTransfers)
    .where(eq(p2pTransfers.status, status))
    .orderBy(desc(p2pTransfers.createdAt))
    .limit(100);
  const emails = new Map<string, string>();
  for (const row of rows) {
    if (!emails.has(row.recipientId)) emails.set(row.recipientId, (await findUser(ctx.db, row.recipientId))?.email ?? "");
  }
  return { items: rows.map((row) => toTransfer(ctx, row, emails.get(row.recipientId) ?? "")) };
}

/**
 * An admin's decision on a held transfer: approve moves the held funds to the recipient, reject returns
 * them to the sender. Only a pending transfer can be decided (409 INVALID_STATE otherwise).
 */
export async function decideTransfer(
  ctx: MoneyContext,
  adminId: string,
  transferId: string,
  approve: boolean,
  actor: Actor,
): Promise<Transfer> {
  if (!isUuid(transferId)) throw notFound("Transfer");
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx.select().from(p2pTransfers).where(eq(p2pTransfers.id, transferId)).for("update");
    if (!row) throw notFound("Transfer");
    if (row.status !== "pending_review") throw new AppError(409, "INVALID_STATE", `This transfer is already ${row.status}`);
    const [sender, recipient] = [await findUser(tx, row.senderId), await findUser(tx, row.recipientId)];
    if (!sender || !recipient) throw notFound("User");
    await ctx.ledger.post(tx, {
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
    const [updated] = await tx
      .update(p2pTransfers)
      .set({ status, reviewedBy: adminId, reviewedAt: sql`now()` })
      .where(eq(p2pTransfers.id, row.id))
      .returning();
    const [senderTx] = await tx
      .update(transactions)
      .set({ status })
      .where(and(eq(transactions.userId, row.senderId), eq(transactions.reference, row.id)))
      .returning();
    const received = approve ? await recordTransactions(tx, [receivedRow(updated, sender.email)]) : [];
    const action = approve ? "admin.transfer_approved" : "admin.transfer_rejected";
    await recordAudit(tx, [
      { userId: adminId, action, metadata: { transferId: row.id }, ...actor },
      { userId: row.senderId, action, metadata: { transferId: row.id }, ...actor },
      ...(approve
        ? [
            {
              userId: row.recipientId,
              action: "transfer.received",
              metadata: { transferId: row.id, from: row.senderId },
              ...actor,
            },
          ]
        : []),
    ]);
    await enqueueEvents(tx, [
      await balanceEvent(ctx, tx, row.senderId, row.asset),
      ...(approve ? [await balanceEvent(ctx, tx, row.recipientId, row.asset)] : []),
      ...[senderTx, ...received]
        .filter(Boolean)
        .map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) })),
    ]);
    return toTransfer(ctx, updated, recipient.email);
  });
}

export async function listAmlFlags(ctx: MoneyContext) {
  const rows = await ctx.db.select().from(amlFlags).orderBy(desc(amlFlags.createdAt)).limit(200);
  return { items: rows.map((row) => ({ ...row, createdAt: row.createdAt.toISOString() })) };
}
