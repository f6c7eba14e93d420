import { Show } from "solid-js";
import AlertsPanel from "../components/AlertsPanel";
import PortfolioPanel from "../components/PortfolioPanel";
import PriceTiles from "../components/PriceTiles";
import RecentActivity from "../components/RecentActivity";
import { useConfig } from "../lib/config";
import { announceIncomingMoney } from "../lib/incoming-money";
import { useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";

export default function Dashboard() {
  usePageTitle(() => "Dashboard");
  const user = useOptionalSessionUser();
  const config = useConfig();
  announceIncomingMoney();
  const symbols = () => (config()?.assets ?? []).map((a) => a.symbol).filter((s) => s !== "USD");
  return (
    <>
      <h1>Dashboard</h1>
      <PriceTiles />
      <Show when={user()}>
        <PortfolioPanel />
        <RecentActivity />
        <AlertsPanel symbols={symbols()} />
      </Show>
    </>
  );
}
