import { createResource, For, Show } from "solid-js";
import ErrorNotice from "../../components/ErrorNotice";
import Loading from "../../components/Loading";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { settled } from "../../lib/resource";

type IntegrityChecks = {
  intervalMinutes: number;
  checks: { name: "ledger" | "audit"; checkedAt: string; problems: number; findings: string[]; complete: boolean }[];
};

const TITLES = { ledger: "Ledger", audit: "Audit log" } as const;

/**
 * GET /api/admin/integrity: what the server's own checks (ledger:verify and audit:verify, every
 * INTEGRITY_CHECK_INTERVAL_MINUTES) found last. The reconcile panel checks the ledger now; this also says whether
 * the audit log's chains held, and since when nobody has looked.
 */
export default function ScheduledChecks() {
  const [report, { refetch }] = createResource(() => api.get<IntegrityChecks>("/api/admin/integrity"));
  return (
    <div class="stack scheduled-checks-block">
      <h3 id="scheduled-checks-title">Scheduled checks</h3>
      <Show
        when={report.state !== "errored"}
        fallback={<ErrorNotice title="Could not load the scheduled checks" error={report.error} onRetry={() => void refetch()} />}
      >
        <Show when={settled(report)} fallback={<Loading label="Loading the scheduled checks…" />}>
          {(r) => (
            <Show
              when={r().intervalMinutes > 0}
              fallback={<p class="muted">Off on this server (INTEGRITY_CHECK_INTERVAL_MINUTES=0).</p>}
            >
              <p class="muted small">Every {r().intervalMinutes} minutes, on one server at a time.</p>
              <Show
                when={r().checks.length > 0}
                fallback={<p class="muted">Not run yet: the first runs within a minute of the start.</p>}
              >
                <ul class="scheduled-checks">
                  <For each={r().checks}>
                    {(check) => (
                      <li data-testid={`scheduled-check-${check.name}`}>
                        <strong>{TITLES[check.name]}</strong>:{" "}
                        <Show when={check.problems > 0} fallback={<span>clean</span>}>
                          <span class="bad-text">
                            {check.problems} problem{check.problems === 1 ? "" : "s"}
                          </span>
                        </Show>
                        <Show when={!check.complete}>
                          <span class="muted"> (not everything could be tried)</span>
                        </Show>
                        <span class="muted">
                          , checked <time datetime={check.checkedAt}>{formatDateTime(check.checkedAt)}</time>
                        </span>
                        <Show when={check.findings.length > 0}>
                          <ul class="problems">
                            <For each={check.findings}>{(finding) => <li class="bad-text">{finding}</li>}</For>
                          </ul>
                        </Show>
                      </li>
                    )}
                  </For>
                </ul>
              </Show>
            </Show>
          )}
        </Show>
      </Show>
    </div>
  );
}
