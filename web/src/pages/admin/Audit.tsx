import { createEffect, createMemo, createSignal, For, on, Show, untrack } from "solid-js";
import Email from "../../components/Email";
import { Field } from "../../components/Field";
import FormError from "../../components/FormError";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import { ApiError } from "../../lib/api";
import { type AuditEvent, actionLabel, describeMetadata, isFailure, KNOWN_ACTIONS } from "../../lib/audit";
import { focusField } from "../../lib/focus";
import { describeUserAgent, formatDateTime } from "../../lib/format";
import { actionMessage } from "../../lib/forms";
import { createPagedList } from "../../lib/paged-list";
import { adminActions } from "./state";
import { namesUser, USER_NAMING_HINT, UserField, userIdOf } from "./users";

/**
 * A row of GET /api/admin/audit: an event of any user (named by email too, null for the platform's own rows), with
 * its place in that user's hash chain.
 */
type AdminAuditEvent = AuditEvent & {
  userId: string | null;
  userEmail: string | null;
  chain: string;
  seq: number;
  prevHash: string;
  hash: string;
};

/** The API's query, empty filters left out. */
type Query = { userId?: string; action?: string };

/** Events per page: a screenful or two; the log holds every event ever, reached with "Load more". */
const PAGE_SIZE = 50;

/** Offered as the action is typed: every named action, and the administrators' family. */
const SUGGESTED_ACTIONS = [...KNOWN_ACTIONS, "admin.*"];

/** An action's code with a line break allowed after each dot and underscore: a long one wraps, not widens the table. */
function ActionCode(props: { action: string }) {
  return <For each={props.action.split(/(?<=[._])/)}>{(part, index) => (index() === 0 ? part : [<wbr />, part])}</For>;
}

/**
 * An event's details, the user an admin acted on (`targetUserId`) named by email ("target user") when a row of that
 * user is listed (`emails`, by id), else by id.
 */
function describeDetails(metadata: AuditEvent["metadata"], emails: Map<string, string>): string {
  const target = metadata?.targetUserId;
  const email = typeof target === "string" ? emails.get(target) : undefined;
  if (!email) return describeMetadata(metadata);
  const { targetUserId, ...rest } = metadata ?? {};
  return describeMetadata({ ...rest, targetUser: email });
}

/** GET /api/admin/audit: every user's security and money events, newest first, filtered by user and action. */
export default function AuditPanel() {
  const [query, setQuery] = createSignal<Query>({});
  // A list per query, asked anew when it changes (untracked: loading reads the new list's own signals).
  const events = createMemo(() => {
    const current = query();
    return untrack(() => createPagedList<AdminAuditEvent>("/api/admin/audit", current, PAGE_SIZE));
  });
  // An admin action on this page (a decision, a freeze) wrote events: the log is read again, the pages loaded kept.
  createEffect(on(adminActions, () => void untrack(events).load(false), { defer: true }));
  /** The email of each user who has a row listed, by id. */
  const emails = createMemo(
    () =>
      new Map(
        events()
          .items()
          .flatMap((event) => (event.userId && event.userEmail ? [[event.userId, event.userEmail]] : [])),
      ),
  );
  const [userError, setUserError] = createSignal<string>();
  const [formError, setFormError] = createSignal<string>();
  const [looking, setLooking] = createSignal(false);
  let userInput: HTMLInputElement | undefined;

  const filtered = () => query().userId !== undefined || query().action !== undefined;

  /** An email is looked up first: the API filters by the user's id. */
  const apply = async (event: SubmitEvent) => {
    event.preventDefault();
    const form = event.currentTarget as HTMLFormElement;
    const data = new FormData(form);
    const user = String(data.get("userId") ?? "").trim();
    const action = String(data.get("action") ?? "").trim();
    setFormError(undefined);
    if (user && !namesUser(user)) {
      setUserError(USER_NAMING_HINT);
      focusField(userInput);
      return;
    }
    setUserError(undefined);
    let userId: string | undefined;
    if (user) {
      setLooking(true);
      try {
        userId = await userIdOf(user);
      } catch (error) {
        if (error instanceof ApiError && error.status === 404) {
          setUserError("No user has this email.");
          focusField(userInput);
        } else setFormError(actionMessage(error));
        return;
      } finally {
        setLooking(false);
      }
    }
    const next: Query = { ...(userId ? { userId } : {}), ...(action ? { action } : {}) };
    // The same filters again read the log again.
    if (JSON.stringify(next) === JSON.stringify(query())) void events().load(false);
    else setQuery(next);
  };

  const clear = (event: MouseEvent) => {
    (event.currentTarget as HTMLButtonElement).form?.reset();
    setUserError(undefined);
    setFormError(undefined);
    setQuery({});
    focusField(userInput);
  };

  /** How much is listed: the API gives no total, so "all" only once the last page is in. */
  const extent = () => {
    const count = events().items().length;
    const nouns = `${filtered() ? "matching " : ""}event${count === 1 ? "" : "s"}`;
    if (events().hasMore()) return `Newest first, ${count} ${nouns} shown; Load more for older ones.`;
    // One alone has no "all" and no order to tell ("All 1 event, newest first").
    return count === 1 ? `1 ${nouns}.` : `All ${count} ${nouns}, newest first.`;
  };

  return (
    <section class="panel" aria-labelledby="admin-audit-title">
      <div class="panel-head panel-head-refresh">
        <div>
          <h2 id="admin-audit-title">Audit log</h2>
          <p class="muted small">
            Every user's security and money events. Each user's events form a chain: an event's hash covers the one before it, so
            a changed or deleted event shows.
          </p>
          <p class="muted small">{events().shown()?.length ? extent() : "\u00a0"}</p>
        </div>
        <RefreshList
          loading={events().loading()}
          hasItems={events().items().length > 0}
          onRefresh={() => void events().load(false)}
        />
      </div>
      <form class="form filters" onSubmit={apply} novalidate aria-label="Filter the audit log">
        <UserField
          ref={(el: HTMLInputElement) => {
            userInput = el;
          }}
          error={userError()}
        />
        <Field
          label="Action"
          name="action"
          type="text"
          list="admin-audit-actions"
          autocomplete="off"
          spellcheck={false}
          autocapitalize="off"
          maxLength={100}
          class="mono"
          hint="One action, such as auth.login, or a family, such as admin.*"
        />
        <datalist id="admin-audit-actions">
          <For each={SUGGESTED_ACTIONS}>{(action) => <option value={action} />}</For>
        </datalist>
        <FormError message={formError()} />
        <div class="button-row filters-actions">
          <button type="submit" class="button button-primary" disabled={looking()} aria-busy={looking()}>
            Apply
          </button>
          <Show when={filtered()}>
            <button type="button" class="button" onClick={clear}>
              Clear filters
            </button>
          </Show>
        </div>
      </form>
      <PagedTable
        list={events()}
        errorTitle="Could not load the audit log"
        loadingLabel="Loading events…"
        empty={filtered() ? "No events match these filters." : "No events yet."}
        end={filtered() ? "That is every matching event." : "That is every event."}
        label="Audit log (all users) table (scrollable)"
        labelledBy="admin-audit-title"
        class="admin-audit"
        columns={[
          { label: "Time" },
          { label: "User" },
          { label: "Action" },
          { label: "IP and device" },
          { label: "Details" },
          { label: "Hash" },
        ]}
        row={(event) => (
          <tr>
            <td class="admin-audit-time">
              <time datetime={event.createdAt}>{formatDateTime(event.createdAt)}</time>
            </td>
            <td>
              {/* The email a person reads; the id (what the User filter also takes) in its title. */}
              <Show when={event.userId} fallback={<span class="muted">System</span>}>
                {(id) => (
                  <Show
                    when={event.userEmail}
                    fallback={
                      <code class="truncate truncate-id" title={id()}>
                        {id()}
                      </code>
                    }
                  >
                    {(email) => <Email address={email()} title={`User ID ${id()}`} />}
                  </Show>
                )}
              </Show>
            </td>
            {/* The name a person reads, over the code the Action filter takes. */}
            <th scope="row" class="admin-audit-action">
              <span classList={{ "bad-text": isFailure(event.action) }}>{actionLabel(event.action)}</span>
              <span class="cell-line small muted mono">
                <ActionCode action={event.action} />
              </span>
            </th>
            {/* One column for where it came from: seven did not fit the back office's width as a table. */}
            <td class="admin-audit-source">
              <code>{event.ip ?? "—"}</code>
              <span class="cell-line truncate" title={event.userAgent ?? undefined}>
                {event.userAgent ? describeUserAgent(event.userAgent) : "—"}
              </span>
            </td>
            <td class="small muted wrap">{describeDetails(event.metadata, emails()) || "—"}</td>
            <td>
              <code class="truncate truncate-id" title={event.hash}>
                {event.hash}
              </code>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
