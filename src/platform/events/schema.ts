import { bigserial, jsonb, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * Private events for users' sockets, written in the same transaction as the change they announce.
 * The realtime relay publishes committed rows through the bus and removes them in the same transaction:
 * nothing is announced before the commit, nothing committed is lost if the process dies, and the table
 * holds only what is still to be sent.
 */
export const outboxEvents = pgTable("outbox_events", {
  id: bigserial("id", { mode: "number" }).primaryKey(),
  userId: uuid("user_id").notNull(),
  /** The frame type of API.md: balance, transaction, order, alert, security. */
  type: text("type").notNull(),
  data: jsonb("data").$type<Record<string, unknown>>().notNull(),
  createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
});
