import { Show } from "solid-js";
import Amount from "../../components/Amount";
import DataTable from "../../components/DataTable";
import RefreshList from "../../components/RefreshList";
import type { PublicConfig } from "../../lib/config";
import { formatUsd, precisionOf, sharedDecimals } from "../../lib/money";
import { balanceValued, liveValueUsd } from "../../lib/valuation";
import type { Balance, BalanceAnswer } from "../../lib/wallet";

/** GET /api/wallet/balance: every configured asset, zeros included, valued at live prices (the page keeps them live). */
export default function BalancesPanel(props: {
  config: PublicConfig;
  data: BalanceAnswer | undefined;
  /** The balances' total value at live prices, as the page's heading shows it. */
  totalUsd: string | undefined;
  loading: boolean;
  error: unknown;
  onRefresh: () => void;
}) {
  const name = (symbol: string) => props.config.assets.find((a) => a.symbol === symbol)?.name ?? symbol;
  /** One of the row's amounts, with as many decimals as the others: "0.00000000" held beside "1.25000000" available. */
  const amountOf = (balance: Balance, value: string) => {
    const precision = precisionOf(props.config, balance.asset);
    const decimals = sharedDecimals([balance.available, balance.held, balance.total], precision);
    return <Amount value={value} asset={balance.asset} precision={precision} decimals={decimals} bare />;
  };
  return (
    <section class="panel" aria-labelledby="balances-title">
      <div class="panel-head">
        <div>
          <h2 id="balances-title">Balances</h2>
          <p class="muted small">
            Held funds are set aside for pending withdrawals, transfers under review and open limit and stop orders.
          </p>
        </div>
        <RefreshList loading={props.loading ? "first" : undefined} hasItems={!!props.data} onRefresh={props.onRefresh} />
      </div>
      <DataTable
        errorTitle="Could not load your balances"
        error={props.error}
        onRetry={props.onRefresh}
        loadingLabel="Loading balances…"
        items={props.data?.balances}
        empty="No assets are configured."
        label="Balances table (scrollable)"
        labelledBy="balances-title"
        busy={props.loading}
        columns={[
          { label: "Asset" },
          { label: "Available", num: true },
          { label: "Held", num: true },
          { label: "Total", num: true },
          { label: "Value (USD)", num: true },
        ]}
        foot={
          <Show when={props.totalUsd}>
            {(total) => (
              <tfoot>
                <tr>
                  <th scope="row" colSpan={4} class="total-cell">
                    Total value
                  </th>
                  <td class="num total-cell">
                    <strong>{formatUsd(total())} USD</strong>
                  </td>
                </tr>
              </tfoot>
            )}
          </Show>
        }
        row={(balance) => (
          <tr>
            <th scope="row">
              <span class="symbol">{balance.asset}</span> <span class="muted small asset-name">{name(balance.asset)}</span>
            </th>
            <td class="num">{amountOf(balance, balance.available)}</td>
            <td class="num">{amountOf(balance, balance.held)}</td>
            <td class="num">{amountOf(balance, balance.total)}</td>
            <td class="num">{formatUsd(liveValueUsd(props.config, balanceValued(balance)))}</td>
          </tr>
        )}
      />
    </section>
  );
}
