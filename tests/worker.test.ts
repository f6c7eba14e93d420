/** Background workers (src/platform/worker.ts): when they tick, and that they drain a backlog. */
import { expect, test } from "bun:test";
import { createLogger } from "../src/platform/observability/logger";
import { startWorker } from "../src/platform/worker";

const silent = createLogger("silent");

test("an hourly worker ticks first soon after the start, not an hour later", async () => {
  let ticks = 0;
  const worker = startWorker(
    "hourly",
    3_600_000,
    async () => {
      ticks++;
      return 0;
    },
    silent,
    { firstTickWithinMs: 50 },
  );
  await Bun.sleep(150);
  await worker.stop();
  expect(ticks).toBe(1);
});

test("a tick that did a full batch runs again at once, until the backlog is drained", async () => {
  let backlog = 25;
  let ticks = 0;
  const worker = startWorker(
    "drain",
    3_600_000,
    async () => {
      ticks++;
      const done = Math.min(10, backlog);
      backlog -= done;
      return done;
    },
    silent,
    { fullBatch: 10, firstTickWithinMs: 0 },
  );
  await Bun.sleep(100);
  await worker.stop();
  expect(backlog).toBe(0);
  expect(ticks).toBe(3);
});

test("a worker that keeps failing logs it once (then once a minute), and says when it has recovered", async () => {
  const lines: { msg: string; worker: string; failedTicks: number }[] = [];
  const logger = createLogger("info", (line) => lines.push(JSON.parse(line)));
  let failing = true;
  let ticks = 0;
  const worker = startWorker(
    "flaky",
    1,
    async () => {
      ticks++;
      if (failing) throw new Error("database down");
      return 0;
    },
    logger,
    { firstTickWithinMs: 0 },
  );
  for (const until = Date.now() + 2_000; ticks < 20 && Date.now() < until; ) await Bun.sleep(5);
  failing = false;
  const failed = ticks;
  for (const until = Date.now() + 2_000; ticks === failed && Date.now() < until; ) await Bun.sleep(5);
  await worker.stop();
  expect(failed).toBeGreaterThanOrEqual(20);
  expect(lines.map(({ msg, worker, failedTicks }) => ({ msg, worker, failedTicks }))).toEqual([
    { msg: "worker tick failed", worker: "flaky", failedTicks: 1 },
    { msg: "worker recovered", worker: "flaky", failedTicks: failed },
  ]);
});
