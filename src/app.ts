/**
 * createApp composes the platform plugins and the module controllers. main.ts and the tests both use it,
 * so what the tests exercise is exactly what production serves.
 */
import { fileURLToPath } from "node:url";
import { openapi } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import type { Config } from "./config";
import { adminController } from "./modules/admin";
import { auditController } from "./modules/audit";
import { identityController } from "./modules/identity";
import { moneyGuard } from "./modules/identity/guards";
import { createIdentityContext } from "./modules/identity/service";
import { resolveSession } from "./modules/identity/sessions";
import type { PriceLookup } from "./modules/ledger/assets";
import type { MoneyContext } from "./modules/ledger/money-context";
import { createLedger } from "./modules/ledger/service";
import { systemController } from "./modules/system";
import { VERSION } from "./modules/system/service";
import { transactionsController } from "./modules/transactions";
import { transfersController } from "./modules/transfers";
import { walletController } from "./modules/wallet";
import { loadSanctionedAddresses } from "./modules/wallet/addresses";
import { type Bus, RedisBus } from "./platform/bus";
import { type CounterStore, MemoryCounterStore, RedisCounterStore } from "./platform/counters";
import type { Database } from "./platform/db/client";
import { authPlugin } from "./platform/http/auth";
import { httpPlatform } from "./platform/http/plugin";
import { rateLimitPlugin } from "./platform/http/rate-limit";
import { DOCS_CSP } from "./platform/http/security-headers";
import { spa } from "./platform/http/spa";
import type { Logger } from "./platform/observability/logger";
import type { Metrics } from "./platform/observability/metrics";

export type AppDeps = { config: Config; database: Database; bus: Bus; logger: Logger; metrics: Metrics; prices: PriceLookup };

export const WEB_DIST = fileURLToPath(new URL("../web/dist", import.meta.url));

/** Counters live where the bus lives: in Redis, shared by every instance, or in this process. */
function counterStore(bus: Bus, prefix: string): CounterStore {
  return bus instanceof RedisBus ? new RedisCounterStore(bus.redis, prefix) : new MemoryCounterStore();
}

/** The services behind the routes, built once; main.ts also hands them to the background workers. */
export function createServices(deps: AppDeps) {
  const counters = counterStore(deps.bus, deps.config.redisKeyPrefix);
  const identity = createIdentityContext(deps.database.db, deps.config, counters);
  const money: MoneyContext = {
    db: deps.database.db,
    config: deps.config,
    ledger: createLedger(deps.metrics),
    prices: deps.prices,
    identity,
    sanctioned: loadSanctionedAddresses(deps.config),
  };
  return { counters, identity, money };
}

export function createApp(deps: AppDeps, options: { webDist?: string } = {}, services = createServices(deps)) {
  const { config, database } = deps;
  const db = database.db;
  const { counters, identity, money } = services;
  const auth = authPlugin(config, (claims) => resolveSession(db, claims.sub, claims.sid));
  const guard = moneyGuard(identity);
  return (
    // normalize: false makes a body with unknown fields a 422 instead of silently dropping them.
    new Elysia({ normalize: false })
      .use(httpPlatform(deps))
      .use(rateLimitPlugin(config, counters))
      .use(
        openapi({
          path: "/api/docs",
          documentation: { info: { title: "CryptoVault API", version: VERSION } },
          exclude: { paths: ["/*"] },
        }),
      )
      .onAfterHandle(({ path, set }) => {
        if (path.startsWith("/api/docs")) set.headers["content-security-policy"] = DOCS_CSP;
      })
      .use(systemController(deps))
      .use(identityController(identity, auth))
      .use(auditController(db, auth))
      .use(walletController(money, auth, guard))
      .use(transfersController(money, auth, guard))
      .use(transactionsController(db, config, auth))
      .use(adminController(db, money, auth))
      .use(spa(options.webDist ?? WEB_DIST))
  );
}

export type App = ReturnType<typeof createApp>;
