import { createMemo, createResource, createSignal, Show } from "solid-js";
import ActionResult from "../../components/ActionResult";
import DataTable from "../../components/DataTable";
import { api } from "../../lib/api";
import { describeUserAgent, formatDateTime } from "../../lib/format";
import { actionMessage } from "../../lib/forms";
import { loadError, settled } from "../../lib/resource";
import { securityChanged, securityVersion } from "./events";

export type SessionInfo = {
  id: string;
  current: boolean;
  createdAt: string;
  lastSeenAt: string | null;
  ip: string | null;
  userAgent: string | null;
};

/** A session as its Revoke button names it: the device, the address it signed in from, and when (`toTheSecond` or not). */
function describeSession(session: SessionInfo, toTheSecond: boolean): string {
  const from = session.ip ? ` from ${session.ip}` : "";
  const when = formatDateTime(session.createdAt, toTheSecond ? "second" : "minute");
  return `${describeUserAgent(session.userAgent)}${from}, signed in ${when}`;
}

const countOf = (names: string[], name: string) => names.filter((other) => other === name).length;

/**
 * Each session's name for its Revoke button, by id, none the same as another's: to the second when another from
 * the same device and address signed in the same minute and, in the same second too, with its place among those
 * in the table ("2 of 2").
 */
function revokeNames(sessions: readonly SessionInfo[]): Map<string, string> {
  const byMinute = sessions.map((session) => describeSession(session, false));
  const names = sessions.map((session, index) =>
    countOf(byMinute, byMinute[index]) > 1 ? describeSession(session, true) : byMinute[index],
  );
  return new Map(
    sessions.map((session, index) => {
      const name = names[index];
      const same = countOf(names, name);
      return [session.id, same > 1 ? `${name} (${countOf(names.slice(0, index + 1), name)} of ${same})` : name];
    }),
  );
}

export default function SessionsSection() {
  const [sessions, { refetch, mutate }] = createResource(securityVersion, async () => {
    const { items } = await api.get<{ items: SessionInfo[] }>("/api/auth/sessions");
    // This device first, then the most recently used.
    return [...items].sort(
      (a, b) => Number(b.current) - Number(a.current) || (b.lastSeenAt ?? b.createdAt).localeCompare(a.lastSeenAt ?? a.createdAt),
    );
  });
  const [revoking, setRevoking] = createSignal<string>();
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();

  /** A Revoke button's visible text, which its accessible name begins with, busy or not. */
  const revokeText = (session: SessionInfo) => (revoking() === session.id ? "Revoking…" : "Revoke");
  const list = () => settled(sessions);
  const others = () => (list() ?? []).filter((s) => !s.current);
  /** Only the other sessions have a Revoke button. */
  const names = createMemo(() => revokeNames(others()));

  const revoke = async (session: SessionInfo) => {
    setRevoking(session.id);
    setMessage(undefined);
    try {
      await api.delete(`/api/auth/sessions/${encodeURIComponent(session.id)}`);
      mutate((items) => items?.filter((s) => s.id !== session.id));
      setMessage({ tone: "success", text: `Signed out ${describeUserAgent(session.userAgent)}.` });
      securityChanged();
    } catch (error) {
      setMessage({ tone: "error", text: actionMessage(error) });
    } finally {
      setRevoking(undefined);
    }
  };

  const revokeOthers = async () => {
    setRevoking("others");
    setMessage(undefined);
    try {
      await api.post("/api/auth/sessions/revoke-others");
      mutate((items) => items?.filter((s) => s.current));
      setMessage({ tone: "success", text: "Every other session was signed out." });
      securityChanged();
    } catch (error) {
      setMessage({ tone: "error", text: actionMessage(error) });
    } finally {
      setRevoking(undefined);
    }
  };

  return (
    <section class="panel" aria-labelledby="sessions-title">
      <div class="panel-head">
        <div>
          <h2 id="sessions-title">Sessions</h2>
          <p class="muted small">Browsers and apps signed in to your account. Sign out any you do not recognise.</p>
        </div>
        {/* Only when there is another session to sign out: alone, this device's session is signed out by Sign out. */}
        <Show when={others().length > 0}>
          <button
            type="button"
            class="button button-danger"
            onClick={revokeOthers}
            disabled={revoking() !== undefined}
            aria-busy={revoking() === "others"}
          >
            {revoking() === "others" ? "Signing out…" : "Sign out other sessions"}
          </button>
        </Show>
      </div>
      {/* A revoked session's row goes with its focused Revoke button: focus comes here rather than to the top. */}
      <ActionResult result={message()} />
      <DataTable
        errorTitle="Could not load your sessions"
        error={loadError(sessions)}
        onRetry={() => void refetch()}
        loadingLabel="Loading sessions…"
        items={list()}
        empty="No active sessions."
        label="Sessions table (scrollable)"
        labelledBy="sessions-title"
        busy={sessions.loading}
        class="section-gap"
        columns={[
          { label: "Device" },
          { label: "IP address" },
          { label: "Signed in" },
          { label: "Last active" },
          { label: "Actions", srOnly: true },
        ]}
        row={(session) => (
          <tr>
            <th scope="row">
              <span class="truncate" title={session.userAgent ?? undefined}>
                {describeUserAgent(session.userAgent)}
              </span>
              <Show when={session.current}>
                {" "}
                <span class="badge badge-ok">This device</span>
              </Show>
            </th>
            <td>
              <code>{session.ip ?? "unknown"}</code>
            </td>
            <td>
              <time datetime={session.createdAt}>{formatDateTime(session.createdAt)}</time>
            </td>
            <td>
              <Show when={session.lastSeenAt} fallback="—">
                {(seen) => <time datetime={seen()}>{formatDateTime(seen())}</time>}
              </Show>
            </td>
            <td class="num">
              <Show when={!session.current}>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => revoke(session)}
                  disabled={revoking() !== undefined}
                  aria-busy={revoking() === session.id}
                  aria-label={`${revokeText(session)} session: ${names().get(session.id) ?? describeSession(session, false)}`}
                >
                  {revokeText(session)}
                </button>
              </Show>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
