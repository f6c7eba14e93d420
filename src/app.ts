/**
 * createApp composes the platform plugins and the module controllers. main.ts and the tests both use it,
 * so what the tests exercise is exactly what production serves.
 */
import { fileURLToPath } from "node:url";
import "./platform/http/formats";
import { Elysia } from "elysia";
import type { Config } from "./config";
import { adminController } from "./modules/admin";
import { auditController } from "./modules/audit";
import { identityController } from "./modules/identity";
import { moneyGuard } from "./modules/identity/guards";
import { createIdentityContext } from "./modules/identity/service";
import { resolveSession } from "./modules/identity/sessions";
import { type MoneyContext, priceLookup } from "./modules/ledger/money-context";
import { createLedger } from "./modules/ledger/service";
import { marketController } from "./modules/market";
import { type MarketOptions, startMarket } from "./modules/market/service";
import { realtimeController } from "./modules/realtime";
import { MAX_BUFFER_BYTES, SocketHub } from "./modules/realtime/hub";
import { systemController } from "./modules/system";
import { VERSION } from "./modules/system/service";
import { tradingController } from "./modules/trading";
import type { TradingContext } from "./modules/trading/service";
import { transactionsController } from "./modules/transactions";
import { transfersController } from "./modules/transfers";
import { settleSendsInFlight } from "./modules/transfers/service";
import { walletController } from "./modules/wallet";
import { loadSanctionedAddresses } from "./modules/wallet/addresses";
import { type Bus, RedisBus } from "./platform/bus";
import { type CounterStore, MemoryCounterStore, RedisCounterStore } from "./platform/counters";
import { deriveKey } from "./platform/crypto";
import type { Database } from "./platform/db/client";
import { apiDocs } from "./platform/http/api-docs";
import { authPlugin } from "./platform/http/auth";
import { declaredLengthLimit } from "./platform/http/body";
import { httpPlatform } from "./platform/http/plugin";
import { rateLimitPlugin } from "./platform/http/rate-limit";
import { spa } from "./platform/http/spa";
import type { Logger } from "./platform/observability/logger";
import type { Metrics } from "./platform/observability/metrics";

export type AppDeps = { config: Config; database: Database; bus: Bus; logger: Logger; metrics: Metrics };

export const WEB_DIST = fileURLToPath(new URL("../web/dist", import.meta.url));

/** Counters live where the bus lives: in Redis, shared by every instance, or in this process. */
function counterStore(bus: Bus, prefix: string): CounterStore {
  return bus instanceof RedisBus ? new RedisCounterStore(bus.redis, prefix) : new MemoryCounterStore();
}

/**
 * Everything the app runs besides answering requests: the price feed and the sockets. `stop` closes the
 * sockets with 1001 and gives up the price lease; main.ts and the test harness call it before the
 * database and bus close.
 */
export type Runtime = { market: ReturnType<typeof startMarket>; hub: SocketHub; stop(): Promise<void> };

/** The services behind the routes, built once; main.ts also hands them to the background workers. */
export function createServices(deps: AppDeps, marketOptions?: MarketOptions) {
  const { config, database, bus, logger, metrics } = deps;
  const db = database.db;
  const counters = counterStore(bus, config.redisKeyPrefix);
  const identity = createIdentityContext(db, config, counters, settleSendsInFlight);
  const sessionResolver = (claims: { sub: string; sid: string }) => resolveSession(db, claims.sub, claims.sid);
  const market = startMarket({ config, db, bus, logger }, marketOptions);
  const hub = new SocketHub(bus, sessionResolver, metrics, logger, deriveKey(config.cookieSecret, "ws-event-id"));
  market.cache.onUpdate((ticks) => hub.broadcastPrices(ticks));
  const money: MoneyContext = {
    db,
    config,
    ledger: createLedger(metrics),
    prices: priceLookup((symbol) => market.cache.latest(symbol)?.priceUsd),
    identity,
    sanctioned: loadSanctionedAddresses(config),
  };
  const trading: TradingContext = { ...money, cache: market.cache };
  const runtime: Runtime = {
    market,
    hub,
    async stop() {
      hub.closeAll();
      await market.stop();
    },
  };
  return { counters, identity, money, trading, sessionResolver, market, hub, runtime };
}

export function createApp(deps: AppDeps, options: { webDist?: string } = {}, services = createServices(deps)) {
  const { config, database } = deps;
  const db = database.db;
  const { counters, identity, money, trading, sessionResolver, market, hub, runtime } = services;
  const auth = authPlugin(config, sessionResolver);
  const guard = moneyGuard(identity);
  return (
    // normalize: false makes a body with unknown fields a 422 instead of silently dropping them.
    new Elysia({
      normalize: false,
      // A path Bun's own router does not take is routed from the URL past its 7th character, not its 11th: the
      // default assumes a host of 4 characters or more, and with `Host: a` served /xx/api/config as /api/config
      // while the rate limit read /xx/api/config. (This server speaks http://, never https://, itself.)
      handler: { standardHostname: false },
      // Bun pings idle sockets and closes those that stop answering; a socket past the buffer bound is closed.
      websocket: {
        idleTimeout: 30,
        sendPings: true,
        backpressureLimit: MAX_BUFFER_BYTES,
        closeOnBackpressureLimit: true,
        // A client frame is tiny; one up to the body limit's default still gets an error frame (API.md), a
        // bigger one closes the socket (1009) before it is buffered.
        maxPayloadLength: 64 * 1024,
      },
    })
      .decorate("runtime", runtime)
      .onStart(({ server }) => {
        if (server) hub.attach(server as unknown as Parameters<SocketHub["attach"]>[0]);
      })
      .use(httpPlatform(deps))
      .use(rateLimitPlugin(config, counters, sessionResolver))
      .use(declaredLengthLimit(config.maxBodyBytes))
      .use(
        apiDocs(
          {
            info: { title: "CryptoVault API", version: VERSION },
            // Elysia lists a ws route under a "ws" key, which is no OpenAPI operation; the realtime controller
            // hides it and /ws is described here as what a client actually sends: a GET asking for an upgrade.
            paths: {
              "/ws": {
                get: {
                  tags: ["realtime"],
                  operationId: "getWs",
                  summary: "WebSocket: live prices and the user's private events",
                  description:
                    "Upgrade to a WebSocket. Authenticated by the access_token cookie (from PUBLIC_URL or CORS_ORIGINS only) " +
                    "or a Bearer token; without one the socket gets public topics only. Frames are JSON, as API.md describes.",
                  parameters: [
                    { name: "Upgrade", in: "header", required: true, schema: { type: "string", enum: ["websocket"] } },
                    { name: "Connection", in: "header", required: true, schema: { type: "string", enum: ["Upgrade"] } },
                  ],
                  responses: {
                    "101": { description: "Switching Protocols: the socket is open" },
                    "400": { description: "A plain GET, without the upgrade (MALFORMED_REQUEST)" },
                    "401": { description: "The access token presented is invalid or its session has ended" },
                    "403": { description: "A cookie-authenticated upgrade from an origin that is not allowed" },
                    "429": {
                      description:
                        "Without sign-in, past WS_ANONYMOUS_SOCKETS_PER_ADDRESS open sockets (RATE_LIMITED, Retry-After)",
                    },
                  },
                },
              },
            },
          },
          { paths: ["/*"] },
        ),
      )
      .use(systemController(deps))
      .use(identityController(identity, auth))
      .use(auditController(db, auth))
      .use(walletController(money, auth, guard, deps.logger))
      .use(transfersController(money, auth, guard))
      .use(tradingController(trading, auth, guard))
      .use(transactionsController(db, config, auth, counters))
      .use(adminController(db, money, auth))
      .use(marketController(db, config, market.cache, auth))
      .use(realtimeController(config, hub, auth, sessionResolver))
      .use(spa(options.webDist ?? WEB_DIST))
  );
}

export type App = ReturnType<typeof createApp>;
