import { sql } from "drizzle-orm";
import { bigserial, index, integer, jsonb, pgTable, text, timestamp, uniqueIndex, uuid } from "drizzle-orm/pg-core";

/**
 * Append-only (a trigger refuses UPDATE, DELETE and TRUNCATE). Rows form one hash chain per user
 * (`chain` is the user id, or "system" for events without a user): each row's hash covers its content
 * and the previous row's hash, so a changed or removed row breaks every hash after it.
 */
export const auditLog = pgTable(
  "audit_log",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    chain: text("chain").notNull(),
    seq: integer("seq").notNull(),
    userId: uuid("user_id"),
    action: text("action").notNull(),
    ip: text("ip"),
    userAgent: text("user_agent"),
    metadata: jsonb("metadata").$type<Record<string, unknown>>().notNull().default(sql`'{}'::jsonb`),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull(),
    prevHash: text("prev_hash").notNull(),
    hash: text("hash").notNull(),
  },
  (table) => [
    uniqueIndex("audit_log_chain_seq_key").on(table.chain, table.seq),
    index("audit_log_user_idx").on(table.userId, table.id),
    index("audit_log_action_idx").on(table.action, table.id),
  ],
);

/**
 * The newest row of each chain: its sequence number and hash. Appending takes this row's lock (one
 * statement for every chain involved), so concurrent writers of one chain queue, writers of different
 * chains never wait on each other.
 */
export const auditHeads = pgTable("audit_heads", {
  chain: text("chain").primaryKey(),
  seq: integer("seq").notNull(),
  hash: text("hash").notNull(),
});
