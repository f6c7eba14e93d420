/** Boot: config → db → bus → createApp → listen. SIGTERM/SIGINT drain and close everything, then exit 0. */
import { isIP } from "node:net";
import { join } from "node:path";
import { createApp, createServices, WEB_DIST } from "./app";
import { type Config, followBoundPort, loadConfig, plainHttpWarning } from "./config";
import { deleteSpentEmailTokens, EMAIL_TOKEN_CLEANUP_BATCH } from "./modules/identity/email-tokens";
import { deleteTokensOfEndedSessions, TOKEN_CLEANUP_BATCH } from "./modules/identity/sessions";
import { unreadableTwoFactorSecrets } from "./modules/identity/two-factor";
import { CHECK_CONNECTION_SETTINGS, startIntegrityChecks } from "./modules/system/integrity";
import { VERSION } from "./modules/system/service";
import { deleteOldQuotes } from "./modules/trading/service";
import { ORDER_TRIGGER_BATCH, runOrderTriggers } from "./modules/trading/triggers";
import { runSandboxDeposits, SANDBOX_DEPOSIT_BATCH, sandboxProductionWarning } from "./modules/wallet/deposits";
import { PAYOUT_BATCH, runPayouts } from "./modules/wallet/payouts";
import { providersFor, sandboxDepositProvider } from "./modules/wallet/providers";
import { createBus, quietRepeats } from "./platform/bus";
import { openDatabase } from "./platform/db/client";
import { migrate } from "./platform/db/migrate";
import { createOutboxRelay, OUTBOX_BATCH } from "./platform/events/relay";
import { deleteExpiredKeys } from "./platform/idempotency";
import { deleteOldMail, drainMailOutbox, MAIL_BATCH, MAIL_CLEANUP_BATCH } from "./platform/mail/outbox";
import { createMailTransport } from "./platform/mail/transports";
import { createLogger } from "./platform/observability/logger";
import { createMetrics } from "./platform/observability/metrics";
import { flushSentry, initSentry, reportError } from "./platform/observability/sentry";
import { startWorker } from "./platform/worker";
import { listenProblem, startupProblem } from "./startup-problem";
import { ensureWebBuilt } from "./web-build";

/** In-flight requests get this long to finish after a stop signal. */
const DRAIN_MS = 10_000;
/** Then workers and connections get this long to close. */
const CLOSE_MS = 5_000;

/**
 * A start that fails on what an operator can fix (a setting, the database, DATA_DIR) ends with one log line
 * naming it, shown whatever LOG_LEVEL says; anything else is a bug and keeps its stack.
 */
function exitOnStartupProblem(error: unknown, config?: Config): never {
  const problem = startupProblem(error, config);
  if (problem === undefined) throw error;
  createLogger("error").error(problem);
  process.exit(1);
}

function loadConfigOrExit() {
  try {
    return loadConfig();
  } catch (error) {
    return exitOnStartupProblem(error);
  }
}

/** The address in a URL: an IPv6 one in brackets (`http://[::]:3000`). */
const urlHost = (host: string) => (isIP(host) === 6 ? `[${host}]` : host);

const config = loadConfigOrExit();
const logger = createLogger(config.logLevel);
initSentry(config.sentryDsn, config.nodeEnv, VERSION);
ensureWebBuilt(WEB_DIST, logger);

const startedAt = performance.now();
const database = await openDatabase({
  url: config.databaseUrl,
  dataDir: join(config.dataDir, "pg"),
  poolSize: config.databasePoolSize,
}).catch((error) => exitOnStartupProblem(error, config));
// The first statement on DATABASE_URL: where a wrong host, database or password shows.
const migrations = await migrate(database).catch((error) => exitOnStartupProblem(error, config));
// An upgrade's schema change is on record in the log, with when it happened.
if (migrations.applied > 0) logger.info("database migrated", migrations);
const bus = createBus(
  config.redisUrl,
  config.redisKeyPrefix,
  quietRepeats((error, context) => logger.warn("bus error", { context, error: (error as Error).message })),
);
const metrics = createMetrics();
const deps = { config, database, bus, logger, metrics };
const services = createServices(deps);
const app = createApp(deps, {}, services);
try {
  // Bun's own limit is far above ours so that an oversized body meets our 413 envelope, not an empty answer.
  // Elysia asks for SO_REUSEPORT by default: a second instance on a taken port would then share it silently
  // and answer half of its requests. A port in use must stop the start instead.
  app.listen({ port: config.port, hostname: config.host, maxRequestBodySize: 1024 * 1024 * 1024, reusePort: false });
} catch (error) {
  const problem = listenProblem(error, config);
  if (problem === undefined) throw error;
  // A start-up problem an operator fixes: shown whatever LOG_LEVEL says, as exitOnStartupProblem does.
  createLogger("error").error(problem, { host: config.host, port: config.port });
  // The price feed started with the services: stopped first, so closing under it logs no false outage.
  await services.runtime.stop();
  await Promise.allSettled([bus.close(), database.close()]);
  process.exit(1);
}

// Before any request is served: nothing was awaited since listening.
followBoundPort(config, app.server?.port ?? config.port);
const mail = createMailTransport(config, logger);
const insecure = plainHttpWarning(config);
if (insecure) logger.warn(insecure, { publicUrl: config.publicUrl });
const providers = providersFor(config);
// The sandbox moves no real money; a real provider, once there is one, starts without this warning.
if (config.production && providers.deposit === sandboxDepositProvider) {
  logger.warn(sandboxProductionWarning(config.depositSandboxConfirmSeconds), {
    selfConfirmSeconds: config.depositSandboxConfirmSeconds,
  });
}
// The integrity check's own connection (system/integrity.ts); PGlite is one connection whatever is asked of it.
const ownDatabase =
  config.integrityCheckIntervalMinutes > 0 && database.kind === "postgres"
    ? await openDatabase({ url: config.databaseUrl, poolSize: 1, settings: CHECK_CONNECTION_SETTINGS })
    : undefined;
const checkDatabase = ownDatabase ?? database;
/**
 * An hourly cleanup (README: Retention), the first a minute after start: what it removed is logged, so an operator
 * sees it run. A pass that removed a whole `batch` runs again at once.
 */
const startCleanup = (name: string, clean: () => Promise<number>, batch?: number) =>
  startWorker(
    name,
    3_600_000,
    async () => {
      const removed = await clean();
      if (removed > 0) logger.info("cleaned up", { worker: name, removed });
      return removed;
    },
    logger,
    { fullBatch: batch },
  );
const workers = [
  startWorker("mail", 1000, (signal) => drainMailOutbox(database.db, mail, logger, { signal, metrics }), logger, {
    fullBatch: MAIL_BATCH,
  }),
  // Private events reach sockets within a fraction of a second of their commit.
  startWorker("events", 100, createOutboxRelay(database.db, bus), logger, { fullBatch: OUTBOX_BATCH }),
  startWorker("sandbox-deposits", 1000, () => runSandboxDeposits(services.money), logger, { fullBatch: SANDBOX_DEPOSIT_BATCH }),
  startWorker("payouts", 1000, () => runPayouts(services.money, providers.payout, logger), logger, { fullBatch: PAYOUT_BATCH }),
  // Limit and stop orders react within half a second of the tick that crosses their price.
  startWorker("order-triggers", 500, (signal) => runOrderTriggers(services.trading, { signal }), logger, {
    fullBatch: ORDER_TRIGGER_BATCH,
  }),
  startCleanup("idempotency-cleanup", () => deleteExpiredKeys(database.db)),
  startCleanup("quote-cleanup", () => deleteOldQuotes(database.db)),
  startCleanup("refresh-token-cleanup", () => deleteTokensOfEndedSessions(database.db), TOKEN_CLEANUP_BATCH),
  startCleanup("email-token-cleanup", () => deleteSpentEmailTokens(database.db), EMAIL_TOKEN_CLEANUP_BATCH),
  startCleanup("mail-cleanup", () => deleteOldMail(database.db), MAIL_CLEANUP_BATCH),
  ...(config.integrityCheckIntervalMinutes > 0 ? [startIntegrityChecks({ ...deps, db: checkDatabase.db }, { ownDatabase })] : []),
];
const { runtime } = services;

logger.info("listening", {
  url: `http://${urlHost(config.host)}:${app.server?.port}`,
  port: app.server?.port,
  database: database.kind,
  bus: bus.kind,
  mail: mail.kind,
  bootMs: Math.round(performance.now() - startedAt),
});

// After listening: on a large users table the sample may take a while, and nothing waits for it.
void warnOfUnreadableTwoFactorSecrets().catch((error) =>
  logger.warn("could not check the two-factor secrets against COOKIE_SECRET", { error: (error as Error).message }),
);

/** A database restored without its COOKIE_SECRET starts, but its 2FA users need their recovery codes: said at once. */
async function warnOfUnreadableTwoFactorSecrets() {
  const { checked, unreadable } = await unreadableTwoFactorSecrets(services.identity);
  if (unreadable === 0) return;
  const message = `COOKIE_SECRET does not unseal ${unreadable} of ${checked} two-factor secrets sampled: they were sealed under another COOKIE_SECRET. Start with that one (README: Backups); until then these users can sign in and move money only with a recovery code`;
  logger.error(message, { checked, unreadable });
  reportError(new Error(message));
}

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  logger.info("shutting down", { signal });
  const server = app.server;
  // Stop accepting at once; in-flight requests finish unless they outlive the drain window.
  const drained = server?.stop(false) ?? Promise.resolve();
  // Sockets never end by themselves: they are told the server is going away (1001) and reconnect elsewhere.
  runtime.hub.closeAll();
  const timer = setTimeout(() => server?.stop(true), DRAIN_MS);
  await drained;
  clearTimeout(timer);
  const closeTheRest = async () => {
    await Promise.all(workers.map((worker) => worker.stop()));
    await runtime.stop();
    mail.close();
    await Promise.allSettled([bus.close(), database.close()]);
    return true;
  };
  // Bounded too: a worker's tick or a closing connection may wait on a database that does not answer, and
  // the process must be gone well within `docker stop -t 20`.
  if (!(await Promise.race([closeTheRest(), Bun.sleep(CLOSE_MS).then(() => false)]))) {
    logger.warn("shutdown: workers or connections did not finish in time; exiting anyway", { ms: CLOSE_MS });
  }
  await flushSentry();
  logger.info("stopped", { signal });
  process.exit(0);
}

process.on("SIGTERM", () => void shutdown("SIGTERM"));
process.on("SIGINT", () => void shutdown("SIGINT"));
process.on("unhandledRejection", (error) => {
  logger.error("unhandled rejection", { error });
  reportError(error);
});
