import { afterAll, beforeAll, expect, test } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import { recordAudit } from "../src/modules/audit/service";
import { createLedger, systemAccount, userAccount } from "../src/modules/ledger/service";
import { FINDINGS_KEPT, runDueIntegrityChecks } from "../src/modules/system/integrity";
import { integrityChecks } from "../src/modules/system/schema";
import { createLogger } from "../src/platform/observability/logger";
import { createMetrics } from "../src/platform/observability/metrics";
import { createTestDatabase, type TestDatabase, testConfig } from "./support/harness";

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
    expect(await runDueIntegrityChecks(deps(), later(minutesLater))).toBe(2);
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
  expect(await runDueIntegrityChecks(deps(), later(59))).toBe(0);
  expect(await runDueIntegrityChecks(deps(), later(61))).toBe(2);
});

test("a database restored from a dump (a new database) is checked at its first tick, however recent the result it came with", async () => {
  const now = later(62);
  expect(await runDueIntegrityChecks(deps(), now)).toBe(0);
  // What a dump of another database brings: its rows, and that database's OID.
  await database.db.execute(sql`update integrity_checks set database_oid = database_oid + 1`);
  expect(await runDueIntegrityChecks(deps(), now)).toBe(2);
  expect(await runDueIntegrityChecks(deps(), now)).toBe(0);
});

test("instances ticking at once run each due check once between them", async () => {
  const ran = await Promise.all([1, 2, 3].map(() => runDueIntegrityChecks(deps(), later(125))));
  expect(ran.reduce((a, b) => a + b)).toBe(2);
});

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
  expect(await runDueIntegrityChecks(deps(), later(255))).toBe(2);
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
