/**
 * The scheduled integrity check: every INTEGRITY_CHECK_INTERVAL_MINUTES the instance holding a lease (Redis; without
 * Redis the only process) runs `ledger:verify` and `audit:verify` as the CLI does, records what they found in
 * integrity_checks, logs it, and sends a finding to Sentry. Every instance's /metrics shows the last result, so an
 * alert needs no cron job and no CLI: a damaged ledger is seen within the interval, not when someone happens to look.
 *
 * It runs as the CLI does, a statement at a time, never in one long transaction: that would hold back VACUUM on the
 * busiest tables and make a migration's lock wait for it, with every request queued behind the migration. The audit
 * walk hashes every row in this process, so it is paced to leave the requests most of a core.
 */
import { sql } from "drizzle-orm";
import type { Config } from "../../config";
import type { Bus } from "../../platform/bus";
import { type Database, type Db, queryRows } from "../../platform/db/client";
import { holdLeadership, type LeaseOptions } from "../../platform/lease";
import type { Logger } from "../../platform/observability/logger";
import type { Metrics } from "../../platform/observability/metrics";
import { reportError } from "../../platform/observability/sentry";
import { startWorker, type Worker } from "../../platform/worker";
import { auditFindings, verifyAuditChains } from "../audit/service";
import { assetAmountText } from "../ledger/assets";
import { ledgerFindings, verifyLedger } from "../ledger/verify";
import type { IntegrityChecks } from "./model";
import { integrityChecks } from "./schema";

/** A check's result as recorded: `complete` is false when part of it could not be tried (a read-only role). */
type Outcome = { problems: number; findings: string[]; complete: boolean };

/** After each batch of the audit walk, three times its time is left to the requests: a quarter of a core at most. */
const PACE = 3;

const CHECKS: Record<string, (db: Db, config: Config, signal?: AbortSignal) => Promise<Outcome>> = {
  async ledger(db, config) {
    const report = await verifyLedger(db, assetAmountText(config));
    return { problems: report.problems.length, findings: ledgerFindings(report), complete: report.untried.length === 0 };
  },
  async audit(db, _config, signal) {
    const report = await verifyAuditChains(db, { signal, pace: (batchMs) => Bun.sleep(batchMs * PACE) });
    return { problems: report.problems.length, findings: auditFindings(report), complete: true };
  },
};

/** A thousand violations would make a row and a log line nobody reads; the CLI names them all. */
export const FINDINGS_KEPT = 20;

/**
 * Of the check's own connection: a statement the stop cuts off ends within a second, not when Postgres next
 * writes to the closed socket (a ledger statement ran on for 3 s after the process had gone).
 */
export const CHECK_CONNECTION_SETTINGS = { client_connection_check_interval: "1s" };

/** A dead lease holder's lease runs out after ttl; another instance takes the checks over within ttl + renewal. */
const LEASE: LeaseOptions = { ttlMs: 30_000, renewMs: 10_000 };

type IntegrityDeps = { db: Db; config: Config; logger: Logger; metrics: Metrics };

/**
 * Runs each check whose last run is an interval old (or never ran, or ran on the database this one was restored
 * from), then shows the recorded results in this instance's metrics. Returns how many checks ran. `signal` (the
 * server stopping) throws the running check away; the next lease holder runs it when it is due.
 */
export async function runDueIntegrityChecks(
  deps: IntegrityDeps,
  { now = new Date(), signal }: { now?: Date; signal?: AbortSignal } = {},
): Promise<number> {
  const { db, config, logger } = deps;
  const intervalMs = config.integrityCheckIntervalMinutes * 60_000;
  const [current] = await queryRows<{ oid: string }>(
    db,
    sql`select oid::int8::text as oid from pg_database where datname = current_database()`,
  );
  const databaseOid = Number(current.oid);
  const last = new Map((await db.select().from(integrityChecks)).map((row) => [row.name, row]));
  const results: { check: string; outcome: Outcome; ms: number }[] = [];
  try {
    for (const [check, run] of Object.entries(CHECKS)) {
      const lastRun = last.get(check);
      const recent = lastRun && now.getTime() - lastRun.checkedAt.getTime() < intervalMs;
      if (recent && lastRun.databaseOid === databaseOid) continue;
      signal?.throwIfAborted();
      const started = performance.now();
      const found = await run(db, config, signal);
      const outcome = { ...found, findings: found.findings.slice(0, FINDINGS_KEPT) };
      const row = { name: check, checkedAt: now, ...outcome, databaseOid };
      await db.insert(integrityChecks).values(row).onConflictDoUpdate({ target: integrityChecks.name, set: row });
      results.push({ check, outcome, ms: Math.round(performance.now() - started) });
    }
  } catch (error) {
    if (!signal?.aborted) throw error;
    logger.info("integrity check stopped with the server; it runs again when due");
  }
  // Told once recorded, and once the metrics show it; told even if the metrics cannot be read.
  try {
    await showInMetrics(deps);
  } finally {
    for (const { check, outcome, ms } of results) report(logger, check, outcome, ms);
  }
  return results.length;
}

/**
 * The worker of main.ts: each tick (a minute) the lease holder runs what is due, and every instance shows the last
 * results in its metrics; the first tick comes within seconds of the start, so a new instance's metrics are there.
 * `deps.db` should be a connection of the check's own (`ownDatabase`, closed at `stop`): on a large ledger a check's
 * statement takes seconds, and a request's query queued behind it on a shared connection would wait as long. At
 * `stop` that connection is ended at once, so a running statement fails instead of holding the shutdown up.
 */
export function startIntegrityChecks(
  deps: IntegrityDeps & { bus: Bus },
  { tickMs = 60_000, lease = LEASE, ownDatabase }: { tickMs?: number; lease?: LeaseOptions; ownDatabase?: Database } = {},
): Worker {
  const { bus, config, logger } = deps;
  const noop = () => {};
  const leadership = holdLeadership(
    bus,
    `${config.redisKeyPrefix}lease:integrity`,
    lease,
    { onAcquire: noop, onRelease: noop },
    logger,
  );
  const worker = startWorker(
    "integrity-check",
    tickMs,
    async (signal) => {
      try {
        if (leadership.isLeader()) return await runDueIntegrityChecks(deps, { signal });
        await showInMetrics(deps);
        return 0;
      } catch (error) {
        // Stopping: the check's connection was ended under it.
        if (signal.aborted) return 0;
        throw error;
      }
    },
    logger,
    { firstTickWithinMs: 5_000 },
  );
  return {
    name: worker.name,
    async stop() {
      const stopped = worker.stop(); // aborts the running check at once, then waits for it
      await ownDatabase?.close({ now: true });
      await stopped;
      await leadership.stop();
    },
  };
}

function report(logger: Logger, check: string, outcome: Outcome, ms: number) {
  const fields = { check, problems: outcome.problems, findings: outcome.findings, ms };
  if (outcome.problems > 0) {
    logger.error("integrity check found problems", fields);
    reportError(new Error(`integrity check ${check}: ${outcome.problems} problems`), fields);
  } else if (!outcome.complete) logger.warn("integrity check clean, but not everything could be tried", fields);
  else logger.info("integrity check clean", { check, ms });
}

/** Sets this instance's integrity gauges from the recorded results, whichever instance ran the checks. */
async function showInMetrics({ db, metrics }: IntegrityDeps) {
  for (const row of await db.select().from(integrityChecks)) {
    metrics.integrityProblems.set({ check: row.name }, row.problems);
    metrics.integrityCheckedAt.set({ check: row.name }, row.checkedAt.getTime() / 1000);
  }
}

/** The last result of each check, for an admin (GET /api/admin/integrity). */
export async function lastIntegrityChecks(db: Db, config: Config): Promise<IntegrityChecks> {
  const rows = await db.select().from(integrityChecks).orderBy(integrityChecks.name);
  return {
    intervalMinutes: config.integrityCheckIntervalMinutes,
    checks: rows.map((row) => ({
      name: row.name as IntegrityChecks["checks"][number]["name"],
      checkedAt: row.checkedAt.toISOString(),
      problems: row.problems,
      findings: row.findings,
      complete: row.complete,
    })),
  };
}
