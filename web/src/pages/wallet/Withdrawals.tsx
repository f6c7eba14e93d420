import { createEffect, createSignal, on, Show } from "solid-js";
import ActionResult from "../../components/ActionResult";
import AskAgainButtons, { cancelWords } from "../../components/AskAgainButtons";
import NoteLine from "../../components/NoteLine";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import StatusBadge from "../../components/StatusBadge";
import WithdrawalCells from "../../components/WithdrawalCells";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { actionMessage } from "../../lib/forms";
import { formatAmount, precisionOf } from "../../lib/money";
import type { PagedList } from "../../lib/paged-list";
import type { Withdrawal } from "../../lib/wallet";

const CANCEL_WORDS = cancelWords("withdrawal");

/** GET /api/wallet/withdrawals, paged (the wallet page loads and reloads it), with Cancel while one waits for review. */
export default function WithdrawalsPanel(props: { config: PublicConfig; list: PagedList<Withdrawal>; onCancelled: () => void }) {
  const reload = () => void props.list.load(false);
  const [cancelling, setCancelling] = createSignal<string>();
  /** The withdrawal whose Cancel is being asked about. */
  const [asking, setAsking] = createSignal<string>();
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();

  // The message is about the last cancel: once a newer withdrawal heads the list, it would read as news about
  // that one. (A cancel's own refresh changes a status, not which withdrawal is newest.)
  createEffect(
    on(
      () => props.list.shown()?.[0]?.id,
      (newest, previous) => {
        if (newest !== undefined && previous !== undefined && newest !== previous) setMessage(undefined);
      },
      { defer: true },
    ),
  );

  const cancel = async (withdrawal: Withdrawal) => {
    setCancelling(withdrawal.id);
    setMessage(undefined);
    try {
      await api.post(`/api/wallet/withdrawals/${encodeURIComponent(withdrawal.id)}/cancel`);
      setMessage({ tone: "success", text: "Withdrawal cancelled. The held amount and fee are back in your available balance." });
      props.onCancelled();
    } catch (error) {
      setMessage({ tone: "error", text: actionMessage(error) });
      reload();
    } finally {
      setCancelling(undefined);
      setAsking(undefined);
    }
  };

  return (
    <section class="panel" aria-labelledby="withdrawals-title">
      <div class="panel-head">
        <div>
          <h2 id="withdrawals-title">Withdrawals</h2>
          <p class="muted small">Your withdrawals, newest first. One waiting for review can still be cancelled.</p>
        </div>
        <RefreshList loading={props.list.loading()} hasItems={props.list.items().length > 0} onRefresh={reload} />
      </div>
      <ActionResult result={message()} />
      <PagedTable
        list={props.list}
        errorTitle="Could not load your withdrawals"
        loadingLabel="Loading withdrawals…"
        empty="No withdrawals yet."
        end="That is every withdrawal."
        label="Withdrawals table (scrollable)"
        labelledBy="withdrawals-title"
        columns={[
          { label: "Requested" },
          { label: "Amount", num: true },
          { label: "To" },
          { label: "Status / transaction" },
          { label: "Actions", srOnly: true },
        ]}
        row={(w) => (
          <tr>
            <WithdrawalCells withdrawal={w} config={props.config} />
            {/* The payout's transaction, or why it was rejected, under the status: a column of its own would push Cancel
                aside. A reason (up to 500 characters) wraps rather than widen the table. */}
            <td classList={{ wrap: !!w.rejectionReason }}>
              <StatusBadge status={w.status} />
              <NoteLine label="Reason" note={w.rejectionReason} />
              <Show when={w.txHash}>
                {(hash) => (
                  <code class="cell-line truncate" title={hash()}>
                    {hash()}
                  </code>
                )}
              </Show>
            </td>
            <td class="num">
              <Show when={w.status === "pending_review"}>
                <AskAgainButtons
                  words={CANCEL_WORDS}
                  what={`the withdrawal of ${formatAmount(w.amount, precisionOf(props.config, w.asset))} ${w.asset} requested ${formatDateTime(w.createdAt)}`}
                  asking={asking() === w.id}
                  busy={cancelling() === w.id}
                  disabled={cancelling() !== undefined}
                  onAsk={() => setAsking(w.id)}
                  onKeep={() => setAsking(undefined)}
                  onConfirm={() => cancel(w)}
                />
              </Show>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
