/** The user's history: rows written beside each ledger posting, listed newest first, exported as a stream. */

import { and, desc, eq, gte, lt, lte, or, type SQL } from "drizzle-orm";
import type { Config } from "../../config";
import type { DbOrTx } from "../../platform/db/client";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { formatAmount } from "../../platform/money";
import { precisionOf } from "../ledger/assets";
import type { Tx, TxFilters } from "./model";
import { transactions } from "./schema";

export type NewTx = typeof transactions.$inferInsert;
type TxRow = typeof transactions.$inferSelect;

export async function recordTransactions(tx: DbOrTx, rows: NewTx[]): Promise<TxRow[]> {
  return rows.length ? tx.insert(transactions).values(rows).returning() : [];
}

export function toTx(config: Config, row: TxRow): Tx {
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
    createdAt: row.createdAt.toISOString(),
  };
}

/** The cursor is the last row's (createdAt, id): stable under inserts, opaque to clients. */
const encodeCursor = (row: TxRow) => Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString("base64url");
function decodeCursor(cursor: string): { at: Date; id: string } {
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const date = new Date(at);
  if (!id || !isUuid(id) || Number.isNaN(date.getTime())) {
    throw new AppError(422, "VALIDATION_FAILED", "Invalid cursor", { fields: ["cursor"] });
  }
  return { at: date, id };
}

function filterClauses(userId: string, filters: TxFilters): (SQL | undefined)[] {
  return [
    eq(transactions.userId, userId),
    filters.type ? eq(transactions.type, filters.type) : undefined,
    filters.asset ? eq(transactions.asset, filters.asset) : undefined,
    filters.status ? eq(transactions.status, filters.status) : undefined,
    filters.from ? gte(transactions.createdAt, new Date(filters.from)) : undefined,
    filters.to ? lte(transactions.createdAt, new Date(filters.to)) : undefined,
  ];
}

const before = (cursor: { at: Date; id: string }) =>
  or(lt(transactions.createdAt, cursor.at), and(eq(transactions.createdAt, cursor.at), lt(transactions.id, cursor.id)));

async function pageOf(db: DbOrTx, userId: string, filters: TxFilters, limit: number, cursor?: { at: Date; id: string }) {
  const rows = await db
    .select()
    .from(transactions)
    .where(and(...filterClauses(userId, filters), cursor ? before(cursor) : undefined))
    .orderBy(desc(transactions.createdAt), desc(transactions.id))
    .limit(limit + 1);
  return { rows: rows.slice(0, limit), more: rows.length > limit };
}

export async function listTransactions(
  db: DbOrTx,
  config: Config,
  userId: string,
  query: TxFilters & { limit?: number; cursor?: string },
) {
  const limit = query.limit ?? 20;
  const { rows, more } = await pageOf(db, userId, query, limit, query.cursor ? decodeCursor(query.cursor) : undefined);
  return { items: rows.map((row) => toTx(config, row)), nextCursor: more ? encodeCursor(rows[rows.length - 1]) : null };
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

/** Every matching row, newest first, read in pages of `batch` so an export never holds the whole history. */
export async function* historyRows(
  db: DbOrTx,
  config: Config,
  userId: string,
  filters: TxFilters,
  batch = 500,
): AsyncGenerator<Tx> {
  let cursor: { at: Date; id: string } | undefined;
  for (;;) {
    const { rows, more } = await pageOf(db, userId, filters, batch, cursor);
    for (const row of rows) yield toTx(config, row);
    if (!more) return;
    const last = rows[rows.length - 1];
    cursor = { at: last.createdAt, id: last.id };
  }
}
