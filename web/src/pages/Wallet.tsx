import { type Accessor, createResource, createSignal, onCleanup, Show } from "solid-js";
import AccountNotices from "../components/AccountNotices";
import Limits from "../components/Limits";
import RequireUser from "../components/RequireUser";
import { liveReload } from "../lib/coalesce";
import { useConfig } from "../lib/config";
import { announceIncomingMoney } from "../lib/incoming-money";
import { keepUnchanged } from "../lib/live-rows";
import { formatUsd } from "../lib/money";
import { loadError, settled } from "../lib/resource";
import type { User } from "../lib/session";
import { usePageTitle } from "../lib/title";
import {
  type DepositOrder,
  fetchAddresses,
  fetchBalances,
  fetchDeposits,
  fetchLimits,
  fetchWithdrawals,
  type Withdrawal,
} from "../lib/wallet";
import { onFrame, onResync } from "../lib/ws";
import AddressBookPanel from "./wallet/AddressBook";
import BalancesPanel from "./wallet/Balances";
import DepositPanel from "./wallet/Deposit";
import DepositsPanel from "./wallet/Deposits";
import WithdrawPanel from "./wallet/Withdraw";
import WithdrawalsPanel from "./wallet/Withdrawals";

function WalletPage(props: { user: Accessor<User> }) {
  const config = useConfig();
  const [balances, balancesActions] = createResource(fetchBalances);
  const [addresses, addressesActions] = createResource(fetchAddresses);
  const [deposits, depositsActions] = createResource(fetchDeposits);
  // A reload keeps unchanged rows: a live frame must not take away a Cancel the user is confirming.
  const [withdrawals, withdrawalsActions] = createResource<Withdrawal[]>(async (_, { value }) =>
    keepUnchanged(value, await fetchWithdrawals()),
  );
  const [limits, limitsActions] = createResource(fetchLimits);
  const [order, setOrder] = createSignal<DepositOrder>();

  const refreshMoney = () => {
    void balancesActions.refetch();
    void withdrawalsActions.refetch();
    void limitsActions.refetch();
  };

  announceIncomingMoney();
  // Live (WebSocket): a balance moved (a transfer arrived, a deposit was credited) or a transaction happened.
  const balancesLive = liveReload(balancesActions.refetch);
  const withdrawalsLive = liveReload(() => Promise.all([withdrawalsActions.refetch(), limitsActions.refetch()]));
  const depositsLive = liveReload(depositsActions.refetch);
  onCleanup(onFrame("balance", balancesLive.trigger));
  onCleanup(
    onResync(() => {
      refreshMoney();
      void depositsActions.refetch();
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
                <Show when={settled(balances)} fallback="…">
                  {(data) => <>{formatUsd(data().totalUsd)} USD</>}
                </Show>
              </strong>
            </p>
          </section>
          <AccountNotices user={props.user()} sending />
          <BalancesPanel
            config={cfg()}
            data={settled(balances)}
            loading={balances.loading}
            error={loadError(balances)}
            onRefresh={() => void balancesActions.refetch()}
          />
          <div class="panel-grid">
            <DepositPanel
              config={cfg()}
              order={order()}
              setOrder={setOrder}
              onCreated={() => void depositsActions.refetch()}
              onSettled={() => {
                void balancesActions.refetch();
                void depositsActions.refetch();
              }}
            />
            <WithdrawPanel
              config={cfg()}
              user={props.user()}
              balances={settled(balances)?.balances}
              addresses={settled(addresses)}
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
          <WithdrawalsPanel
            config={cfg()}
            items={settled(withdrawals)}
            loading={withdrawals.loading}
            error={loadError(withdrawals)}
            onRefresh={() => void withdrawalsActions.refetch()}
            onCancelled={refreshMoney}
          />
          <DepositsPanel
            config={cfg()}
            items={settled(deposits)}
            loading={deposits.loading}
            error={loadError(deposits)}
            onRefresh={() => void depositsActions.refetch()}
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
