import { integer, pgTable, primaryKey, text, timestamp, uuid } from "drizzle-orm/pg-core";

/**
 * A money-moving request's Idempotency-Key, stored in the same transaction as the money it moved, with
 * the exact answer given, so a retry gets that answer again and nothing happens twice.
 */
export const idempotencyKeys = pgTable(
  "idempotency_keys",
  {
    userId: uuid("user_id").notNull(),
    key: text("key").notNull(),
    /**
     * SHA-256 of method, path and body, less the body's 2FA `code` (a retry brings a fresh one): the same key with
     * another request is refused.
     */
    requestHash: text("request_hash").notNull(),
    responseStatus: integer("response_status").notNull(),
    responseBody: text("response_body").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.userId, table.key] })],
);
