/**
 * The embedded database has one owner at a time: a second process opening the same directory would see none
 * of the first one's writes and lose all of its own at the next restart.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "../src/platform/db/client";
import { DatabaseInUseError } from "../src/platform/db/data-dir-lock";

// PGlite creates a fresh cluster on disk for every directory; a server process boots and migrates as well.
setDefaultTimeout(60_000);

const root = mkdtempSync(join(tmpdir(), "cv-db-lock-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDataDir = () => join(root, `data-${++dirs}`);

/** The PID of a process that has just exited: what a server killed with SIGKILL leaves in its lock. */
function deadPid(): number {
  return Bun.spawnSync(["true"]).pid;
}

describe("the embedded database directory", () => {
  // One directory for these tests (each leaves it closed): PGlite takes seconds to create a cluster.
  const dir = join(freshDataDir(), "pg");

  test("a second open of the same directory is refused, naming the directory and the process holding it", async () => {
    const first = await openDatabase({ dataDir: dir });
    try {
      const second = openDatabase({ dataDir: dir });
      await expect(second).rejects.toBeInstanceOf(DatabaseInUseError);
      await expect(second).rejects.toThrow(
        `The embedded database in ${dir} is in use by process ${process.pid} (a running server?); stop it first, or set DATABASE_URL to share a Postgres`,
      );
      // The refusal leaves the first opener's lock and connection alone.
      expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(process.pid));
      await first.db.execute(sql`select 1`);
    } finally {
      await first.close();
    }
  });

  test("close releases it: the lock file is gone and the next open succeeds", async () => {
    const database = await openDatabase({ dataDir: dir });
    expect(existsSync(`${dir}.lock`)).toBe(true);
    await database.close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
    await (await openDatabase({ dataDir: dir })).close();
  });

  test("a lock left by a process that is gone (killed, crashed) is taken over", async () => {
    writeFileSync(`${dir}.lock`, `${deadPid()}\n`);
    const database = await openDatabase({ dataDir: dir });
    try {
      expect(readFileSync(`${dir}.lock`, "utf8").trim()).toBe(String(process.pid));
    } finally {
      await database.close();
    }
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });

  test("a lock with this PID that this process does not hold (bun --watch restarts in place) is taken over", async () => {
    writeFileSync(`${dir}.lock`, `${process.pid}\n`);
    await (await openDatabase({ dataDir: dir })).close();
    expect(existsSync(`${dir}.lock`)).toBe(false);
  });
});

describe("processes sharing a data directory", () => {
  const ROOT = join(import.meta.dir, "..");
  const spawnEnv = (dataDir: string) => ({
    PATH: process.env.PATH ?? "",
    HOME: process.env.HOME ?? "/tmp",
    DATA_DIR: dataDir,
    HOST: "127.0.0.1",
    PORT: "0",
  });

  test("the CLI and the server are refused while another process has the directory, and say which", async () => {
    const dataDir = freshDataDir();
    const held = await openDatabase({ dataDir: join(dataDir, "pg") });
    const message = `The embedded database in ${join(dataDir, "pg")} is in use by process ${process.pid}`;
    try {
      const cli = Bun.spawnSync(["bun", "--no-env-file", "src/cli.ts", "user:promote", "x@example.com"], {
        cwd: ROOT,
        env: spawnEnv(dataDir),
      });
      expect(cli.stdout.toString()).not.toContain("is now an admin");
      expect(cli.stderr.toString().trim()).toStartWith(message);
      expect(cli.stderr.toString()).not.toContain("    at ");
      expect(cli.exitCode).toBe(1);

      const server = Bun.spawn(["bun", "--no-env-file", "src/main.ts"], {
        cwd: ROOT,
        env: spawnEnv(dataDir),
        stdout: "pipe",
        stderr: "pipe",
      });
      const timeout = setTimeout(() => server.kill("SIGKILL"), 30_000);
      expect(await server.exited).toBe(1);
      clearTimeout(timeout);
      const stdout = await new Response(server.stdout).text();
      expect(stdout).not.toContain('"msg":"listening"');
      // The message, as plain as a configuration error: its log line, no stack (a fresh checkout prints its web build first).
      expect(JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}")).toMatchObject({
        level: "error",
        msg: expect.stringContaining(message),
      });
      expect(stdout + (await new Response(server.stderr).text())).not.toContain("    at ");
    } finally {
      await held.close();
    }
  });
});
