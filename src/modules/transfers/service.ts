/**
 * P2P transfers: recipient by email, no fee, daily USD limit, AML screening. Small transfers complete at
 * once; flagged ones wait with the sender's funds held until an admin approves or rejects them.
 */
import { and, desc, eq, gte, ne, sql } from "drizzle-orm";
import { queryRows, type Tx } from "../../platform/db/client";
import { enqueueEvents, type PrivateEvent } from "../../platform/events/outbox";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { formatAmount } from "../../platform/money";
import { after, decodeCursor, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { findUser, normalizeEmail } from "../identity/service";
import { parseAssetAmount, precisionOf } from "../ledger/assets";
import { balanceEvents, type MoneyContext, valueInUsdCents } from "../ledger/money-context";
import { userAccount } from "../ledger/service";
import { transactions } from "../transactions/schema";
import { recordTransactions, toTx } from "../transactions/service";
import { screenTransfer } from "./aml";
import { assertWithinLimit, limitView, utcDayStart } from "./limits";
import type { Limit, Transfer } from "./model";
import { amlFlags, p2pTransfers } from "./schema";

type TransferRow = typeof p2pTransfers.$inferSelect;

function toTransfer(ctx: MoneyContext, row: TransferRow, recipientEmail: string): Transfer {
  const precision = precisionOf(ctx.config, row.asset);
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

/** Everything before the transaction that can be settled without one: parse, find both users, open accounts. */
export async function prepareP2p(ctx: MoneyContext, senderId: string, body: P2pRequest) {
  const { asset, units } = parseAssetAmount(ctx.config, body.asset, body.amount);
  const email = normalizeEmail(body.recipientEmail);
  const people = await queryRows<{ id: string; email: string }>(
    ctx.db,
    sql`select id, email from users where id = ${senderId} or email = ${email}`,
  );
  const sender = people.find((p) => p.id === senderId);
  const recipient = people.find((p) => p.email === email);
  if (!sender) throw notFound("User");
  if (!recipient) throw new AppError(422, "RECIPIENT_NOT_FOUND", "No CryptoVault account has this email");
  if (recipient.id === senderId) throw new AppError(422, "SELF_TRANSFER", "You cannot send to yourself");
  await ctx.ledger.openAccounts(ctx.db, [
    userAccount(senderId, asset.symbol, "available"),
    userAccount(senderId, asset.symbol, "held"),
    userAccount(recipient.id, asset.symbol, "available"),
  ]);
  return { asset, units, sender, recipient, amountUsdCents: valueInUsdCents(ctx, asset.symbol, units) };
}

/** The sender's P2P transfers since `since`: what the daily limit and the AML rules look at. */
async function recentTransfers(tx: Tx, senderId: string, since: Date) {
  const rows = await queryRows<{ cents: string; created_at: Date | string; status: string }>(
    tx,
    sql`select amount_usd_cents::text as cents, created_at, status from p2p_transfers where sender_id = ${senderId} and created_at >= ${since.toISOString()}::timestamptz`,
  );
  return rows.map((row) => ({ amountUsdCents: BigInt(row.cents), createdAt: new Date(row.created_at), status: row.status }));
}

/**
 * The money part, inside the caller's (idempotent) transaction. This is the platform's hottest write
 * path, so it keeps round trips few: one read for limits and AML, one ledger posting, and one
 * statement that writes the transfer, its flags, both history rows and the users' events.
 */
export async function sendP2p(
  ctx: MoneyContext,
  tx: Tx,
  body: P2pRequest,
  prepared: Awaited<ReturnType<typeof prepareP2p>>,
  actor: Actor,
  idempotencyKey: string,
): Promise<Transfer> {
  const { asset, units, sender, recipient, amountUsdCents } = prepared;
  const now = new Date();
  // One sender's transfers are checked against the limit one at a time, so two cannot both squeeze in.
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`p2p-limit:${sender.id}`}, 0))`);
  const dayStart = utcDayStart(now);
  const dayAgo = new Date(now.getTime() - 24 * 3600 * 1000);
  const recent = await recentTransfers(tx, sender.id, dayStart < dayAgo ? dayStart : dayAgo);
  const usedToday = recent
    .filter((t) => t.createdAt >= dayStart && t.status !== "rejected")
    .reduce((sum, t) => sum + t.amountUsdCents, 0n);
  assertWithinLimit("p2p", ctx.config.p2pDailyLimitUsd, usedToday, amountUsdCents);
  const screening = screenTransfer({
    amountUsdCents,
    now,
    recent: recent.filter((t) => t.createdAt >= dayAgo),
    reviewThresholdUsdCents: ctx.config.amlReviewThresholdUsd,
  });
  const review = screening.decision === "review";

  const { balances } = await ctx.ledger.post(tx, {
    kind: review ? "p2p_hold" : "p2p",
    idempotencyKey,
    legs: [
      {
        from: userAccount(sender.id, asset.symbol, "available"),
        to: review ? userAccount(sender.id, asset.symbol, "held") : userAccount(recipient.id, asset.symbol, "available"),
        amount: units,
      },
    ],
  });
  const row: TransferRow = {
    id: crypto.randomUUID(),
    senderId: sender.id,
    recipientId: recipient.id,
    asset: asset.symbol,
    amount: units,
    amountUsdCents,
    note: body.note ?? null,
    status: review ? "pending_review" : "completed",
    reviewedBy: null,
    reviewedAt: null,
    createdAt: now,
  };
  const history = [
    historyRow({ ...sentRow(row, recipient.email), id: crypto.randomUUID(), createdAt: now }),
    ...(review ? [] : [historyRow({ ...receivedRow(row, sender.email), id: crypto.randomUUID(), createdAt: now })]),
  ];
  await insertTransferRecords(tx, row, screening.flags, history, [
    ...balanceEvents(ctx, balances),
    ...history.map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) })),
  ]);
  const meta = { transferId: row.id, asset: asset.symbol, amount: formatAmount(units, asset.precision), status: row.status };
  await recordAudit(tx, [
    { userId: sender.id, action: "transfer.sent", metadata: { ...meta, to: recipient.id }, ...actor },
    ...(review ? [] : [{ userId: recipient.id, action: "transfer.received", metadata: { ...meta, from: sender.id }, ...actor }]),
  ]);
  return toTransfer(ctx, row, recipient.email);
}

type HistoryRow = typeof transactions.$inferSelect;
const historyRow = (row: Omit<HistoryRow, "createdAt" | "id"> & { id: string; createdAt: Date }): HistoryRow => row;

/** The transfer, its AML flags, the history rows and the events, in one statement. */
async function insertTransferRecords(
  tx: Tx,
  row: TransferRow,
  flags: { rule: string; detail: string }[],
  history: HistoryRow[],
  events: PrivateEvent[],
) {
  const historyJson = JSON.stringify(history, (_key, value) => (typeof value === "bigint" ? value.toString() : value));
  await tx.execute(sql`
    with transfer as (
      insert into p2p_transfers (id, sender_id, recipient_id, asset, amount, amount_usd_cents, note, status, created_at)
      values (${row.id}, ${row.senderId}, ${row.recipientId}, ${row.asset}, ${row.amount.toString()}::numeric, ${row.amountUsdCents.toString()}::bigint,
              ${row.note}, ${row.status}, ${row.createdAt.toISOString()}::timestamptz)
    ), flagged as (
      insert into aml_flags (transfer_id, user_id, rule, detail)
      select ${row.id}::uuid, ${row.senderId}::uuid, f.rule, f.detail from jsonb_to_recordset(${JSON.stringify(flags)}::jsonb) as f(rule text, detail text)
    ), recorded as (
      insert into transactions (id, user_id, type, asset, amount, fee, status, direction, counterparty, reference, note, created_at)
      select h.id, h."userId", h.type, h.asset, h.amount::numeric, h.fee::numeric, h.status, h.direction, h.counterparty, h.reference, h.note, h."createdAt"
      from jsonb_to_recordset(${historyJson}::jsonb) as h(id uuid, "userId" uuid, type text, asset text, amount text, fee text, status text,
        direction text, counterparty text, reference text, note text, "createdAt" timestamptz)
    )
    insert into outbox_events (user_id, type, data)
    select e."userId", e.type, e.data from jsonb_to_recordset(${JSON.stringify(events)}::jsonb) as e("userId" uuid, type text, data jsonb)`);
}

const sentRow = (row: TransferRow, recipientEmail: string) => ({
  userId: row.senderId,
  type: "transfer_out" as const,
  asset: row.asset,
  amount: row.amount,
  fee: 0n,
  status: row.status,
  direction: "out" as const,
  counterparty: recipientEmail,
  reference: row.id,
  note: row.note,
});

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

export async function listTransfersForReview(
  ctx: MoneyContext,
  query: { status?: TransferRow["status"]; limit?: number; cursor?: string },
) {
  const limit = query.limit ?? 20;
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
  const emails = new Map<string, string>();
  for (const row of rows) {
    if (!emails.has(row.recipientId)) emails.set(row.recipientId, (await findUser(ctx.db, row.recipientId))?.email ?? "");
  }
  return pageOf(rows, limit, (row) => toTransfer(ctx, row, emails.get(row.recipientId) ?? ""));
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
      ...balanceEvents(ctx, balances),
      ...[senderTx, ...received]
        .filter(Boolean)
        .map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) })),
    ]);
    return toTransfer(ctx, updated, recipient.email);
  });
}

export async function listAmlFlags(ctx: MoneyContext, page: { limit?: number; cursor?: string }) {
  const limit = page.limit ?? 20;
  const rows = await ctx.db
    .select()
    .from(amlFlags)
    .where(after(amlFlags.createdAt, amlFlags.id, decodeCursor(page.cursor)))
    .orderBy(desc(amlFlags.createdAt), desc(amlFlags.id))
    .limit(limit + 1);
  return pageOf(rows, limit, (row) => ({ ...row, createdAt: row.createdAt.toISOString() }));
}
