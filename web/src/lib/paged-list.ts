import { createSignal } from "solid-js";
import { api } from "./api";
import { actionMessage } from "./forms";
import { keepUnchanged } from "./live-rows";

/** One page of a list (API.md "Lists"): newest first, `nextCursor` null on the last page. */
export type Page<T> = { items: T[]; nextCursor: string | null };

/** What a list's order is made of: createdAt, then the item's id (its `key`), both descending. */
type Dated = { createdAt: string };

/** What a list needs of its items when they are named by `id`. */
type Listed = Dated & { id: string };

/**
 * A cursor-paginated list as far as it is loaded: the first page at once, one more per `load(true)` ("Load more").
 * `load(false)` (Refresh, a live update) reads the pages again down to the oldest item it had, so a reload never
 * takes away what the user had paged to: in a newest-first queue those are the items waiting longest. It keeps
 * unchanged items as the objects they were, so their rows, and what the user is doing in them (a confirmation
 * asked, the focus), stay. Items are named by `id`, or by `key` for those named otherwise (a deposit order by
 * `orderId`).
 */
export function createPagedList<T extends Listed>(path: string, query: Record<string, string>, pageSize: number): PagedList<T>;
export function createPagedList<T extends Dated>(
  path: string,
  query: Record<string, string>,
  pageSize: number,
  key: (item: T) => string,
): PagedList<T>;
export function createPagedList<T extends Dated>(
  path: string,
  query: Record<string, string>,
  pageSize: number,
  // Left out only by the first signature's callers, whose items have an `id`.
  key = (item: T) => (item as T & Listed).id,
): PagedList<T> {
  return pagedList(path, query, pageSize, key);
}

/** A list made by createPagedList, for the components that show it. */
export type PagedList<T extends Dated> = ReturnType<typeof pagedList<T>>;

function pagedList<T extends Dated>(path: string, query: Record<string, string>, pageSize: number, keyOf: (item: T) => string) {
  /** Whether `a` comes before `b` in the list's order (ISO times compare as text). */
  const before = (a: T, b: T) => a.createdAt > b.createdAt || (a.createdAt === b.createdAt && keyOf(a) > keyOf(b));
  const [items, setItems] = createSignal<T[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal<"first" | "more" | undefined>();
  const [error, setError] = createSignal<unknown>();
  const [moreError, setMoreError] = createSignal<string>();
  /** Bumped by every reload: an answer to an older one is dropped. */
  let generation = 0;
  /** The page a "Load more" under way asked for: a reload meanwhile (a live update) reads down to its end too. */
  let asked: Promise<Page<T>> | undefined;

  const page = (after: string | null) => {
    const params = new URLSearchParams({ ...query, limit: String(pageSize) });
    if (after) params.set("cursor", after);
    return api.get<Page<T>>(`${path}?${params}`);
  };

  const load = async (more: boolean) => {
    const mine = more ? generation : ++generation;
    setLoading(more ? "more" : "first");
    // A reload answers for the whole list, a failed "Load more" before it included.
    setMoreError(undefined);
    if (!more) setError(undefined);
    try {
      if (more) {
        const request = page(cursor());
        asked = request;
        const next = await request.finally(() => {
          if (asked === request) asked = undefined;
        });
        if (mine !== generation) return;
        setItems([...items(), ...next.items]);
        setCursor(next.nextCursor);
      } else {
        // A reload drops the answer of a "Load more" under way: it goes down to that page's oldest item instead, or
        // the page the user asked for would be lost to a live update that happened to come at the same time.
        const pending = asked && (await asked.catch(() => undefined));
        if (mine !== generation) return;
        const oldest = pending?.items.at(-1) ?? items().at(-1);
        let list: T[] = [];
        let after: string | null = null;
        do {
          const next = await page(after);
          if (mine !== generation) return;
          list = [...list, ...next.items];
          after = next.nextCursor;
          const last = list.at(-1);
          if (!oldest || !last || !before(last, oldest)) break;
        } while (after);
        setItems(keepUnchanged(items(), list, keyOf));
        setCursor(after);
      }
    } catch (cause) {
      if (mine !== generation) return;
      if (more) setMoreError(actionMessage(cause));
      else setError(() => cause);
    } finally {
      if (mine === generation) setLoading(undefined);
    }
  };

  /** Takes an item off the list (decided, deleted); the next page comes in if that emptied a list with more. */
  const remove = (id: string) => {
    setItems(items().filter((item) => keyOf(item) !== id));
    if (items().length === 0 && cursor() !== null) void load(false);
  };

  /** Puts a changed item (resolved, say) in its place. */
  const replace = (changed: T) => setItems(items().map((item) => (keyOf(item) === keyOf(changed) ? changed : item)));

  void load(false);

  return {
    items,
    /** The items to list; undefined (a spinner) while the first page loads into an empty list. */
    shown: () => (loading() === "first" && items().length === 0 ? undefined : items()),
    /** Whether the server has items past those loaded. */
    hasMore: () => cursor() !== null,
    loading,
    /** Why the last reload failed. */
    error,
    /** Why the last "Load more" failed. */
    moreError,
    load,
    remove,
    replace,
  };
}
