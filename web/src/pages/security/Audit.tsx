import { createEffect, on } from "solid-js";
import DataTable from "../../components/DataTable";
import LoadMore from "../../components/LoadMore";
import RefreshList from "../../components/RefreshList";
import { describeUserAgent, formatDateTime } from "../../lib/format";
import { createPagedList } from "../../lib/paged-list";
import { securityVersion } from "./events";

export type AuditEvent = {
  id: string;
  action: string;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown> | null;
  createdAt: string;
};

const PAGE_SIZE = 20;

const ACTIONS: Record<string, string> = {
  "auth.register": "Account created",
  "auth.login": "Signed in",
  "auth.login_failed": "Failed sign-in",
  "auth.logout": "Signed out",
  "auth.refresh_reused": "Stolen session token detected, session revoked",
  "auth.password_changed": "Password changed",
  "auth.password_change_failed": "Password change refused: wrong current password",
  "auth.password_reset": "Password reset",
  "auth.2fa_enabled": "Two-factor authentication turned on",
  "auth.2fa_disabled": "Two-factor authentication turned off",
  "auth.2fa_recovery_codes_regenerated": "New recovery codes created",
  "auth.email_verified": "Email verified",
  "auth.profile_updated": "Profile updated",
  "session.revoked": "Session signed out",
  "wallet.deposit_created": "Deposit started",
  "wallet.deposit_credited": "Deposit credited",
  "wallet.withdrawal_requested": "Withdrawal requested",
  "wallet.withdrawal_completed": "Withdrawal completed",
  "transfer.sent": "Transfer sent",
  "transfer.received": "Transfer received",
  "trade.executed": "Trade executed",
};

/** Known actions by name; others as readable words ("auth.something_new" → "Something new"). */
function actionLabel(action: string): string {
  if (ACTIONS[action]) return ACTIONS[action];
  const [scope = "", ...rest] = action.split(".");
  const words = rest.join(" ").replaceAll("_", " ").trim();
  if (scope === "admin") return `Administrator action${words ? `: ${words}` : ""}`;
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : action;
}

/** `{reason: "bad_password", asset: "BTC"}` → "reason: bad password · asset: BTC". */
function describeMetadata(metadata: AuditEvent["metadata"]): string {
  if (!metadata || typeof metadata !== "object") return "";
  return Object.entries(metadata)
    .filter(([, value]) => value !== null && value !== undefined && value !== "")
    .map(([key, value]) => `${key}: ${typeof value === "object" ? JSON.stringify(value) : String(value)}`)
    .join(" · ");
}

function isFailure(action: string): boolean {
  return action.endsWith("_failed") || action.endsWith("_reused");
}

export default function AuditSection() {
  const list = createPagedList<AuditEvent>("/api/audit", {}, PAGE_SIZE);
  const { items, loading, load } = list;

  // The first page loads at once; again after every security change on this page.
  createEffect(on(securityVersion, () => void load(false), { defer: true }));

  return (
    <section class="panel" aria-labelledby="audit-title">
      <div class="panel-head">
        <div>
          <h2 id="audit-title">Audit log</h2>
          <p class="muted small">Security and money events on your account, newest first.</p>
        </div>
        <RefreshList loading={loading()} hasItems={items().length > 0} onRefresh={() => void load(false)} />
      </div>
      <DataTable
        errorTitle="Could not load the audit log"
        error={list.error()}
        onRetry={() => void load(false)}
        loadingLabel="Loading events…"
        items={list.shown()}
        empty="No events yet."
        label="Audit log table (scrollable)"
        labelledBy="audit-title"
        columns={[{ label: "Time" }, { label: "Event" }, { label: "IP address" }, { label: "Device" }, { label: "Details" }]}
        after={
          <LoadMore
            hasMore={list.hasMore()}
            loading={loading()}
            onMore={() => void load(true)}
            error={list.moreError()}
            end="That is every event."
          />
        }
        row={(event) => (
          <tr>
            <td>
              <time datetime={event.createdAt}>{formatDateTime(event.createdAt)}</time>
            </td>
            <th scope="row">
              <span classList={{ "bad-text": isFailure(event.action) }} title={event.action}>
                {actionLabel(event.action)}
              </span>
            </th>
            <td>
              <code>{event.ip ?? "—"}</code>
            </td>
            <td>
              <span class="truncate" title={event.userAgent ?? undefined}>
                {event.userAgent ? describeUserAgent(event.userAgent) : "—"}
              </span>
            </td>
            <td class="small muted wrap">{describeMetadata(event.metadata) || "—"}</td>
          </tr>
        )}
      />
    </section>
  );
}
