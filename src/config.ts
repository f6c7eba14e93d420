/**
 * Every environment variable, parsed and validated once into a typed Config.
 * A bad value throws ConfigError naming the variable, so a misconfigured instance never starts.
 */
import { randomBytes } from "node:crypto";
import { accessSync, constants, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join, resolve } from "node:path";
import { AmountError, parseAmount } from "./platform/money";

/** A setting that stops the start: `variable` names it (an environment variable, or a file the start reads). */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    readonly problem: string,
  ) {
    super(`${variable} ${problem}`);
    this.name = "ConfigError";
  }
}

/** DATA_DIR refused, with the file-system error met creating or writing in it (a path under /proc, a read-only volume). */
export function dataDirError(dir: string, error: NodeJS.ErrnoException): ConfigError {
  return new ConfigError("DATA_DIR", `must be a directory this user can create and write ("${dir}"): ${error.message}`);
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

/** A mail address as settings take it: one @, nothing around it that would make it two or a name. */
const MAIL_ADDRESS = /^[^\s<>@,;]+@[^\s<>@,;]+$/;

/**
 * The largest limit or threshold in USD, in cents (10^15 USD). A USD value a limit lets through is stored in bigint
 * cents (daily totals, a transfer's or withdrawal's worth): bounded so, it and a day's sum of such fit with room.
 */
export const MAX_USD_SETTING_CENTS = 10n ** 17n;

/** Reads one variable through a parser; an empty string counts as unset. */
function reader(env: Env) {
  const raw = (name: string) => {
    const value = env[name]?.trim();
    return value === undefined || value === "" ? undefined : value;
  };
  /** Every setting names its maximum: an absurd value (a timer of years, a date past 275760) stops the start. */
  const int = (name: string, fallback: number, min: number, max: number) => {
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
  /** A hostname's form (RFC 1123); a last label of digits only is a mistyped IPv4 address such as 999.1.1.1. */
  const host = (name: string, fallback: string) => {
    const value = raw(name) ?? fallback;
    const labels = value.split(".");
    const hostname =
      value.length <= 253 &&
      labels.every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label)) &&
      !/^\d+$/.test(labels.at(-1) ?? "");
    if (!isIP(value) && !hostname) throw new ConfigError(name, `must be an IP address or a hostname, got "${value}"`);
    return value;
  };
  /**
   * A mail's From: an address, or a name and an address in angle brackets. Without an address the mail would go
   * out with no From header and an empty envelope sender, which mail servers refuse or file as spam.
   */
  const mailbox = (name: string, fallback: string) => {
    const value = raw(name) ?? fallback;
    const named = /^([^<>]*)<([^<>]+)>$/.exec(value.trim());
    if (!(named ? MAIL_ADDRESS.test(named[2].trim()) : MAIL_ADDRESS.test(value.trim())))
      throw new ConfigError(
        name,
        `must be an address (no-reply@example.com) or a name and one (Vault <no-reply@example.com>), got "${value}"`,
      );
    return value;
  };
  /** A plain mail address, shown to users as is (a mailto: link), or undefined when unset. */
  const mailAddress = (name: string) => {
    const value = raw(name);
    if (value !== undefined && !MAIL_ADDRESS.test(value)) {
      throw new ConfigError(name, `must be a mail address (support@example.com), got "${value}"`);
    }
    return value;
  };
  /** Checked here so that a wrong path stops the start with its name, not later with a stack trace. */
  const readableFile = (name: string) => {
    const path = raw(name);
    if (path === undefined) return undefined;
    let problem: string | undefined;
    try {
      if (!statSync(path).isFile()) problem = "is not a file";
      else accessSync(path, constants.R_OK);
    } catch (error) {
      problem = (error as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : "cannot be read";
    }
    if (problem) throw new ConfigError(name, `must be a readable file, but "${path}" ${problem}`);
    return path;
  };
  /** A USD amount (up to two decimals) for limits and thresholds, kept in cents like every USD amount. */
  const usdCents = (name: string, fallback: string) => {
    let cents: bigint;
    try {
      cents = parseAmount(raw(name) ?? fallback, 2, { allowZero: true });
    } catch (error) {
      throw new ConfigError(name, `must be a plain decimal amount of USD (${(error as Error).message})`);
    }
    if (cents > MAX_USD_SETTING_CENTS) throw new ConfigError(name, `must be at most ${MAX_USD_SETTING_CENTS / 100n} USD`);
    return cents;
  };
  return { raw, int, bool, oneOf, url, host, mailbox, mailAddress, readableFile, usdCents };
}

/** README's defaults; WITHDRAWAL_FEES replaces the fees of the assets it lists, the others keep these. */
const DEFAULT_WITHDRAWAL_FEES = "BTC:0.0001,ETH:0.001,SOL:0.001,USDT:1,USD:0";

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

/** Sentry's DSN form, https://<public key>@<host>/<project id>: Sentry itself ignores any other value silently. */
function parseSentryDsn(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const dsn = new URL(value);
  if (!/^\w+$/.test(dsn.username) || !/^\d+$/.test(dsn.pathname.split("/").at(-1) ?? ""))
    throw new ConfigError("SENTRY_DSN", "must be a Sentry DSN, https://<public key>@<host>/<project id>");
  return value;
}

const MAKE_SECRET = "make one with `openssl rand -hex 32`";
/** Long enough to be rare by chance: 64 random hex characters repeat a run this long about once in 700 million. */
const REPEATED_RUN = 10;

/**
 * Why a secret looks typed by a person rather than generated ("changeme-changeme-…", "aaaa…"), if it does.
 * A generated secret fails with odds below 1 in 20 million, even 32 hex characters (`openssl rand -hex 16`):
 * requiring more different characters would refuse some of those (12 would refuse 1 in 60).
 */
function typedSecretProblem(value: string): string | undefined {
  if (new Set(value).size < 8) return "uses fewer than 8 different characters";
  const runs = new Set<string>();
  for (let i = 0; i + REPEATED_RUN <= value.length; i++) {
    const run = value.slice(i, i + REPEATED_RUN);
    if (runs.has(run)) return `repeats a run of ${REPEATED_RUN} characters`;
    runs.add(run);
  }
  return undefined;
}

/**
 * CORS_ORIGINS: web origins (http or https, host, port), each trusted with the user's cookies. Anything else is refused,
 * not bent into one: `localhost:5173` (its scheme left off) parses as a URL of scheme "localhost:", whose origin is
 * "null", the origin every sandboxed frame on any site sends.
 */
function parseOrigins(value: string | undefined): string[] {
  if (!value) return [];
  return value.split(",").map((origin) => {
    const trimmed = origin.trim().replace(/\/$/, "");
    const url = URL.parse(trimmed);
    if (
      !url ||
      !["http:", "https:"].includes(url.protocol) ||
      url.pathname !== "/" ||
      url.search ||
      url.hash ||
      url.username ||
      url.password
    )
      throw new ConfigError(
        "CORS_ORIGINS",
        `has an entry that is not an origin such as https://app.example.com (http or https, no path): "${trimmed}"`,
      );
    return url.origin;
  });
}

/** PUBLIC_URL's default: this machine at the port listened on. */
const localUrl = (port: number) => `http://localhost:${port}`;

/**
 * PORT=0 listens on any free port, known only once listening: the default PUBLIC_URL (mail links, the app's own
 * origin) then follows the port bound. A PUBLIC_URL on port 0 that was set by hand could not be reached either.
 */
export function followBoundPort(config: Config, boundPort: number): void {
  if (config.port === 0 && config.publicUrl === localUrl(0)) config.publicUrl = localUrl(boundPort);
}

/**
 * The same environment always yields the same Config; the only thing read besides it is whether
 * SANCTIONED_ADDRESSES_FILE can be read. Secrets must already be present.
 */
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
    if (value.length < 32) throw new ConfigError(name, `must be at least 32 characters; ${MAKE_SECRET}`);
    // In production (elsewhere secrets are generated): a guessable COOKIE_SECRET would let anyone sign deposit
    // webhooks, whose key is derived from it when DEPOSIT_WEBHOOK_SECRET is unset.
    const typed = production ? typedSecretProblem(value) : undefined;
    if (typed) throw new ConfigError(name, `looks typed, not random: it ${typed}; ${MAKE_SECRET}`);
    return value;
  };
  const jwtSecret = secret("JWT_SECRET");
  const cookieSecret = secret("COOKIE_SECRET");
  // Whoever knows the webhook secret can credit deposits: in production, when set, it meets the same bar.
  const webhookSecret = r.raw("DEPOSIT_WEBHOOK_SECRET");
  const depositWebhookSecret = production && webhookSecret ? secret("DEPOSIT_WEBHOOK_SECRET") : webhookSecret;
  // One leaked value must not also unlock what another secret guards.
  if (production && cookieSecret === jwtSecret)
    throw new ConfigError("COOKIE_SECRET", `must differ from JWT_SECRET; ${MAKE_SECRET}`);
  if (production && (depositWebhookSecret === jwtSecret || depositWebhookSecret === cookieSecret))
    throw new ConfigError("DEPOSIT_WEBHOOK_SECRET", `must differ from JWT_SECRET and COOKIE_SECRET; ${MAKE_SECRET}`);

  const fees = parseWithdrawalFees(DEFAULT_WITHDRAWAL_FEES);
  const listedFees = r.raw("WITHDRAWAL_FEES");
  if (listedFees) for (const [symbol, fee] of parseWithdrawalFees(listedFees)) fees.set(symbol, fee);
  const assets: Asset[] = ASSETS.map((a) => ({ ...a, withdrawalFee: fees.get(a.symbol) ?? 0n }));
  const coincapKey = r.raw("COINCAP_API_KEY");
  /** CoinCap's own API (v3) answers nothing without a key: prices would never come. Another COINCAP_REST_URL may not need one. */
  const coincapKeyed = (source: "simulated" | "coincap") => {
    if (source === "coincap" && !coincapKey && !r.raw("COINCAP_REST_URL"))
      throw new ConfigError(
        "COINCAP_API_KEY",
        "is required with PRICE_SOURCE=coincap (CoinCap's API answers nothing without one); set it, or PRICE_SOURCE=simulated",
      );
    return source;
  };

  return {
    nodeEnv,
    production,
    port,
    host: r.host("HOST", "0.0.0.0"),
    publicUrl: publicOrigin(r.url("PUBLIC_URL", ["http:", "https:"])) ?? localUrl(port),
    corsOrigins: parseOrigins(r.raw("CORS_ORIGINS")),
    /** Behind a reverse proxy (Render, a load balancer) the client's IP is the last X-Forwarded-For hop. */
    trustProxy: r.bool("TRUST_PROXY", false),
    databaseUrl: r.url("DATABASE_URL", ["postgres:", "postgresql:"]),
    /** Connections to DATABASE_URL per instance. Under load, about 1.5 times the database server's cores does best. */
    databasePoolSize: r.int("DATABASE_POOL_SIZE", 10, 1, 1000),
    dataDir: dataDirOf(env),
    redisUrl: r.url("REDIS_URL", ["redis:", "rediss:"]),
    redisKeyPrefix: r.raw("REDIS_KEY_PREFIX") ?? "cryptovault:",
    jwtSecret,
    cookieSecret,
    // API.md: Secure in production whatever COOKIE_SECURE says; COOKIE_SECURE=true adds it elsewhere (HTTPS staging).
    cookieSecure: production || r.bool("COOKIE_SECURE", false),
    maxBodyBytes: r.int("MAX_BODY_BYTES", 65536, 1024, 64 * 1024 * 1024),
    /** A request still unanswered after this long gets 503 UNAVAILABLE (platform/http/deadline.ts). */
    requestTimeoutSeconds: r.int("REQUEST_TIMEOUT_SECONDS", 10, 1, 600),
    smtpUrl: r.url("SMTP_URL", ["smtp:", "smtps:"]),
    mailFrom: r.mailbox("MAIL_FROM", "CryptoVault <no-reply@localhost>"),
    /** Where users reach the operator's support: the web app names it wherever it says "contact support". */
    supportEmail: r.mailAddress("SUPPORT_EMAIL"),
    sentryDsn: parseSentryDsn(r.url("SENTRY_DSN", ["http:", "https:"])),
    logLevel: r.oneOf("LOG_LEVEL", LOG_LEVELS, nodeEnv === "test" ? "warn" : "info"),
    // A billion is as good as no limit (benchmarks); nothing larger means more.
    rateLimitPerMinute: r.int("RATE_LIMIT_PER_MINUTE", 100, 1, 1_000_000_000),
    wsAnonymousSocketsPerAddress: r.int("WS_ANONYMOUS_SOCKETS_PER_ADDRESS", 50, 1, 1_000_000_000),
    loginFailuresPer15Min: r.int("LOGIN_FAILURES_PER_15_MIN", 10, 1, 1_000_000_000),
    // Every password check holds this much memory while it runs; 1 GiB already takes seconds.
    argon2MemoryKib: r.int("ARGON2_MEMORY_KIB", 65536, 1024, 1024 * 1024),
    priceSource: coincapKeyed(r.oneOf("PRICE_SOURCE", ["simulated", "coincap"] as const, coincapKey ? "coincap" : "simulated")),
    coincapApiKey: coincapKey,
    coincapRestUrl: r.url("COINCAP_REST_URL", ["http:", "https:"]) ?? "https://rest.coincap.io/v3",
    coincapWsUrl: r.url("COINCAP_WS_URL", ["ws:", "wss:"]) ?? "wss://wss.coincap.io",
    // Past 2^31-1 ms Bun's timer fires every millisecond instead; an hour already means a price that never moves.
    priceTickMs: r.int("PRICE_TICK_MS", 1000, 50, 3_600_000),
    depositProvider: r.oneOf("DEPOSIT_PROVIDER", ["sandbox"] as const, "sandbox"),
    depositWebhookSecret,
    // An unpaid order expires after an hour (DEPOSIT_ORDER_TTL_MS): the sandbox's payer pays before then.
    depositSandboxConfirmSeconds: r.int("DEPOSIT_SANDBOX_CONFIRM_SECONDS", 10, 0, 3599),
    // A year at most: far larger values overflow the dates they compute.
    addressCooldownHours: r.int("ADDRESS_COOLDOWN_HOURS", 24, 0, 8760),
    withdrawalLockHours: r.int("WITHDRAWAL_LOCK_HOURS", 24, 0, 8760),
    withdrawalReviewThresholdUsdCents: r.usdCents("WITHDRAWAL_REVIEW_THRESHOLD_USD", "10000"),
    amlReviewThresholdUsdCents: r.usdCents("AML_REVIEW_THRESHOLD_USD", "10000"),
    p2pDailyLimitUsdCents: r.usdCents("P2P_DAILY_LIMIT_USD", "25000"),
    withdrawalDailyLimitUsdCents: r.usdCents("WITHDRAWAL_DAILY_LIMIT_USD", "50000"),
    requireEmailVerification: r.bool("REQUIRE_EMAIL_VERIFICATION", true),
    // Below 100 %: a 100 % spread sells at a price of 0, and a 100 % fee takes all an order is worth, so no order
    // could ever be worth its fee.
    tradingSpreadBps: r.int("TRADING_SPREAD_BPS", 50, 0, 9999),
    tradingFeeBps: r.int("TRADING_FEE_BPS", 10, 0, 9999),
    // 0 turns the scheduled check off (run the CLIs on your own schedule instead); a week at most.
    integrityCheckIntervalMinutes: r.int("INTEGRITY_CHECK_INTERVAL_MINUTES", 60, 0, 10080),
    sanctionedAddressesFile: r.readableFile("SANCTIONED_ADDRESSES_FILE"),
    assets,
  };
}

/** DATA_DIR as an absolute path (relative to the working directory), `./data` when unset. */
export const dataDirOf = (env: Env) => resolve(env.DATA_DIR?.trim() || "./data");

/**
 * PUBLIC_URL is where users reach the app: an origin (scheme, host, port). The app and its API live at its root, and
 * its origin is what browsers send and sockets are checked against, so a path (or a query, or credentials) could only
 * make mail links and those checks disagree with where the app is.
 */
function publicOrigin(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const url = new URL(value);
  if (url.pathname !== "/" || url.search || url.hash || url.username || url.password)
    throw new ConfigError(
      "PUBLIC_URL",
      `must be an origin such as https://vault.example.com, without a path, query or user, got "${value}"`,
    );
  return url.origin;
}

/**
 * In production the session cookies are Secure, which browsers keep only over HTTPS (and on this machine's own
 * address): a PUBLIC_URL of plain http:// elsewhere is an app where nobody stays signed in. Said at start.
 */
export function plainHttpWarning(config: Pick<Config, "production" | "publicUrl">): string | undefined {
  const url = new URL(config.publicUrl);
  if (!config.production || url.protocol !== "http:" || ["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) return;
  return `PUBLIC_URL is ${url.origin}, plain HTTP: in production the session cookies are Secure, which browsers keep only over HTTPS, so nobody could stay signed in; serve it over HTTPS (a TLS proxy in front) and set PUBLIC_URL to that address`;
}

const DEVELOPMENT_SECRETS = ["JWT_SECRET", "COOKIE_SECRET"] as const;

/**
 * Outside production a developer configures nothing: missing secrets are generated once and kept in
 * DATA_DIR, so sessions survive a restart. In production parseConfig refuses to start without them.
 * Returns the file and the secrets it supplies, or nothing when the environment has every secret.
 */
function developmentSecrets(env: Env, keepNew: boolean): { file: string; secrets: Env } | undefined {
  // Read as parseConfig reads them, trimmed: "production " is production, and must bring its own secrets.
  const missing = DEVELOPMENT_SECRETS.filter((name) => !env[name]?.trim());
  if (env.NODE_ENV?.trim() === "production" || missing.length === 0) return undefined;
  const dir = dataDirOf(env);
  const file = join(dir, "dev-secrets.json");
  const stored = existsSync(file) ? readSecretsFile(file) : keepNew ? createSecretsFile(dir, file) : newSecrets();
  return { file, secrets: Object.fromEntries(missing.map((name) => [name, stored[name]])) };
}

/** Only text counts as a secret: anything else in the file is as good as missing, and parseConfig says which. */
function readSecretsFile(file: string): Env {
  let stored: unknown;
  try {
    stored = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, `cannot be read as JSON (${(error as Error).message}); correct it, or delete it ${NEW_SECRETS}`);
  }
  const values = typeof stored === "object" && stored !== null ? (stored as Record<string, unknown>) : {};
  return Object.fromEntries(
    DEVELOPMENT_SECRETS.map((name) => [name, typeof values[name] === "string" ? values[name] : undefined]),
  );
}

const newSecrets = () => ({ JWT_SECRET: randomBytes(32).toString("hex"), COOKIE_SECRET: randomBytes(32).toString("hex") });

function createSecretsFile(dir: string, file: string): Env {
  const secrets = newSecrets();
  try {
    mkdirSync(dir, { recursive: true });
    writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  } catch (error) {
    throw dataDirError(dir, error as NodeJS.ErrnoException);
  }
  return secrets;
}

/** Deleting the file is always a way out: outside production a new pair of secrets only signs everybody out. */
const NEW_SECRETS = "to have new development secrets generated";

/**
 * `keepNewSecrets: false` for a process that signs and seals nothing (the CLI): missing development secrets are
 * then made for the process alone, and no file is left in DATA_DIR (perhaps a production one, reached without NODE_ENV).
 */
export function loadConfig(env: Env = process.env, { keepNewSecrets = true } = {}): Config {
  const development = developmentSecrets(env, keepNewSecrets);
  if (!development) return parseConfig(env);
  try {
    return parseConfig({ ...env, ...development.secrets });
  } catch (error) {
    // A secret the developer never typed is refused: name the file it came from.
    if (!(error instanceof ConfigError) || !(error.variable in development.secrets)) throw error;
    const { variable, problem } = error;
    throw new ConfigError(
      variable,
      `${problem}; it is read from ${development.file}: set ${variable}, or delete the file ${NEW_SECRETS}`,
    );
  }
}
