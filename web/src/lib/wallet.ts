/** Shapes of the wallet, transfer and history answers (API.md "Wallet", "Transfers", "Transactions"). */
import { api } from "./api";

export type Balance = { asset: string; available: string; held: string; total: string; valueUsd: string };
export type BalanceAnswer = { balances: Balance[]; totalUsd: string };

export type DepositStatus = "pending" | "confirmed" | "partially_paid" | "expired" | "failed" | "confirmed_late";
export type DepositOrder = {
  orderId: string;
  asset: string;
  amount: string;
  status: DepositStatus | string;
  payAddress: string;
  expiresAt: string;
  amountReceived: string;
  createdAt: string;
};

export type BookAddress = { id: string; asset: string; address: string; label: string; activeAt: string; createdAt: string };

export type WithdrawalStatus = "pending_review" | "processing" | "completed" | "rejected" | "failed" | "cancelled";
export type Withdrawal = {
  id: string;
  asset: string;
  amount: string;
  fee: string;
  address: string;
  status: WithdrawalStatus | string;
  txHash: string | null;
  /** What the admin who rejected it said; null otherwise. */
  rejectionReason?: string;
  createdAt: string;
  updatedAt: string;
};

export type Transfer = {
  id: string;
  asset: string;
  amount: string;
  recipientEmail: string;
  note: string | null;
  status: "completed" | "pending_review" | "rejected" | "cancelled" | string;
  rejectionReason?: string;
  createdAt: string;
};

export type Limit = { kind: "p2p" | "withdrawal"; limitUsd: string; usedUsd: string; remainingUsd: string; resetsAt: string };

export const TX_TYPES = ["deposit", "withdrawal", "transfer_in", "transfer_out", "trade_buy", "trade_sell", "fee"] as const;
export type TxType = (typeof TX_TYPES)[number];
/** How each transaction type reads to a person. */
export const TX_LABELS: Record<string, string> = {
  deposit: "Deposit",
  withdrawal: "Withdrawal",
  transfer_in: "Incoming transfer",
  transfer_out: "Outgoing transfer",
  trade_buy: "Trade: buy",
  trade_sell: "Trade: sell",
  fee: "Fee",
};

export type Tx = {
  id: string;
  type: TxType | string;
  asset: string;
  amount: string;
  fee: string;
  status: string;
  direction: "in" | "out";
  counterparty: string | null;
  reference: string | null;
  note: string | null;
  /** Why an admin rejected the user's withdrawal or sent transfer; null otherwise (a recipient's row too). */
  rejectionReason?: string;
  createdAt: string;
};

export const fetchBalances = () => api.get<BalanceAnswer>("/api/wallet/balance");
type AddressPage = { items: BookAddress[]; nextCursor: string | null };
/**
 * Every saved address, page by page: the book has no size cap, and the withdraw form must offer every
 * address (not only a first page), so this follows nextCursor instead of showing "Load more".
 */
export async function fetchAddresses(): Promise<BookAddress[]> {
  const all: BookAddress[] = [];
  let cursor: string | null = null;
  do {
    const next = cursor ? `&cursor=${encodeURIComponent(cursor)}` : "";
    const page: AddressPage = await api.get<AddressPage>(`/api/wallet/addresses?limit=100${next}`);
    all.push(...page.items);
    cursor = page.nextCursor;
  } while (cursor);
  return all;
}
export const fetchLimits = async () => (await api.get<{ items: Limit[] }>("/api/transfers/limits")).items;

/** "pending_review" → "Pending review". */
export function statusLabel(status: string): string {
  const words = status.replaceAll("_", " ");
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The badge colour of a deposit, withdrawal, transfer or transaction status. */
export function statusTone(status: string): "ok" | "bad" | "warn" | "neutral" {
  if (["completed", "confirmed", "confirmed_late", "filled"].includes(status)) return "ok";
  // Cancelled (by its owner, or an order the platform closed) is no failure: neutral, not red.
  if (["failed", "rejected", "expired"].includes(status)) return "bad";
  if (["pending", "pending_review", "processing", "partially_paid", "open"].includes(status)) return "warn";
  return "neutral";
}

/**
 * Whether a transaction's money never moved or came back: API.md returns the held funds of a rejected, failed or
 * cancelled withdrawal or transfer, and a rejected transfer never reaches its recipient.
 */
export function moneyReturned(status: string): boolean {
  return ["rejected", "failed", "cancelled"].includes(status);
}

/**
 * The id of the transfer a history row stands for when it is the user's own transfer held for review, which its
 * sender may cancel while it waits; undefined for any other row (a recipient's included).
 */
export function heldTransferId(tx: Tx): string | undefined {
  return tx.type === "transfer_out" && tx.status === "pending_review" && tx.reference ? tx.reference : undefined;
}

/** An address is usable for withdrawals from `activeAt` on (the address book's cooldown). */
export function isActive(address: BookAddress, now = Date.now()): boolean {
  const at = Date.parse(address.activeAt);
  return Number.isNaN(at) || at <= now;
}
