/**
 * GET /api/portfolio: holdings at live prices with average-cost basis and P&L from fills.
 *
 * The basis comes from trades only. A buy adds its cost and fee; a sell removes the average cost of what
 * it sold and realizes proceeds minus fee minus that cost. Units that arrived another way (a deposit, a
 * transfer in) have no known basis: the platform does not know what was paid for them elsewhere, so they
 * count in neither basis nor P&L (a deposit is no profit), and selling them realizes nothing. A sale takes
 * units with a basis first. Units that left another way (a withdrawal, a transfer out) take their share of
 * the basis with them.
 */

import { and, asc, eq } from "drizzle-orm";
import { formatAmount, usdCents } from "../../platform/money";
import { precisionOf } from "../ledger/assets";
import { userBalances } from "../ledger/service";
import { QUOTE_ASSET } from "../market/price-cache";
import type { Portfolio } from "./model";
import { minUnits } from "./pricing";
import { tradeOrders } from "./schema";
import type { TradingContext } from "./service";

type Position = { units: bigint; costCents: bigint };
type Fill = { side: "buy" | "sell"; asset: string; amount: bigint; notional: bigint; fee: bigint };

/** Replays fills in order: the traded position of each asset and the realized P&L, in cents. */
export function averageCost(fills: Fill[]): { positions: Map<string, Position>; realizedCents: bigint } {
  const positions = new Map<string, Position>();
  let realizedCents = 0n;
  for (const fill of fills) {
    const position = positions.get(fill.asset) ?? { units: 0n, costCents: 0n };
    if (fill.side === "buy") {
      position.units += fill.amount;
      position.costCents += fill.notional + fill.fee;
    } else {
      const sold = minUnits(fill.amount, position.units);
      const removed = position.units > 0n ? (position.costCents * sold) / position.units : 0n;
      // Only the part of the proceeds for units with a basis is a gain or loss.
      const proceeds = fill.amount > 0n ? ((fill.notional - fill.fee) * sold) / fill.amount : 0n;
      realizedCents += proceeds - removed;
      position.units -= sold;
      position.costCents -= removed;
    }
    positions.set(fill.asset, position);
  }
  return { positions, realizedCents };
}

export async function portfolio(ctx: TradingContext, userId: string): Promise<Portfolio> {
  const symbols = ctx.config.assets.map((a) => a.symbol);
  const fills = await ctx.db
    .select({
      side: tradeOrders.side,
      asset: tradeOrders.asset,
      amount: tradeOrders.amount,
      notional: tradeOrders.notional,
      fee: tradeOrders.fee,
    })
    .from(tradeOrders)
    .where(and(eq(tradeOrders.userId, userId), eq(tradeOrders.status, "filled")))
    .orderBy(asc(tradeOrders.filledAt), asc(tradeOrders.id));
  const { positions, realizedCents } = averageCost(fills);
  let totalCents = 0n;
  const holdings = (await userBalances(ctx.db, userId, symbols))
    .map((balance) => ({ ...balance, amount: balance.available + balance.held }))
    .filter((balance) => balance.amount > 0n)
    .map(({ asset, amount }) => {
      const precision = precisionOf(ctx.config, asset);
      const price = asset === QUOTE_ASSET ? "1" : ctx.cache.latest(asset)?.priceUsd;
      // Shown, not paid: rounded down, never worth more than it is; an asset without a price yet is 0.
      const valueCents = price ? usdCents(amount, precision, price, "down") : 0n;
      totalCents += valueCents;
      const position = positions.get(asset);
      const basedUnits = asset === QUOTE_ASSET ? amount : minUnits(amount, position?.units ?? 0n);
      const basedValueCents = price ? usdCents(basedUnits, precision, price, "down") : 0n;
      const basisCents =
        asset === QUOTE_ASSET ? valueCents : position?.units ? (position.costCents * basedUnits) / position.units : 0n;
      return {
        asset,
        amount: formatAmount(amount, precision),
        valueUsd: formatAmount(valueCents, 2),
        costBasisUsd: formatAmount(basisCents, 2),
        unrealizedPnlUsd: formatAmount(basedValueCents - basisCents, 2),
      };
    });
  return { holdings, realizedPnlUsd: formatAmount(realizedCents, 2), totalUsd: formatAmount(totalCents, 2) };
}
