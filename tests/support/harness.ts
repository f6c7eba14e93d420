/**
 * Test fixtures. With nothing configured every suite runs on an in-memory PGlite and the MemoryBus.
 * With TEST_DATABASE_URL / TEST_REDIS_URL the same suites run on real servers: each test file gets a
 * database of its own and a Redis key prefix of its own.
 */
import postgres from "postgres";
import { createApp, createServices } from "../../src/app";
import { type Config, parseConfig } from "../../src/config";
import type { MarketOptions } from "../../src/modules/market/service";
import { type Bus, MemoryBus, RedisBus } from "../../src/platform/bus";
import { type Database, openDatabase } from "../../src/platform/db/client";
import { migrate } from "../../src/platform/db/migrate";
import { createLogger } from "../../src/platform/observability/logger";
import { createMetrics } from "../../src/platform/observability/metrics";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL || undefined;

const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;

export const TEST_ENV = {
  NODE_ENV: "test",
  JWT_SECRET: "test-jwt-secret-of-at-least-thirty-two-chars",
  COOKIE_SECRET: "test-cookie-secret-of-at-least-32-chars!",
  // Errors only: an unexpected 5xx in any test names its cause in the output (a handful of lines a run otherwise).
  LOG_LEVEL: "error",
  ARGON2_MEMORY_KIB: "1024",
} as const;

export function testConfig(overrides: Record<string, string | undefined> = {}): Config {
  return parseConfig({ ...TEST_ENV, ...overrides });
}

/** A fresh database URL on the real server (a new database per call), or undefined on PGlite. */
export async function createRealDatabase(): Promise<{ url: string; drop(): Promise<void> } | undefined> {
  if (!TEST_DATABASE_URL) return undefined;
  const name = uniqueName("cv_test");
  const admin = postgres(TEST_DATABASE_URL, { max: 1, onnotice: () => {} });
  await admin.unsafe(`create database ${name}`);
  await admin.end();
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(TEST_DATABASE_URL as string, { max: 1, onnotice: () => {} });
      await again.unsafe(`drop database if exists ${name} with (force)`);
      await again.end();
    },
  };
}

export type TestDatabase = Database & { url?: string; dispose(): Promise<void> };

/** A migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const real = await createRealDatabase();
  const database = await openDatabase({ url: real?.url, poolSize: 10 });
  await migrate(database);
  return {
    ...database,
    url: real?.url,
    async dispose() {
      await database.close();
      await real?.drop();
    },
  };
}

/** On Redis, a key prefix of its own, so runs and files never see each other's channels or counters. */
export function createTestBus(prefix = `${uniqueName("cvtest")}:`): Bus {
  return TEST_REDIS_URL ? new RedisBus(TEST_REDIS_URL, prefix) : new MemoryBus();
}

/** The real app over a test database and bus; `dispose` closes everything it opened. */
export async function createTestApp(
  overrides: Record<string, string | undefined> = {},
  options: { webDist?: string; database?: TestDatabase; redisPrefix?: string; market?: MarketOptions } = {},
) {
  // A second instance of the same deployment shares the first one's database and Redis prefix.
  const prefix = options.redisPrefix ?? `${uniqueName("cvtest")}:`;
  const config = testConfig({ REDIS_KEY_PREFIX: prefix, ...overrides });
  const database = options.database ?? (await createTestDatabase());
  const bus = createTestBus(prefix);
  const deps = { config, database, bus, logger: createLogger(config.logLevel), metrics: createMetrics() };
  const services = createServices(deps, options.market);
  const app = createApp(deps, { webDist: options.webDist ?? "/nonexistent-web-dist" }, services);
  return {
    app,
    deps,
    services,
    redisPrefix: prefix,
    request: (path: string, init?: RequestInit) => app.handle(new Request(`http://localhost${path}`, init)),
    async dispose() {
      await app.server?.stop(true);
      await app.decorator.runtime.stop();
      await bus.close();
      if (!options.database) await database.dispose();
    },
  };
}
