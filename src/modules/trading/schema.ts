import { sql } from "drizzle-orm";
import { index, numeric, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { money } from "../../platform/db/money";

/**
 * A price offered to one user for 10 s. Stored so that an order can only execute at what the user saw,
 * and used at most once (`usedAt`).
 */
export const tradeQuotes = pgTable("trade_quotes", {
  id: uuid("id").primaryKey().defaultRandom(),
  userId: uuid("user_id").notNull(),
  side: text("side", { enum: ["buy", "sell"] }).notNull(),
  asset: text("asset").notNull(),
  amount: money("amount").notNull(),
  /** USD per whole unit, spread included, exact (a decimal string). */
  price: text("price").notNull(),
  /** USD cents the user pays (buy) or receives before the fee (sell), rounded against the user. */
  notional: money("notional").notNull(),
  fee: money("fee").notNull(),
  expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }).notNull(),
  usedAt: timestamp("used_at", { withTimezone: true }),
  createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
});

/**
 * An order. A market order is written and filled in one transaction; limit and stop orders wait `open` with their funds held
 * (`held`, in USD cents for a buy or asset units for a sell) until a price tick triggers them.
 */
export const tradeOrders = pgTable(
  "trade_orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    type: text("type", { enum: ["market", "limit", "stop"] }).notNull(),
    side: text("side", { enum: ["buy", "sell"] }).notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    filledAmount: money("filled_amount").notNull().default(sql`0`),
    /** Execution price per whole unit (spread included), once filled. */
    price: text("price"),
    /** Numeric so the trigger worker can select matching orders in SQL. */
    limitPrice: numeric("limit_price"),
    stopPrice: numeric("stop_price"),
    /** USD cents: paid for a buy, received before the fee for a sell; 0 until filled. */
    notional: money("notional").notNull().default(sql`0`),
    /**
     * USD cents; while open, the fee at the order's own price (held with a buy's cost, taken from a sell's proceeds);
     * 0 once cancelled or rejected (none was charged).
     */
    fee: money("fee").notNull().default(sql`0`),
    held: money("held").notNull().default(sql`0`),
    status: text("status", { enum: ["open", "filled", "cancelled", "rejected"] }).notNull(),
    /** Why a cancelled or rejected order was closed ("expired", "not enough USD at the trigger price", …): shown to its owner. */
    closeReason: text("close_reason"),
    expiresAt: timestamp("expires_at", { withTimezone: true, precision: 3 }),
    filledAt: timestamp("filled_at", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index("trade_orders_user_created_idx").on(table.userId, table.createdAt, table.id),
    // The trigger worker reads only open orders.
    index("trade_orders_open_idx").on(table.asset).where(sql`${table.status} = 'open'`),
  ],
);
