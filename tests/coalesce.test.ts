/** The web app's coalescing of live reloads (web/src/lib/coalesce.ts): bounded, one at a time, never stale. */
import { expect, test } from "bun:test";
import { coalesce } from "../web/src/lib/coalesce";

test("a burst of triggers runs at most once per interval, one at a time, and once more after the last", async () => {
  const starts: number[] = [];
  let concurrent = 0;
  let most = 0;
  const live = coalesce(async () => {
    starts.push(performance.now());
    most = Math.max(most, ++concurrent);
    await Bun.sleep(30);
    concurrent--;
  }, 100);
  // 50 triggers over about half a second: unbounded, that would be 50 reloads.
  let lastTrigger = 0;
  for (let i = 0; i < 50; i++) {
    live.trigger();
    lastTrigger = performance.now();
    await Bun.sleep(10);
  }
  await Bun.sleep(250);
  const burstMs = lastTrigger - starts[0];
  expect(starts.length).toBeLessThanOrEqual(Math.ceil(burstMs / 100) + 2);
  for (let i = 1; i < starts.length; i++) expect(starts[i] - starts[i - 1]).toBeGreaterThanOrEqual(99);
  expect(most).toBe(1);
  // What the last trigger asked for is loaded: a run began after it, and none is left to come.
  expect(starts.at(-1) as number).toBeGreaterThanOrEqual(lastTrigger);
  const settled = starts.length;
  await Bun.sleep(150);
  expect(starts.length).toBe(settled);
});

test("a lone trigger runs at once; cancel drops what is waiting", async () => {
  let runs = 0;
  const live = coalesce(() => {
    runs++;
  }, 100);
  live.trigger();
  await Bun.sleep(5);
  expect(runs).toBe(1);
  live.trigger();
  live.cancel();
  await Bun.sleep(150);
  expect(runs).toBe(1);
});

test("with a gathering time, the frames of one event arriving together make one run", async () => {
  let runs = 0;
  const live = coalesce(
    () => {
      runs++;
    },
    1_000,
    50,
  );
  // A trade's frames: two balances, three transactions and the order, a few milliseconds apart.
  for (let i = 0; i < 6; i++) {
    live.trigger();
    await Bun.sleep(2);
  }
  await Bun.sleep(120);
  expect(runs).toBe(1);
  live.cancel();
});
