import { createSignal, Show } from "solid-js";
import DataTable from "../../components/DataTable";
import Email from "../../components/Email";
import LoadMore from "../../components/LoadMore";
import RefreshList from "../../components/RefreshList";
import { formatDateTime } from "../../lib/format";
import { createPagedList } from "../../lib/paged-list";
import type { User } from "../../lib/session";
import FlagReview, { type FlagReviewFields } from "./FlagReview";
import OwnCaseNote from "./OwnCase";
import { pickUserToFreeze } from "./state";

type AmlFlag = FlagReviewFields & {
  transferId: string;
  userId: string;
  userEmail: string;
  recipientId: string;
  rule: string;
  detail: string;
  /** The sender's transfers the rule judged, oldest first, this one last. */
  windowTransferIds: string[];
  createdAt: string;
};

const RULES: Record<string, string> = {
  over_threshold: "Over review threshold",
  velocity: "Many transfers in an hour",
  structuring: "Possible structuring",
};

/** Flags per page: a screenful or two; the list can hold thousands, reached with "Load more". */
const PAGE_SIZE = 50;

/** GET /api/admin/aml/flags: what AML screening noticed, newest first, paged. */
export default function AmlFlagsPanel(props: { me: User }) {
  const flags = createPagedList<AmlFlag>("/api/admin/aml/flags", {}, PAGE_SIZE);
  const [justResolved, setJustResolved] = createSignal<string>();
  /** How much is listed: the API gives no total, so "all" only once the last page is in. */
  const extent = () => {
    const count = flags.items().length;
    return flags.hasMore() ? `Newest first, ${count} shown; Load more for older ones.` : `All ${count}, newest first.`;
  };
  return (
    <section class="panel" aria-labelledby="aml-title">
      <div class="panel-head">
        <div>
          <h2 id="aml-title">AML flags</h2>
          <p class="muted small">
            Raised by transfer screening. Some hold the transfer for review; the others are kept for investigation. A pattern
            (many transfers, or amounts just under the threshold) flags a sender once while its flag is open; resolving it lets
            the next such transfer flag again.
          </p>
          <Show when={flags.shown()?.length}>
            <p class="muted small">{extent()}</p>
          </Show>
        </div>
        <RefreshList loading={flags.loading()} hasItems={flags.items().length > 0} onRefresh={() => void flags.load(false)} />
      </div>
      <DataTable
        errorTitle="Could not load AML flags"
        error={flags.error()}
        onRetry={() => void flags.load(false)}
        loadingLabel="Loading flags…"
        items={flags.shown()}
        empty="No flags raised."
        label="AML flags table (scrollable)"
        labelledBy="aml-title"
        busy={flags.loading() !== undefined}
        columns={[
          { label: "Raised" },
          { label: "Rule" },
          { label: "Detail" },
          { label: "Transfer" },
          { label: "User" },
          { label: "Review" },
        ]}
        after={
          <LoadMore
            hasMore={flags.hasMore()}
            loading={flags.loading()}
            onMore={() => void flags.load(true)}
            error={flags.moreError()}
            end="That is every flag."
          />
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
              {/* The others of its window, for the investigation: their ids on hover, as the transfer's own. */}
              <Show when={flag.windowTransferIds.length > 1}>
                <span class="cell-line small muted" title={flag.windowTransferIds.join("\n")}>
                  {flag.windowTransferIds.length} transfers judged
                </span>
              </Show>
            </td>
            {/* The button under the email, not beside it: beside, it squeezed the email into pieces. */}
            <td class="user-cell">
              <Email address={flag.userEmail} title={flag.userId} />
              <Show when={flag.userId !== props.me.id} fallback={<OwnCaseNote />}>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => pickUserToFreeze(flag.userId)}
                  aria-label={`Freeze… ${flag.userEmail}`}
                >
                  Freeze…
                </button>
              </Show>
            </td>
            <td>
              <FlagReview
                flag={flag}
                what={`the ${RULES[flag.rule] ?? flag.rule} flag of ${formatDateTime(flag.createdAt)} on ${flag.userEmail}'s transfer`}
                own={flag.userId === props.me.id || flag.recipientId === props.me.id}
                focusResult={flag.id === justResolved()}
                onResolved={(resolved) => {
                  // The result takes the focus the form had, so a keyboard user goes on from this row.
                  setJustResolved(resolved.id);
                  flags.replace(resolved);
                }}
              />
            </td>
          </tr>
        )}
      />
    </section>
  );
}
