/**
 * The background side of limit and stop orders: expiry, and fills when the price crosses. Any number of
 * instances run it: each order is taken with FOR UPDATE SKIP LOCKED and re-read as open under the lock,
 * so an order is filled (or cancelled) exactly once.
 */

import { and, asc, eq, gte, lte, or, sql } from "drizzle-orm";
import type { DbTransaction } from "../../platform/db/client";
import { lockedUnfrozen, ownerNotFrozen } from "../identity/guards";
import { precisionOf } from "../ledger/assets";
import { userBalances } from "../ledger/service";
import { pricedSymbols, QUOTE_ASSET } from "../market/price-cache";
import { isWorthItsFee, sidePrice, termsAt } from "./pricing";
import { tradeOrders } from "./schema";
import { closeOrder, type TradingContext } from "./service";
import { executeFill, type OrderRow, tradeAccounts } from "./settle";

/** Background work has no client. */
const SYSTEM_ACTOR = { ip: null, userAgent: null };

type SidePrices = { buy: string; sell: string };

/**
 * The open order `id`, locked, or undefined when another instance has it or it is no longer open. `fillable`
 * also asks that its owner is not frozen, with the owner's row locked against a freeze until the fill commits: a
 * freeze since the order was picked, or one still committing, holds it.
 */
async function claim(tx: DbTransaction, id: string, fillable = false): Promise<OrderRow | undefined> {
  const [row] = await tx
    .select()
    .from(tradeOrders)
    .where(and(eq(tradeOrders.id, id), eq(tradeOrders.status, "open")))
    .for("update", { skipLocked: true });
  if (row && fillable && !(await lockedUnfrozen(tx, row.userId))) return undefined;
  return row;
}

/**
 * Limit orders trade at their price or better; stop orders trigger once the price reaches theirs. The
 * price compared is the one the order would trade at (live ± spread), so a limit buy never pays more
 * than its limit and a limit sell never receives less.
 */
const triggered = (prices: SidePrices) =>
  or(
    and(eq(tradeOrders.type, "limit"), eq(tradeOrders.side, "buy"), gte(tradeOrders.limitPrice, sql`${prices.buy}::numeric`)),
    and(eq(tradeOrders.type, "limit"), eq(tradeOrders.side, "sell"), lte(tradeOrders.limitPrice, sql`${prices.sell}::numeric`)),
    and(eq(tradeOrders.type, "stop"), eq(tradeOrders.side, "buy"), lte(tradeOrders.stopPrice, sql`${prices.buy}::numeric`)),
    and(eq(tradeOrders.type, "stop"), eq(tradeOrders.side, "sell"), gte(tradeOrders.stopPrice, sql`${prices.sell}::numeric`)),
  );

async function fillTriggered(ctx: TradingContext, id: string, prices: SidePrices): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    const order = await claim(tx, id, true);
    if (!order) return false;
    const precision = precisionOf(ctx.config, order.asset);
    const terms = termsAt(prices[order.side], order.side, order.amount, precision, ctx.config.tradingFeeBps);
    if (!isWorthItsFee(order.side, terms, order.amount, precision)) {
      await closeOrder(ctx, tx, order, "rejected", SYSTEM_ACTOR, "not worth more than the fee at the trigger price");
      return true;
    }
    if (order.side === "buy" && terms.notional + terms.fee > order.held) {
      // A stop buy can trigger above the price it reserved at; the rest must be available, or it is rejected.
      // Read under the accounts' locks, as the fill will post: a spend committing meanwhile cannot fail the fill.
      await ctx.ledger.lockAccounts(tx, tradeAccounts(order.userId, order.asset));
      const [usd] = await userBalances(tx, order.userId, [QUOTE_ASSET]);
      if (usd.available < terms.notional + terms.fee - order.held) {
        await closeOrder(ctx, tx, order, "rejected", SYSTEM_ACTOR, "not enough USD at the trigger price");
        return true;
      }
    }
    await executeFill(ctx, tx, order, terms, SYSTEM_ACTOR);
    return true;
  });
}

async function expire(ctx: TradingContext, id: string): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    const order = await claim(tx, id);
    if (!order) return false;
    await closeOrder(ctx, tx, order, "cancelled", SYSTEM_ACTOR, "expired");
    return true;
  });
}

/** How many orders one pass ends at most. */
export const ORDER_TRIGGER_BATCH = 100;

/**
 * One pass: expire what is due, then fill what the current prices trigger. Returns how many orders it ended.
 * Each order is its own transaction: one that fails holds up no other, and the pass throws its first failure at
 * the end (the worker logs it; the order is tried again next pass). `signal` (shutdown) stops it between orders.
 */
export async function runOrderTriggers(
  ctx: TradingContext,
  { batch = ORDER_TRIGGER_BATCH, signal }: { batch?: number; signal?: AbortSignal } = {},
): Promise<number> {
  let done = 0;
  let failure: unknown;
  const each = async (ids: { id: string }[], end: (id: string) => Promise<boolean>) => {
    for (const { id } of ids) {
      if (signal?.aborted) return;
      try {
        if (await end(id)) done++;
      } catch (error) {
        failure ??= error;
      }
    }
  };
  const due = await ctx.db
    .select({ id: tradeOrders.id })
    .from(tradeOrders)
    .where(and(eq(tradeOrders.status, "open"), lte(tradeOrders.expiresAt, new Date())))
    .limit(batch);
  await each(due, (id) => expire(ctx, id));
  for (const asset of pricedSymbols(ctx.config)) {
    // No fill at a price the platform no longer trusts.
    const tick = ctx.cache.fresh(asset);
    if (!tick) continue;
    const prices = {
      buy: sidePrice(tick.priceUsd, "buy", ctx.config.tradingSpreadBps),
      sell: sidePrice(tick.priceUsd, "sell", ctx.config.tradingSpreadBps),
    };
    const candidates = await ctx.db
      .select({ id: tradeOrders.id })
      .from(tradeOrders)
      .where(
        and(eq(tradeOrders.status, "open"), eq(tradeOrders.asset, asset), triggered(prices), ownerNotFrozen(tradeOrders.userId)),
      )
      .orderBy(asc(tradeOrders.createdAt))
      .limit(batch);
    await each(candidates, (id) => fillTriggered(ctx, id, prices));
  }
  if (failure !== undefined) throw failure;
  return done;
}
