import { A } from "@solidjs/router";
import { createResource, For, onCleanup, Show } from "solid-js";
import { api } from "../lib/api";
import { useConfig } from "../lib/config";
import { formatDateTime } from "../lib/format";
import { withTxFrame } from "../lib/live-rows";
import { precisionOf } from "../lib/money";
import { settled } from "../lib/resource";
import { TX_LABELS, type Tx } from "../lib/wallet";
import { onFrame, onResync } from "../lib/ws";
import ErrorNotice from "./ErrorNotice";
import Loading from "./Loading";
import StatusBadge from "./StatusBadge";
import TxAmount from "./TxAmount";

const SHOWN = 5;

/** The five newest transactions, kept live from the frames: a new one goes on top, a known one is replaced. */
export default function RecentActivity() {
  const config = useConfig();
  const [recent, { refetch, mutate }] = createResource(() => api.get<{ items: Tx[] }>(`/api/transactions?limit=${SHOWN}`));
  onCleanup(
    onFrame("transaction", (frame) => {
      const tx = frame.data as Tx | undefined;
      const shown = recent.latest?.items;
      if (!tx?.id || !shown) return;
      // Fewer than five shown is the whole history: any row belongs in it.
      mutate({ items: withTxFrame(shown, tx, { complete: shown.length < SHOWN, keep: SHOWN }) });
    }),
  );
  onCleanup(onResync(() => void refetch()));
  return (
    <section class="panel" aria-labelledby="activity-title">
      <div class="panel-head">
        <h2 id="activity-title">Recent activity</h2>
        <A href="/history" class="small">
          All history
        </A>
      </div>
      <Show when={!recent.error} fallback={<ErrorNotice error={recent.error} onRetry={() => void refetch()} />}>
        {/* settled: a reload (a resync) keeps the rows shown rather than suspending the page around them. */}
        <Show when={settled(recent)} fallback={<Loading label="Loading recent activity" />}>
          {(page) => (
            <Show when={page().items.length > 0} fallback={<p class="muted">No activity yet. Make a deposit to get started.</p>}>
              <ul class="activity">
                <For each={page().items}>
                  {(tx) => (
                    <li>
                      <span>
                        {TX_LABELS[tx.type] ?? tx.type}{" "}
                        {/* A held or rejected transfer is not money in or out yet: its status says so. */}
                        <Show when={tx.status !== "completed"}>
                          <StatusBadge status={tx.status} />
                        </Show>
                      </span>
                      <span>
                        <TxAmount tx={tx} precision={precisionOf(config(), tx.asset)} />
                      </span>
                      <span class="muted small">{formatDateTime(tx.createdAt)}</span>
                    </li>
                  )}
                </For>
              </ul>
            </Show>
          )}
        </Show>
      </Show>
    </section>
  );
}
