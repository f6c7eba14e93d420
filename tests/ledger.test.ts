import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { assetAmountText } from "../src/modules/ledger/assets";
import { createLedger, systemAccount, userAccount, userBalances } from "../src/modules/ledger/service";
import { verifyLedger } from "../src/modules/ledger/verify";
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
      /^account \d+: balance [\d.]+ USD does not match its last entry \([\d.]+ USD\) or version \d+$/,
    );
    await database.db.execute(
      sql`update ledger_accounts set balance = balance - 1 where owner_id = ${bob} and asset = 'USD' and kind = 'available'`,
    );
    expect((await verifyLedger(database.db)).ok).toBe(true);
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
