import type { PublicConfig } from "../../lib/config";
import { lessThan, precisionOf } from "../../lib/money";
import type { Quote } from "../../lib/trading";
import type { Balance } from "../../lib/wallet";

/** What a quote takes from the available balance: its total in USD for a buy, the asset itself for a sell. */
function quoteCost(quote: Quote): { asset: string; amount: string } {
  return quote.side === "buy" ? { asset: "USD", amount: quote.totalUsd } : { asset: quote.asset, amount: quote.amount };
}

/**
 * The balance a quote would overdraw, with what is available of it; undefined when the quote is covered, or
 * while the balances are not known (the server still judges the order).
 */
export function shortfallOf(quote: Quote, balances: Balance[] | undefined, config: PublicConfig) {
  const cost = quoteCost(quote);
  const available = balances?.find((balance) => balance.asset === cost.asset)?.available;
  const precision = precisionOf(config, cost.asset);
  if (available === undefined || precision === undefined) return undefined;
  return lessThan(available, cost.amount, precision) ? { ...cost, available, precision } : undefined;
}
