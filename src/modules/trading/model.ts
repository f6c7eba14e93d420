import { t } from "elysia";
import { oneOf, PlainDecimal } from "../../platform/http/request-schemas";
import { Page, PageQuery } from "../../platform/pagination";
import { tradeOrders } from "./schema";

const Side = oneOf(["buy", "sell"]);
export type Side = typeof Side.static;

export const QuoteBody = t.Object({ side: Side, asset: t.String({ minLength: 1, maxLength: 10 }), amount: PlainDecimal });
export type QuoteBody = typeof QuoteBody.static;

export const Quote = t.Object({
  quoteId: t.String(),
  side: Side,
  asset: t.String(),
  amount: t.String(),
  /** USD per whole unit, spread included. */
  price: t.String(),
  /** USD. */
  fee: t.String(),
  /** USD the user pays (buy: cost + fee) or receives (sell: proceeds − fee). */
  totalUsd: t.String(),
  expiresAt: t.String(),
});
export type Quote = typeof Quote.static;

export const OrderBody = t.Object({
  type: oneOf(["market", "limit", "stop"]),
  side: Side,
  asset: t.String({ minLength: 1, maxLength: 10 }),
  amount: PlainDecimal,
  limitPrice: t.Optional(PlainDecimal),
  stopPrice: t.Optional(PlainDecimal),
  quoteId: t.Optional(t.String({ maxLength: 64 })),
  /** Limit and stop orders are good till cancelled, or until this instant (ISO 8601). */
  expiresAt: t.Optional(t.String({ format: "date-time" })),
});
export type OrderBody = typeof OrderBody.static;

export const Order = t.Object({
  id: t.String(),
  type: oneOf(["market", "limit", "stop"]),
  side: Side,
  asset: t.String(),
  amount: t.String(),
  filledAmount: t.String(),
  price: t.Union([t.String(), t.Null()]),
  limitPrice: t.Union([t.String(), t.Null()]),
  stopPrice: t.Union([t.String(), t.Null()]),
  /**
   * USD: the fee paid once filled. While open, the fee at the order's own price: a buy holds it with its cost, a
   * sell's comes out of its proceeds (nothing of it is held). 0 once cancelled or rejected.
   */
  fee: t.String(),
  status: oneOf(tradeOrders.status.enumValues),
  /** Why a cancelled or rejected order was closed (e.g. "expired", "not enough USD at the trigger price"); else null. */
  reason: t.Union([t.String(), t.Null()]),
  expiresAt: t.Union([t.String(), t.Null()]),
  createdAt: t.String(),
});
export type Order = typeof Order.static;
export const OrderAnswer = t.Object({ order: Order });
export const OrderListQuery = t.Object({
  status: t.Optional(oneOf(tradeOrders.status.enumValues)),
  ...PageQuery,
});
export const OrderPage = Page(Order);

export const Holding = t.Object({
  asset: t.String(),
  amount: t.String(),
  valueUsd: t.String(),
  costBasisUsd: t.String(),
  unrealizedPnlUsd: t.String(),
  /**
   * The part of `amount` with no known cost (deposited or received, not bought here): outside costBasisUsd and
   * unrealizedPnlUsd, so the P&L is that of the units with a basis, as `valueUsd` is not.
   */
  amountWithoutBasis: t.String(),
});
export const Portfolio = t.Object({ holdings: t.Array(Holding), realizedPnlUsd: t.String(), totalUsd: t.String() });
export type Portfolio = typeof Portfolio.static;
