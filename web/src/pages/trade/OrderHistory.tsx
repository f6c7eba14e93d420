import { onCleanup, Show } from "solid-js";
import PagedTable from "../../components/PagedTable";
import RefreshList from "../../components/RefreshList";
import StatusBadge from "../../components/StatusBadge";
import { liveReload } from "../../lib/coalesce";
import type { PublicConfig } from "../../lib/config";
import { formatDateTime } from "../../lib/format";
import { formatAmount, formatPrice, formatUsd, precisionOf } from "../../lib/money";
import { type Order, waitingPrice } from "../../lib/trading";
import { onFrame, onResync } from "../../lib/ws";
import { CLOSED, createClosedOrders, isClosed } from "./closed-orders";

/** Orders per status per page: the three statuses' pages are merged into one list. */
const PAGE_SIZE = 20;

/** What an order went for: the price it filled at; else the limit or stop it waited for, exactly as set. */
function priceOf(order: Order): string {
  if (order.price) return formatPrice(order.price, order.asset);
  return order.limitPrice || order.stopPrice ? `${order.type} ${waitingPrice(order)}` : "—";
}

/** The user's filled, cancelled and rejected orders, newest first, paged; updated live as orders close. */
export default function OrderHistory(props: { config: PublicConfig }) {
  const history = createClosedOrders(PAGE_SIZE);
  // Live (WebSocket): an order filled, was cancelled (here or on another device), expired or was rejected at its
  // trigger. Only its status's list is read again, once for a burst of such frames (stops triggered together).
  const live = new Map(CLOSED.map((status) => [status, liveReload(() => history.reload(status))]));
  onCleanup(
    onFrame("order", (frame) => {
      const status = (frame.data as Order | undefined)?.status;
      if (isClosed(status)) live.get(status)?.trigger();
    }),
  );
  onCleanup(onResync(() => void history.reload()));
  /** As the table reads it: "Load more" pages on the one status's list whose next page is due (closed-orders). */
  const rows = { ...history, load: (more: boolean) => (more ? history.more() : history.reload()) };
  const amount = (value: string, asset: string) => `${formatAmount(value, precisionOf(props.config, asset))} ${asset}`;
  return (
    <section class="panel" aria-labelledby="order-history-title">
      <div class="panel-head">
        <div>
          <h2 id="order-history-title">Order history</h2>
          <p class="muted small">Your filled, cancelled and rejected orders, newest first.</p>
        </div>
        <RefreshList
          loading={history.loading()}
          hasItems={(history.shown() ?? []).length > 0}
          onRefresh={() => void history.reload()}
        />
      </div>
      <PagedTable
        list={rows}
        errorTitle="Could not load your order history"
        loadingLabel="Loading order history…"
        empty="No filled, cancelled or rejected orders yet."
        end="That is every closed order."
        label="Order history table (scrollable)"
        labelledBy="order-history-title"
        class="order-history"
        columns={[
          { label: "Placed" },
          { label: "Order" },
          { label: "Amount", num: true },
          { label: "Filled", num: true },
          { label: "Price (USD)", num: true },
          { label: "Fee (USD)", num: true },
          { label: "Status" },
        ]}
        row={(order) => (
          <tr>
            {/* The cells whose text may take a second line (order-wraps, styles.css): kept to one, a row that says more
                (a limit price, why it closed) would make the whole history cards at desktop widths. */}
            <td class="order-wraps order-placed">{formatDateTime(order.createdAt)}</td>
            <td class="order-wraps">
              {order.type} {order.side}
            </td>
            <td class="num order-wraps">{amount(order.amount, order.asset)}</td>
            <td class="num order-wraps">{amount(order.filledAmount, order.asset)}</td>
            <td class="num order-wraps">{priceOf(order)}</td>
            <td class="num">{formatUsd(order.fee)}</td>
            <td class="order-wraps">
              <StatusBadge status={order.status} />
              {/* Why it closed unfilled: cancelled by the user, expired, or what was missing when a stop triggered. */}
              <Show when={order.reason}>{(reason) => <span class="cell-line small muted order-reason">{reason()}</span>}</Show>
            </td>
          </tr>
        )}
      />
    </section>
  );
}
