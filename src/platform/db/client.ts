/**
 * The database handle every module uses: postgres.js against DATABASE_URL, or embedded PGlite on disk
 * (or in memory for tests) when nothing is configured. Both are real Postgres behind one Drizzle type.
 */
import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { type SQL, sql } from "drizzle-orm";
import type { PgDatabase, PgQueryResultHKT } from "drizzle-orm/pg-core";
import { drizzle as drizzlePglite } from "drizzle-orm/pglite";
import { drizzle as drizzlePostgres } from "drizzle-orm/postgres-js";
import postgres from "postgres";
import { lockDataDir } from "./data-dir-lock";

export type Db = PgDatabase<PgQueryResultHKT>;
export type DbTransaction = Parameters<Parameters<Db["transaction"]>[0]>[0];
/** Either the pool or an open transaction: services take this so callers decide the transaction. */
export type DbOrTx = Db | DbTransaction;

export type Database = {
  db: Db;
  kind: "postgres" | "pglite";
  /** Runs `fn` while holding a session-level advisory lock, so two instances never run it together. */
  withAdvisoryLock<T>(key: bigint, fn: () => Promise<T>): Promise<T>;
  /** Waits up to 5 s for running statements; `now` ends the connections at once (their statements fail). */
  close(options?: { now?: boolean }): Promise<void>;
};

export type DatabaseOptions = {
  url?: string;
  dataDir?: string;
  poolSize?: number;
  /** Settings of each Postgres connection (`SET` at connect), e.g. `client_connection_check_interval`. */
  settings?: Record<string, string>;
};

/**
 * Holds the lock named `name` until `tx` ends: writers that check before they write (a cap, a limit, a duplicate)
 * take it first, so two at once cannot both pass the check.
 */
export async function lockUntilCommit(tx: DbTransaction, name: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${name}, 0))`);
}

/** `url` wins; else PGlite in `dataDir`; with neither, an in-memory PGlite (the test suite's fixtures). */
export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 10, options.settings);
  return openPglite(options.dataDir);
}

const RECONNECT_DELAY_SECONDS = 0.05;
/** A host that drops packets leaves a connection attempt unanswered: it fails after this long (driver default 30 s). */
const CONNECT_TIMEOUT_SECONDS = 5;

/** What every connection of ours to Postgres has: no notices in the log, and our name in pg_stat_activity. */
const CONNECTION_OPTIONS = { onnotice: () => {}, connection: { application_name: "cryptovault" } };

function openPostgres(url: string, max: number, settings: Record<string, string> = {}): Database {
  const client = postgres(url, {
    ...CONNECTION_OPTIONS,
    connection: { ...CONNECTION_OPTIONS.connection, ...settings },
    max,
    // While Postgres is out of reach, every waiting query gets its own prompt connection attempt, so a request
    // answers 503 in about the time one attempt takes. The driver's default backoff grows to 20 s between
    // attempts, and the requests queued behind them waited that long (or until Postgres returned).
    backoff: () => RECONNECT_DELAY_SECONDS,
    connect_timeout: CONNECT_TIMEOUT_SECONDS,
  });
  return {
    db: drizzlePostgres(preparingStatements(client)) as unknown as Db,
    kind: "postgres",
    async withAdvisoryLock(key, fn) {
      // The lock lives on a connection of its own, outside the pool that `fn` queries through: reserving one
      // of the pool's instead left a pool of one (DATABASE_POOL_SIZE=1) nothing to run `fn` on, and boot hung.
      const holder = postgres(url, { ...CONNECTION_OPTIONS, max: 1 });
      try {
        await holder`select pg_advisory_lock(${key.toString()}::bigint)`;
        try {
          return await fn();
        } finally {
          await holder`select pg_advisory_unlock(${key.toString()}::bigint)`;
        }
      } finally {
        await holder.end({ timeout: 5 });
      }
    },
    close: (options) => client.end({ timeout: options?.now ? 0 : 5 }),
  };
}

/**
 * Drizzle sends every statement unprepared, and postgres.js then spends an extra round trip describing
 * each parameterized one before it can bind it — Postgres parses and plans it again every time. Naming
 * them instead makes a repeated statement one round trip on a plan Postgres keeps per connection.
 */
function preparingStatements(client: postgres.Sql): postgres.Sql {
  return new Proxy(client, {
    get(target, property, receiver) {
      if (property === "unsafe")
        return (query: string, params?: unknown[], options?: object) =>
          target.unsafe(query, params as postgres.ParameterOrJSON<never>[], { ...options, prepare: true });
      if (property === "begin" || property === "savepoint")
        return (...args: unknown[]) => {
          const fn = args.pop() as (tx: postgres.Sql) => unknown;
          const open = Reflect.get(target, property) as (...a: unknown[]) => unknown;
          return open.apply(target, [...args, (tx: postgres.Sql) => fn(preparingStatements(tx))]);
        };
      return Reflect.get(target, property, receiver);
    },
  });
}

/** On disk, the directory is locked first: a second process would lose everything it writes (see data-dir-lock). */
async function openPglite(dataDir?: string): Promise<Database> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const unlock = dataDir ? lockDataDir(dataDir) : () => {};
  const client = new PGlite(dataDir);
  await client.waitReady.catch((error) => {
    unlock();
    throw error;
  });
  return {
    db: drizzlePglite(client) as unknown as Db,
    kind: "pglite",
    // PGlite is one connection owned by this process: nothing else can run concurrently.
    withAdvisoryLock: (_key, fn) => fn(),
    async close() {
      try {
        await client.close();
      } finally {
        unlock();
      }
    },
  };
}

/** Rows of a raw query, whichever driver ran it (postgres.js returns an array, PGlite `{rows}`). */
export async function queryRows<T extends Record<string, unknown>>(db: DbOrTx, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as T[] | { rows: T[] };
  return Array.isArray(result) ? result : result.rows;
}

/**
 * Fails when the database cannot answer within `timeoutMs`, or has no migration journal: it is not the database the
 * server migrated at its start (dropped and created again empty, or a restore gone wrong), and every request would fail.
 */
export async function pingDatabase(db: Db, timeoutMs = 2000): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([db.execute(sql`select 1 from drizzle.__drizzle_migrations limit 1`), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
