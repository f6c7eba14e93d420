import { createResource, onCleanup, Show } from "solid-js";
import { coalesce } from "../lib/coalesce";
import { useConfig } from "../lib/config";
import { formatAmount, formatUsd, precisionOf } from "../lib/money";
import { useLivePrices } from "../lib/prices";
import { settled } from "../lib/resource";
import { fetchPortfolio } from "../lib/trading";
import { hasBasis, liveTotalUsd, liveUnrealizedPnlUsd, liveValueUsd, pnlTone } from "../lib/valuation";
import { onFrame, onResync } from "../lib/ws";
import { ScrollTable } from "./DataTable";
import ErrorNotice from "./ErrorNotice";
import Loading from "./Loading";

/** The signed-in user's holdings at live prices, with cost basis and P&L (GET /api/portfolio). */
export default function PortfolioPanel() {
  const config = useConfig();
  const [portfolio, { refetch }] = createResource(fetchPortfolio);
  // Live (WebSocket): holdings change when a balance moves (a fill, a deposit, a transfer). A burst of moves
  // reloads at most every 2 s, one at a time: each reload replays the user's whole history on the server.
  const live = coalesce(refetch, 2_000, 50);
  onCleanup(onFrame("balance", live.trigger));
  onCleanup(onResync(live.trigger));
  onCleanup(live.cancel);
  // Values and unrealized P&L follow each price tick, computed here from the holdings: no reload per tick.
  useLivePrices();
  return (
    <section class="panel" aria-labelledby="portfolio-title">
      <div class="panel-head">
        <h2 id="portfolio-title" class="panel-title">
          Portfolio
        </h2>
        <button type="button" class="button button-ghost button-small" onClick={() => void refetch()}>
          Refresh
        </button>
      </div>
      <Show when={!portfolio.error} fallback={<ErrorNotice error={portfolio.error} onRetry={() => void refetch()} />}>
        {/* settled: reading portfolio() would suspend the whole page on every refetch (each balance frame). */}
        <Show when={settled(portfolio)} fallback={<Loading label="Loading portfolio…" />}>
          {(p) => (
            <>
              <p>
                Total{" "}
                <strong class="num" data-testid="portfolio-total">
                  {formatUsd(liveTotalUsd(config(), p().holdings))} USD
                </strong>{" "}
                · realized P&amp;L{" "}
                <strong class={`num ${pnlTone(p().realizedPnlUsd) ?? ""}`}>{formatUsd(p().realizedPnlUsd)} USD</strong>
              </p>
              <Show when={p().holdings.length > 0} fallback={<p>No holdings yet.</p>}>
                <ScrollTable
                  label="Holdings table (scrollable)"
                  labelledBy="portfolio-title"
                  columns={[
                    { label: "Asset" },
                    { label: "Amount" },
                    { label: "Value (USD)" },
                    { label: "Cost basis (USD)" },
                    { label: "Unrealized P&L (USD)" },
                  ]}
                  items={p().holdings}
                  row={(h) => (
                    <tr>
                      <th scope="row">{h.asset}</th>
                      <td class="num">{formatAmount(h.amount, precisionOf(config(), h.asset))}</td>
                      <td class="num">{formatUsd(liveValueUsd(config(), h))}</td>
                      <td class="num">
                        <Show when={hasBasis(config(), h)} fallback={<Unknown />}>
                          {formatUsd(h.costBasisUsd)}
                        </Show>
                        <Show when={h.amountWithoutBasis !== "0"}>
                          <span class="cell-line small muted">
                            {formatAmount(h.amountWithoutBasis, precisionOf(config(), h.asset))} {h.asset} of unknown cost
                          </span>
                        </Show>
                      </td>
                      <UnrealizedPnl value={liveUnrealizedPnlUsd(config(), h)} />
                    </tr>
                  )}
                />
              </Show>
              <p class="field-hint">
                Cost basis and P&amp;L count traded coins only: coins deposited or received have no known cost, so they add
                neither.
              </p>
            </>
          )}
        </Show>
      </Show>
    </section>
  );
}

/** A figure nobody knows (no unit of the holding has a cost): a dash, read out as "unknown". */
function Unknown() {
  return (
    <>
      <span aria-hidden="true">—</span>
      <span class="sr-only">unknown</span>
    </>
  );
}

/** An unrealized P&L cell: coloured as a gain or loss only when there is one, and never when it is unknown. */
function UnrealizedPnl(props: { value: string | undefined }) {
  return (
    <td class={`num ${props.value === undefined ? "" : (pnlTone(props.value) ?? "")}`}>
      <Show when={props.value} fallback={<Unknown />}>
        {/* In a fragment, so that it follows the value: the callback itself runs once. */}
        {(value) => <>{formatUsd(value())}</>}
      </Show>
    </td>
  );
}
