import { fileURLToPath } from "node:url";
import { sql } from "drizzle-orm";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { PgDialect, PgSession } from "drizzle-orm/pg-core";
import { type Database, queryRows } from "./client";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../drizzle", import.meta.url));

/** Any fixed 64-bit number works; every instance must use the same one. */
const MIGRATION_LOCK_KEY = 0x63727970746f7661n; // "cryptova"

/** How many migrations the database has recorded as applied (none before the first). */
async function appliedCount(database: Database): Promise<number> {
  const [table] = await queryRows<{ exists: boolean }>(
    database.db,
    sql`select to_regclass('drizzle.__drizzle_migrations') is not null as exists`,
  );
  if (!table.exists) return 0;
  const [row] = await queryRows<{ n: number }>(database.db, sql`select count(*)::int as n from drizzle.__drizzle_migrations`);
  return row.n;
}

/**
 * Applies pending drizzle-kit migrations. The advisory lock makes instances that boot together take
 * turns: the first applies, the others find nothing left to do. Says how many it applied, for the log.
 */
export async function migrate(database: Database): Promise<{ applied: number; total: number }> {
  const migrations = readMigrationFiles({ migrationsFolder: MIGRATIONS_FOLDER });
  // Drizzle's own migrator, driven directly so the same code serves postgres.js and PGlite.
  const { dialect, session } = database.db as unknown as { dialect: PgDialect; session: PgSession };
  return database.withAdvisoryLock(MIGRATION_LOCK_KEY, async () => {
    const before = await appliedCount(database);
    await dialect.migrate(migrations, session, { migrationsFolder: MIGRATIONS_FOLDER });
    return { applied: (await appliedCount(database)) - before, total: migrations.length };
  });
}
