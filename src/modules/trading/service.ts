/**
 * Trading: quotes, market orders against the house account, and limit and stop orders that wait with
 * their funds held until the trigger worker (triggers.ts) fills them. Fills settle in settle.ts.
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { DbOrTx, DbTransaction } from "../../platform/db/client";
import { AppError, notFound, unavailable, validationFailed } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { compareDecimal, formatAmount, formatUsdCents, groupThousands } from "../../platform/money";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { assertUnfrozenToCommit } from "../identity/guards";
import { parseAssetAmount, precisionOf } from "../ledger/assets";
import type { MoneyContext } from "../ledger/money-context";
import { userAccount } from "../ledger/service";
import { type PriceCache, QUOTE_ASSET } from "../market/price-cache";
import type { Order, OrderBody, Quote, QuoteBody, Side } from "./model";
import { assertWorthTrading, priceBound, sidePrice, type Terms, termsAt, totalCents } from "./pricing";
import { tradeOrders, tradeQuotes } from "./schema";
import { executeFill, type OrderRow, orderEvents, toOrder, tradeAccounts } from "./settle";
import { type Reserve, tradable, type ValidOrder } from "./validate";

/** How long a quote holds (API.md: 10 s). */
export const QUOTE_TTL_MS = 10_000;

export type TradingContext = MoneyContext & { cache: PriceCache };

/**
 * The live price of `asset`. A stale one (no tick for 30 s: the provider is down) is refused with 503
 * UNAVAILABLE: the condition is the platform's, temporary, and the same request succeeds later.
 */
function livePrice(ctx: TradingContext, asset: string): string {
  const tick = ctx.cache.fresh(asset);
  if (!tick) {
    throw unavailable(`Prices for ${asset} are stale; trading resumes when they refresh`);
  }
  return tick.priceUsd;
}

/** Terms at the live price ± spread. */
function liveTerms(ctx: TradingContext, side: Side, asset: string, units: bigint, precision: number): Terms {
  const price = sidePrice(livePrice(ctx, asset), side, ctx.config.tradingSpreadBps);
  const terms = termsAt(price, side, units, precision, ctx.config.tradingFeeBps);
  assertWorthTrading(side, terms, units, { asset, precision, feeBps: ctx.config.tradingFeeBps });
  return terms;
}

export async function createQuote(ctx: TradingContext, userId: string, body: QuoteBody): Promise<Quote> {
  const asset = tradable(ctx.config, body.asset);
  const { units } = parseAssetAmount(ctx.config, asset.symbol, body.amount);
  const terms = liveTerms(ctx, body.side, asset.symbol, units, asset.precision);
  const [row] = await ctx.db
    .insert(tradeQuotes)
    .values({
      userId,
      side: body.side,
      asset: asset.symbol,
      amount: units,
      price: terms.price,
      notional: terms.notional,
      fee: terms.fee,
      expiresAt: new Date(Date.now() + QUOTE_TTL_MS),
    })
    .returning();
  return {
    quoteId: row.id,
    side: row.side,
    asset: row.asset,
    amount: formatAmount(units, asset.precision),
    price: row.price,
    fee: formatUsdCents(row.fee),
    totalUsd: formatUsdCents(totalCents(row.side, row)),
    expiresAt: row.expiresAt.toISOString(),
  };
}

/**
 * A stop waits for the market to move to its price. One the market has already reached would trigger at
 * once: a market order in disguise, most often a mistyped price, so it is refused, as exchanges do.
 */
function assertStopAhead(ctx: TradingContext, side: Side, asset: string, stopPrice: string) {
  const current = sidePrice(livePrice(ctx, asset), side, ctx.config.tradingSpreadBps);
  const order = compareDecimal(stopPrice, current);
  if (side === "buy" && order <= 0) {
    throw validationFailed(
      "stopPrice",
      `A stop buy triggers when the price rises to it: set it above ${groupThousands(priceBound(current, "up"))} USD, the buy price now`,
    );
  }
  if (side === "sell" && order >= 0) {
    throw validationFailed(
      "stopPrice",
      `A stop sell triggers when the price falls to it: set it below ${groupThousands(priceBound(current, "down"))} USD, the sell price now`,
    );
  }
}

/**
 * Checks of an order validateOrder passed that need the market but no transaction, and the accounts it
 * trades between.
 */
export async function prepareOrder(ctx: TradingContext, userId: string, body: OrderBody, valid: ValidOrder) {
  const { asset, units, triggerPrice, expiresAt } = valid;
  // After the key's replay: a retry of an order placed before its expiry passed gets its first answer.
  if (expiresAt && !(expiresAt.getTime() > Date.now())) throw validationFailed("expiresAt", "expiresAt must be in the future");
  if (body.type === "stop") assertStopAhead(ctx, body.side, asset.symbol, triggerPrice as string);
  // A market order without a quote is priced now, so stale prices are refused before any money moves.
  const live = body.type === "market" && !body.quoteId ? liveTerms(ctx, body.side, asset.symbol, units, asset.precision) : null;
  await ctx.ledger.openAccounts(ctx.db, tradeAccounts(userId, asset.symbol));
  return { ...valid, live };
}
type Prepared = Awaited<ReturnType<typeof prepareOrder>>;

/** The quote the order executes at, marked used; 422 QUOTE_EXPIRED when it is used up or too old. */
async function redeemQuote(tx: DbTransaction, userId: string, body: OrderBody, units: bigint): Promise<Terms> {
  const [quote] = await tx
    .select()
    .from(tradeQuotes)
    .where(and(eq(tradeQuotes.id, body.quoteId as string), eq(tradeQuotes.userId, userId)))
    .for("update");
  if (!quote) throw validationFailed("quoteId", "Unknown quote");
  if (quote.side !== body.side || quote.asset !== body.asset || quote.amount !== units) {
    throw validationFailed("quoteId", "The order does not match its quote (side, asset and amount)");
  }
  if (quote.usedAt) throw new AppError(422, "QUOTE_EXPIRED", "This quote was already used; ask for a new one");
  if (quote.expiresAt.getTime() <= Date.now())
    throw new AppError(422, "QUOTE_EXPIRED", "This quote has expired; ask for a new one");
  await tx.update(tradeQuotes).set({ usedAt: new Date() }).where(eq(tradeQuotes.id, quote.id));
  return { price: quote.price, notional: quote.notional, fee: quote.fee };
}

/**
 * The terms a limit order trades at now when the market already meets its price: the live buy or sell price,
 * its limit or better. Null when it does not, or when the price is stale (it then waits, like any order).
 */
function marketableTerms(
  ctx: TradingContext,
  order: Pick<OrderRow, "type" | "side" | "asset" | "amount" | "limitPrice">,
  precision: number,
): Terms | null {
  const tick = ctx.cache.fresh(order.asset);
  if (order.type !== "limit" || !order.limitPrice || !tick) return null;
  const price = sidePrice(tick.priceUsd, order.side, ctx.config.tradingSpreadBps);
  const meets =
    order.side === "buy" ? compareDecimal(order.limitPrice, price) >= 0 : compareDecimal(order.limitPrice, price) <= 0;
  return meets ? termsAt(price, order.side, order.amount, precision, ctx.config.tradingFeeBps) : null;
}

export async function placeOrder(
  ctx: TradingContext,
  tx: DbTransaction,
  userId: string,
  body: OrderBody,
  prepared: Prepared,
  actor: Actor,
  idempotencyKey: string,
): Promise<Order> {
  const { asset, units, triggerPrice, expiresAt } = prepared;
  await assertUnfrozenToCommit(tx, userId);
  const base = { userId, type: body.type, side: body.side, asset: asset.symbol, amount: units };
  if (body.type === "market") {
    const terms = prepared.live ?? (await redeemQuote(tx, userId, body, units));
    const [row] = await tx
      .insert(tradeOrders)
      .values({ ...base, status: "open" })
      .returning();
    return toOrder(ctx, await executeFill(ctx, tx, row, terms, actor, idempotencyKey));
  }
  const { held, fee } = prepared.reserved as Reserve;
  const heldAsset = body.side === "buy" ? QUOTE_ASSET : asset.symbol;
  const limitPrice = body.type === "limit" ? triggerPrice : null;
  // As on any exchange, a limit order the market already meets trades at once (at its limit or better),
  // rather than resting until the trigger worker's next pass. It then posts twice (hold, fill) and so locks
  // the accounts of both first.
  const tradesNow = marketableTerms(ctx, { ...base, limitPrice }, asset.precision);
  // Judged at its limit when it was validated; trading now, it must be worth its fee at the price it trades at,
  // as a market order must (the trigger worker judges a resting order at its fill price too).
  if (tradesNow) {
    assertWorthTrading(body.side, tradesNow, units, {
      asset: asset.symbol,
      precision: asset.precision,
      feeBps: ctx.config.tradingFeeBps,
    });
    await ctx.ledger.lockAccounts(tx, tradeAccounts(userId, asset.symbol));
  }
  await ctx.ledger.post(tx, {
    kind: "trade_hold",
    idempotencyKey,
    legs: [{ from: userAccount(userId, heldAsset, "available"), to: userAccount(userId, heldAsset, "held"), amount: held }],
  });
  const [row] = await tx
    .insert(tradeOrders)
    .values({
      ...base,
      status: "open",
      held,
      fee,
      expiresAt,
      limitPrice,
      stopPrice: body.type === "stop" ? triggerPrice : null,
    })
    .returning();
  if (tradesNow) return toOrder(ctx, await executeFill(ctx, tx, row, tradesNow, actor));
  // A resting order has moved money (available to held) and waits: audited as its cancel and fill are.
  await recordAudit(tx, [
    {
      userId,
      action: "trade.order_placed",
      metadata: {
        orderId: row.id,
        type: row.type,
        side: row.side,
        asset: row.asset,
        amount: formatAmount(row.amount, asset.precision),
        limitPrice: row.limitPrice,
        stopPrice: row.stopPrice,
        held: formatAmount(held, precisionOf(ctx.config, heldAsset)),
        heldAsset,
      },
      ...actor,
    },
  ]);
  await orderEvents(ctx, tx, row);
  return toOrder(ctx, row);
}

/** Ends an open order and returns what it held to available. The caller holds the row lock. */
export async function closeOrder(
  ctx: TradingContext,
  tx: DbTransaction,
  order: OrderRow,
  status: "cancelled" | "rejected",
  actor: Actor,
  reason: string,
): Promise<OrderRow> {
  const heldAsset = order.side === "buy" ? QUOTE_ASSET : order.asset;
  await ctx.ledger.post(tx, {
    kind: "trade_release",
    legs: [
      {
        from: userAccount(order.userId, heldAsset, "held"),
        to: userAccount(order.userId, heldAsset, "available"),
        amount: order.held,
      },
    ],
  });
  const [closed] = await tx
    .update(tradeOrders)
    .set({ status, closeReason: reason, held: 0n, fee: 0n, updatedAt: new Date() })
    .where(eq(tradeOrders.id, order.id))
    .returning();
  await recordAudit(tx, [
    { userId: order.userId, action: `trade.order_${status}`, metadata: { orderId: order.id, reason }, ...actor },
  ]);
  await orderEvents(ctx, tx, closed);
  return closed;
}

/** DELETE /orders/:id. Waits for a fill in progress (row lock), so exactly one of the two wins. */
export async function cancelOrder(ctx: TradingContext, userId: string, orderId: string, actor: Actor): Promise<Order> {
  if (!isUuid(orderId)) throw notFound("Order");
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select()
      .from(tradeOrders)
      .where(and(eq(tradeOrders.id, orderId), eq(tradeOrders.userId, userId)))
      .for("update");
    if (!row) throw notFound("Order");
    if (row.status !== "open") throw new AppError(409, "INVALID_STATE", `This order is already ${row.status}`);
    return toOrder(ctx, await closeOrder(ctx, tx, row, "cancelled", actor, "cancelled by the user"));
  });
}

export async function getOrder(ctx: TradingContext, userId: string, orderId: string): Promise<Order> {
  if (!isUuid(orderId)) throw notFound("Order");
  const [row] = await ctx.db
    .select()
    .from(tradeOrders)
    .where(and(eq(tradeOrders.id, orderId), eq(tradeOrders.userId, userId)));
  if (!row) throw notFound("Order");
  return toOrder(ctx, row);
}

/** GET /orders: the user's orders, newest first, cursor-paginated like every list (platform/pagination). */
export async function listOrders(
  ctx: TradingContext,
  userId: string,
  query: { status?: OrderRow["status"]; limit?: number; cursor?: string },
) {
  const limit = pageLimit(query.limit);
  const rows = await ctx.db
    .select()
    .from(tradeOrders)
    .where(
      and(
        eq(tradeOrders.userId, userId),
        query.status ? eq(tradeOrders.status, query.status) : undefined,
        after(tradeOrders.createdAt, tradeOrders.id, decodeCursor(query.cursor)),
      ),
    )
    .orderBy(desc(tradeOrders.createdAt), desc(tradeOrders.id))
    .limit(limit + 1);
  return pageOf(rows, limit, (row) => toOrder(ctx, row));
}

/** A quote is worthless once expired; it is kept a day (for support questions), then removed. */
export async function deleteOldQuotes(db: DbOrTx): Promise<number> {
  const removed = await db
    .delete(tradeQuotes)
    .where(lt(tradeQuotes.expiresAt, new Date(Date.now() - 24 * 3600 * 1000)))
    .returning({ id: tradeQuotes.id });
  return removed.length;
}
