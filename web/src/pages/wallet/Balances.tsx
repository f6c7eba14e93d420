import { For, Show } from "solid-js";
import Amount from "../../components/Amount";
import ErrorNotice from "../../components/ErrorNotice";
import Loading from "../../components/Loading";
import type { PublicConfig } from "../../lib/config";
import { formatUsd, precisionOf } from "../../lib/money";
import type { BalanceAnswer } from "../../lib/wallet";

/** GET /api/wallet/balance: every configured asset, zeros included. */
export default function BalancesPanel(props: {
  config: PublicConfig;
  data: BalanceAnswer | undefined;
  loading: boolean;
  error: unknown;
  onRefresh: () => void;
}) {
  const name = (symbol: string) => props.config.assets.find((a) => a.symbol === symbol)?.name ?? symbol;
  return (
    <section class="panel" aria-labelledby="balances-title">
      <div class="panel-head">
        <div>
          <h2 id="balances-title">Balances</h2>
          <p class="muted small">Held funds are set aside for pending withdrawals and transfers under review.</p>
        </div>
        <button type="button" class="button" onClick={() => props.onRefresh()} disabled={props.loading} aria-busy={props.loading}>
          {props.loading && props.data ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <Show
        when={!props.error}
        fallback={<ErrorNotice title="Could not load your balances" error={props.error} onRetry={props.onRefresh} />}
      >
        <Show when={props.data} fallback={<Loading label="Loading balances…" />}>
          {(data) => (
            <Show when={data().balances.length > 0} fallback={<p class="muted">No assets are configured.</p>}>
              <section class="table-wrap" aria-label="Balances table (scrollable)" tabindex="0">
                <table class="table" aria-labelledby="balances-title" aria-busy={props.loading}>
                  <thead>
                    <tr>
                      <th scope="col">Asset</th>
                      <th scope="col" class="num">
                        Available
                      </th>
                      <th scope="col" class="num">
                        Held
                      </th>
                      <th scope="col" class="num">
                        Total
                      </th>
                      <th scope="col" class="num">
                        Value (USD)
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={data().balances}>
                      {(balance) => (
                        <tr>
                          <th scope="row">
                            <span class="symbol">{balance.asset}</span>{" "}
                            <span class="muted small asset-name">{name(balance.asset)}</span>
                          </th>
                          <td class="num">
                            <Amount
                              value={balance.available}
                              asset={balance.asset}
                              precision={precisionOf(props.config, balance.asset)}
                              bare
                            />
                          </td>
                          <td class="num">
                            <Amount
                              value={balance.held}
                              asset={balance.asset}
                              precision={precisionOf(props.config, balance.asset)}
                              bare
                            />
                          </td>
                          <td class="num">
                            <Amount
                              value={balance.total}
                              asset={balance.asset}
                              precision={precisionOf(props.config, balance.asset)}
                              bare
                            />
                          </td>
                          <td class="num">{formatUsd(balance.valueUsd)}</td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                  <tfoot>
                    <tr>
                      <th scope="row" colSpan={4} class="total-cell">
                        Total value
                      </th>
                      <td class="num total-cell">
                        <strong>{formatUsd(data().totalUsd)} USD</strong>
                      </td>
                    </tr>
                  </tfoot>
                </table>
              </section>
            </Show>
          )}
        </Show>
      </Show>
    </section>
  );
}
