/**
 * The AML rules, end to end: every case writes the sender's earlier transfers to a database and counts
 * them with the query the transfer path uses, so the windows' edges are tested where they are applied.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { sql } from "drizzle-orm";
import { AML_RULES, type AmlInput, type AmlRule, type AmlWindow, amlWindows, screenTransfer } from "../src/modules/transfers/aml";
import { readScreeningFacts } from "../src/modules/transfers/service";
import { queryRows } from "../src/platform/db/client";
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

/**
 * A flag raised `msAgo` before NOW on one of the sender's earlier transfers (or, `ofAnother`, on someone else's),
 * judged against the screen's threshold unless `threshold` says another.
 */
type EarlierFlag = { rule: string; msAgo: number; resolved?: boolean; ofAnother?: boolean; threshold?: bigint | null };

/** Writes an earlier P2P transfer of `sender`'s; answers its id. */
async function insertTransfer(sender: string, t: Earlier): Promise<string> {
  const [row] = await queryRows<{ id: string }>(
    database.db,
    sql`insert into p2p_transfers (sender_id, recipient_id, asset, amount, amount_usd_cents, status, created_at)
      values (${sender}, ${crypto.randomUUID()}, 'USD', 1, ${t.amountUsdCents.toString()}::bigint, 'completed', ${t.createdAt.toISOString()}::timestamptz)
      returning id`,
  );
  return row.id;
}

/**
 * Screens a transfer of a new sender whose earlier transfers are `recent` and earlier flags `flags`, read from the
 * database with the queries the transfer path uses.
 */
async function screen(
  amountUsdCents: bigint,
  recent: Earlier[] = [],
  reviewThresholdUsdCents = THRESHOLD,
  flags: EarlierFlag[] = [],
) {
  const sender = crypto.randomUUID();
  const ids: string[] = [];
  for (const t of recent) ids.push(await insertTransfer(sender, t));
  for (const flag of flags) {
    const owner = flag.ofAnother ? crypto.randomUUID() : sender;
    const transferId = flag.ofAnother ? await insertTransfer(owner, earlier(100n, flag.msAgo)) : ids[0];
    const threshold = flag.threshold === undefined ? reviewThresholdUsdCents.toString() : (flag.threshold?.toString() ?? null);
    await database.db.execute(sql`insert into aml_flags (transfer_id, user_id, rule, detail, created_at, resolved_at, review_threshold_usd_cents)
      values (${transferId}, ${owner}, ${flag.rule}, 'earlier', ${new Date(NOW.getTime() - flag.msAgo).toISOString()}::timestamptz,
              ${flag.resolved ? NOW.toISOString() : null}::timestamptz, ${threshold}::numeric)`);
  }
  const windows = amlWindows({ amountUsdCents, now: NOW, reviewThresholdUsdCents });
  const facts = await readScreeningFacts(database.db, sender, windows, reviewThresholdUsdCents);
  return screenTransfer({ amountUsdCents, now: NOW, reviewThresholdUsdCents, ...facts });
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
      flags: [{ rule: "over_threshold", detail: "$10,000.01 is above the review threshold of $10,000.00" }],
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
    for (const t of smallTransfers(30, HOUR)) await insertTransfer(sender, t);
    const [velocity] = amlWindows({ amountUsdCents: 100n, now: NOW, reviewThresholdUsdCents: THRESHOLD });
    expect(velocity.rule).toBe("velocity");
    const countIn = async (window: AmlWindow) =>
      (await readScreeningFacts(database.db, sender, [{ rule: "velocity", window }], THRESHOLD)).earlier.velocity;
    expect(await countIn(velocity.window)).toBe(10);
    expect(await countIn({ since: velocity.window.since })).toBe(30);
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
      flags: [{ rule: "structuring", detail: "3 transfers between $9,000.00 and $10,000.00 within 24 hours" }],
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
      { rule: "structuring", detail: "3 transfers between $9.04 and $10.05 within 24 hours" },
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

describe("a pattern already under investigation", () => {
  const tooFast = smallTransfers(10, HOUR);

  test("an open velocity flag of the last hour: the next fast transfer is not flagged again", async () => {
    expect(await screen(100n, tooFast, THRESHOLD, [{ rule: "velocity", msAgo: 10 * MINUTE }])).toEqual({
      decision: "complete",
      flags: [],
    });
  });

  test("an open flag exactly an hour old still stands for the pattern; one a millisecond older does not", async () => {
    expect(ruleNames(await screen(100n, tooFast, THRESHOLD, [{ rule: "velocity", msAgo: HOUR }]))).toEqual([]);
    expect(ruleNames(await screen(100n, tooFast, THRESHOLD, [{ rule: "velocity", msAgo: HOUR + 1 }]))).toEqual(["velocity"]);
  });

  test("once the flag is resolved, the pattern flags again", async () => {
    const resolved = { rule: "velocity", msAgo: 10 * MINUTE, resolved: true };
    expect(ruleNames(await screen(100n, tooFast, THRESHOLD, [resolved]))).toEqual(["velocity"]);
  });

  test("an open flag of another rule, or of another sender, does not stand for this one", async () => {
    expect(ruleNames(await screen(100n, tooFast, THRESHOLD, [{ rule: "structuring", msAgo: MINUTE }]))).toEqual(["velocity"]);
    const others = [{ rule: "velocity", msAgo: MINUTE, ofAnother: true }];
    expect(ruleNames(await screen(100n, tooFast, THRESHOLD, others))).toEqual(["velocity"]);
  });

  test("an open flag judged against another review threshold does not stand for this one's pattern", async () => {
    const nearThreshold = [earlier(950_000n, 3 * HOUR), earlier(990_000n, 2 * HOUR)];
    const before = [{ rule: "structuring", msAgo: HOUR, threshold: THRESHOLD / 2n }];
    expect(ruleNames(await screen(999_999n, nearThreshold, THRESHOLD, before))).toEqual(["structuring"]);
  });

  test("an open flag from before flags kept their threshold stands for the pattern", async () => {
    const legacy = [{ rule: "velocity", msAgo: 10 * MINUTE, threshold: null }];
    expect(ruleNames(await screen(100n, smallTransfers(10, HOUR), THRESHOLD, legacy))).toEqual([]);
  });

  test("an open structuring flag of the last 24 hours: the next near-threshold transfer is not flagged again", async () => {
    const nearThreshold = [earlier(950_000n, 3 * HOUR), earlier(990_000n, 2 * HOUR)];
    const open = [{ rule: "structuring", msAgo: 23 * HOUR }];
    expect(ruleNames(await screen(999_999n, nearThreshold, THRESHOLD, open))).toEqual([]);
    expect(ruleNames(await screen(999_999n, nearThreshold, THRESHOLD, [{ ...open[0], msAgo: 24 * HOUR + 1 }]))).toEqual([
      "structuring",
    ]);
  });

  test("every transfer over the threshold is held, however many of its flags are open", async () => {
    const result = await screen(THRESHOLD + 1n, [earlier(100n, MINUTE)], THRESHOLD, [{ rule: "over_threshold", msAgo: MINUTE }]);
    expect(result).toEqual({ decision: "review", flags: [expect.objectContaining({ rule: "over_threshold" })] });
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
      openFlags: [],
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
