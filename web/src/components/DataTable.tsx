import { For, type JSX, Show } from "solid-js";
import ErrorNotice from "./ErrorNotice";
import Loading from "./Loading";

/** A column header; `num` right-aligns it over numbers, `srOnly` names a column (e.g. actions) for screen readers only. */
export type Column = { label: string; num?: boolean; srOnly?: boolean };

export type TableProps<T> = {
  /** The scroll region's accessible name, e.g. "Deposits table (scrollable)": it is focusable so keyboards can scroll it. */
  label: string;
  /** Id of the heading that names the table. */
  labelledBy: string;
  busy?: boolean;
  /** Classes added to the scroll region's `table-wrap`. */
  class?: string;
  columns: Column[];
  items: readonly T[];
  /** One `<tr>` per item. */
  row: (item: T) => JSX.Element;
  /** A `<tfoot>` (e.g. totals). */
  foot?: JSX.Element;
};

/**
 * Names each cell of a row by its column (`data-label`), which the card layout of narrow tables shows beside
 * the value. The row is real DOM here (Solid), so the cells are labelled once, as the row is made.
 */
function labelCells(row: JSX.Element, columns: Column[]): JSX.Element {
  if (row instanceof HTMLTableRowElement) {
    let index = 0;
    for (const cell of Array.from(row.cells)) {
      const column = columns[index];
      if (column && !column.srOnly) cell.dataset.label = column.label;
      index += cell.colSpan;
    }
  }
  return row;
}

/**
 * A table with one header row. Where it is narrower than its columns need (phones, a half-width panel) its rows
 * become cards, one "label value" line per cell (styles.css, `.table-cards`); in between it scrolls sideways,
 * with a shadow at the edge that hides columns.
 */
export function ScrollTable<T>(props: TableProps<T>) {
  return (
    <section
      class={props.class ? `table-wrap table-cards ${props.class}` : "table-wrap table-cards"}
      aria-label={props.label}
      tabindex="0"
    >
      <table class="table" aria-labelledby={props.labelledBy} aria-busy={props.busy}>
        <thead>
          <tr>
            <For each={props.columns}>
              {(column) => (
                <th scope="col" class={column.num ? "num" : undefined}>
                  {column.srOnly ? <span class="sr-only">{column.label}</span> : column.label}
                </th>
              )}
            </For>
          </tr>
        </thead>
        <tbody>
          <For each={props.items}>{(item) => labelCells(props.row(item), props.columns)}</For>
        </tbody>
        {props.foot}
      </table>
    </section>
  );
}

/**
 * A loaded list: the error (with retry) if loading failed, a spinner until the first answer,
 * the empty message, else the table. Items kept while reloading keep the table up (aria-busy).
 */
export default function DataTable<T>(
  props: Omit<TableProps<T>, "items"> & {
    errorTitle: string;
    /** Set while the last load failed. */
    error: unknown;
    onRetry: () => void;
    loadingLabel?: string;
    /** Undefined until the first load answers. */
    items: readonly T[] | undefined;
    /** The text shown instead of an empty table. */
    empty: JSX.Element;
    /** Shown under the table when it has rows (e.g. "Load more"). */
    after?: JSX.Element;
  },
) {
  return (
    <Show when={!props.error} fallback={<ErrorNotice title={props.errorTitle} error={props.error} onRetry={props.onRetry} />}>
      <Show when={props.items} fallback={<Loading label={props.loadingLabel} />}>
        {(items) => (
          <Show when={items().length > 0} fallback={<p class="muted">{props.empty}</p>}>
            <ScrollTable {...props} items={items()} />
            {props.after}
          </Show>
        )}
      </Show>
    </Show>
  );
}
