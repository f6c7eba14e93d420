import { createEffect, createResource, For, on, Show } from "solid-js";
import { ScrollTable } from "../../components/DataTable";
import ErrorNotice from "../../components/ErrorNotice";
import Loading from "../../components/Loading";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { refocusAfterBusy } from "../../lib/focus";
import { formatAmount, precisionOf, sharedDecimals } from "../../lib/money";
import { settled } from "../../lib/resource";
import ScheduledChecks from "./ScheduledChecks";
import { adminActions } from "./state";

type Reconcile = {
  ok: boolean;
  assets: { asset: string; sumOfBalances: string; accounts: number; transfers: number }[];
  problems: { invariant: number | string; message: string; accountId?: number; asset?: string }[];
  /** Guards that could not be tried on this database (read-only, or a role that may not write). */
  untried?: string[];
};

/** GET /api/admin/ledger/reconcile: the ledger's invariants, green when every one holds. */
export default function ReconcilePanel(props: { config: PublicConfig }) {
  const [report, { refetch }] = createResource(() => api.get<Reconcile>("/api/admin/ledger/reconcile"));
  // An admin action on this page (a decision moves money) is followed by a new check: the counts shown stay true.
  createEffect(on(adminActions, () => void refetch(), { defer: true }));
  // "Check again" is disabled while it checks, which drops keyboard focus to the page: it gets it back.
  const keepFocus = refocusAfterBusy(() => report.loading);
  /** An asset's sum as the balances table shows an amount: zero reads alike in every asset ("0.00000000", "0.00"). */
  const sumOf = (row: Reconcile["assets"][number]) => {
    const precision = precisionOf(props.config, row.asset);
    return formatAmount(row.sumOfBalances, precision, sharedDecimals([row.sumOfBalances], precision));
  };
  return (
    <section class="panel" aria-labelledby="reconcile-title">
      <div class="panel-head panel-head-refresh">
        <div>
          <h2 id="reconcile-title">Ledger reconciliation</h2>
          <p class="muted small">Every asset's accounts must sum to zero and every transfer must balance.</p>
        </div>
        <button
          type="button"
          class="button"
          ref={keepFocus}
          onClick={() => void refetch()}
          disabled={report.loading}
          aria-busy={report.loading}
        >
          {report.loading && settled(report) ? "Checking…" : "Check again"}
        </button>
      </div>
      <Show
        when={report.state !== "errored"}
        fallback={<ErrorNotice title="Could not reconcile the ledger" error={report.error} onRetry={() => void refetch()} />}
      >
        <Show when={settled(report)} fallback={<Loading label="Reconciling…" />}>
          {(r) => (
            <div class="stack" aria-live="polite">
              <p>
                <Show
                  when={r().ok}
                  fallback={
                    <span class="badge badge-bad reconcile-status">
                      <span class="dot" aria-hidden="true" />
                      {r().problems.length} problem{r().problems.length === 1 ? "" : "s"} found
                    </span>
                  }
                >
                  <span class="badge badge-ok reconcile-status">
                    <span class="dot" aria-hidden="true" />
                    Ledger balanced
                  </span>
                </Show>
              </p>
              <Show when={r().problems.length > 0}>
                <ul class="problems">
                  <For each={r().problems}>
                    {(problem) => (
                      <li class="bad-text">
                        <span class="muted">Invariant {problem.invariant}:</span> {problem.message}
                        {problem.asset ? ` (${problem.asset})` : ""}
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
              <Show when={r().untried?.length}>
                <ul class="problems">
                  <For each={r().untried}>{(guard) => <li class="muted">{guard}</li>}</For>
                </ul>
              </Show>
              <Show when={r().assets.length > 0} fallback={<p class="muted">No ledger accounts yet.</p>}>
                <ScrollTable
                  label="Ledger by asset (scrollable)"
                  labelledBy="reconcile-title"
                  columns={[
                    { label: "Asset" },
                    { label: "Sum of balances", num: true },
                    { label: "Accounts", num: true },
                    { label: "Transfers", num: true },
                  ]}
                  items={r().assets}
                  row={(a) => (
                    <tr>
                      <th scope="row">
                        <span class="symbol">{a.asset}</span>
                      </th>
                      <td class="num">{sumOf(a)}</td>
                      <td class="num">{a.accounts}</td>
                      <td class="num">{a.transfers}</td>
                    </tr>
                  )}
                />
              </Show>
            </div>
          )}
        </Show>
      </Show>
      <ScheduledChecks />
    </section>
  );
}
