import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import Redis from "ioredis";
import { createLoginThrottle } from "../src/modules/identity/login-throttle";
import { type CounterStore, MAX_MEMORY_WINDOWS, MemoryCounterStore, RedisCounterStore } from "../src/platform/counters";
import type { AppError } from "../src/platform/http/errors";
import { TEST_REDIS_URL } from "./support/harness";

setDefaultTimeout(30_000);

const redis = TEST_REDIS_URL ? new Redis(TEST_REDIS_URL) : null;
afterAll(() => redis?.quit());

/** On Redis when configured, under a prefix of this run's own; in process otherwise. */
const counters: CounterStore = redis
  ? new RedisCounterStore(redis, `cvtest_throttle_${crypto.randomUUID()}:`)
  : new MemoryCounterStore();
/** A budget of one failure, so one attempt being checked fills it. */
const throttle = createLoginThrottle(counters, 1);

/** A check that answers only when the test settles it, and tells whether it was called. */
function heldCheck() {
  const held = {
    called: false,
    settle: (_accepted: boolean) => {},
    check: () => {
      held.called = true;
      return new Promise<boolean>((resolve) => {
        held.settle = resolve;
      });
    },
  };
  return held;
}

const refusalOf = (attempt: Promise<unknown>) =>
  attempt.then(
    () => null,
    (error: AppError) => ({
      code: error.code,
      retryAfter: Number(error.headers?.["retry-after"]),
      // The budget that refused: its limit, nothing left, and room again when Retry-After says.
      rateLimit: ["limit", "remaining", "reset"].map((name) => Number(error.headers?.[`ratelimit-${name}`])),
    }),
  );

describe("an attempt whose budget only attempts being checked fill", () => {
  test("waits for them: once they give their slots back, its own secret is checked", async () => {
    const user = crypto.randomUUID();
    const first = heldCheck();
    const firstAttempt = throttle.judgeSecret(user, first.check);
    const second = heldCheck();
    const secondAttempt = throttle.judgeSecret(user, second.check);
    await Bun.sleep(200);
    expect([first.called, second.called]).toEqual([true, false]);
    first.settle(true);
    expect(await firstAttempt).toBe(true);
    await Bun.sleep(200);
    expect(second.called).toBe(true);
    second.settle(true);
    expect(await secondAttempt).toBe(true);
  });

  test("is 429 with the failures' Retry-After once they turn out wrong", async () => {
    const email = `${crypto.randomUUID()}@example.com`;
    const first = heldCheck();
    const firstAttempt = throttle.judgeSignIn(email, "192.0.2.1", () => first.check().then((accepted) => ({ accepted })));
    const secondAttempt = refusalOf(throttle.judgeSignIn(email, "192.0.2.1", async () => ({ accepted: true })));
    await Bun.sleep(200);
    first.settle(false);
    expect((await firstAttempt).accepted).toBe(false);
    const refusal = await secondAttempt;
    expect(refusal?.code).toBe("RATE_LIMITED");
    expect(refusal?.retryAfter).toBeGreaterThan(15 * 60 - 5);
    expect(refusal?.rateLimit).toEqual([1, 0, Number(refusal?.retryAfter)]);
  });

  test("gives up after about 3 s of waiting: 429 with Retry-After 1", async () => {
    const user = crypto.randomUUID();
    const stuck = heldCheck();
    const stuckAttempt = throttle.judgeSecret(user, stuck.check);
    const started = Date.now();
    const refusal = await refusalOf(throttle.judgeSecret(user, async () => true));
    expect(Date.now() - started).toBeGreaterThanOrEqual(3_000);
    expect(refusal).toEqual({ code: "RATE_LIMITED", retryAfter: 1, rateLimit: [1, 0, 1] });
    stuck.settle(true);
    expect(await stuckAttempt).toBe(true);
  });

  test("holding the user's row (a code spent with the money), it does not wait: 429 at once, Retry-After 1", async () => {
    const user = crypto.randomUUID();
    const stuck = heldCheck();
    const stuckAttempt = throttle.judgeSecret(user, stuck.check);
    const started = Date.now();
    const refusal = await refusalOf(throttle.judgeSecret(user, async () => true, { holdingLocks: true }));
    expect(Date.now() - started).toBeLessThan(1_000);
    expect(refusal).toEqual({ code: "RATE_LIMITED", retryAfter: 1, rateLimit: [1, 0, 1] });
    stuck.settle(true);
    expect(await stuckAttempt).toBe(true);
  });
});

describe("the in-process counter store", () => {
  test("keeps at most MAX_MEMORY_WINDOWS counters: past it, the one made longest ago is dropped", async () => {
    const store = new MemoryCounterStore();
    const windowMs = 60_000;
    const key = (i: number) => `mail:password_reset:made-up-${i}@example.test`;
    for (let i = 0; i <= MAX_MEMORY_WINDOWS; i++) await store.hit(key(i), windowMs);
    // The newest counters count on; the oldest made room and starts again.
    expect((await store.hit(key(MAX_MEMORY_WINDOWS), windowMs)).count).toBe(2);
    expect((await store.hit(key(MAX_MEMORY_WINDOWS - 1), windowMs)).count).toBe(2);
    expect((await store.hit(key(0), windowMs)).count).toBe(1);
  });

  test("a window that ends is counted afresh", async () => {
    const store = new MemoryCounterStore();
    expect((await store.hit("ip:192.0.2.1", 1)).count).toBe(1);
    await Bun.sleep(5);
    expect((await store.hit("ip:192.0.2.1", 60_000)).count).toBe(1);
    expect((await store.hit("ip:192.0.2.1", 60_000)).count).toBe(2);
  });
});

describe("counter keys", () => {
  test("name no email address: it is hashed, so Redis holds none and any text makes a clean key", async () => {
    const keys: string[] = [];
    const store = new MemoryCounterStore();
    const recording: CounterStore = Object.assign(Object.create(store), {
      hit: (key: string, windowMs: number) => {
        keys.push(key);
        return store.hit(key, windowMs);
      },
      claim: (budgets: { key: string; limit: number }[], windowMs: number) => {
        keys.push(...budgets.map((b) => b.key));
        return store.claim(budgets, windowMs);
      },
    });
    const { createMailBudget } = await import("../src/modules/identity/mail-budget");
    const email = "Someone.Private@example.com\nX";
    const mails = createMailBudget(recording);
    await mails.passwordReset(email, "192.0.2.1");
    await mails.verification(email);
    await mails.newSignIn(email);
    await createLoginThrottle(recording, 5).judgeSignIn(email, "192.0.2.1", async () => ({ accepted: false }));
    expect(keys).toHaveLength(5);
    for (const key of keys) expect([key, /private|\n/i.test(key)]).toEqual([key, false]);
  });
});
