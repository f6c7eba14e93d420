import { sql } from "drizzle-orm";
import { boolean, index, numeric, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * One-minute candles built from the ticks by the instance that holds the price lease. Prices are
 * `numeric` without a scale, so a price comes back exactly as it was written ("65012.34").
 * Longer intervals are aggregated from these rows by SQL.
 */
export const candles1m = pgTable(
  "candles_1m",
  {
    symbol: text("symbol").notNull(),
    /** The minute's start, UTC. */
    t: timestamp("t", { withTimezone: true }).notNull(),
    o: numeric("o").notNull(),
    h: numeric("h").notNull(),
    l: numeric("l").notNull(),
    c: numeric("c").notNull(),
  },
  (table) => [primaryKey({ columns: [table.symbol, table.t] })],
);

/** A user's price alert; it fires once, when the price is on the asked side of `price`, and goes inactive. */
export const priceAlerts = pgTable(
  "price_alerts",
  {
    id: uuid("id").primaryKey().default(sql`gen_random_uuid()`),
    userId: uuid("user_id").notNull(),
    symbol: text("symbol").notNull(),
    direction: text("direction", { enum: ["above", "below"] }).notNull(),
    price: numeric("price").notNull(),
    active: boolean("active").notNull().default(true),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    triggeredAt: timestamp("triggered_at", { withTimezone: true, precision: 3 }),
    triggeredPrice: numeric("triggered_price"),
  },
  (table) => [
    index("price_alerts_user_idx").on(table.userId, table.createdAt),
    // The per-tick check reads only active alerts of a symbol.
    index("price_alerts_active_idx").on(table.symbol).where(sql`active`),
  ],
);
