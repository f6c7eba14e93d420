import { createEffect, on } from "solid-js";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import { type AuditEvent, actionLabel, describeMetadata, isFailure } from "../../lib/audit";
import { describeUserAgent, formatDateTime } from "../../lib/format";
import { createPagedList } from "../../lib/paged-list";
import { securityVersion } from "./events";

const PAGE_SIZE = 20;

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
      <PagedTable
        list={list}
        errorTitle="Could not load the audit log"
        loadingLabel="Loading events…"
        empty="No events yet."
        end="That is every event."
        label="Audit log table (scrollable)"
        labelledBy="audit-title"
        columns={[{ label: "Time" }, { label: "Event" }, { label: "IP address" }, { label: "Device" }, { label: "Details" }]}
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
