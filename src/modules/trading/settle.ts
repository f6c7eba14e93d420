/**
 * Settlement of a fill against the house account: the user's payment, the house's delivery and the fee
 * are legs of one ledger posting, so a fill happens entirely or not at all.
 */

import { eq } from "drizzle-orm";
import type { DbTransaction } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { formatAmount, formatUsdCents } from "../../platform/money";
import { type Actor, recordAudit } from "../audit/service";
import { precisionOf } from "../ledger/assets";
import { currentBalanceEvents, type MoneyContext } from "../ledger/money-context";
import { type AccountKey, type Leg, systemAccount, userAccount } from "../ledger/service";
import { QUOTE_ASSET } from "../market/price-cache";
import { type NewHistoryRow, recordTransactions, toTx } from "../transactions/service";
import type { Order } from "./model";
import { minUnits, type Terms } from "./pricing";
import { tradeOrders } from "./schema";

export type OrderRow = typeof tradeOrders.$inferSelect;
const USD = QUOTE_ASSET;

/** Every account a trade in `asset` may touch; opened before the transaction (ledger.openAccounts). */
export const tradeAccounts = (userId: string, asset: string): AccountKey[] => [
  userAccount(userId, asset, "available"),
  userAccount(userId, asset, "held"),
  userAccount(userId, USD, "available"),
  userAccount(userId, USD, "held"),
  systemAccount(asset, "house"),
  systemAccount(USD, "house"),
  systemAccount(USD, "fees"),
];

export function toOrder(ctx: MoneyContext, row: OrderRow): Order {
  const precision = precisionOf(ctx.config, row.asset);
  return {
    id: row.id,
    type: row.type,
    side: row.side,
    asset: row.asset,
    amount: formatAmount(row.amount, precision),
    filledAmount: formatAmount(row.filledAmount, precision),
    price: row.price,
    limitPrice: row.limitPrice,
    stopPrice: row.stopPrice,
    fee: formatUsdCents(row.fee),
    status: row.status,
    reason: row.closeReason,
    expiresAt: row.expiresAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * The legs of a fill. `held` is what the order reserved (USD cents for a buy, asset units for a sell);
 * it pays first, the available balance pays any rest, and what is left of it returns to available.
 * Credits to the user come before the fee debit, because each leg must leave the balance non-negative.
 */
function fillLegs(order: Pick<OrderRow, "userId" | "side" | "asset" | "amount" | "held">, terms: Terms): Leg[] {
  const { userId, asset, amount, held } = order;
  const user = (symbol: string, kind: "available" | "held") => userAccount(userId, symbol, kind);
  if (order.side === "buy") {
    const costFromHeld = minUnits(held, terms.notional);
    const feeFromHeld = minUnits(held - costFromHeld, terms.fee);
    return [
      { from: user(USD, "held"), to: systemAccount(USD, "house"), amount: costFromHeld },
      { from: user(USD, "available"), to: systemAccount(USD, "house"), amount: terms.notional - costFromHeld },
      { from: user(USD, "held"), to: systemAccount(USD, "fees"), amount: feeFromHeld },
      { from: user(USD, "available"), to: systemAccount(USD, "fees"), amount: terms.fee - feeFromHeld },
      { from: user(USD, "held"), to: user(USD, "available"), amount: held - costFromHeld - feeFromHeld },
      { from: systemAccount(asset, "house"), to: user(asset, "available"), amount },
    ].filter((leg) => leg.amount > 0n);
  }
  return [
    { from: user(asset, held > 0n ? "held" : "available"), to: systemAccount(asset, "house"), amount },
    { from: systemAccount(USD, "house"), to: user(USD, "available"), amount: terms.notional },
    { from: user(USD, "available"), to: systemAccount(USD, "fees"), amount: terms.fee },
  ].filter((leg) => leg.amount > 0n);
}

/** History rows of a fill: the asset side, the USD side and the fee (its own row, so no sum counts it twice). */
function fillHistory(order: OrderRow, terms: Terms): NewHistoryRow[] {
  const type = order.side === "buy" ? "trade_buy" : "trade_sell";
  const common = { userId: order.userId, status: "completed" as const, counterparty: null, reference: order.id, note: null };
  const rows: NewHistoryRow[] = [
    { ...common, type, asset: order.asset, amount: order.amount, fee: 0n, direction: order.side === "buy" ? "in" : "out" },
    { ...common, type, asset: USD, amount: terms.notional, fee: 0n, direction: order.side === "buy" ? "out" : "in" },
  ];
  if (terms.fee > 0n) rows.push({ ...common, type: "fee", asset: USD, amount: terms.fee, fee: 0n, direction: "out" });
  return rows.filter((row) => row.amount > 0n);
}

/**
 * The `order` frame and the `balance` frames of the assets it moved, queued in the transaction: a fill moves both;
 * placing, cancelling or rejecting an order moves only what it holds (USD for a buy, the asset for a sale).
 */
export async function orderEvents(ctx: MoneyContext, tx: DbTransaction, row: OrderRow, extra: ReturnType<typeof toTx>[] = []) {
  const moved = row.status === "filled" ? [USD, row.asset] : [row.side === "buy" ? USD : row.asset];
  await enqueueEvents(tx, [
    { userId: row.userId, type: "order", data: toOrder(ctx, row) },
    ...(await currentBalanceEvents(ctx, tx, row.userId, moved)),
    ...extra.map((data) => ({ userId: row.userId, type: "transaction" as const, data })),
  ]);
}

/**
 * Fills `order` (already written or locked by the caller) at `terms`: one posting, then the order row,
 * history, audit and events, all in the caller's transaction.
 */
export async function executeFill(
  ctx: MoneyContext,
  tx: DbTransaction,
  order: OrderRow,
  terms: Terms,
  actor: Actor,
  idempotencyKey?: string,
): Promise<OrderRow> {
  await ctx.ledger.post(tx, { kind: `trade_${order.side}`, idempotencyKey, legs: fillLegs(order, terms) });
  const [filled] = await tx
    .update(tradeOrders)
    .set({
      status: "filled",
      filledAmount: order.amount,
      price: terms.price,
      notional: terms.notional,
      fee: terms.fee,
      held: 0n,
      filledAt: new Date(),
      updatedAt: new Date(),
    })
    .where(eq(tradeOrders.id, order.id))
    .returning();
  const history = await recordTransactions(tx, fillHistory(filled, terms));
  const precision = precisionOf(ctx.config, order.asset);
  await recordAudit(tx, [
    {
      userId: order.userId,
      action: "trade.executed",
      metadata: {
        orderId: order.id,
        type: order.type,
        side: order.side,
        asset: order.asset,
        amount: formatAmount(order.amount, precision),
        price: terms.price,
        notionalUsd: formatUsdCents(terms.notional),
        feeUsd: formatUsdCents(terms.fee),
      },
      ...actor,
    },
  ]);
  await orderEvents(
    ctx,
    tx,
    filled,
    history.map((row) => toTx(ctx.config, row)),
  );
  return filled;
}
