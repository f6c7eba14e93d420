import { createResource, createSignal, Show } from "solid-js";
import DataTable from "../../components/DataTable";
import { api } from "../../lib/api";
import { formatDateTime } from "../../lib/format";
import { loadError, settled } from "../../lib/resource";
import { pickUserToFreeze } from "./state";

type AmlFlag = {
  id: string;
  transferId: string;
  userId: string;
  userEmail: string;
  rule: string;
  detail: string;
  createdAt: string;
};

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
  /** The flags listed: the first FIRST until "Show all". */
  const shown = () => {
    const list = settled(flags);
    return list && !all() ? list.slice(0, FIRST) : list;
  };
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
      <DataTable
        errorTitle="Could not load AML flags"
        error={loadError(flags)}
        onRetry={() => void refetch()}
        loadingLabel="Loading flags…"
        items={shown()}
        empty="No flags raised."
        label="AML flags table (scrollable)"
        labelledBy="aml-title"
        busy={flags.loading}
        columns={[{ label: "Raised" }, { label: "Rule" }, { label: "Detail" }, { label: "Transfer" }, { label: "User" }]}
        after={
          <Show when={!all() && (settled(flags)?.length ?? 0) > FIRST}>
            <div class="list-footer">
              <button type="button" class="button" onClick={() => setAll(true)}>
                Show all {settled(flags)?.length} flags
              </button>
            </div>
          </Show>
        }
        row={(flag) => (
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
                <span class="break" title={flag.userId}>
                  {flag.userEmail}
                </span>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => pickUserToFreeze(flag.userId)}
                  aria-label={`Freeze… ${flag.userEmail}`}
                >
                  Freeze…
                </button>
              </span>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
