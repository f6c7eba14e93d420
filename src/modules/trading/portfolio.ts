/**
 * GET /api/portfolio: holdings at live prices with average-cost basis and P&L, replayed from the user's
 * history of each asset in time order.
 *
 * The basis comes from trades only. A buy adds its cost and fee; a sell removes the average cost of what
 * it sold and realizes proceeds minus fee minus that cost. Units that arrived another way (a deposit, a
 * transfer in) have no known basis: the platform does not know what was paid for them elsewhere, so they
 * count in neither basis nor P&L (a deposit is no profit), and selling them realizes nothing; each holding says
 * how many it has (`amountWithoutBasis`). A sale takes units with a basis first. Units that left another way (a
 * withdrawal with its fee, a transfer out) take their proportional share of the based units and their cost with them.
 *
 * A withdrawal or transfer counts once it is completed, at the time it was asked for (when its units were
 * held): until then the held units are still the user's, with their basis, and units on their way in are
 * not the recipient's yet; a rejected, cancelled or failed one returned its units, so it never counts.
 */

import { and, eq } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { formatAmount, formatUsdCents, usdCents } from "../../platform/money";
import { precisionOf } from "../ledger/assets";
import { userBalances } from "../ledger/service";
import { QUOTE_ASSET } from "../market/price-cache";
import { holdingMoves } from "../transactions/service";
import type { Portfolio } from "./model";
import { minUnits } from "./pricing";
import { tradeOrders } from "./schema";
import type { TradingContext } from "./service";

type Position = { units: bigint; basedUnits: bigint; costCents: bigint };
/** Units of an asset in or out of the user's holding, with the status of its history row; a fill carries its order's USD cents. */
export type Movement = {
  asset: string;
  direction: "in" | "out";
  units: bigint;
  status: string;
  fill: { notional: bigint; fee: bigint } | null;
};

/** Replays movements in order: the position of each asset (all units, those with a basis, their cost) and the realized P&L, in cents. */
export function averageCost(movements: Movement[]): { positions: Map<string, Position>; realizedCents: bigint } {
  const positions = new Map<string, Position>();
  let realizedCents = 0n;
  for (const { asset, direction, units, status, fill } of movements) {
    // Pending: the held units are still the user's, incoming ones not yet; rejected, cancelled, failed: returned.
    if (status !== "completed") continue;
    const position = positions.get(asset) ?? { units: 0n, basedUnits: 0n, costCents: 0n };
    if (direction === "in") {
      position.units += units;
      if (fill) {
        position.basedUnits += units;
        position.costCents += fill.notional + fill.fee;
      }
    } else {
      // Timestamps need not follow commit order (a row may be stamped just before the one it spends): never below zero.
      const leaving = minUnits(units, position.units);
      // A sale takes units with a basis first; any other outflow takes its proportional share of them.
      const based = fill
        ? minUnits(leaving, position.basedUnits)
        : leaving > 0n
          ? (position.basedUnits * leaving) / position.units
          : 0n;
      const removed = position.basedUnits > 0n ? (position.costCents * based) / position.basedUnits : 0n;
      if (fill) {
        // Only the part of the proceeds for units with a basis is a gain or loss.
        realizedCents += ((fill.notional - fill.fee) * based) / units - removed;
      }
      position.units -= leaving;
      position.basedUnits -= based;
      position.costCents -= removed;
    }
    positions.set(asset, position);
  }
  return { positions, realizedCents };
}

/**
 * The user's movements of every asset but USD (its own basis), oldest first; a fill with its order's terms.
 * Two reads each walk one index (the user's history rows; the user's filled orders) and are joined here: joined
 * in SQL on the text reference, the planner could pick a nested loop over history × orders (seconds for a
 * user with a long history).
 */
async function movementsOf(db: DbOrTx, userId: string): Promise<Movement[]> {
  const [rows, fills] = await Promise.all([
    holdingMoves(db, userId, QUOTE_ASSET),
    db
      .select({ id: tradeOrders.id, notional: tradeOrders.notional, fee: tradeOrders.fee })
      .from(tradeOrders)
      .where(and(eq(tradeOrders.userId, userId), eq(tradeOrders.status, "filled"))),
  ]);
  const termsOf = new Map(fills.map(({ id, notional, fee }) => [id, { notional, fee }]));
  const isFill = (type: string) => type === "trade_buy" || type === "trade_sell";
  // A withdrawal's fee is in the asset and leaves with it; every other row's fee is 0.
  return rows.map(({ type, reference, amount, fee, ...row }) => ({
    ...row,
    units: amount + fee,
    fill: isFill(type) && reference ? (termsOf.get(reference) ?? null) : null,
  }));
}

export async function portfolio(ctx: TradingContext, userId: string): Promise<Portfolio> {
  const symbols = ctx.config.assets.map((a) => a.symbol);
  // One snapshot: a fill committing between the reads would show its units without their cost, or the reverse.
  const [movements, balances] = await ctx.db.transaction(
    async (tx) => [await movementsOf(tx, userId), await userBalances(tx, userId, symbols)] as const,
    { isolationLevel: "repeatable read", accessMode: "read only" },
  );
  const { positions, realizedCents } = averageCost(movements);
  let totalCents = 0n;
  const holdings = balances
    .map((balance) => ({ ...balance, amount: balance.available + balance.held }))
    .filter((balance) => balance.amount > 0n)
    .map(({ asset, amount }) => {
      const precision = precisionOf(ctx.config, asset);
      const price = asset === QUOTE_ASSET ? "1" : ctx.cache.latest(asset)?.priceUsd;
      // Shown, not paid: rounded down, never worth more than it is; an asset without a price yet is 0.
      const valueCents = price ? usdCents(amount, precision, price, "down") : 0n;
      totalCents += valueCents;
      const position = positions.get(asset);
      // The basis never covers more than the ledger says the user holds.
      const basedUnits = asset === QUOTE_ASSET ? amount : minUnits(amount, position?.basedUnits ?? 0n);
      const basedValueCents = price ? usdCents(basedUnits, precision, price, "down") : 0n;
      const basisCents =
        asset === QUOTE_ASSET ? valueCents : position?.basedUnits ? (position.costCents * basedUnits) / position.basedUnits : 0n;
      return {
        asset,
        amount: formatAmount(amount, precision),
        valueUsd: formatUsdCents(valueCents),
        costBasisUsd: formatUsdCents(basisCents),
        unrealizedPnlUsd: formatUsdCents(basedValueCents - basisCents),
        amountWithoutBasis: formatAmount(amount - basedUnits, precision),
      };
    });
  return { holdings, realizedPnlUsd: formatUsdCents(realizedCents), totalUsd: formatUsdCents(totalCents) };
}
