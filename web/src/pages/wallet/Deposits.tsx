import { For, Show } from "solid-js";
import Amount from "../../components/Amount";
import ErrorNotice from "../../components/ErrorNotice";
import Loading from "../../components/Loading";
import StatusBadge from "../../components/StatusBadge";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { precisionOf } from "../../lib/money";
import type { DepositOrder } from "../../lib/wallet";

/** GET /api/wallet/deposits; a pending order can be opened again (address, QR code, live status). */
export default function DepositsPanel(props: {
  config: PublicConfig;
  items: DepositOrder[] | undefined;
  loading: boolean;
  error: unknown;
  onRefresh: () => void;
  onShow: (order: DepositOrder) => void;
}) {
  return (
    <section class="panel" aria-labelledby="deposits-title">
      <div class="panel-head">
        <div>
          <h2 id="deposits-title">Deposits</h2>
          <p class="muted small">Your latest deposit orders.</p>
        </div>
        <button type="button" class="button" onClick={() => props.onRefresh()} disabled={props.loading} aria-busy={props.loading}>
          {props.loading && props.items ? "Refreshing…" : "Refresh"}
        </button>
      </div>
      <Show
        when={!props.error}
        fallback={<ErrorNotice title="Could not load your deposits" error={props.error} onRetry={props.onRefresh} />}
      >
        <Show when={props.items} fallback={<Loading label="Loading deposits…" />}>
          {(items) => (
            <Show when={items().length > 0} fallback={<p class="muted">No deposits yet.</p>}>
              <section class="table-wrap" aria-label="Deposits table (scrollable)" tabindex="0">
                <table class="table" aria-labelledby="deposits-title" aria-busy={props.loading}>
                  <thead>
                    <tr>
                      <th scope="col">Created</th>
                      <th scope="col" class="num">
                        Amount
                      </th>
                      <th scope="col" class="num">
                        Received
                      </th>
                      <th scope="col">Status</th>
                      <th scope="col">Pay address / reference</th>
                      <th scope="col">
                        <span class="sr-only">Actions</span>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    <For each={items()}>
                      {(order) => (
                        <tr>
                          <td>
                            <time datetime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
                          </td>
                          <td class="num">
                            <Amount value={order.amount} asset={order.asset} precision={precisionOf(props.config, order.asset)} />
                          </td>
                          <td class="num">
                            <Amount
                              value={order.amountReceived}
                              asset={order.asset}
                              precision={precisionOf(props.config, order.asset)}
                            />
                          </td>
                          <td>
                            <StatusBadge status={order.status} />
                          </td>
                          <td>
                            <code class="truncate" title={order.payAddress}>
                              {order.payAddress}
                            </code>
                          </td>
                          <td class="num">
                            <Show when={order.status === "pending"}>
                              <button
                                type="button"
                                class="button button-small"
                                onClick={() => props.onShow(order)}
                                aria-label={`Show the pending deposit of ${order.amount} ${order.asset}`}
                              >
                                Show
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
