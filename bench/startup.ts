/**
 * `bun run bench:startup`: cold-start time and idle memory of the real server process. A benchmark, not a test.
 *
 * Scenarios, each run BENCH_RUNS times (default 5, at most 20):
 *   embedded, first boot    nothing configured, a fresh DATA_DIR: creates the PGlite cluster, dev secrets, migrations
 *   embedded, second boot   the same DATA_DIR again: opens the existing cluster, nothing to migrate
 *   postgres+redis, first   NODE_ENV=production, a fresh database on 127.0.0.1:5432 and Redis on 127.0.0.1:6379
 *   postgres+redis, second  the same database again
 * Each boot spawns `bun src/main.ts` directly (so the pid is the server, not a `bun run` wrapper) with
 * HOST=127.0.0.1 PORT=0, reads its JSON log until "listening", and measures the wall time from spawn until
 * GET /health answers 200. After 3 s idle it reads VmRSS from /proc/<pid>/status, then sends SIGTERM and
 * expects exit code 0. `.env` files are not loaded (--no-env-file), so a developer's .env cannot change a scenario.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import postgres from "postgres";

const ROOT = join(import.meta.dir, "..");
const BUN = process.execPath;
const PG_ADMIN_URL = "postgres://root@127.0.0.1:5432/postgres";
const REDIS_URL = "redis://127.0.0.1:6379";
const RUNS = Math.min(20, Math.max(1, Number.parseInt(process.env.BENCH_RUNS ?? "5", 10) || 5));
const IDLE_MS = 3000;
const LISTEN_TIMEOUT_MS = 60_000;
const HEALTH_TIMEOUT_MS = 10_000;
const EXIT_TIMEOUT_MS = 15_000;

type LogLine = Record<string, unknown>;
type Sample = { coldMs: number; bootMs: number; rssMiB: number | null; exitCode: number | null };
type Expect = { database: "pglite" | "postgres"; bus: "memory" | "redis" };

const live = new Set<Bun.Subprocess>();
const cleanups: (() => Promise<void>)[] = [];

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const unique = () => `${process.pid}_${randomBytes(4).toString("hex")}`;

/** Resolves with the first value of `promise`, or rejects after `ms` with `what` in the message. */
async function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function readRssMiB(pid: number): number | null {
  try {
    const match = readFileSync(`/proc/${pid}/status`, "utf8").match(/^VmRSS:\s+(\d+)\s+kB/m);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** One boot of the server: spawn → "listening" → /health 200 → idle → RSS → SIGTERM → exit code. */
async function boot(env: Record<string, string>, expect: Expect): Promise<Sample> {
  const startedAt = performance.now();
  const proc = Bun.spawn([BUN, "--no-env-file", "src/main.ts"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "/tmp",
      HOST: "127.0.0.1",
      PORT: "0",
      LOG_LEVEL: "info",
      ...env,
    },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  const stderr = new Response(proc.stderr).text();
  try {
    // Reads stdout to its end (so the pipe never fills) and hands over the "listening" line when it passes.
    let onListening: (line: LogLine) => void = () => {};
    const listening = new Promise<LogLine>((resolve) => {
      onListening = resolve;
    });
    const reader = (async () => {
      const decoder = new TextDecoder();
      let buffer = "";
      for await (const chunk of proc.stdout) {
        buffer += decoder.decode(chunk, { stream: true });
        const lines = buffer.split("\n");
        buffer = lines.pop() ?? "";
        for (const text of lines) {
          try {
            const line = JSON.parse(text) as LogLine;
            if (line.msg === "listening") onListening(line);
          } catch {
            // Not a JSON log line (e.g. a web build's output).
          }
        }
      }
    })();
    const exitedEarly = proc.exited.then(async (code) => {
      throw new Error(`server exited with code ${code} before listening: ${(await stderr).slice(0, 2000)}`);
    });
    const line = await within(Promise.race([listening, exitedEarly]), LISTEN_TIMEOUT_MS, "waiting for the listening log line");
    exitedEarly.catch(() => {});
    if (line.database !== expect.database || line.bus !== expect.bus) {
      throw new Error(
        `expected database ${expect.database} and bus ${expect.bus}, the server reports ${line.database} and ${line.bus}`,
      );
    }

    const healthUrl = `http://127.0.0.1:${line.port}/health`;
    let coldMs = Number.NaN;
    for (let attempt = 0; attempt < HEALTH_TIMEOUT_MS / 10; attempt++) {
      const ok = await fetch(healthUrl).then(
        (response) => response.status === 200,
        () => false,
      );
      if (ok) {
        coldMs = performance.now() - startedAt;
        break;
      }
      await sleep(10);
    }
    if (Number.isNaN(coldMs)) throw new Error(`${healthUrl} did not answer 200 within ${HEALTH_TIMEOUT_MS} ms`);

    await sleep(IDLE_MS);
    const rssMiB = readRssMiB(proc.pid);

    proc.kill("SIGTERM");
    const exitCode = await within(proc.exited, EXIT_TIMEOUT_MS, "exiting after SIGTERM").catch(() => null);
    await within(reader, 5000, "reading the rest of stdout").catch(() => {});
    return { coldMs, bootMs: Number(line.bootMs), rssMiB, exitCode };
  } finally {
    if (proc.exitCode === null) {
      proc.kill("SIGKILL");
      await proc.exited;
    }
    live.delete(proc);
  }
}

/** A fresh database on the local Postgres, dropped by `drop`. */
async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `cv_bench_${unique()}`;
  const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
  try {
    await admin.unsafe(`create database ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const again = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 5 });
      try {
        await again.unsafe(`drop database if exists ${name} with (force)`);
      } finally {
        await again.end();
      }
    },
  };
}

/** Deletes whatever the server left under `prefix` (bounded: at most 1000 scan pages). */
async function clearRedisPrefix(prefix: string): Promise<void> {
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    let cursor = "0";
    for (let page = 0; page < 1000; page++) {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 500);
      if (keys.length > 0) await redis.del(...keys);
      cursor = next;
      if (cursor === "0") break;
    }
  } finally {
    redis.disconnect();
  }
}

async function servicesUnavailable(): Promise<string | undefined> {
  try {
    const admin = postgres(PG_ADMIN_URL, { max: 1, onnotice: () => {}, connect_timeout: 3 });
    try {
      await admin`select 1`;
    } finally {
      await admin.end();
    }
  } catch (error) {
    return `Postgres at ${PG_ADMIN_URL} unavailable (${(error as Error).message})`;
  }
  const redis = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 });
  redis.on("error", () => {});
  try {
    await redis.connect();
    await redis.ping();
  } catch (error) {
    return `Redis at ${REDIS_URL} unavailable (${(error as Error).message})`;
  } finally {
    redis.disconnect();
  }
  return undefined;
}

type Scenario = { name: string; samples: Sample[]; skipped?: string };

async function main() {
  // A fresh clone has no web/dist and the server would build it inside the first timed boot; build it up front.
  if (!existsSync(join(ROOT, "web/dist/index.html")) && existsSync(join(ROOT, "web/index.html"))) {
    console.log("web/dist is missing; building the web app first (not timed)");
    const build = Bun.spawnSync([BUN, "run", "build"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (!build.success) throw new Error("bun run build failed");
  }

  const embeddedFirst: Scenario = { name: "embedded (PGlite), first boot", samples: [] };
  const embeddedSecond: Scenario = { name: "embedded (PGlite), second boot", samples: [] };
  const realFirst: Scenario = { name: "Postgres + Redis, first boot", samples: [] };
  const realSecond: Scenario = { name: "Postgres + Redis, second boot", samples: [] };
  const embedded: Expect = { database: "pglite", bus: "memory" };
  const real: Expect = { database: "postgres", bus: "redis" };

  for (let run = 1; run <= RUNS; run++) {
    console.log(`embedded run ${run}/${RUNS}`);
    const dataDir = mkdtempSync(join(tmpdir(), "cv-bench-"));
    const cleanup = async () => rmSync(dataDir, { recursive: true, force: true });
    cleanups.push(cleanup);
    try {
      embeddedFirst.samples.push(await boot({ DATA_DIR: dataDir }, embedded));
      embeddedSecond.samples.push(await boot({ DATA_DIR: dataDir }, embedded));
    } finally {
      await cleanup();
      cleanups.splice(cleanups.indexOf(cleanup), 1);
    }
  }

  const unavailable = await servicesUnavailable();
  if (unavailable) {
    realFirst.skipped = unavailable;
    realSecond.skipped = unavailable;
  } else {
    for (let run = 1; run <= RUNS; run++) {
      console.log(`Postgres + Redis run ${run}/${RUNS}`);
      const database = await createDatabase();
      const prefix = `cv-bench-${unique()}:`;
      const cleanup = async () => {
        await database.drop();
        await clearRedisPrefix(prefix);
      };
      cleanups.push(cleanup);
      const env = {
        NODE_ENV: "production",
        DATABASE_URL: database.url,
        REDIS_URL,
        REDIS_KEY_PREFIX: prefix,
        JWT_SECRET: randomBytes(32).toString("hex"),
        COOKIE_SECRET: randomBytes(32).toString("hex"),
        DATA_DIR: join(tmpdir(), `cv-bench-unused-${unique()}`),
      };
      try {
        realFirst.samples.push(await boot(env, real));
        realSecond.samples.push(await boot(env, real));
      } finally {
        await cleanup();
        cleanups.splice(cleanups.indexOf(cleanup), 1);
      }
    }
  }

  const scenarios = [embeddedFirst, embeddedSecond, realFirst, realSecond];
  console.log(`\n${report(scenarios)}`);
  const badExits = scenarios.flatMap((s) => s.samples).filter((s) => s.exitCode !== 0);
  if (badExits.length > 0) {
    console.error(`${badExits.length} boot(s) did not exit 0 after SIGTERM`);
    process.exitCode = 1;
  }
}

function stats(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], max: sorted[sorted.length - 1] };
}

function report(scenarios: Scenario[]): string {
  const header = [
    "scenario",
    "runs",
    "cold start ms (median)",
    "min",
    "max",
    "boot ms (median)",
    "idle RSS MiB (median)",
    "min",
    "max",
    "SIGTERM → exit 0",
  ];
  const rows = scenarios.map((scenario) => {
    if (scenario.skipped || scenario.samples.length === 0) {
      return [scenario.name, "0", `skipped: ${scenario.skipped ?? "no samples"}`, "", "", "", "", "", "", ""];
    }
    const cold = stats(scenario.samples.map((s) => s.coldMs));
    const boot = stats(scenario.samples.map((s) => s.bootMs));
    const rssValues = scenario.samples.map((s) => s.rssMiB).filter((v): v is number => v !== null);
    const rss = rssValues.length > 0 ? stats(rssValues) : undefined;
    const cleanExits = scenario.samples.filter((s) => s.exitCode === 0).length;
    return [
      scenario.name,
      String(scenario.samples.length),
      cold.median.toFixed(0),
      cold.min.toFixed(0),
      cold.max.toFixed(0),
      boot.median.toFixed(0),
      rss ? rss.median.toFixed(1) : "n/a",
      rss ? rss.min.toFixed(1) : "n/a",
      rss ? rss.max.toFixed(1) : "n/a",
      `${cleanExits}/${scenario.samples.length}`,
    ];
  });
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column].length)));
  const format = (cells: string[]) =>
    `| ${cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]) : cell.padStart(widths[column]))).join(" | ")} |`;
  // Markdown alignment: the scenario name left, the numbers right.
  const rule = `|${widths.map((width, column) => (column === 0 ? `:${"-".repeat(width + 1)}` : `${"-".repeat(width + 1)}:`)).join("|")}|`;
  return [
    format(header),
    rule,
    ...rows.map(format),
    "",
    `cold start: spawn until GET /health answers 200; boot ms: the server's own "listening" bootMs (database open + migrations);`,
    `idle RSS: VmRSS ${IDLE_MS / 1000} s after the first 200. Bun ${Bun.version}, ${RUNS} run(s) per scenario.`,
  ].join("\n");
}

/** Ctrl-C mid-run: stop the servers and remove what this run created, then leave. */
process.on("SIGINT", async () => {
  for (const proc of live) proc.kill("SIGKILL");
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
  process.exit(130);
});

try {
  await main();
} catch (error) {
  console.error(error);
  for (const proc of live) proc.kill("SIGKILL");
  await Promise.allSettled(cleanups.map((cleanup) => cleanup()));
  process.exitCode = 1;
}
