import { type Resource, Show } from "solid-js";
import Alert, { type AlertTone } from "../../components/Alert";
import DataTable from "../../components/DataTable";
import StatusBadge from "../../components/StatusBadge";
import type { PublicConfig } from "../../lib/config";
import { focusIfLost } from "../../lib/focus";
import { formatDateTime } from "../../lib/format";
import { formatAmount, formatUsd, precisionOf } from "../../lib/money";
import { heldBy } from "../../lib/order-hold";
import { loadError, settled } from "../../lib/resource";
import { type Order, waitingPrice } from "../../lib/trading";

/** The user's limit and stop orders still waiting, each with what it holds and its Cancel button. */
export default function OpenOrders(props: {
  config: PublicConfig;
  orders: Resource<Order[]>;
  onRetry: () => void;
  /** What the last cancel in the open orders came to. */
  note: { tone: AlertTone; text: string } | undefined;
  /** The Cancel button of the order cancelled last, whose focus the note takes over. */
  cancelledFrom: () => HTMLElement | undefined;
  /** Cancels an open order; `button` is its Cancel. */
  onCancel: (order: Order, button: HTMLElement) => Promise<void>;
}) {
  /**
   * The open orders, kept while the list reloads: reading `orders()` would suspend the whole page on every
   * refetch (each order placed, cancelled or filled), taking keyboard focus out of the form with it.
   */
  const openOrders = () => settled(props.orders)?.filter((o) => o.status === "open");

  return (
    <section class="panel" aria-labelledby="open-orders-title">
      <h2 id="open-orders-title" class="panel-title">
        Open orders
      </h2>
      {/* The cancelled order's row goes with its Cancel: the note says how it went, and takes focus. */}
      <Show when={props.note}>
        {(note) => (
          <Alert tone={note().tone} ref={focusIfLost(props.cancelledFrom())}>
            {note().text}
          </Alert>
        )}
      </Show>
      <DataTable
        errorTitle="Could not load your orders"
        error={loadError(props.orders)}
        onRetry={props.onRetry}
        loadingLabel="Loading orders…"
        items={openOrders()}
        empty="No open orders."
        label="Open orders table (scrollable)"
        labelledBy="open-orders-title"
        busy={props.orders.loading}
        columns={[
          { label: "Order" },
          { label: "Amount" },
          { label: "Price (USD)" },
          { label: "Holds" },
          { label: "Placed" },
          { label: "Status" },
          { label: "Actions", srOnly: true },
        ]}
        row={(o) => (
          <tr>
            <td>
              {o.type} {o.side}
            </td>
            <td class="num">
              {formatAmount(o.amount, precisionOf(props.config, o.asset))} {o.asset}
            </td>
            <td class="num">{waitingPrice(o)}</td>
            <td class="num">
              <OrderHeld order={o} config={props.config} />
            </td>
            <td>{formatDateTime(o.createdAt)}</td>
            <td>
              <StatusBadge status={o.status} />
            </td>
            <td>
              <button
                type="button"
                class="button button-ghost button-small"
                aria-label={`Cancel ${o.type} ${o.side} ${o.amount} ${o.asset} at ${waitingPrice(o)} USD`}
                onClick={(event) => void props.onCancel(o, event.currentTarget)}
              >
                Cancel
              </button>
            </td>
          </tr>
        )}
      />
    </section>
  );
}

/** What an open order holds: "600.60 USD" with its fee under it for a buy, the asset itself for a sell. */
function OrderHeld(props: { order: Order; config: PublicConfig }) {
  const held = () => {
    const precision = precisionOf(props.config, props.order.asset);
    return precision === undefined ? undefined : heldBy(props.order, precision);
  };
  return (
    <Show when={held()} fallback="—">
      {(h) => (
        <>
          {formatAmount(h().amount, precisionOf(props.config, h().asset))} {h().asset}
          <Show when={props.order.side === "buy"}>
            <span class="cell-line small muted">incl. {formatUsd(props.order.fee)} USD fee</span>
          </Show>
        </>
      )}
    </Show>
  );
}
