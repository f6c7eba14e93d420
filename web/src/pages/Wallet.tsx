import { type Accessor, createMemo, createResource, createSignal, onCleanup, Show } from "solid-js";
import AccountNotices from "../components/AccountNotices";
import ConnectionIndicator from "../components/ConnectionIndicator";
import Limits from "../components/Limits";
import RequireUser from "../components/RequireUser";
import { liveReload } from "../lib/coalesce";
import { useConfig } from "../lib/config";
import { announceIncomingMoney } from "../lib/incoming-money";
import { formatUsd } from "../lib/money";
import { createPagedList } from "../lib/paged-list";
import { useLivePrices } from "../lib/prices";
import { loadError, settled } from "../lib/resource";
import type { User } from "../lib/session";
import { usePageTitle } from "../lib/title";
import { balanceValued, liveTotalUsd } from "../lib/valuation";
import { type DepositOrder, fetchAddresses, fetchBalances, fetchLimits, type Withdrawal } from "../lib/wallet";
import { onFrame, onResync } from "../lib/ws";
import AddressBookPanel from "./wallet/AddressBook";
import BalancesPanel from "./wallet/Balances";
import DepositPanel from "./wallet/Deposit";
import DepositsPanel from "./wallet/Deposits";
import WithdrawPanel from "./wallet/Withdraw";
import WithdrawalsPanel from "./wallet/Withdrawals";

/** Deposit orders and withdrawals per page, as History's transactions: the older ones come with "Load more". */
const PAGE_SIZE = 25;

function WalletPage(props: { user: Accessor<User> }) {
  const config = useConfig();
  const [balances, balancesActions] = createResource(fetchBalances);
  const [addresses, addressesActions] = createResource(fetchAddresses);
  // A reload keeps the pages loaded and the unchanged rows (createPagedList): a live frame must not take away the
  // older orders the user paged to, nor a Cancel they are confirming. A deposit order is named by its orderId.
  const deposits = createPagedList<DepositOrder>("/api/wallet/deposits", {}, PAGE_SIZE, (order) => order.orderId);
  const withdrawals = createPagedList<Withdrawal>("/api/wallet/withdrawals", {}, PAGE_SIZE);
  const [limits, limitsActions] = createResource(fetchLimits);
  const [order, setOrder] = createSignal<DepositOrder>();
  // The total value follows each price tick, computed here from the balances: no reload per tick.
  useLivePrices();
  const totalUsd = createMemo(() => {
    const data = settled(balances);
    return data && liveTotalUsd(config(), data.balances.map(balanceValued));
  });

  const refreshMoney = () => {
    void balancesActions.refetch();
    void withdrawals.load(false);
    void limitsActions.refetch();
  };

  // The credit of the deposit order shown is said by its panel, with the order's news (lib/deposit-news).
  announceIncomingMoney((tx) => tx.type === "deposit" && tx.reference === order()?.orderId);
  // Live (WebSocket): a balance moved (a transfer arrived, a deposit was credited) or a transaction happened.
  const balancesLive = liveReload(balancesActions.refetch);
  const withdrawalsLive = liveReload(() => Promise.all([withdrawals.load(false), limitsActions.refetch()]));
  const depositsLive = liveReload(() => deposits.load(false));
  onCleanup(onFrame("balance", balancesLive.trigger));
  onCleanup(
    onResync(() => {
      refreshMoney();
      void deposits.load(false);
    }),
  );
  onCleanup(
    onFrame("transaction", (frame) => {
      const type = (frame.data as { type?: string } | undefined)?.type;
      // A withdrawal moved on; money sent to another user counts against a daily limit too. A trade changes neither.
      if (type === "withdrawal" || type === "transfer_out") withdrawalsLive.trigger();
      // A deposit was credited: its order's status and amount received changed, whether its card is open or not.
      if (type === "deposit") depositsLive.trigger();
    }),
  );

  return (
    <Show when={config()}>
      {(cfg) => (
        <>
          <section class="hero" aria-labelledby="wallet-title">
            <h1 id="wallet-title">Wallet</h1>
            <p class="muted">
              Total value{" "}
              <strong class="num total-value">
                <Show when={totalUsd()} fallback="…">
                  {(total) => <>{formatUsd(total())} USD</>}
                </Show>
              </strong>
            </p>
            {/* Everything below follows the socket: while it is down, the balances and lists may be out of date. */}
            <ConnectionIndicator />
          </section>
          <AccountNotices user={props.user()} sending />
          <BalancesPanel
            config={cfg()}
            data={settled(balances)}
            totalUsd={totalUsd()}
            loading={balances.loading}
            error={loadError(balances)}
            onRefresh={() => void balancesActions.refetch()}
          />
          <div class="panel-grid">
            <DepositPanel
              config={cfg()}
              order={order()}
              setOrder={setOrder}
              onCreated={() => void deposits.load(false)}
              onSettled={() => {
                void balancesActions.refetch();
                void deposits.load(false);
              }}
            />
            <WithdrawPanel
              config={cfg()}
              user={props.user()}
              balances={settled(balances)?.balances}
              addresses={settled(addresses)}
              withdrawals={withdrawals.items()}
              onRequested={refreshMoney}
            />
          </div>
          <section class="panel" aria-labelledby="limits-title">
            <div class="panel-head">
              <div>
                <h2 id="limits-title">Daily limits</h2>
                <p class="muted small">Counted in USD per UTC day, across all assets.</p>
              </div>
            </div>
            <Limits items={settled(limits)} error={loadError(limits)} onRetry={() => void limitsActions.refetch()} />
          </section>
          <WithdrawalsPanel config={cfg()} list={withdrawals} onCancelled={refreshMoney} />
          <DepositsPanel
            config={cfg()}
            list={deposits}
            onShow={(picked) => {
              setOrder(picked);
              document.getElementById("deposit-title")?.scrollIntoView({ block: "start" });
              document.getElementById("deposit-title")?.focus({ preventScroll: true });
            }}
          />
          <AddressBookPanel
            config={cfg()}
            addresses={settled(addresses)}
            loading={addresses.loading}
            error={loadError(addresses)}
            onRetry={() => void addressesActions.refetch()}
            onChanged={() => void addressesActions.refetch()}
          />
        </>
      )}
    </Show>
  );
}

export default function Wallet() {
  usePageTitle(() => "Wallet");
  return <RequireUser>{(user) => <WalletPage user={user} />}</RequireUser>;
}
