/**
 * Every environment variable, parsed and validated once into a typed Config.
 * A bad value throws ConfigError naming the variable, so a misconfigured instance never starts.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { AmountError, parseAmount } from "./platform/money";

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

export type Asset = { symbol: string; name: string; precision: number; withdrawalFee: bigint };

/** The assets CryptoVault holds, with their decimal places (API.md, Money and prices). */
const ASSETS: Omit<Asset, "withdrawalFee">[] = [
  { symbol: "USD", name: "US Dollar", precision: 2 },
  { symbol: "BTC", name: "Bitcoin", precision: 8 },
  { symbol: "ETH", name: "Ethereum", precision: 18 },
  { symbol: "SOL", name: "Solana", precision: 9 },
  { symbol: "USDT", name: "Tether", precision: 6 },
];

const LOG_LEVELS = ["debug", "info", "warn", "error", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export type Config = ReturnType<typeof parseConfig>;
type Env = Record<string, string | undefined>;

/** Reads one variable through a parser; an empty string counts as unset. */
function reader(env: Env) {
  const raw = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  const int = (name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) => {
    const value = raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value)) throw new ConfigError(name, `must be a whole number, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };
  const bool = (name: string, fallback: boolean) => {
    const value = raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (["true", "1", "yes"].includes(value)) return true;
    if (["false", "0", "no"].includes(value)) return false;
    throw new ConfigError(name, `must be true or false, got "${value}"`);
  };
  const oneOf = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const value = raw(name) ?? fallback;
    if (!choices.includes(value as T)) throw new ConfigError(name, `must be one of ${choices.join(", ")}, got "${value}"`);
    return value as T;
  };
  const url = (name: string, protocols: string[]) => {
    const value = raw(name);
    if (value === undefined) return undefined;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, "must be a URL");
    }
    if (!protocols.includes(parsed.protocol)) throw new ConfigError(name, `must use ${protocols.join(" or ")}`);
    return value;
  };
  /** Whole US dollars, for limits and thresholds: kept in cents like every USD amount. */
  const usd = (name: string, fallback: string) => {
    try {
      return parseAmount(raw(name) ?? fallback, 2, { allowZero: true });
    } catch (error) {
      throw new ConfigError(name, `must be a plain decimal amount of USD (${(error as Error).message})`);
    }
  };
  return { raw, int, bool, oneOf, url, usd };
}

function parseWithdrawalFees(value: string): Map<string, bigint> {
  const fees = new Map<string, bigint>();
  for (const pair of value.split(",")) {
    const [symbol, amount] = pair.split(":").map((s) => s.trim());
    const asset = ASSETS.find((a) => a.symbol === symbol);
    if (!asset || amount === undefined) throw new ConfigError("WITHDRAWAL_FEES", `has an unknown entry "${pair}"`);
    try {
      fees.set(symbol, parseAmount(amount, asset.precision, { allowZero: true }));
    } catch (error) {
      if (error instanceof AmountError) throw new ConfigError("WITHDRAWAL_FEES", `${symbol} fee ${error.message}`);
      throw error;
    }
  }
  return fees;
}

function parseOrigins(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((origin) => {
    const trimmed = origin.trim().replace(/\/$/, "");
    try {
      return new URL(trimmed).origin;
    } catch {
      throw new ConfigError("CORS_ORIGINS", `has an entry that is not an origin: "${trimmed}"`);
    }
  });
}

/** Pure: the same environment always yields the same Config. Secrets must already be present. */
export function parseConfig(env: Env) {
  const r = reader(env);
  const nodeEnv = r.oneOf("NODE_ENV", ["development", "production", "test"] as const, "development");
  const production = nodeEnv === "production";
  const port = r.int("PORT", 3000, 0, 65535);

  for (const name of ["DATABASE_URL", "JWT_SECRET", "COOKIE_SECRET"]) {
    if (production && !r.raw(name)) throw new ConfigError(name, "is required when NODE_ENV=production");
  }
  const secret = (name: string) => {
    const value = r.raw(name);
    if (value === undefined) throw new ConfigError(name, "is required");
    if (value.length < 32) throw new ConfigError(name, "must be at least 32 characters (32+ random bytes)");
    return value;
  };

  const fees = parseWithdrawalFees(r.raw("WITHDRAWAL_FEES") ?? "BTC:0.0001,ETH:0.001,SOL:0.001,USDT:1,USD:0");
  const assets: Asset[] = ASSETS.map((a) => ({ ...a, withdrawalFee: fees.get(a.symbol) ?? 0n }));
  const coincapKey = r.raw("COINCAP_API_KEY");

  return {
    nodeEnv,
    production,
    port,
    host: r.raw("HOST") ?? "0.0.0.0",
    publicUrl: (r.url("PUBLIC_URL", ["http:", "https:"]) ?? `http://localhost:${port}`).replace(/\/$/, ""),
    corsOrigins: parseOrigins(r.raw("CORS_ORIGINS")),
    /** Behind a reverse proxy (Render, a load balancer) the client's IP is the last X-Forwarded-For hop. */
    trustProxy: r.bool("TRUST_PROXY", false),
    databaseUrl: r.url("DATABASE_URL", ["postgres:", "postgresql:"]),
    /** Connections to DATABASE_URL per instance. Under load, about twice the database server's cores does best. */
    databasePoolSize: r.int("DATABASE_POOL_SIZE", 10, 1, 1000),
    dataDir: resolve(r.raw("DATA_DIR") ?? "./data"),
    redisUrl: r.url("REDIS_URL", ["redis:", "rediss:"]),
    redisKeyPrefix: r.raw("REDIS_KEY_PREFIX") ?? "cryptovault:",
    jwtSecret: secret("JWT_SECRET"),
    cookieSecret: secret("COOKIE_SECRET"),
    // API.md: Secure in production whatever COOKIE_SECURE says; COOKIE_SECURE=true adds it elsewhere (HTTPS staging).
    cookieSecure: production || r.bool("COOKIE_SECURE", false),
    maxBodyBytes: r.int("MAX_BODY_BYTES", 65536, 1024, 64 * 1024 * 1024),
    smtpUrl: r.url("SMTP_URL", ["smtp:", "smtps:"]),
    mailFrom: r.raw("MAIL_FROM") ?? "CryptoVault <no-reply@localhost>",
    sentryDsn: r.url("SENTRY_DSN", ["http:", "https:"]),
    logLevel: r.oneOf("LOG_LEVEL", LOG_LEVELS, nodeEnv === "test" ? "warn" : "info"),
    rateLimitPerMinute: r.int("RATE_LIMIT_PER_MINUTE", 100, 1),
    loginFailuresPer15Min: r.int("LOGIN_FAILURES_PER_15_MIN", 10, 1),
    argon2MemoryKib: r.int("ARGON2_MEMORY_KIB", 65536, 1024),
    priceSource: r.oneOf("PRICE_SOURCE", ["simulated", "coincap"] as const, coincapKey ? "coincap" : "simulated"),
    coincapApiKey: coincapKey,
    coincapRestUrl: r.url("COINCAP_REST_URL", ["http:", "https:"]) ?? "https://rest.coincap.io/v3",
    coincapWsUrl: r.url("COINCAP_WS_URL", ["ws:", "wss:"]) ?? "wss://wss.coincap.io",
    priceTickMs: r.int("PRICE_TICK_MS", 1000, 50),
    depositProvider: r.oneOf("DEPOSIT_PROVIDER", ["sandbox"] as const, "sandbox"),
    depositWebhookSecret: r.raw("DEPOSIT_WEBHOOK_SECRET"),
    depositSandboxConfirmSeconds: r.int("DEPOSIT_SANDBOX_CONFIRM_SECONDS", 10),
    addressCooldownHours: r.int("ADDRESS_COOLDOWN_HOURS", 24),
    withdrawalLockHours: r.int("WITHDRAWAL_LOCK_HOURS", 24),
    withdrawalReviewThresholdUsd: r.usd("WITHDRAWAL_REVIEW_THRESHOLD_USD", "10000"),
    amlReviewThresholdUsd: r.usd("AML_REVIEW_THRESHOLD_USD", "10000"),
    p2pDailyLimitUsd: r.usd("P2P_DAILY_LIMIT_USD", "25000"),
    withdrawalDailyLimitUsd: r.usd("WITHDRAWAL_DAILY_LIMIT_USD", "50000"),
    requireEmailVerification: r.bool("REQUIRE_EMAIL_VERIFICATION", true),
    tradingSpreadBps: r.int("TRADING_SPREAD_BPS", 50, 0, 10000),
    tradingFeeBps: r.int("TRADING_FEE_BPS", 10, 0, 10000),
    sanctionedAddressesFile: r.raw("SANCTIONED_ADDRESSES_FILE"),
    assets,
  };
}

/**
 * Outside production a developer configures nothing: missing secrets are generated once and kept in
 * DATA_DIR, so sessions survive a restart. In production parseConfig refuses to start without them.
 */
function withDevelopmentSecrets(env: Env): Env {
  if (env.NODE_ENV === "production" || (env.JWT_SECRET && env.COOKIE_SECRET)) return env;
  const dir = resolve(env.DATA_DIR?.trim() || "./data");
  const file = join(dir, "dev-secrets.json");
  let stored: Record<string, string> = {};
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, "utf8"));
  } else {
    stored = { JWT_SECRET: randomBytes(32).toString("hex"), COOKIE_SECRET: randomBytes(32).toString("hex") };
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(stored), { mode: 0o600 });
  }
  return { ...env, JWT_SECRET: env.JWT_SECRET || stored.JWT_SECRET, COOKIE_SECRET: env.COOKIE_SECRET || stored.COOKIE_SECRET };
}

export function loadConfig(env: Env = process.env): Config {
  return parseConfig(withDevelopmentSecrets(env));
}
