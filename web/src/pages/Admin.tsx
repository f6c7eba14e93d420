import { A } from "@solidjs/router";
import { type Accessor, Show } from "solid-js";
import RequireUser from "../components/RequireUser";
import { useConfig } from "../lib/config";
import type { User } from "../lib/session";
import { usePageTitle } from "../lib/title";
import AmlFlagsPanel from "./admin/AmlFlags";
import AuditPanel from "./admin/Audit";
import FreezePanel from "./admin/Freeze";
import ReconcilePanel from "./admin/Reconcile";
import { TransferReview, WithdrawalReview } from "./admin/Reviews";

function AdminPage(props: { user: Accessor<User> }) {
  const config = useConfig();
  return (
    <Show
      when={props.user().role === "admin"}
      fallback={
        <section class="not-found" aria-labelledby="admin-title">
          <p class="eyebrow num">403</p>
          <h1 id="admin-title">Not allowed</h1>
          <p class="muted">The back office is for administrators only. Your account does not have access.</p>
          <p>
            <A href="/wallet" class="button">
              Go to your wallet
            </A>
          </p>
        </section>
      }
    >
      <section class="hero" aria-labelledby="admin-title">
        <h1 id="admin-title">Back office</h1>
        <p class="muted">
          Review held withdrawals and transfers, follow AML flags, check the ledger, freeze accounts and read the audit log.
        </p>
      </section>
      <Show when={config()}>
        {(cfg) => (
          <>
            <ReconcilePanel config={cfg()} />
            <WithdrawalReview config={cfg()} me={props.user()} />
            <TransferReview config={cfg()} me={props.user()} />
            <WithdrawalReview config={cfg()} me={props.user()} waitingFor="payout" />
            <AmlFlagsPanel me={props.user()} />
            <FreezePanel />
            <AuditPanel />
          </>
        )}
      </Show>
    </Show>
  );
}

export default function Admin() {
  usePageTitle(() => "Back office");
  return <RequireUser>{(user) => <AdminPage user={user} />}</RequireUser>;
}
