import { For, type JSX, onCleanup, onMount, Show } from "solid-js";
import { focusIfLost } from "../lib/focus";
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

/** At this width and below (45rem, a phone held upright) a table is always cards, however few its columns. */
const CARDS_AT_REM = 45;

/**
 * Cards (`data-cards` on the table's region) where the region is narrow, or where the table's columns would not fit
 * its width, so nobody has to scroll sideways to see an amount, a status or a button (a phone held sideways is
 * 844 px wide, more than most tables' cards need but less than their columns). To know whether the columns fit, the
 * table is laid out as one for a moment: nothing is painted in between.
 */
function fitTable(region: HTMLElement, table: HTMLTableElement) {
  const rem = Number.parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
  let cards = region.clientWidth <= CARDS_AT_REM * rem;
  if (!cards) {
    region.removeAttribute("data-cards");
    cards = table.offsetWidth > region.clientWidth;
  }
  region.toggleAttribute("data-cards", cards);
}

/**
 * Says the table's roles outright: a table whose rows are laid out as blocks (the cards) is no table any more to
 * some screen readers (WebKit's), and the column headers would go unannounced.
 */
function keepTableRoles(table: HTMLTableElement) {
  const set = (element: Element, role: string) => {
    if (!element.hasAttribute("role")) element.setAttribute("role", role);
  };
  set(table, "table");
  for (const group of [table.tHead, ...Array.from(table.tBodies), table.tFoot]) if (group) set(group, "rowgroup");
  for (const row of Array.from(table.rows)) {
    set(row, "row");
    for (const cell of Array.from(row.cells)) {
      const header = cell.tagName === "TH";
      const columnHeader = header && (row.parentElement === table.tHead || cell.getAttribute("scope") === "col");
      set(cell, columnHeader ? "columnheader" : header ? "rowheader" : "cell");
    }
  }
}

/**
 * A table with one header row. As wide as its columns need it is a table (desktops); narrower, its rows become
 * cards, one "label value" line per cell (styles.css, `[data-cards]`), so it never needs scrolling sideways.
 */
export function ScrollTable<T>(props: TableProps<T>) {
  let region!: HTMLElement;
  let table!: HTMLTableElement;
  let gauge!: HTMLDivElement;
  onMount(() => {
    const fit = () => fitTable(region, table);
    // The gauge is as wide as the region whatever the table's layout: watching it (not the region, whose height
    // the switch changes) sees every change of width without a ResizeObserver loop.
    const widths = new ResizeObserver(fit);
    widths.observe(gauge);
    // Rows added or changed can need more width than the region has (or fit again).
    const rows = new MutationObserver(() => {
      keepTableRoles(table);
      fit();
    });
    rows.observe(table, { childList: true, characterData: true, subtree: true });
    keepTableRoles(table);
    onCleanup(() => {
      widths.disconnect();
      rows.disconnect();
    });
  });
  return (
    <section
      ref={region}
      class={props.class ? `table-wrap table-cards ${props.class}` : "table-wrap table-cards"}
      aria-label={props.label}
      tabindex="0"
    >
      <div ref={gauge} class="table-gauge" aria-hidden="true" />
      <table ref={table} class="table" aria-labelledby={props.labelledBy} aria-busy={props.busy}>
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

export type DataTableProps<T> = Omit<TableProps<T>, "items"> & {
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
};

/**
 * A loaded list: the error (with retry) if loading failed, a spinner until the first answer,
 * the empty message, else the table. Items kept while reloading keep the table up (aria-busy).
 */
export default function DataTable<T>(props: DataTableProps<T>) {
  const retry = () => {
    props.onRetry();
    // "Try again" goes with its notice: focus, lost with it, goes to the list's heading, above what loads instead.
    const heading = document.getElementById(props.labelledBy);
    if (heading) focusIfLost()(heading);
  };
  return (
    <Show when={!props.error} fallback={<ErrorNotice title={props.errorTitle} error={props.error} onRetry={retry} />}>
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
