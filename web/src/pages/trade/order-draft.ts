import type { OrderType, Side } from "../../lib/trading";

/** The new-order form as typed: every price field is kept, the order body takes only its type's. */
export type Draft = { type: OrderType; side: Side; asset: string; amount: string; limitPrice: string; stopPrice: string };

export const PRICE = /^\d+(\.\d+)?$/;

// A limit or stop price is not held to cents: the API keeps it as sent (API.md fixes no decimals for prices).
export const HINTS = {
  amount: "Enter a plain positive amount within the asset's decimals.",
  limitPrice: "Enter the limit price in USD, like 60000 or 60000.25.",
  stopPrice: "Enter the stop price in USD, like 60000 or 60000.25.",
};

/** The controls of the form for an order type: the API fields whose errors can be shown next to them. */
export function fieldsOf(type: OrderType): string[] {
  const price = { market: [], limit: ["limitPrice"], stop: ["stopPrice"] }[type];
  return ["type", "side", "asset", "amount", ...price];
}

/** The order body: only the price field its type takes, and the quote when the user confirmed one. */
export function bodyOf(draft: Draft, quoteId?: string) {
  const { type, side, asset, amount } = draft;
  if (type === "limit") return { type, side, asset, amount, limitPrice: draft.limitPrice };
  if (type === "stop") return { type, side, asset, amount, stopPrice: draft.stopPrice };
  return quoteId ? { type, side, asset, amount, quoteId } : { type, side, asset, amount };
}
