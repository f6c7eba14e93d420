/**
 * Runs `work` while another transaction holds what `lock` takes (an advisory lock, a table lock), as a concurrent
 * request or migration would; the lock is given up when `work` ends, however it ends. Real Postgres only: on
 * PGlite's one connection, `work`'s own queries would wait for the holder for ever.
 */
import type { SQL } from "drizzle-orm";
import type { Db } from "../../src/platform/db/client";

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
