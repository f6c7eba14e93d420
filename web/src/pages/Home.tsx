import { createAsync, Navigate, query, revalidate } from "@solidjs/router";
import { type Accessor, createSignal, ErrorBoundary, For, type JSX, Show, Suspense } from "solid-js";
import { ScrollTable } from "../components/DataTable";
import ErrorNotice from "../components/ErrorNotice";
import Loading from "../components/Loading";
import { ApiError, api, type ErrorEnvelope } from "../lib/api";
import { getConfig, useConfig } from "../lib/config";
import { useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";

type Health = { status: "ok" };

type Readiness = {
  status: "ready" | "unavailable";
  checks: { database: string; bus: string };
  error?: ErrorEnvelope["error"];
};

function isReadiness(value: unknown): value is Readiness {
  if (typeof value !== "object" || value === null) return false;
  const checks = (value as { checks?: unknown }).checks;
  return typeof checks === "object" && checks !== null && "database" in checks && "bus" in checks;
}

const getHealth = query(() => api.get<Health>("/health"), "health");

/** /ready answers 503 with the same report (plus an error envelope) when a check fails: show it either way. */
const getReadiness = query(async (): Promise<Readiness> => {
  try {
    return await api.get<Readiness>("/ready");
  } catch (error) {
    if (error instanceof ApiError && isReadiness(error.body)) return error.body;
    throw error;
  }
}, "readiness");

const CHECK_LABELS: Record<keyof Readiness["checks"], string> = { database: "Database", bus: "Message bus" };

function StateBadge(props: { ok: boolean; okLabel: string; badLabel: string }) {
  return (
    <span class={`badge ${props.ok ? "badge-ok" : "badge-bad"}`}>
      <span class="dot" aria-hidden="true" />
      {props.ok ? props.okLabel : props.badLabel}
    </span>
  );
}

/** Suspense plus an error boundary whose retry refetches the given queries before re-rendering. */
function AsyncBlock(props: { keys: string[]; title: string; loading: string; children: JSX.Element }) {
  return (
    <ErrorBoundary
      fallback={(error, reset) => (
        <ErrorNotice
          title={props.title}
          error={error}
          onRetry={async () => {
            await revalidate(props.keys);
            reset();
          }}
        />
      )}
    >
      <Suspense fallback={<Loading label={props.loading} />}>{props.children}</Suspense>
    </ErrorBoundary>
  );
}

function PlatformStatus() {
  const health = createAsync(() => getHealth());
  const readiness = createAsync(() => getReadiness());
  const [refreshing, setRefreshing] = createSignal(false);
  const [checkedAt, setCheckedAt] = createSignal(new Date());

  const refresh = async () => {
    setRefreshing(true);
    try {
      await revalidate([getHealth.key, getReadiness.key]);
      setCheckedAt(new Date());
    } finally {
      setRefreshing(false);
    }
  };

  return (
    <section class="panel" aria-labelledby="status-title">
      <div class="panel-head">
        <div>
          <h2 id="status-title">Platform status</h2>
          <p class="muted small">
            Last checked <time datetime={checkedAt().toISOString()}>{checkedAt().toLocaleTimeString()}</time>
          </p>
        </div>
        <button type="button" class="button" onClick={refresh} disabled={refreshing()} aria-busy={refreshing()}>
          {refreshing() ? "Checking…" : "Refresh status"}
        </button>
      </div>

      <div class="status-grid" aria-live="polite">
        <article class="card" aria-labelledby="health-title">
          <h3 id="health-title">API server</h3>
          <AsyncBlock keys={[getHealth.key]} title="API server unreachable" loading="Checking the API server…">
            <StateBadge ok={health()?.status === "ok"} okLabel="Operational" badLabel="Unexpected answer" />
            <p class="muted small">
              <code>GET /health</code>
            </p>
          </AsyncBlock>
        </article>

        <article class="card" aria-labelledby="ready-title">
          <h3 id="ready-title">Readiness</h3>
          <AsyncBlock keys={[getReadiness.key]} title="Readiness unknown" loading="Checking dependencies…">
            <Show when={readiness()}>{(report) => <ReadinessReport report={report} />}</Show>
          </AsyncBlock>
        </article>
      </div>
    </section>
  );
}

function ReadinessReport(props: { report: Accessor<Readiness> }) {
  const checks = () => Object.entries(props.report().checks) as [keyof Readiness["checks"], string][];
  return (
    <>
      <StateBadge ok={props.report().status === "ready"} okLabel="Ready" badLabel="Degraded" />
      <Show when={props.report().error}>
        {(error) => (
          <p class="small warn-text">
            {error().message}
            <Show when={error().requestId}>
              {(id) => (
                <>
                  {" "}
                  (request <code>{id()}</code>)
                </>
              )}
            </Show>
          </p>
        )}
      </Show>
      <dl class="checks">
        <For each={checks()}>
          {([name, state]) => (
            <div class="check">
              <dt>{CHECK_LABELS[name] ?? name}</dt>
              <dd>
                <StateBadge ok={state === "ok"} okLabel="OK" badLabel="Down" />
                <Show when={state !== "ok"}>
                  <span class="small muted check-detail">{state}</span>
                </Show>
              </dd>
            </div>
          )}
        </For>
      </dl>
    </>
  );
}

function SupportedAssets() {
  const config = useConfig();
  return (
    <section class="panel" aria-labelledby="assets-title">
      <div class="panel-head">
        <div>
          <h2 id="assets-title">Supported assets</h2>
          <p class="muted small">Amounts are exact decimals in whole units of each asset.</p>
        </div>
      </div>
      <AsyncBlock keys={[getConfig.key]} title="Could not load the platform configuration" loading="Loading assets…">
        <p class="price-source">
          <Show
            when={config()?.priceSource === "simulated"}
            fallback={
              <span class="badge badge-ok">
                <span class="dot" aria-hidden="true" />
                Live prices (CoinCap)
              </span>
            }
          >
            <span class="badge badge-warn">
              <span class="dot" aria-hidden="true" />
              Simulated prices
            </span>
            <span class="muted small">Prices are generated by the platform, not taken from a market feed.</span>
          </Show>
        </p>
        <Show when={(config()?.assets.length ?? 0) > 0} fallback={<p class="muted">No assets are configured.</p>}>
          <ScrollTable
            label="Supported assets table (scrollable)"
            labelledBy="assets-title"
            columns={[
              { label: "Symbol" },
              { label: "Name" },
              { label: "Precision", num: true },
              { label: "Withdrawal fee", num: true },
            ]}
            items={config()?.assets ?? []}
            row={(asset) => (
              <tr>
                <th scope="row">
                  <span class="symbol">{asset.symbol}</span>
                </th>
                <td>{asset.name}</td>
                <td class="num">{asset.precision} decimals</td>
                <td class="num">
                  {asset.withdrawalFee} <span class="muted">{asset.symbol}</span>
                </td>
              </tr>
            )}
          />
        </Show>
      </AsyncBlock>
    </section>
  );
}

export default function Home() {
  usePageTitle(() => "Overview");
  // API.md: "/" is the landing page, or the dashboard when signed in.
  const user = useOptionalSessionUser();
  return (
    <>
      <Show when={user()}>
        <Navigate href="/dashboard" />
      </Show>
      <section class="hero" aria-labelledby="home-title">
        <h1 id="home-title">Digital asset custody and trading</h1>
        <p class="muted">
          Hold, send and trade digital assets with a double-entry ledger, two-factor sign-in and reviewed withdrawals.
        </p>
      </section>
      <PlatformStatus />
      <SupportedAssets />
    </>
  );
}
