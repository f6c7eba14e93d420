/** The user's history: rows written beside each ledger posting, listed newest first, exported as a stream. */

import { and, asc, desc, eq, gte, inArray, lt, lte, ne, type SQL, sql } from "drizzle-orm";
import type { Config } from "../../config";
import type { CounterStore } from "../../platform/counters";
import type { DbOrTx } from "../../platform/db/client";
import { AppError, notFound } from "../../platform/http/errors";
import { BARE_DAY, isStorableDate } from "../../platform/http/formats";
import { isUuid } from "../../platform/ids";
import { formatAmount } from "../../platform/money";
import { after, type Cursor, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { assetOf, precisionOf } from "../ledger/assets";
import type { Tx, TxFilters } from "./model";
import { transactions } from "./schema";

/** Exports one user may run at once, across instances: each reads the whole history, streamed. */
const MAX_RUNNING_EXPORTS = 2;
/** A slot an instance never gave back (it crashed mid-export) counts no more after this long. */
const EXPORT_SLOT_MS = 10 * 60_000;

/**
 * Takes one of the user's export slots, or answers 429 RATE_LIMITED while MAX_RUNNING_EXPORTS are running (many
 * at once slowed every other user's requests). The function returned gives the slot back: call it once, when the
 * file has ended, however it ended.
 */
export async function claimExportSlot(counters: CounterStore, userId: string): Promise<() => void> {
  const claim = await counters.claim([{ key: `export:${userId}`, limit: MAX_RUNNING_EXPORTS }], EXPORT_SLOT_MS);
  if (claim.outcome !== "granted") {
    throw new AppError(
      429,
      "RATE_LIMITED",
      `${MAX_RUNNING_EXPORTS} exports of yours are still running; try again when one has finished`,
      undefined,
      { "retry-after": "10" },
    );
  }
  const { slot } = claim;
  // Should the release fail (Redis gone), the slot frees itself after EXPORT_SLOT_MS.
  return () => void counters.release(slot).catch(() => {});
}

/** A history row as stored (amounts bigint, times Date); `Tx` is how the API shows one. */
export type HistoryRow = typeof transactions.$inferSelect;
export type NewHistoryRow = typeof transactions.$inferInsert;

export async function recordTransactions(tx: DbOrTx, rows: NewHistoryRow[]): Promise<HistoryRow[]> {
  return rows.length ? tx.insert(transactions).values(rows).returning() : [];
}

/** A withdrawal's history row (its id is the withdrawal's) follows the withdrawal's status, tx hash and rejection reason. */
export async function followWithdrawal(
  tx: DbOrTx,
  withdrawal: { id: string; userId: string },
  status: HistoryRow["status"],
  txHash: string | null,
  rejectionReason: string | null,
): Promise<HistoryRow | undefined> {
  const [row] = await tx
    .update(transactions)
    .set({ status, reference: txHash, rejectionReason })
    .where(and(eq(transactions.id, withdrawal.id), eq(transactions.userId, withdrawal.userId)))
    .returning();
  return row;
}

/**
 * A P2P transfer's history rows follow its status: the sender's, and the recipient's where there is one yet. A
 * rejection's reason goes on the sender's row alone: it is about the sender, not for the recipient to read.
 */
export async function followTransfer(
  tx: DbOrTx,
  transferId: string,
  status: HistoryRow["status"],
  rejectionReason: string | null,
): Promise<HistoryRow[]> {
  return tx
    .update(transactions)
    .set({
      status,
      rejectionReason: sql`case when ${transactions.type} = 'transfer_out' then ${rejectionReason}::text end`,
    })
    .where(and(eq(transactions.reference, transferId), inArray(transactions.type, ["transfer_out", "transfer_in"])))
    .returning();
}

/** Types of row that move a user's holding of a crypto asset in or out. */
const HOLDING_MOVES = ["trade_buy", "trade_sell", "deposit", "transfer_in", "withdrawal", "transfer_out"] as const;

/** The user's history rows that moved an asset other than `except` (the quote currency), oldest first. */
export function holdingMoves(db: DbOrTx, userId: string, except: string) {
  return db
    .select({
      type: transactions.type,
      reference: transactions.reference,
      asset: transactions.asset,
      direction: transactions.direction,
      status: transactions.status,
      amount: transactions.amount,
      fee: transactions.fee,
    })
    .from(transactions)
    .where(and(eq(transactions.userId, userId), ne(transactions.asset, except), inArray(transactions.type, [...HOLDING_MOVES])))
    .orderBy(asc(transactions.createdAt), asc(transactions.id));
}

export function toTx(config: Config, row: HistoryRow): Tx {
  const precision = precisionOf(config, row.asset);
  return {
    id: row.id,
    type: row.type,
    asset: row.asset,
    amount: formatAmount(row.amount, precision),
    fee: formatAmount(row.fee, precision),
    status: row.status,
    direction: row.direction,
    counterparty: row.counterparty,
    reference: row.reference,
    note: row.note,
    // Only where an admin gave one: the objects of API.md keep their documented fields otherwise.
    ...(row.rejectionReason === null ? {} : { rejectionReason: row.rejectionReason }),
    createdAt: row.createdAt.toISOString(),
  };
}

/** An asset filter names a configured asset (else 422 naming `asset`), so a typo never reads as "no history". */
export function assertFilters(config: Config, filters: TxFilters): void {
  if (filters.asset !== undefined) assetOf(config, filters.asset);
}

function filterClauses(userId: string, filters: TxFilters): (SQL | undefined)[] {
  return [
    eq(transactions.userId, userId),
    filters.type ? eq(transactions.type, filters.type) : undefined,
    filters.asset ? eq(transactions.asset, filters.asset) : undefined,
    filters.status ? eq(transactions.status, filters.status) : undefined,
    filters.from ? gte(transactions.createdAt, new Date(filters.from)) : undefined,
    filters.to ? until(filters.to) : undefined,
  ];
}

/**
 * `to` is inclusive. A day without a time (`2026-11-27`) means through the end of that day (UTC), as a statement's
 * period reads; taken as its first instant, it would leave out the very day it names.
 */
function until(to: string): SQL | undefined {
  if (!BARE_DAY.test(to)) return lte(transactions.createdAt, new Date(to));
  const nextDay = new Date(to);
  nextDay.setUTCDate(nextDay.getUTCDate() + 1);
  // Through 9999-12-31 is through the last day a date can be: no bound (the next day is past what Postgres reads).
  return isStorableDate(nextDay) ? lt(transactions.createdAt, nextDay) : undefined;
}

async function rowsAfter(db: DbOrTx, userId: string, filters: TxFilters, limit: number, cursor?: Cursor) {
  return db
    .select()
    .from(transactions)
    .where(and(...filterClauses(userId, filters), after(transactions.createdAt, transactions.id, cursor)))
    .orderBy(desc(transactions.createdAt), desc(transactions.id))
    .limit(limit + 1);
}

export async function listTransactions(
  db: DbOrTx,
  config: Config,
  userId: string,
  query: TxFilters & { limit?: number; cursor?: string },
) {
  assertFilters(config, query);
  const limit = pageLimit(query.limit);
  const rows = await rowsAfter(db, userId, query, limit, decodeCursor(query.cursor));
  return pageOf(rows, limit, (row) => toTx(config, row));
}

/** Another user's transaction is indistinguishable from a missing one: 404 either way. */
export async function getTransaction(db: DbOrTx, config: Config, userId: string, id: string): Promise<Tx> {
  if (!isUuid(id)) throw notFound("Transaction");
  const [row] = await db
    .select()
    .from(transactions)
    .where(and(eq(transactions.id, id), eq(transactions.userId, userId)));
  if (!row) throw notFound("Transaction");
  return toTx(config, row);
}

/** How many rows an export reads from the database at a time. */
const EXPORT_PAGE = 500;

/** Every matching row, newest first, read in pages so an export never holds the whole history. */
export async function* historyRows(db: DbOrTx, config: Config, userId: string, filters: TxFilters): AsyncGenerator<Tx> {
  let cursor: Cursor | undefined;
  for (;;) {
    const rows = await rowsAfter(db, userId, filters, EXPORT_PAGE, cursor);
    for (const row of rows.slice(0, EXPORT_PAGE)) yield toTx(config, row);
    if (rows.length <= EXPORT_PAGE) return;
    const last = rows[EXPORT_PAGE - 1];
    cursor = { at: last.createdAt, id: last.id };
  }
}
