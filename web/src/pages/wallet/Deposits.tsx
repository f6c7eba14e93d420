import { Show } from "solid-js";
import Amount from "../../components/Amount";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import StatusBadge from "../../components/StatusBadge";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { precisionOf } from "../../lib/money";
import type { PagedList } from "../../lib/paged-list";
import type { DepositOrder } from "../../lib/wallet";

/** Orders still open to payment: pending, or partly paid with the rest to come to the same address. */
const OPEN_TO_PAYMENT = new Set(["pending", "partially_paid"]);

/**
 * GET /api/wallet/deposits, paged (the wallet page loads and reloads it); an order open to payment can be opened
 * again (address, QR code, live status).
 */
export default function DepositsPanel(props: {
  config: PublicConfig;
  list: PagedList<DepositOrder>;
  onShow: (order: DepositOrder) => void;
}) {
  const reload = () => void props.list.load(false);
  return (
    <section class="panel" aria-labelledby="deposits-title">
      <div class="panel-head">
        <div>
          <h2 id="deposits-title">Deposits</h2>
          <p class="muted small">Your deposit orders, newest first.</p>
        </div>
        <RefreshList loading={props.list.loading()} hasItems={props.list.items().length > 0} onRefresh={reload} />
      </div>
      <PagedTable
        list={props.list}
        errorTitle="Could not load your deposits"
        loadingLabel="Loading deposits…"
        empty="No deposits yet."
        end="That is every deposit order."
        label="Deposits table (scrollable)"
        labelledBy="deposits-title"
        columns={[
          { label: "Created" },
          { label: "Amount", num: true },
          { label: "Received", num: true },
          { label: "Status" },
          { label: "Pay address / reference" },
          { label: "Actions", srOnly: true },
        ]}
        row={(order) => (
          <tr>
            <td>
              <time datetime={order.createdAt}>{formatDateTime(order.createdAt)}</time>
            </td>
            <td class="num">
              <Amount value={order.amount} asset={order.asset} precision={precisionOf(props.config, order.asset)} />
            </td>
            <td class="num">
              <Amount value={order.amountReceived} asset={order.asset} precision={precisionOf(props.config, order.asset)} />
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
              <Show when={OPEN_TO_PAYMENT.has(order.status)}>
                <button
                  type="button"
                  class="button button-small"
                  onClick={() => props.onShow(order)}
                  aria-label={`Show the ${order.status === "pending" ? "pending" : "partly paid"} deposit of ${order.amount} ${order.asset}`}
                >
                  Show
                </button>
              </Show>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
