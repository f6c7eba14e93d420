import { type Accessor, Suspense } from "solid-js";
import AccountNotices from "../components/AccountNotices";
import AlertsPanel from "../components/AlertsPanel";
import Loading from "../components/Loading";
import PortfolioPanel from "../components/PortfolioPanel";
import PriceTiles from "../components/PriceTiles";
import RecentActivity from "../components/RecentActivity";
import RequireUser from "../components/RequireUser";
import { useConfig } from "../lib/config";
import { announceIncomingMoney } from "../lib/incoming-money";
import type { User } from "../lib/session";
import { usePageTitle } from "../lib/title";

function DashboardPage(props: { user: Accessor<User> }) {
  const config = useConfig();
  announceIncomingMoney();
  const symbols = () => (config()?.assets ?? []).map((a) => a.symbol).filter((s) => s !== "USD");
  return (
    <>
      <h1>Dashboard</h1>
      <AccountNotices user={props.user()} />
      {/*
       * The panels reload on their own (a live update, the socket's resync right after signing in), and one that
       * suspends while it does shows this fallback, not the page's: the heading stays, and so does the focus that
       * arriving here put on it.
       */}
      <Suspense fallback={<Loading />}>
        <PriceTiles />
        <PortfolioPanel />
        <RecentActivity />
        <AlertsPanel symbols={symbols()} />
      </Suspense>
    </>
  );
}

/** The signed-in user's overview, like every other signed-in page: signed out, it sends to sign in and back. */
export default function Dashboard() {
  usePageTitle(() => "Dashboard");
  return <RequireUser>{(user) => <DashboardPage user={user} />}</RequireUser>;
}
