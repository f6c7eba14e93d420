import { splitProps } from "solid-js";
import DataTable, { type DataTableProps } from "./DataTable";
import LoadMore from "./LoadMore";

/**
 * What a paged table reads of its list. A list of createPagedList has all of it; a list kept otherwise (several
 * merged, or loaded by its page) is given as an object of the same accessors.
 */
export type PagedRows<T> = {
  /** Undefined (a spinner) while the first page loads into an empty list. */
  shown: () => readonly T[] | undefined;
  loading: () => "first" | "more" | undefined;
  /** Why the last reload failed. */
  error: () => unknown;
  /** Whether the server has items past those loaded. */
  hasMore: () => boolean;
  /** Why the last "Load more" failed. */
  moreError: () => string | undefined;
  /** `false` reads the list again (Retry), `true` its next page (Load more). */
  load: (more: boolean) => unknown;
};

/** A paged list as a DataTable: busy while a page loads, with "Load more" under it (or a line saying it is complete). */
export default function PagedTable<T>(
  props: Omit<DataTableProps<T>, "error" | "onRetry" | "items" | "busy" | "after"> & {
    list: PagedRows<T>;
    /** Retry when it does more than read the list again (a live list's reload also drops its note). */
    onRetry?: () => void;
    /** The line shown once every item is listed, e.g. "That is every event." */
    end: string;
  },
) {
  const [own, table] = splitProps(props, ["list", "onRetry", "end"]);
  return (
    <DataTable<T>
      {...table}
      error={own.list.error()}
      onRetry={() => (own.onRetry ? own.onRetry() : void own.list.load(false))}
      items={own.list.shown()}
      busy={own.list.loading() !== undefined}
      after={
        <LoadMore
          hasMore={own.list.hasMore()}
          loading={own.list.loading()}
          onMore={() => void own.list.load(true)}
          error={own.list.moreError()}
          end={own.end}
        />
      }
    />
  );
}
