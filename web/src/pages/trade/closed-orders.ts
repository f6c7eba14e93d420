import { createMemo } from "solid-js";
import { createPagedList } from "../../lib/paged-list";
import type { Order } from "../../lib/trading";

/** The statuses of an order that no longer waits. GET /api/trading/orders filters by one `status` at a time. */
export const CLOSED = ["filled", "cancelled", "rejected"] as const;
export type ClosedStatus = (typeof CLOSED)[number];

export const isClosed = (status: unknown): status is ClosedStatus => CLOSED.includes(status as ClosedStatus);

/** Whether `a` comes before `b` in the API's order: newest first, then by id (both descending). */
const before = (a: Order, b: Order) => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);

/**
 * The user's filled, cancelled and rejected orders as one newest-first list, paged. The API takes one status per
 * request, so each status is a paged list of its own (createPagedList) and the three are merged. Merged, they are
 * shown only down to the `edge`, the oldest order loaded of the list that has more and ends newest: below it that
 * list's next page may hold orders that go between the ones loaded of the others. "Load more" pages that list on.
 */
export function createClosedOrders(pageSize: number) {
  const lists = CLOSED.map((status) => ({
    status,
    list: createPagedList<Order>("/api/trading/orders", { status }, pageSize),
  }));
  /** The oldest order loaded of each list with more to come. */
  const ends = () =>
    lists.flatMap(({ list }) => {
      const last = list.items().at(-1);
      return list.hasMore() && last ? [{ list, last }] : [];
    });
  const edge = () =>
    ends().reduce<Order | undefined>((newest, { last }) => (newest && before(newest, last) ? newest : last), undefined);
  const merged = createMemo(() => {
    const limit = edge();
    return lists
      .flatMap(({ list }) => list.items())
      .filter((order) => !limit || !before(limit, order))
      .sort((a, b) => (before(a, b) ? -1 : 1));
  });
  const loading = () => {
    const states = lists.map(({ list }) => list.loading());
    return states.includes("first") ? "first" : states.includes("more") ? "more" : undefined;
  };
  return {
    /** Undefined (a spinner) until every status has its first page. */
    shown: () => (lists.some(({ list }) => list.shown() === undefined) ? undefined : merged()),
    hasMore: () => ends().length > 0,
    loading,
    error: () => lists.map(({ list }) => list.error()).find((error) => error !== undefined),
    moreError: () => lists.map(({ list }) => list.moreError()).find((error) => error !== undefined),
    more: () => {
      const limit = edge();
      for (const { list, last } of ends()) if (last === limit) void list.load(true);
    },
    /** Reads one status's list again (an order just closed with it), or all three. */
    reload: (status?: ClosedStatus) =>
      Promise.all(lists.filter((entry) => !status || entry.status === status).map(({ list }) => list.load(false))),
  };
}
