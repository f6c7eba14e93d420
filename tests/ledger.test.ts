import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type SQL, sql, TransactionRollbackError } from "drizzle-orm";
import fc from "fast-check";
import { assetAmountText } from "../src/modules/ledger/assets";
import { createLedger, systemAccount, userAccount, userBalances } from "../src/modules/ledger/service";
import { type LedgerReport, verifyLedger } from "../src/modules/ledger/verify";
import { queryRows } from "../src/platform/db/client";
import { formatAmount } from "../src/platform/money";
import { createTestDatabase, type TestDatabase, testConfig } from "./support/harness";

setDefaultTimeout(30_000);

let database: TestDatabase;
const ledger = createLedger();
const alice = crypto.randomUUID();
const bob = crypto.randomUUID();
const external = systemAccount("USD", "external");

beforeAll(async () => {
  database = await createTestDatabase();
  await ledger.openAccounts(database.db, [
    external,
    systemAccount("BTC", "external"),
    ...[alice, bob].flatMap((u) =>
      ["USD", "BTC"].flatMap((asset) => [userAccount(u, asset, "available"), userAccount(u, asset, "held")]),
    ),
  ]);
});
afterAll(() => database.dispose());

describe("ledger.post", () => {
  test("moves money between accounts and keeps every invariant", async () => {
    await database.db.transaction((tx) =>
      ledger.post(tx, {
        kind: "deposit",
        legs: [{ from: external, to: userAccount(alice, "USD", "available"), amount: 10_000n }],
      }),
    );
    await database.db.transaction((tx) =>
      ledger.post(tx, {
        kind: "p2p",
        legs: [{ from: userAccount(alice, "USD", "available"), to: userAccount(bob, "USD", "available"), amount: 2_500n }],
      }),
    );
    const [aliceUsd] = await userBalances(database.db, alice, ["USD"]);
    const [bobUsd] = await userBalances(database.db, bob, ["USD"]);
    expect(aliceUsd).toEqual({ asset: "USD", available: 7_500n, held: 0n });
    expect(bobUsd.available).toBe(2_500n);
    const report = await verifyLedger(database.db);
    expect(report.problems).toEqual([]);
    expect(report.assets.find((a) => a.asset === "USD")).toEqual({ asset: "USD", sumOfBalances: 0n, accounts: 5, transfers: 2 });
  });

  test("refuses to take a user below zero: 422 INSUFFICIENT_FUNDS and nothing of the posting happens", async () => {
    const before = await userBalances(database.db, alice, ["USD"]);
    const attempt = database.db.transaction((tx) =>
      ledger.post(tx, {
        kind: "p2p",
        legs: [
          { from: userAccount(alice, "USD", "available"), to: userAccount(alice, "USD", "held"), amount: 1n },
          { from: userAccount(alice, "USD", "available"), to: userAccount(bob, "USD", "available"), amount: 1_000_000n },
        ],
      }),
    );
    await expect(attempt).rejects.toMatchObject({ status: 422, code: "INSUFFICIENT_FUNDS" });
    expect(await userBalances(database.db, alice, ["USD"])).toEqual(before);
    expect((await verifyLedger(database.db)).problems).toEqual([]);
  });

  test("refuses a leg between two assets", async () => {
    const attempt = database.db.transaction((tx) =>
      ledger.post(tx, {
        kind: "bad",
        legs: [{ from: userAccount(alice, "USD", "available"), to: userAccount(bob, "BTC", "available"), amount: 1n }],
      }),
    );
    await expect(attempt).rejects.toThrow();
    expect((await verifyLedger(database.db)).problems).toEqual([]);
  });

  test("transfers and entries cannot be changed; verify names tampering", async () => {
    for (const statement of [
      sql`update ledger_entries set amount = 0`,
      sql`delete from ledger_transfers`,
      sql`truncate ledger_entries`,
    ]) {
      const error = await Promise.resolve(database.db.execute(statement)).then(
        () => undefined,
        (e: Error & { cause?: Error }) => e,
      );
      expect(String(error?.cause?.message ?? error?.message)).toContain("append-only");
    }
    // A superuser changes a balance behind the ledger's back: invariants 1 and 3 name it.
    await database.db.execute(
      sql`update ledger_accounts set balance = balance + 1 where owner_id = ${bob} and asset = 'USD' and kind = 'available'`,
    );
    const report = await verifyLedger(database.db, assetAmountText(testConfig()));
    expect(report.ok).toBe(false);
    expect(report.problems.map((p) => p.invariant).sort()).toEqual([1, 3]);
    // Amounts as an operator reads them: 1 cent is 0.01 USD, not "1".
    const [sum, chain] = [...report.problems].sort((a, b) => a.invariant - b.invariant);
    expect(sum.message).toBe("USD: balances sum to 0.01 USD, not 0");
    expect(chain.message).toMatch(
      /^account \d+: balance [\d.]+ USD at version (\d+), but its last entry says [\d.]+ USD at version \1$/,
    );
    await database.db.execute(
      sql`update ledger_accounts set balance = balance - 1 where owner_id = ${bob} and asset = 'USD' and kind = 'available'`,
    );
    expect((await verifyLedger(database.db)).ok).toBe(true);
  });
});

describe("ledger:verify against someone who can write the tables", () => {
  /** Verifies the ledger as `tamper` leaves it, inside a transaction that is then rolled back. */
  async function reportTampered(...tamper: SQL[]): Promise<LedgerReport> {
    let report: LedgerReport | undefined;
    await database.db
      .transaction(async (tx) => {
        for (const statement of tamper) await tx.execute(statement);
        report = await verifyLedger(tx, assetAmountText(testConfig()));
        tx.rollback();
      })
      .catch((error) => {
        if (!(error instanceof TransactionRollbackError)) throw error;
      });
    if (!report) throw new Error("no report");
    return report;
  }
  const verifyTampered = async (...tamper: SQL[]) => (await reportTampered(...tamper)).problems;
  const disabled = (table: string, ...statements: SQL[]) => [
    sql.raw(`alter table ${table} disable trigger ${table}_append_only`),
    ...statements,
    sql.raw(`alter table ${table} enable trigger ${table}_append_only`),
  ];
  const accountOf = (owner: string, kind = "available") =>
    sql`(select id from ledger_accounts where owner_id = ${owner} and asset = 'USD' and kind = ${kind})`;
  /** The p2p transfer of 25 USD from alice to bob (the first test's). */
  const p2p = sql`(select id from ledger_transfers where kind = 'p2p' and asset = 'USD' order by id limit 1)`;

  beforeAll(async () => {
    expect((await verifyLedger(database.db)).problems).toEqual([]);
  });

  test("a transfer's amount changed, its entries left as they were: the transfer is named", async () => {
    const problems = await verifyTampered(
      ...disabled("ledger_transfers", sql`update ledger_transfers set amount = 100 where id = ${p2p}`),
    );
    expect(problems).toEqual([
      expect.objectContaining({
        invariant: 1,
        message: expect.stringMatching(/^transfer \d+ of 1 USD: its 2 entries are not exactly/),
      }),
    ]);
  });

  test("a transfer's entries rewritten to move less, with both chains and balances made to agree: named", async () => {
    const aliceUsd = accountOf(alice);
    const bobUsd = accountOf(bob);
    const problems = await verifyTampered(
      ...disabled(
        "ledger_entries",
        sql`update ledger_entries set amount = -50 where transfer_id = ${p2p} and amount < 0`,
        sql`update ledger_entries set amount = 50 where transfer_id = ${p2p} and amount > 0`,
        sql`update ledger_entries set balance_after = balance_after + 2450 where account_id = ${aliceUsd} and version >= 2`,
        sql`update ledger_entries set balance_after = balance_after - 2450 where account_id = ${bobUsd} and version >= 1`,
      ),
      sql`update ledger_accounts set balance = balance + 2450 where id = ${aliceUsd}`,
      sql`update ledger_accounts set balance = balance - 2450 where id = ${bobUsd}`,
    );
    expect(problems.map((p) => [p.invariant, p.transferId !== undefined])).toEqual([[1, true]]);
  });

  test("a transfer's debit entry alone rewritten to take less, the sender's chain made to agree: the transfer is named", async () => {
    const aliceUsd = accountOf(alice);
    const problems = await verifyTampered(
      ...disabled(
        "ledger_entries",
        sql`update ledger_entries set amount = -2400 where transfer_id = ${p2p} and amount < 0`,
        sql`update ledger_entries set balance_after = balance_after + 100 where account_id = ${aliceUsd} and version >= 2`,
      ),
      sql`update ledger_accounts set balance = balance + 100 where id = ${aliceUsd}`,
    );
    // The asset's sum is off, and the transfer whose entries no longer match it is named, not only the asset.
    expect(problems).toEqual([
      expect.objectContaining({ invariant: 1, message: "USD: balances sum to 1 USD, not 0" }),
      expect.objectContaining({
        invariant: 1,
        transferId: expect.any(Number),
        message: expect.stringMatching(/^transfer \d+ of 25 USD: its 2 entries are not exactly/),
      }),
    ]);
  });

  test("money minted by entries hung on an existing transfer, chains and balances made to agree: named", async () => {
    const aliceUsd = accountOf(alice);
    const problems = await verifyTampered(
      sql`insert into ledger_entries (account_id, transfer_id, amount, balance_after, version)
          select ${aliceUsd}, ${p2p}, 1000000, balance + 1000000, version + 1 from ledger_accounts where id = ${aliceUsd}`,
      sql`insert into ledger_entries (account_id, transfer_id, amount, balance_after, version)
          select id, ${p2p}, -1000000, balance - 1000000, version + 1 from ledger_accounts where owner_id is null and asset = 'USD' and kind = 'external'`,
      sql`update ledger_accounts set balance = balance + 1000000, version = version + 1 where id = ${aliceUsd}`,
      sql`update ledger_accounts set balance = balance - 1000000, version = version + 1 where owner_id is null and asset = 'USD' and kind = 'external'`,
    );
    expect(problems.map((p) => p.invariant)).toEqual([1]);
  });

  test("a transfer with no entries, and an entry whose transfer is gone, are named", async () => {
    const problems = await verifyTampered(
      sql`insert into ledger_transfers (posting_id, kind, debit_account_id, credit_account_id, asset, amount)
          values (gen_random_uuid(), 'deposit', (select id from ledger_accounts where owner_id is null and asset = 'USD' and kind = 'external'),
                  ${accountOf(alice)}, 'USD', 999900)`,
    );
    expect(problems).toEqual([
      expect.objectContaining({ invariant: 1, message: expect.stringMatching(/^transfer \d+ of 9999 USD: its 0 entries/) }),
    ]);
  });

  test("a user's history that dips below zero and comes back is named, as is a dropped CHECK", async () => {
    const aliceUsd = accountOf(alice);
    const problems = await verifyTampered(
      sql`alter table ledger_accounts drop constraint ledger_accounts_non_negative`,
      ...disabled(
        "ledger_entries",
        sql`update ledger_entries set balance_after = -1 where account_id = ${aliceUsd} and version = 1`,
      ),
    );
    expect(problems.map((p) => [p.invariant, p.message])).toEqual([
      [2, expect.stringMatching(/^account \d+ \(USD\) was negative after its entry version 1: -0.01 USD$/)],
      [2, "constraint ledger_accounts_non_negative is missing or not validated"],
      [
        3,
        expect.stringMatching(
          /^account \d+: entry version 1 says -0.01 USD after it, but the previous balance plus its amount is 100 USD$/,
        ),
      ],
      [3, expect.stringMatching(/^account \d+: entry version 2 says/)],
    ]);
  });

  test("a CHECK put back NOT VALID, so the rows it would refuse may stay, is named", async () => {
    const problems = await verifyTampered(
      sql`alter table ledger_accounts drop constraint ledger_accounts_non_negative`,
      sql`alter table ledger_accounts add constraint ledger_accounts_non_negative
          check (kind in ('external', 'house') or balance >= 0) not valid`,
    );
    expect(problems.map((p) => [p.invariant, p.message])).toEqual([
      [2, "constraint ledger_accounts_non_negative is missing or not validated"],
    ]);
  });

  test("an entry missing from an account's chain, the later versions and balances made to agree, is named", async () => {
    const aliceUsd = accountOf(alice);
    const problems = await verifyTampered(
      ...disabled(
        "ledger_entries",
        sql`update ledger_entries set version = version + 1 where account_id = ${aliceUsd}
            and version = (select max(version) from ledger_entries where account_id = ${aliceUsd})`,
      ),
      sql`update ledger_accounts set version = version + 1 where id = ${aliceUsd}`,
    );
    expect(problems.map((p) => [p.invariant, p.message])).toEqual([
      [3, expect.stringMatching(/^account \d+: its entry number (\d+) has version \d+ \(an entry is missing or repeated\)$/)],
    ]);
  });

  test("an account's version moved on without an entry, its balance unchanged, is named", async () => {
    const problems = await verifyTampered(sql`update ledger_accounts set version = version + 1 where id = ${accountOf(alice)}`);
    expect(problems.map((p) => [p.invariant, p.message])).toEqual([
      [
        3,
        expect.stringMatching(
          /^account \d+: balance [\d.]+ USD at version (\d+), but its last entry says [\d.]+ USD at version \d+$/,
        ),
      ],
    ]);
  });

  test("a transfer deleted, its entries left behind naming it: each entry is named", async () => {
    const problems = await verifyTampered(
      sql`alter table ledger_entries drop constraint ledger_entries_transfer_id_ledger_transfers_id_fk`,
      ...disabled("ledger_transfers", sql`delete from ledger_transfers where id = ${p2p}`),
    );
    expect(problems.map((p) => [p.invariant, p.message])).toEqual([
      [1, expect.stringMatching(/^transfer \d+ does not exist, but an entry of -25 USD names it$/)],
      [1, expect.stringMatching(/^transfer \d+ does not exist, but an entry of 25 USD names it$/)],
    ]);
  });

  test("an account cannot be handed to another user; a guard that lets changes through is named", async () => {
    const handOver = sql`update ledger_accounts set owner_id = ${bob} where id = ${accountOf(alice, "held")}`;
    const refused = await Promise.resolve(database.db.execute(handOver)).then(
      () => undefined,
      (e: Error & { cause?: Error }) => e,
    );
    expect(String(refused?.cause?.message ?? refused?.message)).toContain("keeps its owner, asset and kind");
    const toothless = sql.raw(
      "create or replace function ledger_refuse_change() returns trigger language plpgsql as $$ begin if tg_op = 'DELETE' then return old; end if; return new; end $$",
    );
    const problems = await verifyTampered(
      toothless,
      sql`alter table ledger_accounts disable trigger ledger_accounts_identity_fixed`,
    );
    expect(problems.map((p) => p.message)).toEqual([
      "ledger_transfers refuses UPDATE: trigger ledger_transfers_append_only is enabled but let the change through",
      "ledger_transfers refuses DELETE: trigger ledger_transfers_append_only is enabled but let the change through",
      "ledger_entries refuses UPDATE: trigger ledger_entries_append_only is enabled but let the change through",
      "ledger_entries refuses DELETE: trigger ledger_entries_append_only is enabled but let the change through",
      "ledger_accounts keep their owner: trigger ledger_accounts_identity_fixed on ledger_accounts is missing or disabled",
    ]);
  });

  test("where the guards cannot be tried (a read-only database, a role that may only read), they are listed as untried", async () => {
    const readOnly = await reportTampered(sql`set transaction read only`);
    expect([readOnly.ok, readOnly.problems]).toEqual([true, []]);
    expect(readOnly.guards).toEqual({ all: 7, refusing: 0 });
    expect(readOnly.untried).toEqual([
      "ledger_transfers refuses UPDATE: not tried, the database is read-only",
      "ledger_transfers refuses DELETE: not tried, the database is read-only",
      "ledger_entries refuses UPDATE: not tried, the database is read-only",
      "ledger_entries refuses DELETE: not tried, the database is read-only",
      "ledger_accounts keep their owner: not tried, the database is read-only",
    ]);
    // A reader's "permission denied" is 42501, as a guard's refusal is: it is no proof that the guard refuses.
    const toothless = sql.raw(
      "create or replace function ledger_refuse_change() returns trigger language plpgsql as $$ begin if tg_op = 'DELETE' then return old; end if; return new; end $$",
    );
    const reader = await reportTampered(
      toothless,
      sql`create role ledger_verify_reader`,
      sql`grant select on all tables in schema public to ledger_verify_reader`,
      sql`set local role ledger_verify_reader`,
    );
    expect(reader.problems).toEqual([]);
    expect(reader.untried).toHaveLength(5);
    expect(reader.untried[0]).toStartWith(
      "ledger_transfers refuses UPDATE: not tried, the database role may not write (permission denied",
    );
    const tried = await reportTampered();
    expect(tried.untried).toEqual([]);
    // Five are tried (the two TRUNCATE guards are looked up only), and each refuses.
    expect(tried.guards).toEqual({ all: 7, refusing: 5 });
  });

  test("a key that moved money twice names its postings and transfers", async () => {
    const problems = await verifyTampered(
      sql`insert into ledger_transfers (posting_id, kind, debit_account_id, credit_account_id, asset, amount, idempotency_key)
          values (gen_random_uuid(), 'p2p', ${accountOf(alice)}, ${accountOf(bob)}, 'USD', 1, 'someone:again'),
                 (gen_random_uuid(), 'p2p', ${accountOf(alice)}, ${accountOf(bob)}, 'USD', 1, 'someone:again')`,
    );
    const reused = problems.find((p) => p.invariant === 5);
    expect(reused?.message).toMatch(
      /^idempotency key someone:again moved money 2 times: postings [\w-]+, [\w-]+ \(transfers \d+, \d+\)$/,
    );
  });
});

describe("format_units (SQL)", () => {
  test("writes every amount exactly as formatAmount does, so frames built in the database match the API", async () => {
    const cases = fc.sample(fc.tuple(fc.bigInt({ min: -(10n ** 40n), max: 10n ** 40n }), fc.integer({ min: 0, max: 18 })), {
      numRuns: 500,
      seed: 20261125,
    });
    cases.push([0n, 2], [1n, 18], [-150n, 2], [100n, 2], [10n ** 30n, 18], [2n ** 256n - 1n, 18], [123456789n, 0]);
    const rows = await queryRows<{ text: string }>(
      database.db,
      sql`select format_units(u, p) as text from unnest(${`{${cases.map(([units]) => units).join(",")}}`}::numeric[],
        ${`{${cases.map(([, precision]) => precision).join(",")}}`}::int[]) with ordinality as c(u, p, i) order by i`,
    );
    expect(rows.map((row) => row.text)).toEqual(cases.map(([units, precision]) => formatAmount(units, precision)));
  });

  test("is inlined where it is called, not parsed and planned again on every call", async () => {
    const plan = await queryRows<{ "QUERY PLAN": string }>(
      database.db,
      sql`explain (verbose, costs off) select format_units(g::numeric, 2) from generate_series(1, 2) g`,
    );
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).toContain("trim_scale");
    expect(text).not.toContain("format_units");
  });
});

describe("the money functions' plans", () => {
  test("ledger_post plans each statement once: its lock by an array of ids would otherwise be planned per call", async () => {
    const [row] = await queryRows<{ config: string[] | null }>(
      database.db,
      sql`select proconfig as config from pg_proc where proname = 'ledger_post'`,
    );
    expect(row.config).toContain("plan_cache_mode=force_generic_plan");
  });
});
