import { Show } from "solid-js";
import Alert from "../../components/Alert";
import { formatAmount, formatPrice, formatUsd, fromUnits } from "../../lib/money";
import { fillsNowAt, orderPrice, orderTerms } from "../../lib/order-hold";
import type { OrderType, Side } from "../../lib/trading";

export type PendingOrder = { type: Exclude<OrderType, "market">; side: Side; asset: string; amount: string; price: string };

/**
 * Under a limit or stop order's fields, before it is placed: what it will hold and what it costs or brings at its own
 * price (a market order's quote says as much), that a limit the market already meets fills at once at the market's
 * price, and that the balance does not cover it. The Place order button is described by `id`, so a screen reader
 * hears the terms there (and the warning, `${id}-shortfall`) rather than at every keystroke; the warning is quiet too (the page reads it out on Place order).
 */
export default function OrderTermsPreview(props: {
  id: string;
  order: PendingOrder;
  precision: number | undefined;
  feeBps: number;
  spreadBps: number;
  /** The asset's live market price; undefined while it is not known. */
  livePriceUsd: string | undefined;
  /** Why the balance does not cover what the order holds, with that balance's asset; undefined while it does. */
  shortfall: { asset: string; text: string } | undefined;
}) {
  const feeRate = () => `${fromUnits(BigInt(props.feeBps), 2)}%`;
  const usd = (value: string) => `${formatUsd(value)} USD`;
  const priceWord = () => (props.order.type === "limit" ? "limit" : "stop");
  const terms = () => {
    const { precision, order } = props;
    return precision === undefined ? undefined : orderTerms(order, order.price, precision, props.feeBps);
  };
  /** The terms at the market's price now, for a limit the market already meets. */
  const fillNow = () => {
    const { order, precision, livePriceUsd } = props;
    if (order.type !== "limit" || livePriceUsd === undefined || precision === undefined) return undefined;
    const price = fillsNowAt(order.side, order.price, livePriceUsd, props.spreadBps);
    const now = price === undefined ? undefined : orderTerms(order, price, precision, props.feeBps);
    return price === undefined || now === undefined ? undefined : { price, ...now };
  };
  /** The order's own price, exactly as it is sent: it bounds the fill, so it is not rounded (as in the open orders). */
  const ownPrice = () => `${formatUsd(orderPrice(props.order.price) ?? props.order.price)} USD per ${props.order.asset}`;

  return (
    <div class="quote" data-testid="order-terms">
      <Show
        when={terms()}
        fallback={
          <p id={props.id} class="muted">
            Enter the amount and the {priceWord()} price to see what the order holds and costs.
          </p>
        }
      >
        {(t) => (
          <div id={props.id}>
            <Show
              when={fillNow()}
              fallback={
                <Show
                  when={props.order.side === "buy"}
                  fallback={
                    <p>
                      Holds <strong>{`${formatAmount(t().held.amount, props.precision)} ${t().held.asset}`}</strong> while open.
                      At your {priceWord()} of {ownPrice()} you receive <strong>{usd(t().totalUsd)}</strong>:{" "}
                      {usd(t().notionalUsd)} less a {usd(t().feeUsd)} fee ({feeRate()}).
                    </p>
                  }
                >
                  <p>
                    Holds <strong>{usd(t().held.amount)}</strong> while open: {usd(t().notionalUsd)} at your {priceWord()} of{" "}
                    {ownPrice()}, plus a {usd(t().feeUsd)} fee ({feeRate()}).
                  </p>
                </Show>
              }
            >
              {(now) => (
                <p>
                  <strong>Fills now</strong> at about {formatPrice(now().price, props.order.asset)} USD per {props.order.asset},
                  the {props.order.side} price now, as your limit is at or {props.order.side === "buy" ? "above" : "below"} it:
                  you {props.order.side === "buy" ? "pay" : "receive"} about <strong>{usd(now().totalUsd)}</strong> (
                  {usd(now().notionalUsd)} {props.order.side === "buy" ? "plus" : "less"} a {usd(now().feeUsd)} fee).
                </p>
              )}
            </Show>
            <Show when={!fillNow()}>
              <p class="muted small">{afterward(props.order)}</p>
            </Show>
          </div>
        )}
      </Show>
      <Show when={props.shortfall}>
        {(short) => (
          <Alert tone="warn" title={`Not enough ${short().asset}`} quiet>
            <p id={`${props.id}-shortfall`}>{short().text}</p>
          </Alert>
        )}
      </Show>
    </div>
  );
}

/** How the fill can differ from the order's own price, and what becomes of the hold. */
function afterward(order: PendingOrder): string {
  if (order.type === "limit") {
    return order.side === "buy"
      ? "It fills at your limit or lower; what a lower price does not use goes back to your available balance."
      : "It fills at your limit or higher; a higher price brings more.";
  }
  return order.side === "buy"
    ? "It fills at the buy price when it triggers, which can be above the stop: the difference then comes from your available USD, or the order is rejected."
    : "It fills at the sell price when it triggers, which can be below the stop; a lower price brings less.";
}
