import { index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { money } from "../../platform/db/money";

/** What a history row records (API.md's `type`). */
export const TX_TYPES = ["deposit", "withdrawal", "transfer_in", "transfer_out", "trade_buy", "trade_sell", "fee"] as const;
/**
 * Every status a history row carries: deposits and trades are written completed; withdrawals and P2P
 * transfers copy their own status (wallet and transfers schema.ts) as it changes.
 */
export const TX_STATUSES = ["completed", "pending_review", "processing", "rejected", "failed", "cancelled"] as const;

/**
 * The user's history: one row per money event as the user sees it, written in the same transaction as
 * the ledger posting. `amount` is unsigned; `direction` gives the sign. Only `status` ever changes,
 * with what comes with it: a withdrawal's tx hash (`reference`), a rejection's reason.
 */
export const transactions = pgTable(
  "transactions",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    userId: uuid("user_id").notNull(),
    type: text("type", { enum: TX_TYPES }).notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    fee: money("fee").notNull(),
    status: text("status", { enum: TX_STATUSES }).notNull(),
    direction: text("direction", { enum: ["in", "out"] }).notNull(),
    counterparty: text("counterparty"),
    reference: text("reference"),
    note: text("note"),
    /** Why an admin rejected the withdrawal or transfer, on its owner's (the sender's) row alone. */
    rejectionReason: text("rejection_reason"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    index("transactions_user_created_idx").on(table.userId, table.createdAt, table.id),
    // A review's decision finds both parties' rows of a transfer by its id; without this, a scan of everyone's history.
    index("transactions_reference_idx").on(table.reference),
  ],
);
