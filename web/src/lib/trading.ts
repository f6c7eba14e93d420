/** Trading and portfolio types and reads (API.md "Trading"). Money stays a decimal string. */
import { api } from "./api";
import { formatUsd } from "./money";

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
