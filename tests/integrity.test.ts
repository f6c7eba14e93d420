import { afterAll, beforeAll, expect, test } from "bun:test";
import { eq, type SQL, sql } from "drizzle-orm";
import { auditLog } from "../src/modules/audit/schema";
import { auditFindings, auditHash, recordAudit, verifyAuditChains } from "../src/modules/audit/service";
import { createLedger, systemAccount, userAccount } from "../src/modules/ledger/service";
import {
  CHECK_CONNECTION_SETTINGS,
  FINDINGS_KEPT,
  runDueIntegrityChecks,
  startIntegrityChecks,
} from "../src/modules/system/integrity";
import type { IntegrityChecks } from "../src/modules/system/model";
import { integrityChecks } from "../src/modules/system/schema";
import { MemoryBus } from "../src/platform/bus";
import { openDatabase, queryRows } from "../src/platform/db/client";
import { createLogger } from "../src/platform/observability/logger";
import { createMetrics } from "../src/platform/observability/metrics";
import { adminUser, signedInUser } from "./support/client";
import {
  createTestApp,
  createTestBus,
  createTestDatabase,
  TEST_DATABASE_URL,
  TEST_REDIS_URL,
  type TestDatabase,
  testConfig,
} from "./support/harness";
import { whileLockHeld } from "./support/held-lock";

let database: TestDatabase;
const alice = crypto.randomUUID();
const lines: { level: string; msg: string; check?: string; problems?: number; findings?: string[] }[] = [];
const metrics = createMetrics();
const deps = () => ({
  db: database.db,
  config: testConfig({ INTEGRITY_CHECK_INTERVAL_MINUTES: "60" }),
  logger: createLogger("info", (line) => lines.push(JSON.parse(line))),
  metrics,
});
const later = (minutes: number) => new Date(Date.now() + minutes * 60_000);

beforeAll(async () => {
  database = await createTestDatabase();
  const ledger = createLedger();
  const [external, available] = [systemAccount("USD", "external"), userAccount(alice, "USD", "available")];
  await ledger.openAccounts(database.db, [external, available]);
  await database.db.transaction(async (tx) => {
    await ledger.post(tx, { kind: "deposit", legs: [{ from: external, to: available, amount: 2500n }] });
    await recordAudit(tx, [{ userId: alice, action: "wallet.deposit", metadata: { amount: "25.00" } }]);
  });
});
afterAll(() => database.dispose());

/** Runs `damage`, then a due check, then `repair`, and returns what the check logged. */
async function checkDamaged(damage: SQL[], repair: SQL[], minutesLater: number) {
  for (const statement of damage) await database.db.execute(statement);
  lines.length = 0;
  try {
    expect(await runDueIntegrityChecks(deps(), { now: later(minutesLater) })).toBe(2);
  } finally {
    for (const statement of repair) await database.db.execute(statement);
  }
  return lines.filter((line) => line.msg === "integrity check found problems");
}

const recorded = async () => Object.fromEntries((await database.db.select().from(integrityChecks)).map((row) => [row.name, row]));
const gauge = async (name: string) => {
  const metric = await metrics.registry.getSingleMetric(name)?.get();
  return Object.fromEntries((metric?.values ?? []).map((v) => [v.labels.check, v.value]));
};

test("the first tick checks the ledger and the audit log, records them clean and shows them in the metrics", async () => {
  const before = Date.now();
  expect(await runDueIntegrityChecks(deps())).toBe(2);
  const rows = await recorded();
  expect(Object.keys(rows).sort()).toEqual(["audit", "ledger"]);
  for (const row of Object.values(rows)) {
    expect(row).toMatchObject({ problems: 0, findings: [], complete: true });
    expect(row.checkedAt.getTime()).toBeGreaterThanOrEqual(before - 5);
  }
  expect(await gauge("integrity_check_problems")).toEqual({ ledger: 0, audit: 0 });
  const checkedAt = await gauge("integrity_check_timestamp_seconds");
  expect(checkedAt.ledger).toBe(rows.ledger.checkedAt.getTime() / 1000);
  expect(lines.filter((line) => line.msg === "integrity check clean").map((line) => line.check)).toEqual(["ledger", "audit"]);
});

test("a check runs again only when its interval has passed since it last ran", async () => {
  expect(await runDueIntegrityChecks(deps(), { now: later(59) })).toBe(0);
  expect(await runDueIntegrityChecks(deps(), { now: later(61) })).toBe(2);
});

test("a database restored from a dump (a new database) is checked at its first tick, however recent the result it came with", async () => {
  const now = later(62);
  expect(await runDueIntegrityChecks(deps(), { now: now })).toBe(0);
  // What a dump of another database brings: its rows, and that database's OID.
  await database.db.execute(sql`update integrity_checks set database_oid = database_oid + 1`);
  expect(await runDueIntegrityChecks(deps(), { now: now })).toBe(2);
  expect(await runDueIntegrityChecks(deps(), { now: now })).toBe(0);
});

test("a check stopped with the server is thrown away quietly, and runs again when due", async () => {
  const stopping = new AbortController();
  stopping.abort();
  lines.length = 0;
  expect(await runDueIntegrityChecks(deps(), { now: later(125), signal: stopping.signal })).toBe(0);
  expect(lines.map((line) => line.msg)).toEqual(["integrity check stopped with the server; it runs again when due"]);
  expect(await runDueIntegrityChecks(deps(), { now: later(125) })).toBe(2);
});

test("the audit walk gives way after each batch, for three times the batch's time", async () => {
  const paced: number[] = [];
  const report = await verifyAuditChains(database.db, { batch: 1, pace: async (ms) => void paced.push(ms) });
  expect(report.problems).toEqual([]);
  expect(paced).toHaveLength(report.rows); // a full batch each row, then the empty one that ends the walk
});

// A transaction held open from here would wait forever on PGlite's one connection.
test.if(Boolean(TEST_DATABASE_URL))(
  "a stop during a ledger statement ends the check's own connection at once, not after the statement",
  async () => {
    const own = await openDatabase({ url: database.url, poolSize: 1, settings: CHECK_CONNECTION_SETTINGS });
    const logged: { msg: string }[] = [];
    await database.db.execute(sql`update integrity_checks set checked_at = now() - interval '2 hours'`);
    // The ledger check's first statement waits on this lock as long as it is held: as a long statement would.
    await whileLockHeld(database.db, sql`lock table ledger_accounts in access exclusive mode`, async () => {
      const worker = startIntegrityChecks(
        { ...deps(), db: own.db, logger: createLogger("info", (line) => logged.push(JSON.parse(line))), bus: new MemoryBus() },
        { tickMs: 50, ownDatabase: own },
      );
      await Bun.sleep(500); // the first tick is in the ledger check, waiting
      const started = performance.now();
      await worker.stop();
      expect(performance.now() - started).toBeLessThan(2000);
      expect(logged.map((line) => line.msg)).toEqual(["integrity check stopped with the server; it runs again when due"]);
      // And Postgres gives the cut-off statement up within its connection check, the lock still held.
      const waiting = async () =>
        (
          await queryRows<{ n: number }>(
            database.db,
            sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
          )
        )[0].n;
      for (const deadline = Date.now() + 5000; (await waiting()) > 0 && Date.now() < deadline; ) await Bun.sleep(100);
      expect(await waiting()).toBe(0);
    });
  },
);

test.if(Boolean(TEST_REDIS_URL))(
  "two instances on one Redis: the lease holder runs the checks, both show the results",
  async () => {
    const prefix = `cvtest-integrity-${crypto.randomUUID()}:`;
    const instances = [0, 1].map(() => {
      const logged: { msg: string }[] = [];
      const bus = createTestBus(prefix);
      const instance = {
        bus,
        logged,
        metrics: createMetrics(),
        config: testConfig({ INTEGRITY_CHECK_INTERVAL_MINUTES: "60", REDIS_KEY_PREFIX: prefix }),
      };
      const worker = startIntegrityChecks(
        { ...instance, db: database.db, logger: createLogger("info", (line) => logged.push(JSON.parse(line))) },
        { tickMs: 100, lease: { ttlMs: 2000, renewMs: 500 } },
      );
      return { ...instance, worker };
    });
    try {
      // Due at once: the last checks ran a few hours ago in this file's clock, never for real.
      await database.db.execute(sql`update integrity_checks set checked_at = now() - interval '2 hours'`);
      const ran = () => instances.flatMap((i) => i.logged.filter((line) => line.msg === "integrity check clean"));
      for (const deadline = Date.now() + 10_000; ran().length < 2 && Date.now() < deadline; ) await Bun.sleep(50);
      await Bun.sleep(500); // ticks enough for a second runner to show itself
      expect(ran()).toHaveLength(2);
      expect(instances.filter((i) => i.logged.some((line) => line.msg === "integrity check clean"))).toHaveLength(1);
      for (const { metrics } of instances) {
        const problems = await metrics.registry.getSingleMetric("integrity_check_problems")?.get();
        expect(problems?.values.map((v) => [v.labels.check, v.value]).sort()).toEqual([
          ["audit", 0],
          ["ledger", 0],
        ]);
      }
    } finally {
      for (const { worker, bus } of instances) {
        await worker.stop();
        await bus.close();
      }
    }
  },
);

test("a damaged ledger is recorded, logged as an error with its violations, and shown in every metric", async () => {
  const account = sql`(select id from ledger_accounts where owner_id = ${alice} and kind = 'available')`;
  const errors = await checkDamaged(
    [sql`update ledger_accounts set balance = balance + 1 where id = ${account}`],
    [sql`update ledger_accounts set balance = balance - 1 where id = ${account}`],
    190,
  );
  expect(errors).toEqual([
    expect.objectContaining({ level: "error", check: "ledger", problems: 2, findings: expect.any(Array) }),
  ]);
  expect(errors[0].findings).toEqual([
    "VIOLATION invariant 1: USD: balances sum to 0.01 USD, not 0",
    expect.stringMatching(
      /^VIOLATION invariant 3: account \d+: balance 25.01 USD at version 1, but its last entry says 25 USD at version 1$/,
    ),
  ]);
  expect((await recorded()).ledger).toMatchObject({ problems: 2, findings: errors[0].findings });
  expect(await gauge("integrity_check_problems")).toEqual({ ledger: 2, audit: 0 });
  // Repaired: the next due check says so.
  expect(await runDueIntegrityChecks(deps(), { now: later(255) })).toBe(2);
  expect(await gauge("integrity_check_problems")).toEqual({ ledger: 0, audit: 0 });
});

test("a changed audit row is recorded as the chain's first break", async () => {
  const toggle = (on: boolean) => sql.raw(`alter table audit_log ${on ? "enable" : "disable"} trigger audit_log_append_only`);
  const errors = await checkDamaged(
    [toggle(false), sql`update audit_log set metadata = '{"amount":"2500.00"}' where chain = ${alice}`, toggle(true)],
    [toggle(false), sql`update audit_log set metadata = '{"amount":"25.00"}' where chain = ${alice}`, toggle(true)],
    320,
  );
  expect(errors.map((line) => [line.check, line.problems])).toEqual([["audit", 1]]);
  expect(errors[0].findings).toEqual([
    expect.stringMatching(new RegExp(`^BROKEN chain=${alice} row id=\\d+ seq=1: hash does not match the row's content`)),
  ]);
  expect(await gauge("integrity_check_problems")).toEqual({ ledger: 0, audit: 1 });
});

test("an audit row rewritten mid-chain, its own hash recomputed to fit, is still found: the next row's link to it breaks", async () => {
  const bob = crypto.randomUUID();
  for (const amount of ["1.00", "2.00", "3.00"])
    await database.db.transaction((tx) => recordAudit(tx, [{ userId: bob, action: "wallet.deposit", metadata: { amount } }]));
  const [, middle, last] = await database.db.select().from(auditLog).where(eq(auditLog.chain, bob)).orderBy(auditLog.seq);
  expect((await verifyAuditChains(database.db)).problems).toEqual([]);
  // What a superuser who knows how rows are hashed can do: a consistent row, chained as before to the one above it.
  const rewrite = async (row: typeof middle, metadata: Record<string, unknown>) =>
    database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx
        .update(auditLog)
        .set({ metadata, hash: auditHash({ ...row, metadata }) })
        .where(eq(auditLog.id, row.id));
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
  await rewrite(middle, { amount: "2000.00" });
  try {
    const report = await verifyAuditChains(database.db);
    expect(report.problems).toEqual([
      { chain: bob, id: last.id, seq: last.seq, problem: "prev_hash does not match the previous row's hash" },
    ]);
    expect(auditFindings(report)).toEqual([
      `BROKEN chain=${bob} row id=${last.id} seq=${last.seq}: prev_hash does not match the previous row's hash`,
    ]);
  } finally {
    await rewrite(middle, middle.metadata);
  }
  expect((await verifyAuditChains(database.db)).problems).toEqual([]);
});

test(`at most ${FINDINGS_KEPT} findings are kept and logged; the count is of them all`, async () => {
  const owners = Array.from({ length: 25 }, () => crypto.randomUUID());
  await createLedger().openAccounts(
    database.db,
    owners.map((owner) => userAccount(owner, "BTC", "available")),
  );
  const btc = sql`owner_id = any(${`{${owners.join(",")}}`}::uuid[]) and asset = 'BTC'`;
  const errors = await checkDamaged(
    [sql`update ledger_accounts set balance = 1 where ${btc}`],
    [sql`update ledger_accounts set balance = 0 where ${btc}`],
    400,
  );
  const ledgerError = errors.find((line) => line.check === "ledger");
  expect(ledgerError?.problems).toBe(26); // the sum, and each account against its (empty) chain
  expect(ledgerError?.findings).toHaveLength(FINDINGS_KEPT);
  expect((await recorded()).ledger.findings).toEqual(ledgerError?.findings ?? ["(no ledger error logged)"]);
  expect(await gauge("integrity_check_problems")).toMatchObject({ ledger: 26 });
});

test("GET /api/admin/integrity: the last results for admins only, with the interval", async () => {
  const fixture = await createTestApp({ INTEGRITY_CHECK_INTERVAL_MINUTES: "45" }, { database });
  try {
    expect((await fixture.request("/api/admin/integrity")).status).toBe(401);
    const user = await signedInUser(fixture, "integrity-user");
    expect((await user.client.json("GET", "/api/admin/integrity")).status).toBe(403);
    const admin = await adminUser(fixture, "integrity-admin");
    const answer = await admin.client.json<IntegrityChecks>("GET", "/api/admin/integrity");
    expect(answer.status).toBe(200);
    expect(answer.body.intervalMinutes).toBe(45);
    const rows = await recorded();
    expect(answer.body.checks).toEqual(
      (["audit", "ledger"] as const).map((name) => ({
        name,
        checkedAt: rows[name].checkedAt.toISOString(),
        problems: rows[name].problems,
        findings: rows[name].findings,
        complete: rows[name].complete,
      })),
    );
  } finally {
    await fixture.dispose();
  }
});
