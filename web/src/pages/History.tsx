import { useSearchParams } from "@solidjs/router";
import { createEffect, createMemo, createSignal, For, on, onCleanup, Show } from "solid-js";
import ActionResult from "../components/ActionResult";
import AskAgainButtons, { cancelWords } from "../components/AskAgainButtons";
import { Field, SelectField } from "../components/Field";
import NoteLine from "../components/NoteLine";
import PagedTable from "../components/PagedTable";
import RequireUser from "../components/RequireUser";
import StatusBadge from "../components/StatusBadge";
import TxAmount from "../components/TxAmount";
import { api, saveFile } from "../lib/api";
import { type PublicConfig, useConfig } from "../lib/config";
import { focusControl, focusIfLost, refocusAfterBusy } from "../lib/focus";
import { formatDateTime } from "../lib/format";
import { actionMessage, fieldErrors } from "../lib/forms";
import { withTxFrame } from "../lib/live-rows";
import { formatAmount, precisionOf } from "../lib/money";
import { usePageTitle } from "../lib/title";
import { heldTransferId, statusLabel, TX_LABELS, TX_TYPES, type Tx } from "../lib/wallet";
import { onFrame, onResync } from "../lib/ws";

const PAGE_SIZE = 25;

const CANCEL_WORDS = cancelWords("transfer");

/**
 * Every status a history row carries, as the server's TX_STATUSES (src/modules/transactions/model.ts):
 * it answers 422 for any other, so the filter offers only these.
 */
const TX_STATUSES = ["completed", "pending_review", "processing", "rejected", "failed", "cancelled"] as const;

/** The filters as they stand in the page's URL (dates as YYYY-MM-DD, the user's local days). */
type Filters = { type?: string; asset?: string; status?: string; from?: string; to?: string };
type Page = { items: Tx[]; nextCursor: string | null };

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** A local calendar day as the ISO date-time of its first (or last) millisecond. */
function dayBoundary(day: string, end: boolean): string | undefined {
  if (!DAY.test(day)) return undefined;
  const date = new Date(`${day}T${end ? "23:59:59.999" : "00:00:00.000"}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The API's filters (`from`/`to` as ISO date-times); empty ones left out. */
function apiFilters(filters: Filters): Record<string, string> {
  const out: Record<string, string> = {};
  if (filters.type) out.type = filters.type;
  if (filters.asset) out.asset = filters.asset;
  if (filters.status) out.status = filters.status;
  const from = filters.from ? dayBoundary(filters.from, false) : undefined;
  const to = filters.to ? dayBoundary(filters.to, true) : undefined;
  if (from) out.from = from;
  if (to) out.to = to;
  return out;
}

const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value) || undefined;

function HistoryView(props: { config: PublicConfig }) {
  const [params, setParams] = useSearchParams();
  const filters = createMemo<Filters>(
    () => ({
      type: one(params.type),
      asset: one(params.asset),
      status: one(params.status),
      from: one(params.from),
      to: one(params.to),
    }),
    {},
    { equals: (a, b) => JSON.stringify(a) === JSON.stringify(b) },
  );

  const [items, setItems] = createSignal<Tx[]>([]);
  const [cursor, setCursor] = createSignal<string | null>(null);
  const [loading, setLoading] = createSignal<"first" | "more" | undefined>("first");
  const [error, setError] = createSignal<unknown>();
  const [moreError, setMoreError] = createSignal<string>();
  const [filterError, setFilterError] = createSignal<Record<string, string>>({});
  const [exporting, setExporting] = createSignal<"csv" | "json">();
  const [exportMessage, setExportMessage] = createSignal<{ tone: "error" | "success"; text: string }>();
  /** The held transfer being cancelled, and the one whose Cancel is being asked about (by transfer id). */
  const [cancelling, setCancelling] = createSignal<string>();
  const [asking, setAsking] = createSignal<string>();
  const [cancelResult, setCancelResult] = createSignal<{ tone: "success" | "error"; text: string }>();
  let generation = 0;

  const load = async (more: boolean) => {
    const mine = more ? generation : ++generation;
    setLoading(more ? "more" : "first");
    // A reload answers for the whole list, a failed "Load more" before it included.
    setMoreError(undefined);
    if (!more) setError(undefined);
    const query = new URLSearchParams({ ...apiFilters(filters()), limit: String(PAGE_SIZE) });
    const after = cursor();
    if (more && after) query.set("cursor", after);
    try {
      const page = await api.get<Page>(`/api/transactions?${query}`);
      if (mine !== generation) return;
      setItems(more ? [...items(), ...page.items] : page.items);
      setCursor(page.nextCursor ?? null);
    } catch (cause) {
      if (mine !== generation) return;
      if (more) setMoreError(actionMessage(cause));
      else {
        setError(() => cause);
        setFilterError(fieldErrors(cause));
      }
    } finally {
      if (mine === generation) setLoading(undefined);
    }
  };

  createEffect(on(filters, () => void load(false)));

  /** Whether a transaction belongs in the list as filtered, as the API judges it. */
  const matches = (tx: Tx) => {
    const f = filters();
    if ((f.type && f.type !== tx.type) || (f.asset && f.asset !== tx.asset) || (f.status && f.status !== tx.status)) return false;
    const from = f.from ? dayBoundary(f.from, false) : undefined;
    const to = f.to ? dayBoundary(f.to, true) : undefined;
    return (!from || tx.createdAt >= from) && (!to || tx.createdAt <= to);
  };

  // Live (WebSocket): a new transaction takes its place by time, a known one (status change) is replaced in place,
  // or leaves the list when it no longer matches its filters (a status filter, say).
  onCleanup(
    onFrame("transaction", (frame) => {
      const tx = frame.data as Tx;
      if (!tx?.id || loading() === "first") return;
      const current = items();
      if (!matches(tx)) setItems(current.filter((item) => item.id !== tx.id));
      else setItems(withTxFrame(current, tx, { complete: cursor() === null }));
    }),
  );

  // Transactions missed while live updates were down: the list is loaded again as filtered.
  onCleanup(onResync(() => void load(false)));

  // Cancel for the user's own transfer held for review. The list is loaded again either way: after a refusal the
  // transfer has moved on (approved, say), and after a cancel its row's live frame may not have come yet.
  const cancel = async (transferId: string) => {
    setCancelling(transferId);
    setCancelResult(undefined);
    try {
      await api.post(`/api/transfers/${encodeURIComponent(transferId)}/cancel`);
      setCancelResult({ tone: "success", text: "Transfer cancelled. The held amount is back in your available balance." });
    } catch (cause) {
      setCancelResult({ tone: "error", text: actionMessage(cause) });
    } finally {
      setCancelling(undefined);
      setAsking(undefined);
      void load(false);
    }
  };

  const apply = (event: SubmitEvent) => {
    event.preventDefault();
    const data = new FormData(event.currentTarget as HTMLFormElement);
    const text = (name: string) => {
      const value = data.get(name);
      return typeof value === "string" && value.trim() !== "" ? value.trim() : undefined;
    };
    const next: Filters = {
      type: text("type"),
      asset: text("asset"),
      status: text("status"),
      from: text("from"),
      to: text("to"),
    };
    if (next.from && next.to && next.from > next.to) {
      setFilterError({ to: "The end date is before the start date." });
      return;
    }
    setFilterError({});
    if (JSON.stringify(next) === JSON.stringify(filters())) void load(false);
    else setParams(next);
  };

  const reset = (event: Event) => {
    event.preventDefault();
    setFilterError({});
    const form = (event.currentTarget as HTMLButtonElement).form ?? undefined;
    form?.reset();
    setParams({ type: undefined, asset: undefined, status: undefined, from: undefined, to: undefined });
    // The button goes with the filters it cleared: focus goes to the first filter, not to the top of the page.
    focusControl(form, "type");
  };

  /** `button` was disabled while it ran, which drops keyboard focus to the page: it gets it back after. */
  const exportAs = async (format: "csv" | "json", button: HTMLButtonElement) => {
    setExporting(format);
    setExportMessage(undefined);
    try {
      const file = await api.download("/api/transactions/export", { format, ...apiFilters(filters()) });
      const name = file.filename ?? `cryptovault-history.${format}`;
      saveFile(file.blob, name);
      setExportMessage({ tone: "success", text: `Downloaded ${name}.` });
    } catch (cause) {
      setExportMessage({ tone: "error", text: `Could not export: ${actionMessage(cause)}` });
    } finally {
      setExporting(undefined);
      focusIfLost()(button);
    }
  };

  // Apply is disabled while the list it asked for loads, which drops keyboard focus to the page: it gets it back.
  const keepApplyFocus = refocusAfterBusy(() => loading() === "first");

  /** The transactions to list; undefined (a spinner) while the first page loads into an empty list. */
  const shown = () => (loading() === "first" && items().length === 0 ? undefined : items());
  /** The list as its table reads it: this page loads it itself (filters from the URL, live frames), not by createPagedList. */
  const transactions = { shown, loading, error, hasMore: () => cursor() !== null, moreError, load };

  const active = () => Object.values(filters()).some(Boolean);

  return (
    <>
      <section class="panel" aria-labelledby="filters-title">
        <h2 id="filters-title" class="panel-title">
          Filters
        </h2>
        <form class="form filters" onSubmit={apply} novalidate>
          <SelectField label="Type" name="type" error={filterError().type}>
            <option value="" selected={!filters().type}>
              All types
            </option>
            <For each={TX_TYPES}>
              {(type) => (
                <option value={type} selected={filters().type === type}>
                  {TX_LABELS[type] ?? type}
                </option>
              )}
            </For>
          </SelectField>
          <SelectField label="Asset" name="asset" error={filterError().asset}>
            <option value="" selected={!filters().asset}>
              All assets
            </option>
            <For each={props.config.assets}>
              {(asset) => (
                <option value={asset.symbol} selected={filters().asset === asset.symbol}>
                  {asset.symbol}
                </option>
              )}
            </For>
          </SelectField>
          <SelectField label="Status" name="status" error={filterError().status}>
            <option value="" selected={!filters().status}>
              All statuses
            </option>
            <For each={TX_STATUSES}>
              {(status) => (
                <option value={status} selected={filters().status === status}>
                  {statusLabel(status)}
                </option>
              )}
            </For>
          </SelectField>
          <Field label="From" name="from" type="date" value={filters().from ?? ""} error={filterError().from} />
          <Field label="To" name="to" type="date" value={filters().to ?? ""} error={filterError().to} />
          <div class="button-row filters-actions">
            <button type="submit" class="button button-primary" ref={keepApplyFocus} disabled={loading() === "first"}>
              Apply
            </button>
            <Show when={active()}>
              <button type="button" class="button" onClick={reset}>
                Clear filters
              </button>
            </Show>
          </div>
        </form>
      </section>

      <section class="panel" aria-labelledby="tx-title">
        <div class="panel-head">
          <div>
            <h2 id="tx-title">Transactions</h2>
            <p class="muted small">{active() ? "Matching the filters, newest first." : "Everything, newest first."}</p>
          </div>
          <div class="button-row">
            <button
              type="button"
              class="button"
              onClick={(event) => exportAs("csv", event.currentTarget)}
              disabled={exporting() !== undefined}
              aria-busy={exporting() === "csv"}
            >
              {exporting() === "csv" ? "Exporting…" : "Export CSV"}
            </button>
            <button
              type="button"
              class="button"
              onClick={(event) => exportAs("json", event.currentTarget)}
              disabled={exporting() !== undefined}
              aria-busy={exporting() === "json"}
            >
              {exporting() === "json" ? "Exporting…" : "Export JSON"}
            </button>
          </div>
        </div>
        <Show when={exportMessage()}>
          {(m) => (
            <p class={m().tone === "error" ? "field-error" : "small muted"} role={m().tone === "error" ? "alert" : "status"}>
              {m().text}
            </p>
          )}
        </Show>
        <ActionResult result={cancelResult()} />
        <PagedTable
          list={transactions}
          errorTitle="Could not load your transactions"
          loadingLabel="Loading transactions…"
          empty={active() ? "No transactions match these filters." : "No transactions yet."}
          end={`That is every transaction${active() ? " matching the filters" : ""}.`}
          label="Transactions table (scrollable)"
          labelledBy="tx-title"
          columns={[
            { label: "Date" },
            { label: "Type" },
            { label: "Amount", num: true },
            { label: "Status" },
            { label: "Counterparty / reference" },
          ]}
          row={(tx) => (
            <tr>
              <td>
                <time datetime={tx.createdAt}>{formatDateTime(tx.createdAt)}</time>
              </td>
              <th scope="row">{TX_LABELS[tx.type] ?? tx.type}</th>
              {/* A fee under its amount, as in the withdrawals tables: a column of its own mostly says "—". */}
              <td class="num">
                <TxAmount tx={tx} precision={precisionOf(props.config, tx.asset)} />
              </td>
              {/* A rejection's reason (up to 500 characters) wraps, rather than widen every row's status. A held
                  transfer's Cancel sits under its status too: a column of its own, empty in nearly every row, would
                  widen the table past a desktop's width (and turn it into cards) whenever one is held. */}
              <td classList={{ wrap: !!tx.rejectionReason || heldTransferId(tx) !== undefined }}>
                <StatusBadge status={tx.status} />
                <NoteLine label="Reason" note={tx.rejectionReason} />
                <Show when={heldTransferId(tx)}>
                  {(transferId) => (
                    <div class="cell-line cell-action">
                      <AskAgainButtons
                        words={CANCEL_WORDS}
                        what={`the transfer of ${formatAmount(tx.amount, precisionOf(props.config, tx.asset))} ${tx.asset} to ${tx.counterparty ?? "another user"} sent ${formatDateTime(tx.createdAt)}`}
                        asking={asking() === transferId()}
                        busy={cancelling() === transferId()}
                        disabled={cancelling() !== undefined}
                        onAsk={() => setAsking(transferId())}
                        onKeep={() => setAsking(undefined)}
                        onConfirm={() => cancel(transferId())}
                      />
                    </div>
                  )}
                </Show>
              </td>
              <td class="wrap">
                <Show
                  when={tx.counterparty}
                  fallback={
                    <Show when={tx.reference} fallback={<span class="muted">—</span>}>
                      {(ref) => (
                        <code class="truncate" title={ref()}>
                          {ref()}
                        </code>
                      )}
                    </Show>
                  }
                >
                  {(who) => <span class="break">{who()}</span>}
                </Show>
                <NoteLine note={tx.note} />
              </td>
            </tr>
          )}
        />
      </section>
    </>
  );
}

function HistoryPage() {
  const config = useConfig();
  return (
    <>
      <section class="hero" aria-labelledby="history-title">
        <h1 id="history-title">History</h1>
        <p class="muted">Every deposit, withdrawal, transfer and trade on your account. Export it for your records or taxes.</p>
      </section>
      <Show when={config()}>{(cfg) => <HistoryView config={cfg()} />}</Show>
    </>
  );
}

export default function History() {
  usePageTitle(() => "History");
  return <RequireUser>{() => <HistoryPage />}</RequireUser>;
}
