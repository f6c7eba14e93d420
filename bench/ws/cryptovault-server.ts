/**
 * CryptoVault for the WebSocket benchmark: the real createApp on Redis, its simulated provider ticking
 * every 100 ms through the bus. Prints its port once listening.
 */
import { createApp } from "../../src/app";
import { parseConfig } from "../../src/config";
import { RedisBus } from "../../src/platform/bus";
import { openDatabase } from "../../src/platform/db/client";
import { migrate } from "../../src/platform/db/migrate";
import { createLogger } from "../../src/platform/observability/logger";
import { createMetrics } from "../../src/platform/observability/metrics";

const prefix = `cvbench-${process.pid}:`;
const config = parseConfig({
  NODE_ENV: "test",
  JWT_SECRET: "bench-jwt-secret-of-at-least-thirty-two-chars",
  COOKIE_SECRET: "bench-cookie-secret-of-at-least-32-chars!",
  LOG_LEVEL: "warn",
  PRICE_TICK_MS: "100",
  REDIS_KEY_PREFIX: prefix,
  RATE_LIMIT_PER_MINUTE: "1000000",
  // Every client of the benchmark is anonymous and comes from 127.0.0.1.
  WS_ANONYMOUS_SOCKETS_PER_ADDRESS: "1000000",
});
const database = await openDatabase({});
await migrate(database);
const bus = new RedisBus(process.env.REDIS_URL ?? "redis://127.0.0.1:6379", prefix);
const app = createApp({ config, database, bus, logger: createLogger("warn"), metrics: createMetrics() });
app.listen({ port: 0, hostname: "127.0.0.1" });
console.log(JSON.stringify({ port: app.server?.port }));
process.on("SIGTERM", async () => {
  await app.decorator.runtime.stop();
  await bus.close();
  process.exit(0);
});
