import { sql } from "drizzle-orm";
import { bigint, bigserial, check, index, integer, pgTable, text, timestamp, unique, uuid } from "drizzle-orm/pg-core";
import { money } from "../../platform/db/money";

/**
 * One account per (owner, asset, kind). Users have `available` and `held`; each asset has the system
 * accounts `external` (the world outside: deposits come from it, withdrawals go to it), `fees` and
 * `house` (trading inventory). Only ledger.post changes `balance`.
 */
export const ledgerAccounts = pgTable(
  "ledger_accounts",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    ownerId: uuid("owner_id"),
    asset: text("asset").notNull(),
    kind: text("kind", { enum: ["available", "held", "external", "fees", "house"] }).notNull(),
    balance: money("balance").notNull().default(sql`0`),
    /** The number of entries: the version of the balance. */
    version: integer("version").notNull().default(0),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    unique("ledger_accounts_owner_asset_kind_key").on(table.ownerId, table.asset, table.kind).nullsNotDistinct(),
    // The last guard: whatever the code above does, no user's balance (nor the fees collected) goes below zero.
    check("ledger_accounts_non_negative", sql`${table.kind} in ('external', 'house') or ${table.balance} >= 0`),
    check("ledger_accounts_owner_kind", sql`(${table.ownerId} is null) = (${table.kind} in ('external', 'fees', 'house'))`),
  ],
);

/** One leg: `amount` of one asset from `debit` to `credit`. Legs of one posting share `postingId`. Append-only. */
export const ledgerTransfers = pgTable(
  "ledger_transfers",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    postingId: uuid("posting_id").notNull(),
    kind: text("kind").notNull(),
    debitAccountId: bigint("debit_account_id", { mode: "number" })
      .notNull()
      .references(() => ledgerAccounts.id),
    creditAccountId: bigint("credit_account_id", { mode: "number" })
      .notNull()
      .references(() => ledgerAccounts.id),
    asset: text("asset").notNull(),
    amount: money("amount").notNull(),
    /** "user id:key" of the request that moved the money, so one key can be proven to move money once. */
    idempotencyKey: text("idempotency_key"),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    check("ledger_transfers_positive", sql`${table.amount} > 0`),
    check("ledger_transfers_two_accounts", sql`${table.debitAccountId} <> ${table.creditAccountId}`),
    index("ledger_transfers_posting_idx").on(table.postingId),
    index("ledger_transfers_idempotency_idx").on(table.idempotencyKey),
  ],
);

/** Each account's history: versions 1..n, each balance_after = previous + amount. Append-only. */
export const ledgerEntries = pgTable(
  "ledger_entries",
  {
    id: bigserial("id", { mode: "number" }).primaryKey(),
    accountId: bigint("account_id", { mode: "number" })
      .notNull()
      .references(() => ledgerAccounts.id),
    transferId: bigint("transfer_id", { mode: "number" })
      .notNull()
      .references(() => ledgerTransfers.id),
    amount: money("amount").notNull(),
    balanceAfter: money("balance_after").notNull(),
    version: integer("version").notNull(),
    createdAt: timestamp("created_at", { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [unique("ledger_entries_account_version_key").on(table.accountId, table.version)],
);
