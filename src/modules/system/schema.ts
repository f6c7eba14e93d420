import { bigint, boolean, integer, jsonb, pgTable, text, timestamp } from "drizzle-orm/pg-core";

/**
 * The last scheduled integrity check of each kind ("ledger", "audit"): when it ran and what it found. Every
 * instance reads it for its metrics; the instance that runs a check (one at a time) writes it.
 */
export const integrityChecks = pgTable("integrity_checks", {
  name: text("name").primaryKey(),
  /** When the tick that ran it began: the interval runs from one start to the next. */
  checkedAt: timestamp("checked_at", { withTimezone: true, precision: 3 }).notNull(),
  problems: integer("problems").notNull(),
  /** What was found, as the CLI words it: at most FINDINGS_KEPT lines (the CLI names them all). */
  findings: jsonb("findings").$type<string[]>().notNull(),
  /** Whether the check could check everything (ledger: every guard tried). */
  complete: boolean("complete").notNull(),
  /**
   * The database's OID when it ran: a database restored from a dump is a new database (a new OID) with the old
   * rows, and its first tick checks what was restored instead of trusting a result of the database it came from.
   */
  databaseOid: bigint("database_oid", { mode: "number" }).notNull(),
});
