/** Trading and portfolio types and reads (API.md "Trading"). Money stays a decimal string. */
import { api } from "./api";
import { formatUsd, fromUnits, toUnits, usdValue } from "./money";

export type Side = "buy" | "sell";
export type OrderType = "market" | "limit" | "stop";
export type Quote = {
  quoteId: string;
  side: Side;
  asset: string;
  amount: string;
  price: string;
  fee: string;
  totalUsd: string;
  expiresAt: string;
};
export type Order = {
  id: string;
  type: OrderType;
  side: Side;
  asset: string;
  amount: string;
  filledAmount: string;
  price: string | null;
  limitPrice: string | null;
  stopPrice: string | null;
  fee: string;
  status: "open" | "filled" | "cancelled" | "rejected";
  /** Why a cancelled or rejected order was closed; null otherwise. */
  reason: string | null;
  expiresAt: string | null;
  createdAt: string;
};

/**
 * The price an order waits for, its limit or its stop, exactly as the order has it ("1,000.555", not
 * formatPrice's rounded "1,000.56"): it bounds the fill, so a rounded figure would promise a price it is not.
 */
export const waitingPrice = (order: Order) => formatUsd(order.limitPrice ?? order.stopPrice ?? "0");

const decimalsOf = (value: string) => value.trim().split(".")[1]?.length ?? 0;

/**
 * What the spread costs in a quote: the quoted price against the market price it is compared with, for the quote's
 * amount (of an asset with `precision` decimals), in USD rounded up to the cent as usdValue values what is paid; and as
 * a percentage of the market price, rounded half-up to 2 decimals ("0.5" for 0.50 %). Exact, in integers. Undefined
 * when a price is not a plain decimal, or the quote is no worse than the market price (it moved since the quote).
 */
export function quoteSpread(
  quote: Pick<Quote, "side" | "amount" | "price">,
  marketPriceUsd: string,
  precision: number,
): { costUsd: string; percent: string } | undefined {
  const scale = Math.max(decimalsOf(quote.price), decimalsOf(marketPriceUsd));
  const quoted = toUnits(quote.price, scale);
  const market = toUnits(marketPriceUsd, scale);
  if (quoted === undefined || market === undefined || market <= 0n) return undefined;
  // A buy is quoted above the market, a sale below it.
  const perUnit = quote.side === "buy" ? quoted - market : market - quoted;
  const costUsd = perUnit > 0n ? usdValue(quote.amount, precision, fromUnits(perUnit, scale)) : undefined;
  if (costUsd === undefined) return undefined;
  // perUnit / market in hundredths of a percent (× 10,000), rounded half-up.
  const hundredths = (perUnit * 20_000n + market) / (2n * market);
  return { costUsd, percent: fromUnits(hundredths, 2) };
}

export type Holding = {
  asset: string;
  amount: string;
  valueUsd: string;
  costBasisUsd: string;
  unrealizedPnlUsd: string;
  /** Of `amount`, the units deposited or received (no known cost): outside the basis and the P&L. */
  amountWithoutBasis: string;
};
export type Portfolio = { holdings: Holding[]; realizedPnlUsd: string; totalUsd: string };

/** The open orders, newest first: the order history (pages/trade) lists the closed ones. */
export const fetchOpenOrders = async () => (await api.get<{ items: Order[] }>("/api/trading/orders?status=open&limit=100")).items;
export const fetchPortfolio = () => api.get<Portfolio>("/api/portfolio");
