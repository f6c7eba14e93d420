import { createEffect, createSignal, on, Show } from "solid-js";
import ActionResult from "../../components/ActionResult";
import DataTable from "../../components/DataTable";
import StatusBadge from "../../components/StatusBadge";
import WithdrawalCells from "../../components/WithdrawalCells";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { actionMessage, focusWhen } from "../../lib/forms";
import type { Withdrawal } from "../../lib/wallet";

/**
 * Cancel for one withdrawal under review, asked once more inline (as the admin's decisions are): one slip should
 * not take a withdrawal out of review. Whether it is being asked is the panel's (`asking`), so a list refresh
 * that redraws the row keeps the question. Keyboard focus follows the buttons as they swap: onto "Yes, cancel"
 * when asked, back onto Cancel when kept.
 */
function CancelButtons(props: {
  what: string;
  asking: boolean;
  busy: boolean;
  disabled: boolean;
  onAsk: () => void;
  onKeep: () => void;
  onConfirm: () => void;
}) {
  /** The confirming button's visible text, which its accessible name begins with, busy or not. */
  const confirmText = () => (props.busy ? "Cancelling…" : "Yes, cancel");
  /** Set while the user kept it, so the Cancel button shown again takes focus back (not after a cancel). */
  let kept = false;
  return (
    <Show
      when={props.asking}
      fallback={
        <button
          type="button"
          class="button button-small button-danger"
          onClick={() => {
            kept = false;
            props.onAsk();
          }}
          disabled={props.disabled}
          ref={focusWhen(kept)}
          aria-label={`Cancel ${props.what}`}
        >
          Cancel
        </button>
      }
    >
      <span class="row-question">
        <span class="small">Cancel withdrawal?</span>
        <span class="button-row row-actions">
          <button
            type="button"
            class="button button-small button-danger"
            onClick={() => props.onConfirm()}
            disabled={props.disabled}
            aria-busy={props.busy}
            ref={focusWhen(true)}
            aria-label={`${confirmText()} ${props.what}`}
          >
            {confirmText()}
          </button>
          <button
            type="button"
            class="button button-small"
            onClick={() => {
              kept = true;
              props.onKeep();
            }}
            disabled={props.disabled}
            aria-label={`Keep it: ${props.what}`}
          >
            Keep it
          </button>
        </span>
      </span>
    </Show>
  );
}

/** GET /api/wallet/withdrawals, with Cancel while a withdrawal waits for review. */
export default function WithdrawalsPanel(props: {
  config: PublicConfig;
  items: Withdrawal[] | undefined;
  loading: boolean;
  error: unknown;
  onRefresh: () => void;
  onCancelled: () => void;
}) {
  const [cancelling, setCancelling] = createSignal<string>();
  /** The withdrawal whose Cancel is being asked about. */
  const [asking, setAsking] = createSignal<string>();
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();

  // The message is about the last cancel: once a newer withdrawal heads the list, it would read as news about
  // that one. (A cancel's own refresh changes a status, not which withdrawal is newest.)
  createEffect(
    on(
      () => props.items?.[0]?.id,
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
      props.onRefresh();
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
          <p class="muted small">Your latest withdrawals. One waiting for review can still be cancelled.</p>
        </div>
        <button type="button" class="button" onClick={() => props.onRefresh()} disabled={props.loading} aria-busy={props.loading}>
          {props.loading && props.items ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <ActionResult result={message()} />
      <DataTable
        errorTitle="Could not load your withdrawals"
        error={props.error}
        onRetry={props.onRefresh}
        loadingLabel="Loading withdrawals…"
        items={props.items}
        empty="No withdrawals yet."
        label="Withdrawals table (scrollable)"
        labelledBy="withdrawals-title"
        busy={props.loading}
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
            {/* The payout's transaction under the status: a column of its own would push Cancel aside. */}
            <td>
              <StatusBadge status={w.status} />
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
                <CancelButtons
                  what={`the withdrawal of ${w.amount} ${w.asset} requested ${formatDateTime(w.createdAt)}`}
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
