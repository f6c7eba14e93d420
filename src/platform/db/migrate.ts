import { fileURLToPath } from "node:url";
import { readMigrationFiles } from "drizzle-orm/migrator";
import type { PgDialect, PgSession } from "drizzle-orm/pg-core";
import type { Database } from "./client";

export const MIGRATIONS_FOLDER = fileURLToPath(new URL("../../../drizzle", import.meta.url));

/** Any fixed 64-bit number works; every instance must use the same one. */
const MIGRATION_LOCK_KEY = 0x63727970746f7661n; // "cryptova"

/**
 * Applies pending drizzle-kit migrations. The advisory lock makes instances that boot together take
 * turns: the first applies, the others find nothing left to do.
 */
export async function migrate(database: Database, folder = MIGRATIONS_FOLDER): Promise<void> {
  const migrations = readMigrationFiles({ migrationsFolder: folder });
  // Drizzle's own migrator, driven directly so the same code serves postgres.js and PGlite.
  const { dialect, session } = database.db as unknown as { dialect: PgDialect; session: PgSession };
  await database.withAdvisoryLock(MIGRATION_LOCK_KEY, () => dialect.migrate(migrations, session, { migrationsFolder: folder }));
}
