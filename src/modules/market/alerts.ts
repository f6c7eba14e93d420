import { and, desc, eq, sql } from "drizzle-orm";
import type { Config } from "../../config";
import { type Db, type DbOrTx, lockUntilCommit } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { AppError, notFound, validationFailed } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { compareDecimal, trimDecimal } from "../../platform/money";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { getUser, mailIfVerified } from "../identity/service";
import { parsePrice } from "../ledger/assets";
import type { Alert, AlertBody, PriceTick } from "./model";
import { pricedSymbols } from "./price-cache";
import { priceAlerts } from "./schema";

/** A user may keep this many alerts, so nobody makes the per-tick check scan millions of rows. */
export const MAX_ALERTS_PER_USER = 100;

type AlertRow = typeof priceAlerts.$inferSelect;

const toAlert = (row: AlertRow): Alert => ({
  id: row.id,
  symbol: row.symbol,
  direction: row.direction,
  // Rows written before prices were canonicalized, and the price ticks that fired them, may carry
  // trailing zeros ("1000.50"): trimmed here.
  price: trimDecimal(row.price),
  active: row.active,
  createdAt: row.createdAt.toISOString(),
  triggeredAt: row.triggeredAt?.toISOString() ?? null,
  triggeredPrice: row.triggeredPrice === null ? null : trimDecimal(row.triggeredPrice),
});

export async function listAlerts(db: DbOrTx, userId: string, page: { limit?: number; cursor?: string }) {
  const limit = pageLimit(page.limit);
  const rows = await db
    .select()
    .from(priceAlerts)
    .where(and(eq(priceAlerts.userId, userId), after(priceAlerts.createdAt, priceAlerts.id, decodeCursor(page.cursor))))
    .orderBy(desc(priceAlerts.createdAt), desc(priceAlerts.id))
    .limit(limit + 1);
  return pageOf(rows, limit, toAlert);
}

/**
 * POST /api/alerts: an alert on a priced asset, at most MAX_ALERTS_PER_USER per user. Counted and written under the
 * user's lock, so alerts added at once cannot pass the cap together.
 */
export async function addAlert(db: Db, config: Config, userId: string, input: AlertBody): Promise<Alert> {
  if (!pricedSymbols(config).includes(input.symbol)) {
    throw validationFailed("symbol", `No price is followed for ${input.symbol}`);
  }
  const price = parsePrice(input.price, "price");
  return db.transaction(async (tx) => {
    await lockUntilCommit(tx, `alerts:${userId}`);
    const [kept] = await tx.select({ n: sql<number>`count(*)::int` }).from(priceAlerts).where(eq(priceAlerts.userId, userId));
    if (kept.n >= MAX_ALERTS_PER_USER) {
      throw new AppError(422, "LIMIT_EXCEEDED", `At most ${MAX_ALERTS_PER_USER} alerts; delete some first`, {
        limit: MAX_ALERTS_PER_USER,
      });
    }
    const [row] = await tx
      .insert(priceAlerts)
      .values({ userId, symbol: input.symbol, direction: input.direction, price })
      .returning();
    return toAlert(row);
  });
}

/** Someone else's alert is answered exactly like a missing one. */
export async function deleteAlert(db: DbOrTx, userId: string, id: string): Promise<void> {
  if (!isUuid(id)) throw notFound("Alert");
  const deleted = await db
    .delete(priceAlerts)
    .where(and(eq(priceAlerts.id, id), eq(priceAlerts.userId, userId)))
    .returning({ id: priceAlerts.id });
  if (deleted.length === 0) throw notFound("Alert");
}

/**
 * The lowest and highest price of a symbol over the ticks an alert check is given, each with the last time it was
 * seen: an alert fires on a price only if it existed then.
 */
export type PriceRange = { symbol: string; low: string; lowAt: Date; high: string; highAt: Date };

/** A tick seen at `at`, as a range of one price. */
export const rangeOf = (tick: PriceTick, at: Date): PriceRange => ({
  symbol: tick.symbol,
  low: tick.priceUsd,
  lowAt: at,
  high: tick.priceUsd,
  highAt: at,
});

/** Widens each symbol's range in `ranges` to take in `later` ranges (an extreme seen again keeps its later time). */
export function widenRanges(ranges: Map<string, PriceRange>, later: PriceRange[]): void {
  for (const next of later) {
    const range = ranges.get(next.symbol);
    if (!range) {
      ranges.set(next.symbol, { ...next });
      continue;
    }
    if (compareDecimal(next.low, range.low) <= 0) Object.assign(range, { low: next.low, lowAt: next.lowAt });
    if (compareDecimal(next.high, range.high) >= 0) Object.assign(range, { high: next.high, highAt: next.highAt });
  }
}

/** The most alerts one check fires: as many as that may mean more are due, which the next check fires. */
export const ALERTS_PER_CHECK = 500;

/**
 * Fires every active alert the prices reached ("above" at or under the highest, "below" at or over the lowest) after
 * it was made, recording that price as the one that fired it. One transaction claims them (SKIP LOCKED, so two checkers never
 * fire one twice), sets them inactive and queues the socket event and the mail: the user hears of it only after
 * the commit, exactly once.
 */
export async function fireAlerts(db: Db, ranges: PriceRange[]): Promise<number> {
  if (ranges.length === 0) return 0;
  const crossed = sql.join(
    ranges.map(
      (range) => sql`(symbol = ${range.symbol} and (
        (direction = 'above' and price <= ${range.high}::numeric and created_at <= ${range.highAt.toISOString()}::timestamptz)
        or (direction = 'below' and price >= ${range.low}::numeric and created_at <= ${range.lowAt.toISOString()}::timestamptz)))`,
    ),
    sql` or `,
  );
  return db.transaction(async (tx) => {
    const due = await tx
      .select({ id: priceAlerts.id, symbol: priceAlerts.symbol, direction: priceAlerts.direction })
      .from(priceAlerts)
      .where(and(eq(priceAlerts.active, true), sql`(${crossed})`))
      .limit(ALERTS_PER_CHECK)
      .for("update", { skipLocked: true });
    if (due.length === 0) return 0;
    const rangeOf = new Map(ranges.map((range) => [range.symbol, range]));
    const fired: AlertRow[] = [];
    for (const alert of due) {
      const range = rangeOf.get(alert.symbol);
      const [row] = await tx
        .update(priceAlerts)
        .set({ active: false, triggeredAt: sql`now()`, triggeredPrice: alert.direction === "above" ? range?.high : range?.low })
        .where(eq(priceAlerts.id, alert.id))
        .returning();
      fired.push(row);
    }
    await enqueueEvents(
      tx,
      fired.map((row) => ({ userId: row.userId, type: "alert" as const, data: toAlert(row) })),
    );
    for (const row of fired) {
      // The alert reaches the owner's app over the socket in any case.
      await mailIfVerified(tx, await getUser(tx, row.userId), {
        kind: "price_alert",
        symbol: row.symbol,
        direction: row.direction,
        price: row.price,
        triggeredPrice: row.triggeredPrice ?? "",
        at: row.triggeredAt ?? new Date(),
      });
    }
    return fired.length;
  });
}
