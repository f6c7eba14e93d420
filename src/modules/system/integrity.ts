/**
 * The scheduled integrity check: every INTEGRITY_CHECK_INTERVAL_MINUTES one instance runs `ledger:verify` and
 * `audit:verify` as the CLI does, records what they found in integrity_checks, logs it, and sends a finding to
 * Sentry. Every instance's /metrics then shows the last result, so an alert needs no cron job and no CLI:
 * a damaged ledger is seen within the interval, not when someone happens to look.
 */
import { sql } from "drizzle-orm";
import type { Config } from "../../config";
import { type Db, type DbTransaction, queryRows } from "../../platform/db/client";
import type { Logger } from "../../platform/observability/logger";
import type { Metrics } from "../../platform/observability/metrics";
import { reportError } from "../../platform/observability/sentry";
import { auditFindings, verifyAuditChains } from "../audit/service";
import { assetAmountText } from "../ledger/assets";
import { ledgerFindings, verifyLedger } from "../ledger/verify";
import { integrityChecks } from "./schema";

/** A check's result as recorded: `complete` is false when part of it could not be tried (a read-only role). */
type Outcome = { problems: number; findings: string[]; complete: boolean };

const CHECKS: Record<string, (tx: DbTransaction, config: Config) => Promise<Outcome>> = {
  async ledger(tx, config) {
    const report = await verifyLedger(tx, assetAmountText(config));
    return { problems: report.problems.length, findings: ledgerFindings(report), complete: report.untried.length === 0 };
  },
  async audit(tx) {
    const report = await verifyAuditChains(tx);
    return { problems: report.problems.length, findings: auditFindings(report), complete: true };
  },
};

/** A thousand violations would make a row and a log line nobody reads; the CLI names them all. */
export const FINDINGS_KEPT = 20;

type IntegrityDeps = { db: Db; config: Config; logger: Logger; metrics: Metrics };

/**
 * One tick: runs each check whose last run is an interval old (or never ran, or ran on the database this one was
 * restored from), unless another instance is running them now, then shows the recorded results in this
 * instance's metrics. Returns how many checks ran.
 */
export async function runDueIntegrityChecks(deps: IntegrityDeps, now = new Date()): Promise<number> {
  const { db, config, logger } = deps;
  const intervalMs = config.integrityCheckIntervalMinutes * 60_000;
  // In one transaction under an advisory lock: two instances never run the checks at once nor both run one
  // that is due. The checks read one snapshot, and try the ledger's guards in savepoints rolled back.
  const ran = await db.transaction(async (tx) => {
    const [{ locked }] = await queryRows<{ locked: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(hashtextextended('integrity-check', 0)) as locked`,
    );
    if (!locked) return [];
    const [current] = await queryRows<{ oid: string }>(
      tx,
      sql`select oid::int8::text as oid from pg_database where datname = current_database()`,
    );
    const databaseOid = Number(current.oid);
    const last = new Map((await tx.select().from(integrityChecks)).map((row) => [row.name, row]));
    const results: { check: string; outcome: Outcome; ms: number }[] = [];
    for (const [check, run] of Object.entries(CHECKS)) {
      const lastRun = last.get(check);
      const recent = lastRun && now.getTime() - lastRun.checkedAt.getTime() < intervalMs;
      if (recent && lastRun.databaseOid === databaseOid) continue;
      const started = performance.now();
      const outcome = await run(tx, config);
      const findings = outcome.findings.slice(0, FINDINGS_KEPT);
      const row = { name: check, checkedAt: now, ...outcome, findings, databaseOid };
      await tx.insert(integrityChecks).values(row).onConflictDoUpdate({ target: integrityChecks.name, set: row });
      results.push({ check, outcome, ms: Math.round(performance.now() - started) });
    }
    return results;
  });
  // Told once recorded, and once the metrics show it; told even if the metrics cannot be read.
  try {
    await showInMetrics(deps);
  } finally {
    for (const { check, outcome, ms } of ran) report(logger, check, outcome, ms);
  }
  return ran.length;
}

function report(logger: Logger, check: string, outcome: Outcome, ms: number) {
  const fields = { check, problems: outcome.problems, findings: outcome.findings.slice(0, FINDINGS_KEPT), ms };
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
