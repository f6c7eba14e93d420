/**
 * Live frames applied to what a page shows, without a request: rows of a newest-first list where the API would
 * list them, and a balance's amounts. Plain functions of plain data (the server's tests run them too).
 */

type Row = { id: string; createdAt: string };

/** The API's order of history rows: newest first, then by id (both descending). */
const newerFirst = (a: Row, b: Row) =>
  a.createdAt === b.createdAt ? (a.id < b.id ? 1 : a.id > b.id ? -1 : 0) : a.createdAt < b.createdAt ? 1 : -1;

/**
 * A `transaction` frame applied to a newest-first list of rows, as the API would list them: a known row is
 * replaced (a status change), a new one takes its place by time. Rows older than the list's oldest are left
 * out unless the list is `complete`: a status change of an old row must not jump to the top, and a row between
 * pages must not appear out of its place. `keep` caps the list (a "newest five").
 */
export function withTxFrame<T extends Row>(rows: T[], tx: T, { complete = false, keep = Number.POSITIVE_INFINITY } = {}): T[] {
  if (rows.some((row) => row.id === tx.id)) return rows.map((row) => (row.id === tx.id ? tx : row));
  const oldest = rows.at(-1);
  if (!complete && oldest && newerFirst(tx, oldest) > 0) return rows;
  return [...rows, tx].sort(newerFirst).slice(0, keep);
}

type Amounts = { asset: string; available: string; held: string; total: string };

/**
 * A `balance` frame applied to the balances shown: its asset's available, held and total. For a page that shows
 * amounts, not their USD values (which wait for the next load).
 */
export function withBalanceFrame<A extends { balances: Amounts[] }>(answer: A | undefined, frame: unknown): A | undefined {
  const moved = frame as Partial<Amounts> | undefined;
  if (!answer || !moved?.asset) return answer;
  return {
    ...answer,
    balances: answer.balances.map((balance) => (balance.asset === moved.asset ? { ...balance, ...moved } : balance)),
  };
}

/**
 * A reloaded list with each unchanged item (same id, same fields) kept as the object it was: a list keyed by its
 * items keeps that row, and what the user is doing in it (a confirmation asked, the focus), when a live frame
 * makes the page reload the list. `key` names an item whose id is not `id` (a deposit order's `orderId`); without
 * it the items have an `id` (the first signature sees to that).
 */
export function keepUnchanged<T extends { id: string }>(previous: T[] | undefined, fresh: T[]): T[];
export function keepUnchanged<T>(previous: T[] | undefined, fresh: T[], key: (item: T) => string): T[];
export function keepUnchanged<T>(previous: T[] | undefined, fresh: T[], key = (item: T) => (item as { id: string }).id): T[] {
  const before = new Map(previous?.map((item) => [key(item), item]));
  return fresh.map((item) => {
    const was = before.get(key(item));
    return was && JSON.stringify(was) === JSON.stringify(item) ? was : item;
  });
}
