import { createResource, createSignal, For, Show } from "solid-js";
import ErrorNotice from "../../components/ErrorNotice";
import Loading from "../../components/Loading";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { settled } from "../../lib/resource";
import { pickUserToFreeze } from "./state";

type AmlFlag = { id: string; transferId: string; userId: string; rule: string; detail: string; createdAt: string };

const RULES: Record<string, string> = {
  over_threshold: "Over review threshold",
  velocity: "Many transfers in an hour",
  structuring: "Possible structuring",
};

/** GET /api/admin/aml/flags: what AML screening noticed, newest first. */
/** Flags shown before "Show all": the list keeps up to 200. */
const FIRST = 20;

export default function AmlFlagsPanel() {
  const [all, setAll] = createSignal(false);
  const [flags, { refetch }] = createResource(
    async () => (await api.get<{ items: AmlFlag[] }>("/api/admin/aml/flags?limit=100")).items,
  );
  return (
    <section class="panel" aria-labelledby="aml-title">
      <div class="panel-head">
        <div>
          <h2 id="aml-title">AML flags</h2>
          <p class="muted small">
            Raised by transfer screening. Some hold the transfer for review; the others are kept for investigation.
          </p>
        </div>
        <button type="button" class="button" onClick={() => void refetch()} disabled={flags.loading} aria-busy={flags.loading}>
          {flags.loading && settled(flags) ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <Show
        when={flags.state !== "errored"}
        fallback={<ErrorNotice title="Could not load AML flags" error={flags.error} onRetry={() => void refetch()} />}
      >
        <Show when={settled(flags)} fallback={<Loading label="Loading flags…" />}>
          {(list) => (
            <Show when={list().length > 0} fallback={<p class="muted">No flags raised.</p>}>
              <section class="table-wrap" aria-label="AML flags table (scrollable)" tabindex="0">
                <table class="table" aria-labelledby="aml-title" aria-busy={flags.loading}>
                  <thead>
                    <tr>
                      <th scope="col">Raised</th>
                      <th scope="col">Rule</th>
                      <th scope="col">Detail</th>
                      <th scope="col">Transfer</th>
                      <th scope="col">User</th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={all() ? list() : list().slice(0, FIRST)}>
                      {(flag) => (
                        <tr>
                          <td>
                            <time datetime={flag.createdAt}>{formatDateTime(flag.createdAt)}</time>
                          </td>
                          <th scope="row" title={flag.rule}>
                            {RULES[flag.rule] ?? flag.rule}
                          </th>
                          <td class="small wrap">{flag.detail}</td>
                          <td>
                            <code class="truncate truncate-id" title={flag.transferId}>
                              {flag.transferId}
                            </code>
                          </td>
                          <td>
                            <span class="button-row row-actions">
                              <code class="truncate truncate-id" title={flag.userId}>
                                {flag.userId}
                              </code>
                              <button
                                type="button"
                                class="button button-small"
                                onClick={() => pickUserToFreeze(flag.userId)}
                                aria-label={`Use user ${flag.userId} in the freeze form`}
                              >
                                Freeze…
                              </button>
                            </span>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </section>
              <Show when={!all() && list().length > FIRST}>
                <div class="list-footer">
                  <button type="button" class="button" onClick={() => setAll(true)}>
                    Show all {list().length} flags
                  </button>
                </div>
              </Show>
            </Show>
          )}
        </Show>
      </Show>
    </section>
  );
}
