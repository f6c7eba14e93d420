import { afterAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, loadConfig, parseConfig, plainHttpWarning } from "../src/config";
import { sandboxProductionWarning } from "../src/modules/wallet/deposits";
import { listenProblem, startupProblem } from "../src/startup-problem";
import { TEST_ENV } from "./support/harness";

const PRODUCTION = { ...TEST_ENV, NODE_ENV: "production", DATABASE_URL: "postgres://localhost/x" };
const dir = mkdtempSync(join(tmpdir(), "cv-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const expectConfigError = (env: Record<string, string>, variable: string, base: Record<string, string> = TEST_ENV) => {
  try {
    parseConfig({ ...base, ...env });
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe(variable);
    expect((error as ConfigError).message).toStartWith(variable);
    return (error as ConfigError).message;
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
    expect(config.p2pDailyLimitUsdCents).toBe(2_500_000n);
    expect(config.requireEmailVerification).toBe(true);
    expect(config.cookieSecure).toBe(false);
    expect(config.integrityCheckIntervalMinutes).toBe(60);
    expect(parseConfig({ ...TEST_ENV, INTEGRITY_CHECK_INTERVAL_MINUTES: "0" }).integrityCheckIntervalMinutes).toBe(0);
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
    // A USD value a limit lets through is stored in bigint cents: past 10^15 USD it might not fit.
    [{ P2P_DAILY_LIMIT_USD: "1000000000000000.01" }, "P2P_DAILY_LIMIT_USD"],
    [{ AML_REVIEW_THRESHOLD_USD: "99999999999999999999" }, "AML_REVIEW_THRESHOLD_USD"],
    [{ CORS_ORIGINS: "not an origin" }, "CORS_ORIGINS"],
    // Each of these parses as a URL whose origin is "null", which sandboxed frames of any site send.
    [{ CORS_ORIGINS: "localhost:5173" }, "CORS_ORIGINS"],
    [{ CORS_ORIGINS: "https://app.example, javascript:alert(1)" }, "CORS_ORIGINS"],
    [{ CORS_ORIGINS: "file:///etc/x" }, "CORS_ORIGINS"],
    [{ CORS_ORIGINS: "https://app.example/path" }, "CORS_ORIGINS"],
    [{ JWT_SECRET: "short" }, "JWT_SECRET"],
    [{ MAX_BODY_BYTES: "1.5" }, "MAX_BODY_BYTES"],
    // Under 1 KiB a request the API documents (a transfer with its note) could be refused.
    [{ MAX_BODY_BYTES: "1023" }, "MAX_BODY_BYTES"],
    [{ DATABASE_POOL_SIZE: "0" }, "DATABASE_POOL_SIZE"],
    // Past Bun's largest timer the prices would tick every millisecond.
    [{ PRICE_TICK_MS: "3000000000" }, "PRICE_TICK_MS"],
    [{ PRICE_TICK_MS: "3600001" }, "PRICE_TICK_MS"],
    // Dates this far out are Invalid Date: adding an address or changing the password would answer 500.
    [{ ADDRESS_COOLDOWN_HOURS: "9999999999" }, "ADDRESS_COOLDOWN_HOURS"],
    [{ ADDRESS_COOLDOWN_HOURS: "8761" }, "ADDRESS_COOLDOWN_HOURS"],
    [{ WITHDRAWAL_LOCK_HOURS: "9999999999" }, "WITHDRAWAL_LOCK_HOURS"],
    [{ WITHDRAWAL_LOCK_HOURS: "8761" }, "WITHDRAWAL_LOCK_HOURS"],
    // An hour or more: the order would expire before the sandbox paid it.
    [{ DEPOSIT_SANDBOX_CONFIRM_SECONDS: "3600" }, "DEPOSIT_SANDBOX_CONFIRM_SECONDS"],
    [{ INTEGRITY_CHECK_INTERVAL_MINUTES: "10081" }, "INTEGRITY_CHECK_INTERVAL_MINUTES"],
    [{ INTEGRITY_CHECK_INTERVAL_MINUTES: "-1" }, "INTEGRITY_CHECK_INTERVAL_MINUTES"],
    [{ RATE_LIMIT_PER_MINUTE: "1000000001" }, "RATE_LIMIT_PER_MINUTE"],
    [{ LOGIN_FAILURES_PER_15_MIN: "1000000001" }, "LOGIN_FAILURES_PER_15_MIN"],
    [{ WS_ANONYMOUS_SOCKETS_PER_ADDRESS: "0" }, "WS_ANONYMOUS_SOCKETS_PER_ADDRESS"],
    [{ WS_ANONYMOUS_SOCKETS_PER_ADDRESS: "1000000001" }, "WS_ANONYMOUS_SOCKETS_PER_ADDRESS"],
    [{ ARGON2_MEMORY_KIB: "1048577" }, "ARGON2_MEMORY_KIB"],
    [{ HOST: "999.1.1.1" }, "HOST"],
    [{ HOST: "1.2.3" }, "HOST"],
    [{ HOST: "my_host" }, "HOST"],
    [{ HOST: "http://localhost" }, "HOST"],
    [{ SENTRY_DSN: "https://sentry.example.com" }, "SENTRY_DSN"],
    [{ SENTRY_DSN: "https://sentry.example.com/42" }, "SENTRY_DSN"],
    [{ SENTRY_DSN: "https://key@sentry.example.com/" }, "SENTRY_DSN"],
    [{ SENTRY_DSN: "https://key@sentry.example.com/project" }, "SENTRY_DSN"],
    [{ SENTRY_DSN: "ftp://key@sentry.example.com/42" }, "SENTRY_DSN"],
    [{ MAIL_FROM: "CryptoVault" }, "MAIL_FROM"],
    [{ MAIL_FROM: "CryptoVault <no-reply>" }, "MAIL_FROM"],
    [{ MAIL_FROM: "a b@example.com" }, "MAIL_FROM"],
    [{ MAIL_FROM: "a@b,c" }, "MAIL_FROM"],
    // An address only: a name and brackets would not make a mailto: link.
    [{ SUPPORT_EMAIL: "Support <help@example.com>" }, "SUPPORT_EMAIL"],
    [{ SUPPORT_EMAIL: "help" }, "SUPPORT_EMAIL"],
    [{ SUPPORT_EMAIL: "help@example.com, abuse@example.com" }, "SUPPORT_EMAIL"],
    // The app lives at its origin's root: a path would send mail links and the socket check elsewhere.
    [{ PUBLIC_URL: "https://vault.example.com/app/" }, "PUBLIC_URL"],
    [{ PUBLIC_URL: "https://vault.example.com/?x=1" }, "PUBLIC_URL"],
    [{ PUBLIC_URL: "https://user:pw@vault.example.com" }, "PUBLIC_URL"],
    // A 100 % fee or spread leaves no order worth its fee.
    [{ TRADING_FEE_BPS: "10000" }, "TRADING_FEE_BPS"],
    [{ TRADING_SPREAD_BPS: "10000" }, "TRADING_SPREAD_BPS"],
    // CoinCap's own API answers nothing without a key.
    [{ PRICE_SOURCE: "coincap" }, "COINCAP_API_KEY"],
  ])("refuses %p naming %s", (env, variable) => {
    expectConfigError(env, variable);
  });

  test("PUBLIC_URL is kept as its origin; CoinCap without a key is taken at a REST URL of the operator's", () => {
    expect(parseConfig({ ...TEST_ENV, PUBLIC_URL: "https://Vault.Example.com:443/" }).publicUrl).toBe(
      "https://vault.example.com",
    );
    expect(parseConfig({ ...TEST_ENV, PUBLIC_URL: "http://127.0.0.1:8080" }).publicUrl).toBe("http://127.0.0.1:8080");
    const proxied = parseConfig({ ...TEST_ENV, PRICE_SOURCE: "coincap", COINCAP_REST_URL: "http://127.0.0.1:9/v3" });
    expect([proxied.priceSource, proxied.coincapApiKey]).toEqual(["coincap", undefined]);
  });

  test("every integer setting accepts its largest allowed value", () => {
    const config = parseConfig({
      ...TEST_ENV,
      PRICE_TICK_MS: "3600000",
      ADDRESS_COOLDOWN_HOURS: "8760",
      WITHDRAWAL_LOCK_HOURS: "8760",
      DEPOSIT_SANDBOX_CONFIRM_SECONDS: "3599",
      RATE_LIMIT_PER_MINUTE: "1000000000",
      LOGIN_FAILURES_PER_15_MIN: "1000000000",
      WS_ANONYMOUS_SOCKETS_PER_ADDRESS: "1000000000",
      ARGON2_MEMORY_KIB: "1048576",
      INTEGRITY_CHECK_INTERVAL_MINUTES: "10080",
    });
    expect(config.wsAnonymousSocketsPerAddress).toBe(1_000_000_000);
    expect(config.priceTickMs).toBe(3_600_000);
    expect(config.addressCooldownHours).toBe(8760);
    expect(config.withdrawalLockHours).toBe(8760);
    expect(config.depositSandboxConfirmSeconds).toBe(3599);
    expect(config.rateLimitPerMinute).toBe(1_000_000_000);
    expect(config.loginFailuresPer15Min).toBe(1_000_000_000);
    expect(config.argon2MemoryKib).toBe(1_048_576);
    expect(config.integrityCheckIntervalMinutes).toBe(10080);
    // The longest lock still yields a date the database can store.
    expect(Number.isNaN(new Date(Date.now() + config.withdrawalLockHours * 3600 * 1000).getTime())).toBe(false);
  });

  test("HOST takes IP addresses and hostnames", () => {
    for (const host of ["127.0.0.1", "0.0.0.0", "::", "::1", "localhost", "vault-1.internal.example"])
      expect(parseConfig({ ...TEST_ENV, HOST: host }).host).toBe(host);
  });

  test("MAIL_FROM takes an address, or a name and an address", () => {
    for (const from of ["no-reply@example.com", "CryptoVault <no-reply@localhost>", "Zoë 山田 Vault <vault@example.org>"])
      expect(parseConfig({ ...TEST_ENV, MAIL_FROM: from }).mailFrom).toBe(from);
  });

  test("SENTRY_DSN takes a Sentry DSN", () => {
    for (const dsn of ["https://abc123@o42.ingest.sentry.io/4507", "http://publickey@127.0.0.1:9000/42"])
      expect(parseConfig({ ...TEST_ENV, SENTRY_DSN: dsn }).sentryDsn).toBe(dsn);
  });

  test("SANCTIONED_ADDRESSES_FILE must be a file that exists, named in the refusal", () => {
    const message = expectConfigError({ SANCTIONED_ADDRESSES_FILE: join(dir, "missing.txt") }, "SANCTIONED_ADDRESSES_FILE");
    expect(message).toContain("missing.txt");
    expect(message).toContain("does not exist");
    expect(expectConfigError({ SANCTIONED_ADDRESSES_FILE: dir }, "SANCTIONED_ADDRESSES_FILE")).toContain("is not a file");
    const list = join(dir, "sanctioned.txt");
    writeFileSync(list, "bc1qexample\n");
    expect(parseConfig({ ...TEST_ENV, SANCTIONED_ADDRESSES_FILE: list }).sanctionedAddressesFile).toBe(list);
  });

  test.each([
    [{ JWT_SECRET: "changeme-changeme-changeme-changeme" }, "JWT_SECRET"],
    [{ JWT_SECRET: "a".repeat(36) }, "JWT_SECRET"],
    [{ COOKIE_SECRET: "0123456701234567012345670123456701234567" }, "COOKIE_SECRET"],
    [{ COOKIE_SECRET: "my-cookie-secret-is-my-cookie-secret" }, "COOKIE_SECRET"],
    [{ JWT_SECRET: PRODUCTION.COOKIE_SECRET }, "COOKIE_SECRET"],
    [{ DEPOSIT_WEBHOOK_SECRET: PRODUCTION.COOKIE_SECRET }, "DEPOSIT_WEBHOOK_SECRET"],
    [{ DEPOSIT_WEBHOOK_SECRET: PRODUCTION.JWT_SECRET }, "DEPOSIT_WEBHOOK_SECRET"],
    [{ DEPOSIT_WEBHOOK_SECRET: "changeme" }, "DEPOSIT_WEBHOOK_SECRET"],
    [{ DEPOSIT_WEBHOOK_SECRET: "b".repeat(40) }, "DEPOSIT_WEBHOOK_SECRET"],
  ])("production refuses the guessable secret %p naming %s and how to make one", (env, variable) => {
    expect(expectConfigError(env, variable, PRODUCTION)).toContain("openssl rand -hex 32");
  });

  test("production takes generated secrets, whatever their encoding", () => {
    const makers = [
      () => randomBytes(32).toString("hex"),
      () => randomBytes(16).toString("hex"),
      () => randomBytes(32).toString("base64"),
      () => randomBytes(32).toString("base64url"),
      () => crypto.randomUUID(),
    ];
    for (const make of makers) {
      for (let i = 0; i < 500; i++) {
        const env = { ...PRODUCTION, JWT_SECRET: make(), COOKIE_SECRET: make(), DEPOSIT_WEBHOOK_SECRET: make() };
        expect(parseConfig(env).cookieSecret).toBe(env.COOKIE_SECRET);
      }
    }
  });

  test("outside production a secret only needs its length (development secrets are generated)", () => {
    const weak = "changeme-changeme-changeme-changeme";
    const config = parseConfig({ ...TEST_ENV, JWT_SECRET: weak, COOKIE_SECRET: weak, DEPOSIT_WEBHOOK_SECRET: "short" });
    expect(config.cookieSecret).toBe(weak);
    expect(config.depositWebhookSecret).toBe("short");
  });

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

  test("WITHDRAWAL_FEES replaces the fees it lists; the other assets keep their default", () => {
    const fees = (env: Record<string, string>) =>
      Object.fromEntries(parseConfig({ ...TEST_ENV, ...env }).assets.map((a) => [a.symbol, a.withdrawalFee]));
    const defaults = { USD: 0n, BTC: 10_000n, ETH: 10n ** 15n, SOL: 1_000_000n, USDT: 1_000_000n };
    expect(fees({})).toEqual(defaults);
    expect(fees({ WITHDRAWAL_FEES: "BTC:0.0002" })).toEqual({ ...defaults, BTC: 20_000n });
    expect(fees({ WITHDRAWAL_FEES: "USD:1.50,SOL:0" })).toEqual({ ...defaults, USD: 150n, SOL: 0n });
  });

  test("the production warning about the sandbox says what DEPOSIT_SANDBOX_CONFIRM_SECONDS makes it do", () => {
    expect(sandboxProductionWarning(10)).toContain("deposits confirm by themselves after 10 s");
    const never = sandboxProductionWarning(0);
    expect(never).not.toContain("by themselves");
    expect(never).toContain("deposits are credited only by signed webhooks");
    for (const warning of [sandboxProductionWarning(10), never]) expect(warning).toContain("payouts are simulated");
  });

  test("production over plain HTTP, but for this machine's own address, is warned of: no one could stay signed in", () => {
    const warning = (publicUrl: string, production = true) => plainHttpWarning({ production, publicUrl });
    expect(warning("http://vault.example.com")).toContain("PUBLIC_URL is http://vault.example.com, plain HTTP");
    expect(warning("http://10.0.0.5:3000")).toContain("serve it over HTTPS");
    for (const quiet of ["https://vault.example.com", "http://localhost:3000", "http://127.0.0.1:3000", "http://[::1]:3000"])
      expect(warning(quiet)).toBeUndefined();
    expect(warning("http://vault.example.com", false)).toBeUndefined();
  });

  test("CORS origins are normalised and COINCAP_API_KEY selects CoinCap", () => {
    const config = parseConfig({ ...TEST_ENV, CORS_ORIGINS: "https://a.example/, http://localhost:5173", COINCAP_API_KEY: "k" });
    expect(config.corsOrigins).toEqual(["https://a.example", "http://localhost:5173"]);
    expect(config.priceSource).toBe("coincap");
  });
});

describe("development secrets in DATA_DIR", () => {
  const unset = { NODE_ENV: "development", LOG_LEVEL: "error" };
  const refusal = (env: Record<string, string>) => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error("expected the configuration to be refused");
  };

  test("a file that is not JSON, or lacks a secret, is named in the refusal", () => {
    const dataDir = mkdtempSync(join(dir, "secrets-"));
    const file = join(dataDir, "dev-secrets.json");
    writeFileSync(file, "{ not json");
    expect(refusal({ ...unset, DATA_DIR: dataDir }).message).toStartWith(`${file} cannot be read as JSON`);
    writeFileSync(file, "{}");
    const missing = refusal({ ...unset, DATA_DIR: dataDir });
    expect(missing.variable).toBe("JWT_SECRET");
    expect(missing.message).toStartWith(`JWT_SECRET is required; it is read from ${file}`);
    writeFileSync(file, JSON.stringify({ JWT_SECRET: 42, COOKIE_SECRET: "short" }));
    expect(refusal({ ...unset, DATA_DIR: dataDir }).message).toContain(file);
    // A secret set in the environment is the environment's: the file is not blamed for it.
    expect(refusal({ ...unset, DATA_DIR: dataDir, JWT_SECRET: "short" }).message).not.toContain(file);
  });

  test("a DATA_DIR that cannot be created is named", () => {
    const refused = refusal({ ...unset, DATA_DIR: "/proc/nope" });
    expect(refused.variable).toBe("DATA_DIR");
    expect(refused.message).toContain("/proc/nope");
  });

  test('"production " with spaces is production: it must bring its own secrets, none are generated', () => {
    const dataDir = mkdtempSync(join(tmpdir(), "cv-prod-"));
    try {
      expect(() => loadConfig({ NODE_ENV: "production ", DATA_DIR: dataDir, DATABASE_URL: "postgres://x@127.0.0.1/x" })).toThrow(
        "JWT_SECRET",
      );
      expect(existsSync(join(dataDir, "dev-secrets.json"))).toBe(false);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("startupProblem", () => {
  test("an error that is no configuration or connection problem is left to surface with its stack", () => {
    const config = parseConfig({ ...TEST_ENV, DATABASE_URL: "postgres://root:pw@127.0.0.1:1/x" });
    expect(startupProblem(new TypeError("x is not a function"), config)).toBeUndefined();
    expect(startupProblem(Object.assign(new Error("deadlock detected"), { code: "40P01" }), config)).toBeUndefined();
    const refused = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
    // Drizzle wraps the driver's error in one naming the query.
    expect(startupProblem(new Error("Failed query: select 1", { cause: refused }), config)).toStartWith(
      "DATABASE_URL names 127.0.0.1:1",
    );
  });

  test("Postgres refusing what the URL or its role asks is one line naming the fix, without the password", () => {
    const config = parseConfig({ ...TEST_ENV, DATABASE_URL: "postgres://root:hunter2@127.0.0.1:5432/vault?foo=bar" });
    const lines: [string, string, string][] = [
      ["ECONNRESET", "Client network socket disconnected before secure TLS connection was established", "TLS (sslmode)"],
      ["42704", 'unrecognized configuration parameter "foo"', "the URL's query string"],
      ["42501", "permission denied for database vault", "grant it CREATE"],
      ["42P01", 'relation "ledger_accounts" does not exist', "bun run cli migrate"],
    ];
    for (const [code, message, fix] of lines) {
      const line = startupProblem(
        new Error("Failed query: select 1", { cause: Object.assign(new Error(message), { code }) }),
        config,
      );
      expect({ code, line }).toEqual({ code, line: expect.stringContaining(fix) });
      expect(line).not.toContain("hunter2");
    }
  });
});

describe("listenProblem", () => {
  /** What Bun's own bind throws for `hostname` (the server listens through it). */
  const bindError = (hostname: string, port = 0) => {
    try {
      Bun.serve({ hostname, port, fetch: () => new Response() }).stop(true);
    } catch (error) {
      return error;
    }
    throw new Error(`${hostname}:${port} was bound`);
  };

  test("a HOST this machine cannot listen on is one line naming HOST, whatever Bun says of it", () => {
    // 192.0.2.1 (TEST-NET-1) is no address of this machine; .invalid never resolves (RFC 6761).
    for (const host of ["192.0.2.1", "nonexistent.invalid"]) {
      expect(listenProblem(bindError(host), { host, port: 3000 })).toStartWith(`HOST ${host} `);
    }
  });

  test("a port in use names HOST and PORT; an error no setting explains is left to surface", () => {
    const taken = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
    try {
      const port = taken.port as number;
      expect(listenProblem(bindError("127.0.0.1", port), { host: "127.0.0.1", port })).toBe(
        `port in use: another process listens on HOST 127.0.0.1 and PORT ${port}`,
      );
    } finally {
      taken.stop(true);
    }
    expect(listenProblem(new TypeError("x is not a function"), { host: "127.0.0.1", port: 3000 })).toBeUndefined();
  });
});
