import { describe, expect, test } from "bun:test";
import { ConfigError, parseConfig } from "../src/config";
import { TEST_ENV } from "./support/harness";

const expectConfigError = (env: Record<string, string>, variable: string) => {
  try {
    parseConfig({ ...TEST_ENV, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toStartWith(variable);
    return;
  }
  throw new Error(`expected ${variable} to be refused`);
};

describe("config", () => {
  test("defaults match ARCHITECTURE.md", () => {
    const config = parseConfig(TEST_ENV);
    expect(config.port).toBe(3000);
    expect(config.host).toBe("0.0.0.0");
    expect(config.maxBodyBytes).toBe(65536);
    expect(config.databasePoolSize).toBe(10);
    expect(config.rateLimitPerMinute).toBe(100);
    expect(config.redisKeyPrefix).toBe("cryptovault:");
    expect(config.priceSource).toBe("simulated");
    expect(config.depositSandboxConfirmSeconds).toBe(10);
    expect(config.p2pDailyLimitUsd).toBe(2_500_000n);
    expect(config.requireEmailVerification).toBe(true);
    expect(config.cookieSecure).toBe(false);
    expect(config.assets.map((a) => [a.symbol, a.precision])).toEqual([
      ["USD", 2],
      ["BTC", 8],
      ["ETH", 18],
      ["SOL", 9],
      ["USDT", 6],
    ]);
    expect(config.assets.find((a) => a.symbol === "BTC")?.withdrawalFee).toBe(10_000n);
  });

  test.each([
    [{ PORT: "abc" }, "PORT"],
    [{ PORT: "70000" }, "PORT"],
    [{ NODE_ENV: "staging" }, "NODE_ENV"],
    [{ DATABASE_URL: "mysql://x" }, "DATABASE_URL"],
    [{ REDIS_URL: "not a url" }, "REDIS_URL"],
    [{ COOKIE_SECURE: "maybe" }, "COOKIE_SECURE"],
    [{ LOG_LEVEL: "loud" }, "LOG_LEVEL"],
    [{ PRICE_SOURCE: "binance" }, "PRICE_SOURCE"],
    [{ WITHDRAWAL_FEES: "BTC:0.000000001" }, "WITHDRAWAL_FEES"],
    [{ WITHDRAWAL_FEES: "DOGE:1" }, "WITHDRAWAL_FEES"],
    [{ P2P_DAILY_LIMIT_USD: "-5" }, "P2P_DAILY_LIMIT_USD"],
    [{ CORS_ORIGINS: "not an origin" }, "CORS_ORIGINS"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ MAX_BODY_BYTES: "1.5" }, "MAX_BODY_BYTES"],
    [{ DATABASE_POOL_SIZE: "0" }, "DATABASE_POOL_SIZE"],
  ])("refuses %p naming %s", (env, variable) => expectConfigError(env, variable));

  test("production refuses to start without each required secret, naming it", () => {
    const full = { NODE_ENV: "production", DATABASE_URL: "postgres://localhost/x" };
    expectConfigError({ ...full, DATABASE_URL: "" }, "DATABASE_URL");
    try {
      parseConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://localhost/x", COOKIE_SECRET: TEST_ENV.COOKIE_SECRET });
      throw new Error("expected refusal");
    } catch (error) {
      expect((error as ConfigError).variable).toBe("JWT_SECRET");
    }
    try {
      parseConfig({ NODE_ENV: "production", DATABASE_URL: "postgres://localhost/x", JWT_SECRET: TEST_ENV.JWT_SECRET });
      throw new Error("expected refusal");
    } catch (error) {
      expect((error as ConfigError).variable).toBe("COOKIE_SECRET");
    }
    const config = parseConfig({ ...TEST_ENV, ...full });
    expect(config.production).toBe(true);
    expect(config.cookieSecure).toBe(true);
    // API.md: Secure "when NODE_ENV=production or COOKIE_SECURE=true": production cannot opt out.
    expect(parseConfig({ ...TEST_ENV, ...full, COOKIE_SECURE: "false" }).cookieSecure).toBe(true);
  });

  test("CORS origins are normalised and COINCAP_API_KEY selects CoinCap", () => {
    const config = parseConfig({ ...TEST_ENV, CORS_ORIGINS: "https://a.example/, http://localhost:5173", COINCAP_API_KEY: "k" });
    expect(config.corsOrigins).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(config.priceSource).toBe("coincap");
  });
});
