/**
 * Runs `work` while another transaction holds what `lock` takes (an advisory lock, a table lock), as a concurrent
 * request or migration would; the lock is given up when `work` ends, however it ends. Real Postgres only: on
 * PGlite's one connection, `work`'s own queries would wait for the holder for ever.
 */
import { type SQL, sql } from "drizzle-orm";
import { type Db, queryRows } from "../../src/platform/db/client";

export async function whileLockHeld<T>(db: Db, lock: SQL, work: () => Promise<T>): Promise<T> {
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let held = () => {};
  const holding = new Promise<void>((resolve) => {
    held = resolve;
  });
  const holder = db.transaction(async (tx) => {
    await tx.execute(lock);
    held();
    await released;
  });
  await Promise.race([holding, holder]);
  try {
    return await work();
  } finally {
    release();
    await holder;
  }
}

/**
 * Runs `work` against another transaction's write (`lock`: e.g. an UPDATE, not yet committed), which commits
 * once a session waits for a lock (`work`, queued behind it) or after `patienceMs` (`work` did not queue, or
 * finished first). Resolves with `work`'s result, after that commit. Real Postgres only, as whileLockHeld.
 */
export async function runAgainstUncommitted<T>(db: Db, lock: SQL, work: () => Promise<T>, patienceMs = 3_000): Promise<T> {
  const { running } = await whileLockHeld(db, lock, async () => {
    const running = work();
    running.catch(() => undefined); // the caller awaits it, after the commit
    await lockWaiters(db, 1, patienceMs);
    return { running };
  });
  return running;
}

/** Waits until `count` sessions of the database wait for a lock, for at most `patienceMs`: whether they came to. */
export async function lockWaiters(db: Db, count: number, patienceMs = 3_000): Promise<boolean> {
  for (const until = Date.now() + patienceMs; Date.now() < until; await Bun.sleep(20)) {
    const [queued] = await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event_type = 'Lock'`,
    );
    if (queued.n >= count) return true;
  }
  return false;
}
