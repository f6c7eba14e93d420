/**
 * PGlite runs Postgres inside this process over files on disk. A second process opening the same directory
 * gets a Postgres of its own that neither sees the first one's writes nor keeps its own: whatever it commits
 * is gone at the next restart. So an embedded data directory has one owner at a time, recorded in a lock file
 * beside it (`pg.lock` for `pg`) that holds the owner's PID. A lock whose process is gone (killed, crashed)
 * is taken over.
 */
import { linkSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";

export class DatabaseInUseError extends Error {
  constructor(
    readonly dir: string,
    readonly pid: number,
  ) {
    super(
      `The embedded database in ${dir} is in use by process ${pid} (a running server?); stop it first, or set DATABASE_URL to share a Postgres`,
    );
    this.name = "DatabaseInUseError";
  }
}

/**
 * Lock files this process holds. Our own PID in a lock we do not hold is a previous life of this PID (a
 * container restarted over the same volume, `bun --watch` restarting in place), not a second opener.
 */
const held = new Set<string>();

/** Takes the directory's lock or throws DatabaseInUseError naming the process that has it; returns the release. */
export function lockDataDir(dir: string): () => void {
  const lockPath = `${resolve(dir)}.lock`;
  while (!tryCreate(lockPath)) {
    const owner = readOwner(lockPath);
    if (owner === undefined) continue; // released between our attempt and the read
    if (isRunning(owner) && (owner !== process.pid || held.has(lockPath))) throw new DatabaseInUseError(dir, owner);
    removeStale(lockPath, owner);
  }
  held.add(lockPath);
  let released = false;
  const release = () => {
    if (released) return; // a second close must not remove a lock this process took again since
    released = true;
    held.delete(lockPath);
    if (readOwner(lockPath) === process.pid) unlinkSync(lockPath);
  };
  // An exit that skips close (an error during boot) leaves no lock behind for a later process to reuse the PID of.
  process.once("exit", release);
  return () => {
    process.off("exit", release);
    release();
  };
}

/**
 * Exclusive create with the PID already inside: the PID is written to a file of our own, then hard-linked to
 * the lock's name, which fails if it exists. (An O_EXCL create followed by a write would let another opener
 * read an empty lock in between.)
 */
function tryCreate(lockPath: string): boolean {
  const mine = `${lockPath}.${process.pid}`;
  writeFileSync(mine, `${process.pid}\n`);
  try {
    linkSync(mine, lockPath);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(mine);
  }
}

function readOwner(lockPath: string): number | undefined {
  try {
    const pid = Number.parseInt(readFileSync(lockPath, "utf8"), 10);
    return Number.isSafeInteger(pid) && pid > 0 ? pid : 0;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function isRunning(pid: number): boolean {
  if (pid === 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: the process exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Two openers can find the same stale lock. Each moves it aside (atomic) and checks what it moved: the
 * slower one, having moved the lock the faster one just took, puts it back instead of deleting it.
 */
function removeStale(lockPath: string, stalePid: number) {
  const aside = `${lockPath}.stale.${process.pid}`;
  try {
    renameSync(lockPath, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    if (readOwner(aside) !== stalePid) linkSync(aside, lockPath);
  } finally {
    unlinkSync(aside);
  }
}
