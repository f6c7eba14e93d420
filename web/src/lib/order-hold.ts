/**
 * What a limit or stop order holds, costs and brings, said before it is placed. Computed by the server's own
 * functions (src/modules/trading/pricing.ts, which imports nothing server-only), so the figures are the ones the
 * server holds: a buy holds its cost at its own price rounded up to the cent plus the fee rounded up; a sell holds
 * the asset, and brings the proceeds at its price rounded down less the fee (validate.ts `reserve`).
 */
import { PRICE_PLACES } from "../../../src/modules/ledger/assets";
import { priceBound, sidePrice, termsAt, totalCents } from "../../../src/modules/trading/pricing";
import { compareDecimal } from "../../../src/platform/money";
import { addAmounts, formatAmount, fromUnits, toUnits, usdValue } from "./money";
import type { Order, OrderType, Side } from "./trading";

export type Holding = { asset: string; amount: string };

export type OrderTerms = {
  /** In USD: the cost before the fee (buy, rounded up) or the proceeds before it (sell, rounded down). */
  notionalUsd: string;
  feeUsd: string;
  /** In USD: what a buy pays in all, or what a sell receives after the fee. */
  totalUsd: string;
  /** What leaves the available balance while the order is open. */
  held: Holding;
};

/**
 * A limit or stop price as the server keeps it ("030000.50" → "30000.5"); undefined when the server would refuse
 * it: not a plain decimal, zero, or more than 18 decimals.
 */
export function orderPrice(text: string): string | undefined {
  const units = toUnits(text, PRICE_PLACES);
  return units === undefined || units === 0n ? undefined : fromUnits(units, PRICE_PLACES);
}

/**
 * The terms of `amount` of an asset of `precision` decimals bought or sold at `price` (USD per unit), with a fee
 * of `feeBps`; undefined when the amount or the price is not one the server takes.
 */
export function orderTerms(
  order: { side: Side; asset: string; amount: string },
  price: string,
  precision: number,
  feeBps: number,
): OrderTerms | undefined {
  const units = toUnits(order.amount, precision);
  const at = orderPrice(price);
  if (units === undefined || units === 0n || at === undefined) return undefined;
  const terms = termsAt(at, order.side, units, precision, feeBps);
  const usd = (cents: bigint) => fromUnits(cents, 2);
  return {
    notionalUsd: usd(terms.notional),
    feeUsd: usd(terms.fee),
    totalUsd: usd(totalCents(order.side, terms)),
    held:
      order.side === "buy"
        ? { asset: "USD", amount: usd(terms.notional + terms.fee) }
        : { asset: order.asset, amount: fromUnits(units, precision) },
  };
}

/**
 * The bound a stop price must pass now, as the server's refusal names it: above the buy price for a buy, below the
 * sell price for a sell (the live price ± the spread), to the cent (0.0001 under 10 USD).
 */
export function stopBound(side: Side, livePriceUsd: string, spreadBps: number): string | undefined {
  if (orderPrice(livePriceUsd) === undefined) return undefined;
  return priceBound(sidePrice(livePriceUsd.trim(), side, spreadBps), side === "buy" ? "up" : "down");
}

/**
 * Whether the server would refuse a stop price now as one the market has already reached (service.ts
 * `assertStopAhead`): a buy's at or below the buy price, a sell's at or above the sell price (the live price ± the
 * spread, as stopBound). False when either is not a price: the field's own check says so.
 */
export function stopReached(side: Side, stopPrice: string, livePriceUsd: string, spreadBps: number): boolean {
  const stop = orderPrice(stopPrice);
  if (stop === undefined || orderPrice(livePriceUsd) === undefined) return false;
  const order = compareDecimal(stop, sidePrice(livePriceUsd.trim(), side, spreadBps));
  return side === "buy" ? order <= 0 : order >= 0;
}

/**
 * The price a limit order trades at as soon as it is placed, when the market already meets its limit (as the server
 * does, service.ts `marketableTerms`): the buy price now (live price plus the spread) when the buy's limit is at or
 * above it, the sell price now (less the spread) when the sell's is at or below it. Undefined when it waits.
 */
export function fillsNowAt(side: Side, limitPrice: string, livePriceUsd: string, spreadBps: number): string | undefined {
  const limit = orderPrice(limitPrice);
  if (limit === undefined || orderPrice(livePriceUsd) === undefined) return undefined;
  const now = sidePrice(livePriceUsd.trim(), side, spreadBps);
  const order = compareDecimal(limit, now);
  return (side === "buy" ? order >= 0 : order <= 0) ? now : undefined;
}

/**
 * What an open order holds: the asset for a sell; for a buy its cost at its own price rounded up to the cent, plus
 * the fee the order carries (reckoned at that price when it was placed). Undefined when the order's figures are not
 * plain decimals.
 */
export function heldBy(order: Order, precision: number): Holding | undefined {
  if (order.side === "sell") return { asset: order.asset, amount: order.amount };
  const cost = usdValue(order.amount, precision, order.limitPrice ?? order.stopPrice ?? "");
  const held = cost === undefined ? undefined : addAmounts(cost, order.fee, 2);
  return held === undefined ? undefined : { asset: "USD", amount: held };
}

/**
 * Why an order cannot be placed for want of funds, and what to do: "This buy needs 600.60 USD, but only 500.00 USD
 * is available. Lower the amount or the limit price, or deposit USD first." `refused` adds that the server would
 * refuse it (said before the order is sent).
 */
export function shortfallMessage(
  order: { type: OrderType; side: Side },
  need: Holding,
  available: string,
  precision: number,
  refused = false,
): string {
  const amount = (value: string) => `${formatAmount(value, precision)} ${need.asset}`;
  return `This ${order.side} needs ${amount(need.amount)}, but only ${amount(available)} is available${refused ? ", so it would be refused" : ""}. ${shortfallRemedy(order, need.asset)}`;
}

/** What to do about an order its balance of `asset` (what it spends) does not cover. */
export function shortfallRemedy(order: { type: OrderType; side: Side }, asset: string): string {
  if (order.side === "sell") return `Lower the amount, or deposit ${asset} first.`;
  const price = { market: "", limit: " or the limit price", stop: " or the stop price" }[order.type];
  return `Lower the amount${price}, or deposit USD first.`;
}
