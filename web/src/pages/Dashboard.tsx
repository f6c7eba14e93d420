import AlertsPanel from "../components/AlertsPanel";
import PortfolioPanel from "../components/PortfolioPanel";
import PriceTiles from "../components/PriceTiles";
import RecentActivity from "../components/RecentActivity";
import RequireUser from "../components/RequireUser";
import { useConfig } from "../lib/config";
import { announceIncomingMoney } from "../lib/incoming-money";
import { usePageTitle } from "../lib/title";

function DashboardPage() {
  const config = useConfig();
  announceIncomingMoney();
  const symbols = () => (config()?.assets ?? []).map((a) => a.symbol).filter((s) => s !== "USD");
  return (
    <>
      <h1>Dashboard</h1>
      <PriceTiles />
      <PortfolioPanel />
      <RecentActivity />
      <AlertsPanel symbols={symbols()} />
    </>
  );
}

/** The signed-in user's overview, like every other signed-in page: signed out, it sends to sign in and back. */
export default function Dashboard() {
  usePageTitle(() => "Dashboard");
  return <RequireUser>{() => <DashboardPage />}</RequireUser>;
}
