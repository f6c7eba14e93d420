import { A } from "@solidjs/router";
import { createMemo, createResource, For, Match, onCleanup, Show, Switch } from "solid-js";
import { type ActivityLine, activityLines, type TradeLine, tradeUsd } from "../lib/activity";
import { api } from "../lib/api";
import { useConfig } from "../lib/config";
import { formatDateTime } from "../lib/format";
import { keepUnchanged, withTxFrame } from "../lib/live-rows";
import { precisionOf } from "../lib/money";
import { settled } from "../lib/resource";
import { TX_LABELS, type Tx } from "../lib/wallet";
import { onFrame, onResync } from "../lib/ws";
import Amount from "./Amount";
import ErrorNotice from "./ErrorNotice";
import Loading from "./Loading";
import StatusBadge from "./StatusBadge";
import TxAmount from "./TxAmount";

const SHOWN = 5;
/** Rows fetched for five lines: a trade is up to three rows (asset, USD, fee), read as one line. */
const FETCHED = SHOWN * 3;

/** A held or rejected transfer is not money in or out yet: its status says so. */
function Label(props: { type: string; status: string }) {
  return (
    <span>
      {TX_LABELS[props.type] ?? props.type}{" "}
      <Show when={props.status !== "completed"}>
        <StatusBadge status={props.status} />
      </Show>
    </span>
  );
}

/** A trade's line: the asset bought or sold, and under it the USD it cost or brought, its fee included. */
function TradeAmounts(props: { line: TradeLine }) {
  const config = useConfig();
  const usdPrecision = () => precisionOf(config(), "USD");
  const total = () => {
    const precision = usdPrecision();
    return precision === undefined ? undefined : tradeUsd(props.line, precision);
  };
  return (
    <>
      <Show when={props.line.asset}>
        {(leg) => (
          <Amount
            value={leg().amount}
            asset={leg().asset}
            precision={precisionOf(config(), leg().asset)}
            direction={leg().direction}
          />
        )}
      </Show>
      <Show when={total()}>
        {(usd) => (
          <span class="cell-line small muted">
            <Amount value={usd().amount} asset="USD" precision={usdPrecision()} direction={usd().direction} />
            <Show when={props.line.fee}>
              {(fee) => (
                <>
                  {props.line.side === "buy" ? " incl. " : " after "}
                  <Amount value={fee().amount} asset="USD" precision={usdPrecision()} /> fee
                </>
              )}
            </Show>
          </span>
        )}
      </Show>
    </>
  );
}

/**
 * The five newest lines of activity, kept live from the frames: a new row goes on top, a known one is replaced, and
 * the rows of one trade read as one line (lib/activity).
 */
export default function RecentActivity() {
  const config = useConfig();
  const [recent, { refetch, mutate }] = createResource(() => api.get<{ items: Tx[] }>(`/api/transactions?limit=${FETCHED}`));
  onCleanup(
    onFrame("transaction", (frame) => {
      const tx = frame.data as Tx | undefined;
      const shown = recent.latest?.items;
      if (!tx?.id || !shown) return;
      // Fewer rows than fetched is the whole history: any row belongs in it.
      mutate({ items: withTxFrame(shown, tx, { complete: shown.length < FETCHED, keep: FETCHED }) });
    }),
  );
  onCleanup(onResync(() => void refetch()));
  // An unchanged line stays the object it was: a frame redraws the line it changes, not the list.
  const lines = createMemo<ActivityLine[]>((before) => {
    const rows = settled(recent)?.items;
    return keepUnchanged(before, rows ? activityLines(rows).slice(0, SHOWN) : []);
  });
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
          <Show when={lines().length > 0} fallback={<p class="muted">No activity yet. Make a deposit to get started.</p>}>
            <ul class="activity">
              <For each={lines()}>
                {(line) => (
                  <li>
                    <Switch>
                      <Match when={line.kind === "trade" && line}>
                        {(trade) => (
                          <>
                            <Label type={`trade_${trade().side}`} status={trade().status} />
                            <span class="activity-amount">
                              <TradeAmounts line={trade()} />
                            </span>
                            <span class="muted small">{formatDateTime(trade().createdAt)}</span>
                          </>
                        )}
                      </Match>
                      <Match when={line.kind === "tx" && line.tx}>
                        {(tx) => (
                          <>
                            <Label type={tx().type} status={tx().status} />
                            <span class="activity-amount">
                              <TxAmount tx={tx()} precision={precisionOf(config(), tx().asset)} />
                            </span>
                            <span class="muted small">{formatDateTime(tx().createdAt)}</span>
                          </>
                        )}
                      </Match>
                    </Switch>
                  </li>
                )}
              </For>
            </ul>
          </Show>
        </Show>
      </Show>
    </section>
  );
}
