/**
 * Cursor pagination of API.md's lists: newest first, `?limit=` 1–100 (default 20), an opaque cursor that is
 * the last row's (createdAt, id) — stable while new rows arrive.
 */
import { type SQL, sql } from "drizzle-orm";
import type { PgColumn } from "drizzle-orm/pg-core";
import { type TSchema, t } from "elysia";
import { validationFailed } from "./http/errors";
import { isCalendarDay, isStorableDate } from "./http/formats";
import { isUuid } from "./ids";

export type Cursor = { at: Date; id: string };

/** A list's answer: `{ items, nextCursor }`, nextCursor null on the last page. */
export const Page = <Item extends TSchema>(item: Item) =>
  t.Object({ items: t.Array(item), nextCursor: t.Union([t.String(), t.Null()]) });

/**
 * `?limit=`: 1–100 as plain digits. Checked as text and then decoded: Elysia's number coercion reports an
 * out-of-range number without its field, and API.md wants `details.fields` to name it.
 */
const PageLimit = t
  .Transform(t.String({ pattern: "^(100|[1-9][0-9]?)$", description: "a whole number from 1 to 100 (default 20)" }))
  .Decode(Number)
  .Encode(String);

export const PageQuery = {
  limit: t.Optional(PageLimit),
  cursor: t.Optional(t.String({ maxLength: 200 })),
};

const encodeCursor = (row: { createdAt: Date; id: string }) =>
  Buffer.from(`${row.createdAt.toISOString()}|${row.id}`).toString("base64url");

/** A page's size when the request names none (API.md: 20). */
export const pageLimit = (limit: number | undefined) => limit ?? 20;

/** A cursor this server did not issue: the same 422 from every list. */
export const invalidCursor = () => validationFailed("cursor", "Invalid cursor");

export function decodeCursor(cursor: string | undefined): Cursor | undefined {
  if (cursor === undefined) return undefined;
  const [at, id] = Buffer.from(cursor, "base64url").toString("utf8").split("|");
  const date = new Date(at);
  if (!id || !isUuid(id) || !isCalendarDay(at) || !isStorableDate(date)) throw invalidCursor();
  return { at: date, id };
}

/**
 * Rows strictly after the cursor in (createdAt desc, id desc) order. Written as one row comparison, which an index
 * on (…, createdAt, id) starts its walk at: the same test spelled with OR was a filter on every row before the page,
 * and a page deep in a long list read all of them.
 */
export function after(createdAt: PgColumn, id: PgColumn, cursor: Cursor | undefined): SQL | undefined {
  if (!cursor) return undefined;
  return sql`(${createdAt}, ${id}) < (${sql.param(cursor.at, createdAt)}, ${sql.param(cursor.id, id)})`;
}

/** Given up to limit + 1 rows, the page and the cursor of the next one. */
export function pageOf<Row extends { createdAt: Date; id: string }, Item>(rows: Row[], limit: number, map: (row: Row) => Item) {
  const page = rows.slice(0, limit);
  return { items: page.map(map), nextCursor: rows.length > limit ? encodeCursor(page[page.length - 1]) : null };
}
