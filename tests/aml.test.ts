/**
 * The AML rules, end to end: every case writes the sender's earlier transfers to a database and counts
 * them with the query the transfer path uses, so the windows' edges are tested where they are applied.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { AML_RULES, type AmlInput, type AmlRule, amlWindows, screenTransfer } from "../src/modules/transfers/aml";
import { countEarlierTransfers } from "../src/modules/transfers/service";
import { createTestDatabase, type TestDatabase } from "./support/harness";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.dispose());

const THRESHOLD = 1_000_000n; // the default 10,000 USD, in cents
const NOW = new Date("2026-11-25T12:00:00.000Z");
const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** An earlier transfer of the sender's, `msAgo` before NOW. */
function earlier(amountUsdCents: bigint, msAgo: number) {
  return { amountUsdCents, createdAt: new Date(NOW.getTime() - msAgo) };
}

/** `count` small earlier transfers spread over the last `withinMs`. */
function smallTransfers(count: number, withinMs: number) {
  return Array.from({ length: count }, (_, i) => earlier(100n, Math.floor((withinMs * i) / count)));
}

type Earlier = ReturnType<typeof earlier>;

/** Screens a transfer of a new sender whose earlier transfers are `recent`, counted in the database. */
async function screen(amountUsdCents: bigint, recent: Earlier[] = [], reviewThresholdUsdCents = THRESHOLD) {
  const sender = crypto.randomUUID();
  for (const t of recent) {
    await database.db.execute(sql`insert into p2p_transfers (sender_id, recipient_id, asset, amount, amount_usd_cents, status, created_at)
      values (${sender}, ${crypto.randomUUID()}, 'USD', 1, ${t.amountUsdCents.toString()}::bigint, 'completed', ${t.createdAt.toISOString()}::timestamptz)`);
  }
  const windows = amlWindows({ amountUsdCents, now: NOW, reviewThresholdUsdCents });
  const counts = await countEarlierTransfers(
    database.db,
    sender,
    windows.map((w) => w.window),
  );
  const earlierByRule = Object.fromEntries(windows.map((w, i) => [w.rule, counts[i]]));
  return screenTransfer({ amountUsdCents, now: NOW, earlier: earlierByRule, reviewThresholdUsdCents });
}

const ruleNames = (result: Awaited<ReturnType<typeof screen>>) => result.flags.map((flag) => flag.rule);

test("an ordinary transfer completes without flags", async () => {
  expect(await screen(5_000n)).toEqual({ decision: "complete", flags: [] });
});

describe("over_threshold", () => {
  test("exactly at the threshold completes", async () => {
    expect(await screen(THRESHOLD)).toEqual({ decision: "complete", flags: [] });
  });

  test("one cent over the threshold is held for review", async () => {
    expect(await screen(THRESHOLD + 1n)).toEqual({
      decision: "review",
      flags: [{ rule: "over_threshold", detail: "10000.01 USD is above the review threshold of 10000 USD" }],
    });
  });

  test("follows the configured threshold", async () => {
    expect((await screen(50_001n, [], 50_000n)).decision).toBe("review");
    expect((await screen(50_000n, [], 50_000n)).decision).toBe("complete");
  });

  test("is exact far beyond float precision", async () => {
    const huge = 10n ** 20n;
    expect((await screen(huge + 1n, [], huge)).decision).toBe("review");
    expect((await screen(huge, [], huge)).decision).toBe("complete");
  });
});

describe("velocity", () => {
  test("10 transfers within the hour, this one included, are not flagged", async () => {
    expect(await screen(100n, smallTransfers(9, HOUR))).toEqual({ decision: "complete", flags: [] });
  });

  test("the 11th within the hour is flagged but still completes", async () => {
    expect(await screen(100n, smallTransfers(10, HOUR))).toEqual({
      decision: "complete",
      flags: [{ rule: "velocity", detail: "more than 10 transfers within an hour" }],
    });
  });

  test("counting stops at 10: a sender with 30 transfers in the hour is counted no further", async () => {
    const sender = crypto.randomUUID();
    for (const t of smallTransfers(30, HOUR)) {
      await database.db.execute(sql`insert into p2p_transfers (sender_id, recipient_id, asset, amount, amount_usd_cents, status, created_at)
        values (${sender}, ${crypto.randomUUID()}, 'USD', 1, ${t.amountUsdCents.toString()}::bigint, 'completed', ${t.createdAt.toISOString()}::timestamptz)`);
    }
    const [velocity] = amlWindows({ amountUsdCents: 100n, now: NOW, reviewThresholdUsdCents: THRESHOLD });
    expect(velocity.rule).toBe("velocity");
    expect(await countEarlierTransfers(database.db, sender, [velocity.window])).toEqual([10]);
    expect(await countEarlierTransfers(database.db, sender, [{ since: velocity.window.since }])).toEqual([30]);
  });

  test("a transfer exactly one hour old still counts", async () => {
    const recent = [...smallTransfers(9, 30 * MINUTE), earlier(100n, HOUR)];
    expect(ruleNames(await screen(100n, recent))).toEqual(["velocity"]);
  });

  test("a transfer one millisecond older than an hour does not", async () => {
    const recent = [...smallTransfers(9, 30 * MINUTE), earlier(100n, HOUR + 1)];
    expect(ruleNames(await screen(100n, recent))).toEqual([]);
  });

  test("counts transfers of any amount", async () => {
    const recent = [...smallTransfers(5, HOUR), ...Array.from({ length: 5 }, (_, i) => earlier(THRESHOLD * 5n, i * SECOND))];
    expect(ruleNames(await screen(1n, recent))).toEqual(["velocity"]);
  });

  test("counts a transfer stamped slightly after now (clock skew between instances)", async () => {
    const recent = [...smallTransfers(9, HOUR), earlier(100n, -SECOND)];
    expect(ruleNames(await screen(100n, recent))).toEqual(["velocity"]);
  });
});

describe("structuring", () => {
  const NEAR = 950_000n; // 9,500 USD: within 10 % under the threshold

  test("two near-threshold transfers within 24 hours are not flagged", async () => {
    expect(await screen(NEAR, [earlier(NEAR, 2 * HOUR)])).toEqual({ decision: "complete", flags: [] });
  });

  test("the third within 24 hours is flagged but still completes", async () => {
    expect(await screen(NEAR, [earlier(NEAR, 2 * HOUR), earlier(NEAR, 20 * HOUR)])).toEqual({
      decision: "complete",
      flags: [{ rule: "structuring", detail: "3 transfers between 9000 USD and 10000 USD within 24 hours" }],
    });
  });

  test("the band runs from exactly 90 % to exactly the threshold, both included", async () => {
    const band = [earlier(900_000n, HOUR), earlier(THRESHOLD, 2 * HOUR)];
    expect(ruleNames(await screen(900_000n, band))).toEqual(["structuring"]);
    expect(ruleNames(await screen(THRESHOLD, band))).toEqual(["structuring"]);
  });

  test("a cent under 90 % is outside the band, as this transfer or an earlier one", async () => {
    expect(ruleNames(await screen(899_999n, [earlier(NEAR, HOUR), earlier(NEAR, 2 * HOUR)]))).toEqual([]);
    expect(ruleNames(await screen(NEAR, [earlier(899_999n, HOUR), earlier(NEAR, 2 * HOUR)]))).toEqual([]);
  });

  test("earlier transfers over the threshold are not part of the pattern", async () => {
    expect(ruleNames(await screen(NEAR, [earlier(THRESHOLD + 1n, HOUR), earlier(NEAR, 2 * HOUR)]))).toEqual([]);
  });

  test("only a near-threshold transfer has its band counted", () => {
    const rules = (amountUsdCents: bigint) =>
      amlWindows({ amountUsdCents, now: NOW, reviewThresholdUsdCents: THRESHOLD }).map((w) => w.rule);
    expect(rules(NEAR)).toEqual(["velocity", "structuring"]);
    expect(rules(899_999n)).toEqual(["velocity"]);
    expect(rules(THRESHOLD + 1n)).toEqual(["velocity"]);
  });

  test("is judged on a near-threshold transfer: a small one after the pattern is not flagged again", async () => {
    expect(ruleNames(await screen(100n, [earlier(NEAR, HOUR), earlier(NEAR, 2 * HOUR), earlier(NEAR, 3 * HOUR)]))).toEqual([]);
  });

  test("a transfer exactly 24 hours old still counts", async () => {
    expect(ruleNames(await screen(NEAR, [earlier(NEAR, HOUR), earlier(NEAR, 24 * HOUR)]))).toEqual(["structuring"]);
  });

  test("a transfer one millisecond older than 24 hours does not", async () => {
    expect(ruleNames(await screen(NEAR, [earlier(NEAR, HOUR), earlier(NEAR, 24 * HOUR + 1)]))).toEqual([]);
  });

  test("90 % of a threshold that is not a multiple of 10 cents is rounded down to a whole cent", async () => {
    // 90 % of 10.05 USD is 9.045 USD: the band starts at 9.04 USD.
    const threshold = 1_005n;
    const twoInBand = [earlier(904n, HOUR), earlier(1_005n, 2 * HOUR)];
    expect((await screen(904n, twoInBand, threshold)).flags).toEqual([
      { rule: "structuring", detail: "3 transfers between 9.04 USD and 10.05 USD within 24 hours" },
    ]);
    expect(ruleNames(await screen(903n, twoInBand, threshold))).toEqual([]);
  });
});

describe("combinations", () => {
  test("over the threshold and too fast: held, both flags in rule order", async () => {
    const result = await screen(THRESHOLD + 1n, smallTransfers(10, HOUR));
    expect(result.decision).toBe("review");
    expect(ruleNames(result)).toEqual(["over_threshold", "velocity"]);
  });

  test("too fast and structuring: both flags, and it completes", async () => {
    const recent = [...smallTransfers(8, HOUR), earlier(950_000n, MINUTE), earlier(990_000n, 2 * MINUTE)];
    const result = await screen(999_999n, recent);
    expect(result.decision).toBe("complete");
    expect(ruleNames(result)).toEqual(["velocity", "structuring"]);
  });

  test("transfers older than 24 hours count for nothing", async () => {
    const old = Array.from({ length: 50 }, () => earlier(950_000n, 24 * HOUR + MINUTE));
    expect(await screen(950_000n, old)).toEqual({ decision: "complete", flags: [] });
  });
});

describe("rules are data", () => {
  test("the built-in rules, in order", async () => {
    expect(AML_RULES.map((rule) => [rule.name, rule.holdsForReview])).toEqual([
      ["over_threshold", true],
      ["velocity", false],
      ["structuring", false],
    ]);
  });

  test("an added rule is run, and holds the transfer only if it says so", async () => {
    const input: AmlInput = {
      amountUsdCents: 100n,
      now: NOW,
      earlier: { velocity: 0, structuring: 0 },
      reviewThresholdUsdCents: THRESHOLD,
    };
    const flagOnly: AmlRule = { name: "new_recipient", holdsForReview: false, check: () => "first transfer to this user" };
    const holding: AmlRule = { name: "sanctioned", holdsForReview: true, check: () => "on a list" };
    expect(screenTransfer(input, [...AML_RULES, flagOnly])).toEqual({
      decision: "complete",
      flags: [{ rule: "new_recipient", detail: "first transfer to this user" }],
    });
    expect(screenTransfer(input, [...AML_RULES, holding])).toEqual({
      decision: "review",
      flags: [{ rule: "sanctioned", detail: "on a list" }],
    });
  });
});
