import { createSignal, type JSX, Show } from "solid-js";
import ActionResult from "../../components/ActionResult";
import Amount from "../../components/Amount";
import Email from "../../components/Email";
import NoteLine from "../../components/NoteLine";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import WithdrawalCells from "../../components/WithdrawalCells";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { actionMessage } from "../../lib/forms";
import { formatAmount, precisionOf } from "../../lib/money";
import { createPagedList } from "../../lib/paged-list";
import type { User } from "../../lib/session";
import type { Transfer, Withdrawal } from "../../lib/wallet";
import DecisionButtons from "./Confirm";
import { createLiveList } from "./live-list";
import OwnCaseNote from "./OwnCase";
import { noteAdminAction, noteTransferDecided } from "./state";

type Item = { id: string; asset: string; amount: string; createdAt: string };
/** The admin's lists also say who asked (API additions to `withdrawal` and `transfer`). */
type AdminWithdrawal = Withdrawal & { userId: string; userEmail: string; userFrozen: boolean; payoutAttemptedAt: string | null };
type AdminTransfer = Transfer & { senderEmail: string; senderFrozen: boolean };

/** Held items per page: the API's most, so the oldest (most urgent) are as few "Load more"s away as can be. */
const PAGE_SIZE = 100;

/**
 * One review queue: the held items, newest first and paged, with Approve / Reject each. With `waitingFor:
 * "payout"`, the approved withdrawals not yet paid out, with Reject alone.
 */
function ReviewQueue<T extends Item>(props: {
  id: string;
  title: string;
  description: string;
  noun: string;
  config: PublicConfig;
  /** The list's API path; it is asked for `status=pending_review` (or `processing` when waiting for payout). */
  path: string;
  waitingFor?: "review" | "payout";
  /** `rejection`: the body of a reject, with the admin's reason when they gave one; undefined for an approval. */
  decide: (item: T, approve: boolean, rejection?: { reason?: string }) => Promise<void>;
  /** Whose money goes where: "from a@example.com to b@example.com". */
  parties: (item: T) => string;
  /** Whether the item concerns the signed-in admin's own money, which another admin must decide. */
  ownCase: (item: T) => boolean;
  /** Why no admin can decide the item now, shown in place of the buttons; undefined when one can. */
  notDecidable?: (item: T) => string | undefined;
  /** Why the item may be rejected but not approved now, shown above Reject alone; undefined when both may be. */
  rejectOnlyBecause?: (item: T) => string | undefined;
  headers: string[];
  cells: (item: T) => JSX.Element;
}) {
  const waitingFor = props.waitingFor ?? "review";
  const queue = createPagedList<T>(props.path, { status: waitingFor === "review" ? "pending_review" : "processing" }, PAGE_SIZE);
  const [busy, setBusy] = createSignal<{ id: string; decision: "approve" | "reject" }>();
  // Read again by itself, as other users' items come and go; what the last decision did is said until then.
  const live = createLiveList(() => queue, { headingId: props.id, busy: () => busy() !== undefined });
  /** Why a decision on a row was refused, by item id: shown by that row, which stays (it is still held). */
  const [refused, setRefused] = createSignal<Record<string, string | undefined>>({});

  /** "the transfer of 15,000.00 USD from a@example.com to b@example.com": the amount as the table shows it. */
  const describe = (item: T) =>
    `the ${props.noun} of ${formatAmount(item.amount, precisionOf(props.config, item.asset))} ${item.asset} ${props.parties(item)}`;

  const decide = async (item: T, approve: boolean, reason: string) => {
    setBusy({ id: item.id, decision: approve ? "approve" : "reject" });
    live.setNote(undefined);
    setRefused({ ...refused(), [item.id]: undefined });
    try {
      // A blank reason is none: the API refuses one that is only spaces.
      await props.decide(item, approve, approve ? undefined : { reason: reason.trim() || undefined });
      // Only that row goes: the rest, however deep the list was loaded, stays in view.
      live.remove(item.id);
      noteAdminAction();
      live.setNote({ tone: "success", text: `${approve ? "Approved" : "Rejected"} ${describe(item)}.` });
    } catch (error) {
      // It may have been decided by another admin, or cancelled by its owner, meanwhile: the queue is read again. A
      // row still waiting shows why it was refused; one that waits no more has left, and the panel says why.
      const why = actionMessage(error);
      await queue.load(false);
      if (queue.items().some((waiting) => waiting.id === item.id)) {
        setRefused({ ...refused(), [item.id]: `Could not ${approve ? "approve" : "reject"} it: ${why}` });
      } else {
        live.setNote({ tone: "error", text: `Could not ${approve ? "approve" : "reject"} ${describe(item)}: ${why}` });
      }
    } finally {
      setBusy(undefined);
    }
  };

  /** How much of the queue is listed: the API gives no total, so past the loaded pages it says only that more wait. */
  const extent = () => {
    const count = queue.items().length;
    if (queue.hasMore())
      return `Newest first, ${count} shown. More have waited longer: Load more, at the end of the list, brings them.`;
    // One alone has no "all" and no order to tell ("All 1, newest first: the last has waited longest").
    if (count === 1) return `1 ${props.noun} waiting.`;
    return `All ${count}, newest first: the last has waited longest.`;
  };

  return (
    <section class="panel" aria-labelledby={props.id}>
      <div class="panel-head panel-head-refresh">
        <div>
          <h2 id={props.id}>{props.title}</h2>
          <p class="muted small">{props.description}</p>
          <Show when={queue.shown()?.length}>
            <p class="muted small">{extent()}</p>
          </Show>
        </div>
        <RefreshList loading={queue.loading()} hasItems={queue.items().length > 0} onRefresh={() => void live.reload()} />
      </div>
      <ActionResult result={live.note()} />
      <PagedTable
        list={queue}
        errorTitle={`Could not load ${props.title.toLowerCase()}`}
        onRetry={() => void live.reload()}
        empty={`Nothing waits for ${waitingFor}.`}
        end={`That is every ${props.noun} waiting for ${waitingFor}.`}
        label={`${props.title} table (scrollable)`}
        labelledBy={props.id}
        columns={[...props.headers.map((label) => ({ label })), { label: "Decision", srOnly: true }]}
        row={(item) => (
          <tr>
            {props.cells(item)}
            <td class="num">
              <Show when={!props.ownCase(item)} fallback={<OwnCaseNote />}>
                <Show
                  when={props.notDecidable?.(item)}
                  fallback={
                    <>
                      <Show when={props.rejectOnlyBecause?.(item)}>{(why) => <p class="muted small row-note">{why()}</p>}</Show>
                      <DecisionButtons
                        what={`${describe(item)} (${formatDateTime(item.createdAt)})`}
                        busy={busy()?.id === item.id ? busy()?.decision : undefined}
                        disabled={busy() !== undefined}
                        rejectOnly={waitingFor === "payout" || props.rejectOnlyBecause?.(item) !== undefined}
                        onDecide={(approve, reason) => decide(item, approve, reason)}
                      />
                    </>
                  }
                >
                  {(why) => <p class="muted small row-note">{why()}</p>}
                </Show>
              </Show>
              {/* Under the buttons, narrow: a long refusal wraps there rather than widen the column and squeeze the others. */}
              <Show when={refused()[item.id]}>
                {(text) => (
                  <p class="field-error break row-note" role="alert">
                    {text()}
                  </p>
                )}
              </Show>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

/** Why an approved withdrawal cannot be rejected: sent to the provider, or its owner not frozen (going out). */
function notDecidableInPayout(w: AdminWithdrawal): string | undefined {
  if (w.payoutAttemptedAt)
    return `Sent to the payout provider ${formatDateTime(w.payoutAttemptedAt)}: it completes or fails with the provider's answer.`;
  if (!w.userFrozen) return "Being paid out. To stop it, freeze the user (below), then reject it.";
  return undefined;
}

/** The withdrawals an admin decides: those under review, or (`waitingFor: "payout"`) approved ones not yet paid out. */
export function WithdrawalReview(props: { config: PublicConfig; me: User; waitingFor?: "review" | "payout" }) {
  const payout = props.waitingFor === "payout";
  return (
    <ReviewQueue<AdminWithdrawal>
      id={payout ? "admin-payouts-title" : "admin-withdrawals-title"}
      title={payout ? "Approved withdrawals waiting for payout" : "Withdrawals waiting for review"}
      description={
        payout
          ? "A frozen user's withdrawals wait here for the unfreeze; Reject returns amount and fee. Others go out within seconds."
          : "Above the review threshold. Approve sends them to payout; reject returns amount and fee to the user."
      }
      noun="withdrawal"
      config={props.config}
      path="/api/admin/withdrawals"
      waitingFor={props.waitingFor}
      decide={async (w, approve, rejection) => {
        await api.post(`/api/admin/withdrawals/${encodeURIComponent(w.id)}/${approve ? "approve" : "reject"}`, rejection);
      }}
      parties={(w) => `from ${w.userEmail} to ${w.address}`}
      ownCase={(w) => w.userId === props.me.id}
      // Approved: sent once, it may have been paid, and only the provider's answer settles it; unfrozen, it is
      // being paid out. Under review, a frozen user's money does not leave (the server refuses the approval).
      notDecidable={payout ? notDecidableInPayout : undefined}
      rejectOnlyBecause={
        payout ? undefined : (w) => (w.userFrozen ? "The user is frozen: unfreeze them to approve it." : undefined)
      }
      headers={["Requested / ID", "Amount", "To address", "User"]}
      cells={(w) => (
        <>
          <WithdrawalCells withdrawal={w} config={props.config} showId />
          <td>
            <Email address={w.userEmail} />
          </td>
        </>
      )}
    />
  );
}

export function TransferReview(props: { config: PublicConfig; me: User }) {
  return (
    <ReviewQueue<AdminTransfer>
      id="admin-transfers-title"
      title="Transfers waiting for review"
      description="Held by AML screening. Approve delivers them to the recipient; reject returns the funds to the sender."
      noun="transfer"
      config={props.config}
      path="/api/admin/transfers"
      decide={async (t, approve, rejection) => {
        try {
          await api.post(`/api/admin/transfers/${encodeURIComponent(t.id)}/${approve ? "approve" : "reject"}`, rejection);
        } finally {
          // Its flags are read again after a refusal too: the sender may have cancelled it meanwhile.
          noteTransferDecided(t.id);
        }
      }}
      parties={(t) => `from ${t.senderEmail} to ${t.recipientEmail}`}
      // A transfer carries no user ids, only emails; an email is one account's (unique, stored normalized).
      ownCase={(t) => t.senderEmail === props.me.email || t.recipientEmail === props.me.email}
      // A frozen sender's money does not leave (the server refuses the approval); reject returns it to them.
      rejectOnlyBecause={(t) => (t.senderFrozen ? "The sender is frozen: unfreeze them to approve it." : undefined)}
      headers={["Created / ID", "Amount", "Sender", "Recipient / note"]}
      cells={(t) => (
        <>
          {/* The id under the time, as for withdrawals: a column of its own would push Approve and Reject aside. */}
          <td>
            <time datetime={t.createdAt}>{formatDateTime(t.createdAt)}</time>
            <code class="cell-line truncate truncate-id" title={t.id}>
              {t.id}
            </code>
          </td>
          <td class="num">
            <Amount value={t.amount} asset={t.asset} precision={precisionOf(props.config, t.asset)} />
          </td>
          <td>
            <Email address={t.senderEmail} />
          </td>
          <td class="wrap">
            <Email address={t.recipientEmail} />
            <NoteLine note={t.note} />
          </td>
        </>
      )}
    />
  );
}
