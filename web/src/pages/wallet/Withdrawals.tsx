import { createSignal, For, Show } from "solid-js";
import Alert from "../../components/Alert";
import Amount from "../../components/Amount";
import ErrorNotice from "../../components/ErrorNotice";
import Loading from "../../components/Loading";
import StatusBadge from "../../components/StatusBadge";
import { api } from "../../lib/api";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { actionMessage } from "../../lib/forms";
import { precisionOf } from "../../lib/money";
import type { Withdrawal } from "../../lib/wallet";

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
  const [message, setMessage] = createSignal<{ tone: "success" | "error"; text: string }>();

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
      <Show when={message()}>
        {(m) => (
          <div class="section-gap">
            <Alert tone={m().tone}>{m().text}</Alert>
          </div>
        )}
      </Show>
      <Show
        when={!props.error}
        fallback={<ErrorNotice title="Could not load your withdrawals" error={props.error} onRetry={props.onRefresh} />}
      >
        <Show when={props.items} fallback={<Loading label="Loading withdrawals…" />}>
          {(items) => (
            <Show when={items().length > 0} fallback={<p class="muted">No withdrawals yet.</p>}>
              <section class="table-wrap" aria-label="Withdrawals table (scrollable)" tabindex="0">
                <table class="table" aria-labelledby="withdrawals-title" aria-busy={props.loading}>
                  <thead>
                    <tr>
                      <th scope="col">Requested</th>
                      <th scope="col" class="num">
                        Amount
                      </th>
                      <th scope="col" class="num">
                        Fee
                      </th>
                      <th scope="col">To</th>
                      <th scope="col">Status</th>
                      <th scope="col">Transaction</th>
                      <th scope="col">
                        <span class="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={items()}>
                      {(w) => (
                        <tr>
                          <td>
                            <time datetime={w.createdAt}>{formatDateTime(w.createdAt)}</time>
                          </td>
                          <td class="num">
                            <Amount value={w.amount} asset={w.asset} precision={precisionOf(props.config, w.asset)} />
                          </td>
                          <td class="num">
                            <Amount value={w.fee} asset={w.asset} precision={precisionOf(props.config, w.asset)} />
                          </td>
                          <td>
                            <code>{w.address}</code>
                          </td>
                          <td>
                            <StatusBadge status={w.status} />
                          </td>
                          <td>
                            <Show when={w.txHash} fallback={<span class="muted">—</span>}>
                              {(hash) => (
                                <code class="truncate" title={hash()}>
                                  {hash()}
                                </code>
                              )}
                            </Show>
                          </td>
                          <td class="num">
                            <Show when={w.status === "pending_review"}>
                              <button
                                type="button"
                                class="button button-small button-danger"
                                onClick={() => cancel(w)}
                                disabled={cancelling() !== undefined}
                                aria-busy={cancelling() === w.id}
                                aria-label={`Cancel the withdrawal of ${w.amount} ${w.asset} requested ${formatDateTime(w.createdAt)}`}
                              >
                                {cancelling() === w.id ? "Cancelling…" : "Cancel"}
                              </button>
                            </Show>
                          </td>
                        </tr>
                      )}
                    </For>
                  </tbody>
                </table>
              </section>
            </Show>
          )}
        </Show>
      </Show>
    </section>
  );
}
