import { sql } from "drizzle-orm";
import { bigint, date, index, pgTable, text, timestamp, uuid } from "drizzle-orm/pg-core";
import { money } from "../../platform/db/money";

/** A P2P transfer between two users. Above the AML threshold it waits, funds held, for an admin (or its sender's cancel). */
export const p2pTransfers = pgTable(
  "p2p_transfers",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    senderId: uuid("sender_id").notNull(),
    recipientId: uuid("recipient_id").notNull(),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    /** USD value when sent, in cents: what daily limits and AML rules count. */
    amountUsdCents: bigint("amount_usd_cents", { mode: "bigint" }).notNull(),
    note: text("note"),
    status: text("status", { enum: ["completed", "pending_review", "rejected", "cancelled"] }).notNull(),
    reviewedBy: uuid("reviewed_by"),
    reviewedAt: timestamp("reviewed_at", { withTimezone: true }),
    /** What the admin who rejected it told the sender, if anything; never shown to the recipient. */
    rejectionReason: text("rejection_reason"),
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
  },
  (table) => [
    // Amount and status ride along so the limit and AML counts over a sender's window read the index alone.
    index("p2p_transfers_sender_window_idx").on(table.senderId, table.createdAt, table.amountUsdCents, table.status),
    // The admin's list of one status, newest first, walks this index a page at a time: on status alone, a page of
    // completed transfers sorted every completed transfer there is.
    index("p2p_transfers_status_idx").on(table.status, table.createdAt, table.id),
  ],
);

/**
 * One row per sender of P2P transfers. Every transfer sent and every decision on one moves `version` on:
 * p2p_send locks the row and compares the version with the one the transfer's facts (limit, AML counts)
 * were read at, so one sender's transfers are judged one at a time and never on stale facts.
 * It also keeps the sender's running total for the daily limit, so the limit costs the same however many
 * transfers the sender made today.
 */
export const p2pSenders = pgTable("p2p_senders", {
  senderId: uuid("sender_id").primaryKey(),
  version: bigint("version", { mode: "number" }).notNull().default(0),
  /** The UTC day `dayTotalUsdCents` counts; an earlier day means nothing was sent today. */
  day: date("day", { mode: "string" }),
  /** USD cents of the sender's transfers on `day` that were not rejected, as the daily limit counts them. */
  dayTotalUsdCents: bigint("day_total_usd_cents", { mode: "bigint" }).notNull().default(sql`0`),
});

/** What the AML rules noticed, kept for investigators whatever the transfer's outcome. */
export const amlFlags = pgTable(
  "aml_flags",
  {
    id: uuid("id").primaryKey().defaultRandom(),
    transferId: uuid("transfer_id")
      .notNull()
      .references(() => p2pTransfers.id),
    userId: uuid("user_id").notNull(),
    rule: text("rule").notNull(),
    detail: text("detail").notNull(),
    /**
     * AML_REVIEW_THRESHOLD_USD when the flag was raised, in cents: its window is drawn with it (structuring's band
     * hangs on it), and it stands for its pattern only while the threshold is the same. Null on flags from before.
     */
    reviewThresholdUsdCents: money("review_threshold_usd_cents"),
    // Milliseconds, as the list's cursor carries them: finer times fell between two pages and were skipped.
    createdAt: timestamp("created_at", { withTimezone: true, precision: 3 }).notNull().defaultNow(),
    // An admin's conclusion after looking into the flag: who, when, and what they found.
    resolvedAt: timestamp("resolved_at", { withTimezone: true, precision: 3 }),
    resolvedBy: uuid("resolved_by"),
    resolution: text("resolution"),
  },
  (table) => [
    index("aml_flags_created_idx").on(table.createdAt),
    // What a transfer's screening asks (has this sender an open flag of this rule within its window?) and what a
    // flag's view asks (when did the sender's next flag of this rule take over?).
    index("aml_flags_sender_rule_idx").on(table.userId, table.rule, table.createdAt),
  ],
);
