import { createSignal } from "solid-js";
import { api } from "./api";
import { actionMessage } from "./forms";

/** One page of a list (API.md "Lists"): newest first, `nextCursor` null on the last page. */
export type Page<T> = { items: T[]; nextCursor: string | null };

/** What a list's order is made of: createdAt, then id, both descending. */
type Listed = { id: string; createdAt: string };

/** Whether `a` comes before `b` in a list's order (ISO times compare as text). */
function listedBefore(a: Listed, b: Listed): boolean {
  return a.createdAt > b.createdAt || (a.createdAt === b.createdAt && a.id > b.id);
}

/**
 * A cursor-paginated list as far as it is loaded: the first page at once, one more per `load(true)` ("Load more").
 * `load(false)` (Refresh) reads the pages again down to the oldest item it had, so a reload never takes away what
 * the user had paged to: in a newest-first queue those are the items waiting longest.
 */
export function createPagedList<T extends Listed>(path: string, query: Record<string, string>, pageSize: number) {
  const [items, setItems] = createSignal<T[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal<"first" | "more" | undefined>();
  const [error, setError] = createSignal<unknown>();
  const [moreError, setMoreError] = createSignal<string>();
  /** Bumped by every reload: an answer to an older one is dropped. */
  let generation = 0;

  const page = (after: string | null) => {
    const params = new URLSearchParams({ ...query, limit: String(pageSize) });
    if (after) params.set("cursor", after);
    return api.get<Page<T>>(`${path}?${params}`);
  };

  const load = async (more: boolean) => {
    const mine = more ? generation : ++generation;
    setLoading(more ? "more" : "first");
    if (more) setMoreError(undefined);
    else setError(undefined);
    try {
      if (more) {
        const next = await page(cursor());
        if (mine !== generation) return;
        setItems([...items(), ...next.items]);
        setCursor(next.nextCursor);
      } else {
        const oldest = items().at(-1);
        let list: T[] = [];
        let after: string | null = null;
        do {
          const next = await page(after);
          if (mine !== generation) return;
          list = [...list, ...next.items];
          after = next.nextCursor;
          const last = list.at(-1);
          if (!oldest || !last || !listedBefore(last, oldest)) break;
        } while (after);
        setItems(list);
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
    setItems(items().filter((item) => item.id !== id));
    if (items().length === 0 && cursor() !== null) void load(false);
  };

  /** Puts a changed item (resolved, say) in its place. */
  const replace = (changed: T) => setItems(items().map((item) => (item.id === changed.id ? changed : item)));

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
