import { createEffect, createMemo, createSignal, For, on, Show, untrack } from "solid-js";
import ActionResult from "../../components/ActionResult";
import Email from "../../components/Email";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import StatusBadge from "../../components/StatusBadge";
import { formatDateTime } from "../../lib/format";
import { formatUsd } from "../../lib/money";
import { createPagedList } from "../../lib/paged-list";
import type { User } from "../../lib/session";
import FlagReview, { type FlagReviewFields } from "./FlagReview";
import { createLiveList } from "./live-list";
import OwnCaseNote from "./OwnCase";
import { decidedTransfer, frozenUsers, noteAdminAction, noteStanding, pickUserToFreeze } from "./state";

type AmlFlag = FlagReviewFields & {
  transferId: string;
  userId: string;
  userEmail: string;
  userFrozen: boolean;
  recipientId: string;
  rule: string;
  detail: string;
  /** Where the flagged transfer stands: a held one ("pending_review") is decided in the review queue. */
  transferStatus: "completed" | "pending_review" | "rejected" | "cancelled";
  /** The transfers the flag covers, oldest first: the newest 100 when it covers more. */
  windowTransferIds: string[];
  /** How many transfers it covers, which may be more than are listed. */
  windowTransferCount: number;
  /** Their USD value when sent, a decimal string. */
  windowTotalUsd: string;
  createdAt: string;
};

const RULES: Record<string, string> = {
  over_threshold: "Over review threshold",
  velocity: "Many transfers in an hour",
  structuring: "Possible structuring",
};

/** Which flags are listed (the API's `?status`; "all" asks without it). */
type Filter = "open" | "resolved" | "all";

const FILTERS: { value: Filter; label: string; noun: string }[] = [
  { value: "open", label: "Open", noun: "open flag" },
  { value: "resolved", label: "Resolved", noun: "resolved flag" },
  { value: "all", label: "All", noun: "flag" },
];

/** Flags per page: a screenful or two; the list can hold thousands, reached with "Load more". */
const PAGE_SIZE = 50;

/** The review queue's panel (Reviews.tsx), where a held transfer, and so its flag, is decided. */
const REVIEW_QUEUE = "Transfers waiting for review";

/** A flag that holds its transfer: the server resolves it when the transfer is approved or rejected, not apart (409). */
const holdsTransfer = (flag: AmlFlag) => flag.rule === "over_threshold" && flag.transferStatus === "pending_review";

/**
 * The transfers a pattern flag covers, readable without hover (a phone has none): a disclosure naming how many and
 * what they were worth, which opens to their ids, oldest first, the flagged one marked.
 */
function CoveredTransfers(props: { flag: AmlFlag }) {
  const listed = () => props.flag.windowTransferIds.length;
  const count = () => props.flag.windowTransferCount;
  return (
    <details class="aml-covered cell-line">
      <summary>
        {count()} transfer{count() === 1 ? "" : "s"}, {formatUsd(props.flag.windowTotalUsd)} USD
      </summary>
      <p class="small muted">{listed() < count() ? `The newest ${listed()} of ${count()}, oldest first:` : "Oldest first:"}</p>
      <ol class="aml-covered-ids">
        <For each={props.flag.windowTransferIds}>
          {(id) => (
            <li>
              <code>{id}</code>
              <Show when={id === props.flag.transferId}>
                <span class="small muted"> (flagged)</span>
              </Show>
            </li>
          )}
        </For>
      </ol>
    </details>
  );
}

/** GET /api/admin/aml/flags: what AML screening noticed, newest first, paged; open ones unless asked otherwise. */
export default function AmlFlagsPanel(props: { me: User }) {
  const [filter, setFilter] = createSignal<Filter>("open");
  // A list per filter, asked anew when it changes (untracked: loading reads the new list's own signals).
  const flags = createMemo(() => {
    const status = filter();
    return untrack(() => createPagedList<AmlFlag>("/api/admin/aml/flags", status === "all" ? {} : { status }, PAGE_SIZE));
  });
  // Read again by itself, as screening raises flags on other users' transfers; what the last resolve did is said until then.
  const live = createLiveList(flags, { headingId: "aml-title" });
  // Another list is read anew: a note about the last one would be about what it no longer shows.
  createEffect(on(filter, live.clearNote, { defer: true }));
  // A decision in the review queue resolves the held transfer's flag, which leaves Open for Resolved: reloaded.
  createEffect(on(decidedTransfer, () => void live.reload(), { defer: true }));
  // Each flagged user is shown frozen or not, and offered what can be done: Unfreeze, or Freeze. The list's answer
  // says which; a freeze or unfreeze on this page since says it anew.
  createEffect(() => {
    for (const flag of flags().shown() ?? []) noteStanding({ id: flag.userId, frozen: flag.userFrozen });
  });
  const noun = () => FILTERS.find((f) => f.value === filter())?.noun ?? "flag";
  const [justResolved, setJustResolved] = createSignal<string>();
  /** "the Possible structuring flag of … on a@example.com's transfer": a flag in a button's name and in the note. */
  const describe = (flag: AmlFlag) =>
    `the ${RULES[flag.rule] ?? flag.rule} flag of ${formatDateTime(flag.createdAt)} on ${flag.userEmail}'s transfer`;
  /** How much is listed: the API gives no total, so "all" only once the last page is in. */
  const extent = () => {
    const count = flags().items().length;
    const nouns = `${noun()}${count === 1 ? "" : "s"}`;
    if (flags().hasMore()) return `Newest first, ${count} ${nouns} shown; Load more for older ones.`;
    // One alone has no "all" and no order to tell ("All 1 open flag, newest first").
    return count === 1 ? `1 ${nouns}.` : `All ${count} ${nouns}, newest first.`;
  };
  return (
    <section class="panel" aria-labelledby="aml-title">
      <div class="panel-head panel-head-refresh">
        <div>
          <h2 id="aml-title">AML flags</h2>
          <p class="muted small">
            Raised by transfer screening. Some hold the transfer for review; the others are kept for investigation. A pattern
            (many transfers, or amounts just under the threshold) flags a sender once while its flag is open; resolving it lets
            the next such transfer flag again.
          </p>
          {/* Its line is kept while a list loads or is empty, so the filter below does not move under a finger. */}
          <p class="muted small">{flags().shown()?.length ? extent() : "\u00a0"}</p>
        </div>
        {/* Which flags, then Refresh: the list's controls on one line, right of its description where it fits. */}
        <div class="aml-controls">
          <fieldset class="aml-filter">
            <legend class="sr-only">Show flags</legend>
            <For each={FILTERS}>
              {(option) => (
                <button
                  type="button"
                  class="button button-small"
                  aria-pressed={filter() === option.value}
                  onClick={() => setFilter(option.value)}
                >
                  {option.label}
                </button>
              )}
            </For>
          </fieldset>
          <RefreshList loading={flags().loading()} hasItems={flags().items().length > 0} onRefresh={() => void live.reload()} />
        </div>
      </div>
      <ActionResult result={live.note()} />
      <PagedTable
        list={flags()}
        errorTitle="Could not load AML flags"
        onRetry={() => void live.reload()}
        loadingLabel="Loading flags…"
        empty={filter() === "all" ? "No flags raised." : `No ${noun()}s.`}
        end={`That is every ${noun()}.`}
        label="AML flags table (scrollable)"
        labelledBy="aml-title"
        class="aml-flags"
        columns={[{ label: "Raised" }, { label: "Rule" }, { label: "Transfer" }, { label: "User" }, { label: "Review" }]}
        row={(flag) => (
          <tr>
            <td class="aml-raised">
              <time datetime={flag.createdAt}>{formatDateTime(flag.createdAt)}</time>
            </td>
            {/* The rule and what it saw, in one column: the detail wraps under the rule's name. */}
            <th scope="row" class="aml-rule" title={flag.rule}>
              {RULES[flag.rule] ?? flag.rule}
              <span class="cell-line small muted aml-detail">{flag.detail}</span>
            </th>
            <td class="aml-transfer wrap">
              <code class="truncate truncate-id" title={flag.transferId}>
                {flag.transferId}
              </code>
              {/* Its status where it says something: held, rejected, or (for a flag that held it) approved. */}
              <Show when={flag.rule === "over_threshold" || flag.transferStatus !== "completed"}>
                <span class="cell-line">
                  <StatusBadge status={flag.transferStatus} />
                </span>
              </Show>
              <Show when={flag.windowTransferCount > 1}>
                <CoveredTransfers flag={flag} />
              </Show>
            </td>
            {/* The button under the email, not beside it: beside, it squeezed the email into pieces. */}
            <td class="user-cell aml-user">
              <Email address={flag.userEmail} title={flag.userId} />
              <Show when={flag.userId !== props.me.id} fallback={<OwnCaseNote />}>
                <Show when={frozenUsers[flag.userId]}>
                  <span class="cell-line">
                    <span class="badge badge-bad">
                      <span class="dot" aria-hidden="true" />
                      Frozen
                    </span>
                  </span>
                </Show>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => pickUserToFreeze(flag.userEmail)}
                  aria-label={`${frozenUsers[flag.userId] ? "Unfreeze" : "Freeze"}… ${flag.userEmail}`}
                >
                  {frozenUsers[flag.userId] ? "Unfreeze…" : "Freeze…"}
                </button>
              </Show>
            </td>
            <td class="aml-review wrap">
              <Show
                when={!(holdsTransfer(flag) && !flag.resolvedAt)}
                fallback={
                  <p class="small muted aml-held">
                    Held for review: approve or reject the transfer in {REVIEW_QUEUE}, which resolves this flag.
                  </p>
                }
              >
                <FlagReview
                  flag={flag}
                  what={describe(flag)}
                  own={flag.userId === props.me.id || flag.recipientId === props.me.id}
                  focusResult={flag.id === justResolved()}
                  onResolved={(resolved) => {
                    noteAdminAction();
                    // Open lists open flags only: the resolved one leaves it (to Resolved), and the note above the list,
                    // which takes the focus the form had, says what was found.
                    if (filter() === "open") {
                      live.remove(resolved.id);
                      live.setNote({
                        tone: "success",
                        text: `Resolved ${describe(resolved)}. It is listed under Resolved now, with what you found: “${resolved.resolution ?? ""}”`,
                      });
                      return;
                    }
                    // Shown in its row, whose result takes the focus the form had, so a keyboard user goes on from there.
                    setJustResolved(resolved.id);
                    live.replace(resolved);
                  }}
                />
              </Show>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
