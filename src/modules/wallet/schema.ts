import { bigint, index, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { money } from "../../platform/db/money";

/** A deposit the user announced: the provider gives a pay address; payments credit what arrives. */
export const depositOrders = pgTable(
  "deposit_orders",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    status: text("status", { enum: ["pending", "confirmed", "partially_paid", "expired", "failed", "confirmed_late"] }).notNull(),
    provider: text("provider").notNull(),
    payAddress: text("pay_address").notNull(),
    amountReceived: money("amount_received").notNull(),
    txHash: text("tx_hash"),
    expiresAt: timestamp("expires_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    index("deposit_orders_user_idx").on(table.userId, table.createdAt),
    index("deposit_orders_status_idx").on(table.status, table.createdAt),
  ],
);

/** Every provider event seen, by its id: a webhook delivered twice is a no-op the second time. */
export const depositEvents = pgTable("deposit_events", {
  eventId: text("event_id").primaryKey(),
  orderId: uuid("order_id").notNull(),
  payload: jsonb("payload").$type<Record<string, unknown>>().notNull(),
  receivedAt: timestamp("received_at", { withTimezone: true }).notNull().defaultNow(),
});

/** The user's own withdrawal addresses; a new one is usable only after ADDRESS_COOLDOWN_HOURS. */
export const withdrawalAddresses = pgTable(
  "withdrawal_addresses",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    asset: text("asset").notNull(),
    address: text("address").notNull(),
    label: text("label").notNull(),
    activeAt: timestamp("active_at", { withTimezone: true }).notNull(),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [index("withdrawal_addresses_user_idx").on(table.userId, table.asset)],
);

export const withdrawals = pgTable(
  "withdrawals",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    fee: money("fee").notNull(),
    /** USD value when requested, in cents: what the daily limit counts. */
    amountUsdCents: bigint("amount_usd_cents", { mode: "bigint" }).notNull(),
    address: text("address").notNull(),
    status: text("status", { enum: ["pending_review", "processing", "completed", "rejected", "failed", "cancelled"] }).notNull(),
    txHash: text("tx_hash"),
    reviewedBy: uuid("reviewed_by"),
    /** What the admin who rejected it told its owner, if anything. */
    rejectionReason: text("rejection_reason"),
    /**
     * When the payout worker last sent it to the provider without learning the outcome (a timeout, a crash):
     * it is sent again, under the same withdrawal id, a minute later at the earliest.
     */
    payoutAttemptedAt: timestamp("payout_attempted_at", { withTimezone: true, precision: 3 }),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    updatedAt: timestamp("updated_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index("withdrawals_user_idx").on(table.userId, table.createdAt),
    index("withdrawals_status_idx").on(table.status, table.createdAt),
  ],
);
