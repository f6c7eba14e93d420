/**
 * bun run bench:ledger — P2P transfers through the HTTP API (concurrency 32, 20 s) against real
 * Postgres, and the same transfers straight through ledger.post, in one run; prints transfers/s and
 * p50/p95/p99 for each and their ratios. Everything runs on 127.0.0.1; every loop is bounded by time.
 *
 * A third path calls the transfer service (sendP2p: the same rules, idempotency, history, audit and events
 * as the API) in this process without HTTP, so the gap between the API and ledger.post splits into what
 * HTTP and sign-in cost and what the transfer's own bookkeeping costs.
 *
 * The paths take turns in slices (4 of 5 s each by default) rather than 20 s one after the other: a
 * shared machine's speed drifts by ±15 % within minutes, and taking turns exposes every path to the same
 * drift, so their ratios measure the code. Each round's ratios are printed too.
 *
 * Besides time, each path's write-ahead log bytes per transfer are printed: how much the database writes for
 * one transfer (rows, index entries), a measure of its work that no machine's speed changes. The machine's CPU
 * time per transfer is split too: Postgres's share and the API server's, so what HTTP costs shows apart from
 * what the database does (the rest is this process, as the API's client or running the other paths, and the kernel).
 *
 * BENCH_WAL_DETAIL=1 also splits each path's WAL by table and index (bench/wal-by-relation.ts): which writes cost most.
 *
 * BENCH_DATABASE_URL (default postgres://root@127.0.0.1:5432/postgres) is used to create and drop a
 * fresh database; BENCH_SECONDS (per path, default 20), BENCH_WARMUP_SECONDS (per path, unmeasured, default 3:
 * a fresh server spends its first seconds compiling the hot path, which a running one has long done),
 * BENCH_ROUNDS (default 4), BENCH_CONCURRENCY
 * (default 32), BENCH_POOL_SIZE (the server's DATABASE_POOL_SIZE, default 3) and BENCH_DIRECT_POOL_SIZE (the
 * direct path's pool, default 6) tune the run. Each path gets the pool it does best with on this machine's 2
 * cores, so neither is handicapped in the ratio.
 */
import { randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { spawn } from "bun";
import postgres from "postgres";
import { loadConfig } from "../src/config";
import { createIdentityContext } from "../src/modules/identity/service";
import { type MoneyContext, priceLookup } from "../src/modules/ledger/money-context";
import { createLedger, userAccount } from "../src/modules/ledger/service";
import { sendP2p, settleSendsInFlight } from "../src/modules/transfers/service";
import { signWebhook } from "../src/modules/wallet/deposits";
import { MemoryCounterStore } from "../src/platform/counters";
import { openDatabase } from "../src/platform/db/client";
import { migrate } from "../src/platform/db/migrate";
import { type WalRange, walByRelation } from "./wal-by-relation";

const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? "postgres://root@127.0.0.1:5432/postgres";
const SECONDS = Number(process.env.BENCH_SECONDS ?? 20);
const ROUNDS = Math.max(1, Number(process.env.BENCH_ROUNDS ?? 4));
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const USERS = 64;
// The server runs in production mode, which refuses typed secrets: each run makes its own.
const secret = () => randomBytes(32).toString("hex");
const WEBHOOK_SECRET = secret();
const ROOT = new URL("..", import.meta.url).pathname;

type Result = {
  name: string;
  count: number;
  errors: number;
  seconds: number;
  latencies: number[];
  cpuMs: number;
  databaseCpuMs: number;
  serverCpuMs: number;
  walBytes: bigint;
  walRanges: WalRange[];
};

/** CPU time the whole machine spent (every process, kernel included), in ms, from /proc/stat (Linux). */
function machineCpuMs(): number {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return ((user + nice + system + irq + softirq + steal) * 1000) / 100; // USER_HZ is 100 on Linux
}

/** A process's command name and the CPU time it has spent, in ms, from /proc (Linux); undefined once it has ended. */
function processCpu(pid: number | string): { name: string; ms: number } | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return undefined;
  }
  const nameEnd = stat.lastIndexOf(")");
  const fields = stat.slice(nameEnd + 2).split(" ");
  // utime and stime, fields 14 and 15 of proc(5), in ticks of 1/100 s
  return { name: stat.slice(stat.indexOf("(") + 1, nameEnd), ms: ((Number(fields[11]) + Number(fields[12])) * 1000) / 100 };
}

/**
 * CPU time the local Postgres server's processes (backends and its own workers) spent, in ms.
 * The rest of the machine's CPU time is Bun's (the API server, this process) and the kernel's.
 */
function databaseCpuMs(): number {
  let ms = 0;
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue;
    const cpu = processCpu(pid);
    if (cpu?.name === "postgres") ms += cpu.ms;
  }
  return ms;
}

/**
 * CPU time the API server's process spent, in ms. On the two paths without HTTP it only runs its background
 * work, such as relaying the events their transfers write to the outbox.
 */
const serverCpuMs = () => processCpu(server.pid)?.ms ?? 0;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

const emptyResult = (name: string): Result => ({
  name,
  count: 0,
  errors: 0,
  seconds: 0,
  latencies: [],
  cpuMs: 0,
  databaseCpuMs: 0,
  serverCpuMs: 0,
  walBytes: 0n,
  walRanges: [],
});

/**
 * Postgres's write-ahead log position, in bytes. What a path writes to it per transfer (rows, index entries)
 * is the database work its transfers cost, whatever the CPU's speed.
 */
async function walPosition(): Promise<{ lsn: string; bytes: bigint }> {
  const [{ lsn, at }] = await admin`select l::text as lsn, pg_wal_lsn_diff(l, '0/0')::text as at from pg_current_wal_lsn() l`;
  return { lsn, bytes: BigInt(at) };
}

/** Runs `op` from `CONCURRENCY` loops for `seconds`, adding every call's latency and outcome to `into`. */
async function drive(into: Result, seconds: number, op: (worker: number, i: number) => Promise<boolean>): Promise<number> {
  const before = {
    count: into.count,
    errors: into.errors,
    cpuMs: machineCpuMs(),
    databaseCpuMs: databaseCpuMs(),
    serverCpuMs: serverCpuMs(),
    wal: await walPosition(),
    started: performance.now(),
  };
  const deadline = before.started + seconds * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t0 = performance.now();
        const ok = await op(worker, i).catch(() => false);
        into.latencies.push(performance.now() - t0);
        if (ok) into.count++;
        else into.errors++;
      }
    }),
  );
  const elapsed = (performance.now() - before.started) / 1000;
  into.seconds += elapsed;
  into.cpuMs += machineCpuMs() - before.cpuMs;
  into.databaseCpuMs += databaseCpuMs() - before.databaseCpuMs;
  into.serverCpuMs += serverCpuMs() - before.serverCpuMs;
  const wal = await walPosition();
  into.walBytes += wal.bytes - before.wal.bytes;
  into.walRanges.push({ from: before.wal.lsn, to: wal.lsn, transfers: into.count + into.errors - before.count - before.errors });
  return (into.count - before.count) / elapsed;
}

const database = `cv_bench_${process.pid}`;
const admin = postgres(ADMIN_URL, { max: 1, onnotice: () => {} });
await admin.unsafe(`create database ${database}`);
const url = new URL(ADMIN_URL);
url.pathname = `/${database}`;
const env = {
  PATH: process.env.PATH ?? "",
  HOME: process.env.HOME ?? "/tmp",
  NODE_ENV: "production",
  DATABASE_URL: url.toString(),
  DATABASE_POOL_SIZE: process.env.BENCH_POOL_SIZE ?? "3",
  JWT_SECRET: secret(),
  COOKIE_SECRET: secret(),
  HOST: "127.0.0.1",
  PORT: "3990",
  LOG_LEVEL: "warn",
  ARGON2_MEMORY_KIB: "1024",
  RATE_LIMIT_PER_MINUTE: "100000000",
  P2P_DAILY_LIMIT_USD: "100000000000",
  AML_REVIEW_THRESHOLD_USD: "100000000000",
  REQUIRE_EMAIL_VERIFICATION: "false",
  DEPOSIT_WEBHOOK_SECRET: WEBHOOK_SECRET,
  DEPOSIT_SANDBOX_CONFIRM_SECONDS: "0",
};
const profile = process.env.BENCH_PROFILE ? ["--cpu-prof", "--cpu-prof-md", `--cpu-prof-dir=${process.env.BENCH_PROFILE}`] : [];
const server = spawn(["bun", "--no-env-file", ...profile, "src/main.ts"], {
  cwd: ROOT,
  env,
  stdout: "ignore",
  stderr: "inherit",
});
const base = `http://127.0.0.1:${env.PORT}`;
try {
  for (let i = 0; i < 100; i++) {
    if (
      await fetch(`${base}/health`).then(
        (r) => r.ok,
        () => false,
      )
    )
      break;
    await Bun.sleep(200);
  }
  const json = { "content-type": "application/json" };
  const users: { email: string; id: string; headers: Record<string, string> }[] = [];
  for (let i = 0; i < USERS; i++) {
    const email = `bench${i}@example.com`;
    const registered = await fetch(`${base}/api/auth/register`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email, password: "bench passphrase 123", name: `Bench ${i}` }),
    });
    const { user } = (await registered.json()) as { user: { id: string } };
    const login = await fetch(`${base}/api/auth/login`, {
      method: "POST",
      headers: json,
      body: JSON.stringify({ email, password: "bench passphrase 123" }),
    });
    const token = /access_token=([^;]+)/.exec(login.headers.getSetCookie().join(";"))?.[1];
    const headers = { ...json, authorization: `Bearer ${token}` };
    const created = await fetch(`${base}/api/wallet/deposit/create`, {
      method: "POST",
      headers: { ...headers, "idempotency-key": `fund-${i}` },
      body: JSON.stringify({ asset: "USD", amount: "1000000" }),
    });
    const { order } = (await created.json()) as { order: { orderId: string } };
    const event = JSON.stringify({
      eventId: `fund-${i}`,
      orderId: order.orderId,
      status: "confirmed",
      amountReceived: "1000000",
    });
    await fetch(`${base}/api/wallet/deposit/webhook`, {
      method: "POST",
      headers: { ...json, "x-signature": signWebhook(WEBHOOK_SECRET, event) },
      body: event,
    });
    users.push({ email, id: user.id, headers });
  }
  // Each worker sends from its own user to a rotating other one (never itself).
  const pair = (worker: number, i: number) => [users[worker % USERS], users[(worker + 1 + (i % (USERS - 1))) % USERS]] as const;

  const sendThroughApi = async (worker: number, i: number) => {
    const [from, to] = pair(worker, i);
    const answer = await fetch(`${base}/api/transfers/p2p`, {
      method: "POST",
      headers: { ...from.headers, "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ recipientEmail: to.email, asset: "USD", amount: "0.01" }),
    });
    await answer.arrayBuffer();
    return answer.status === 201;
  };

  const directPoolSize = Number(process.env.BENCH_DIRECT_POOL_SIZE ?? 6);
  const db = await openDatabase({ url: url.toString(), poolSize: directPoolSize });
  await migrate(db);
  const ledger = createLedger();
  await ledger.openAccounts(
    db.db,
    users.map((u) => userAccount(u.id, "USD", "available")),
  );
  const postDirectly = async (worker: number, i: number) => {
    const [from, to] = pair(worker, i);
    await db.db.transaction((tx) =>
      ledger.post(tx, {
        kind: "p2p",
        legs: [{ from: userAccount(from.id, "USD", "available"), to: userAccount(to.id, "USD", "available"), amount: 1n }],
      }),
    );
    return true;
  };

  // The service path runs with the server's configuration and its own pool of the server's size.
  const config = loadConfig(env);
  const serviceDb = await openDatabase({ url: url.toString(), poolSize: config.databasePoolSize });
  const money: MoneyContext = {
    db: serviceDb.db,
    config,
    ledger: createLedger(),
    prices: priceLookup(() => undefined), // only USD is sent, which needs no tick
    identity: createIdentityContext(serviceDb.db, config, new MemoryCounterStore(), settleSendsInFlight),
    sanctioned: new Set(),
  };
  const p2pRequest = new Request(`${base}/api/transfers/p2p`, { method: "POST" });
  const sendThroughService = async (worker: number, i: number) => {
    const [from, to] = pair(worker, i);
    const body = { recipientEmail: to.email, asset: "USD", amount: "0.01" };
    const answer = await sendP2p(money, { userId: from.id, key: crypto.randomUUID(), request: p2pRequest, body }, {});
    return answer.status === 201;
  };

  const paths = [
    { result: emptyResult("HTTP API (POST /api/transfers/p2p)"), op: sendThroughApi },
    { result: emptyResult("sendP2p service (no HTTP)"), op: sendThroughService },
    { result: emptyResult("ledger.post (no HTTP)"), op: postDirectly },
  ];
  const [api, service, direct] = paths.map((p) => p.result);
  if (WARMUP_SECONDS > 0) for (const { op } of paths) await drive(emptyResult("warm-up"), WARMUP_SECONDS, op);
  const roundRatios: string[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const rates: number[] = [];
    for (const { result, op } of paths) rates.push(await drive(result, SECONDS / ROUNDS, op));
    roundRatios.push(`${(rates[0] / rates[2]).toFixed(3)} (service ${(rates[1] / rates[2]).toFixed(3)})`);
  }
  await db.close();
  await serviceDb.close();
  for (const r of [api, service, direct]) r.latencies.sort((a, b) => a - b);

  const rows = [api, service, direct].map((r) => ({
    path: r.name,
    "transfers/s": Math.round(r.count / r.seconds),
    p50_ms: percentile(r.latencies, 50).toFixed(1),
    p95_ms: percentile(r.latencies, 95).toFixed(1),
    p99_ms: percentile(r.latencies, 99).toFixed(1),
    errors: r.errors,
    "machine CPU ms/transfer": (r.cpuMs / Math.max(1, r.count + r.errors)).toFixed(2),
    "of it Postgres": (r.databaseCpuMs / Math.max(1, r.count + r.errors)).toFixed(2),
    "of it the server": (r.serverCpuMs / Math.max(1, r.count + r.errors)).toFixed(2),
    "WAL bytes/transfer": Math.round(Number(r.walBytes) / Math.max(1, r.count + r.errors)),
  }));
  console.log(
    `\nP2P transfers, concurrency ${CONCURRENCY}, ${SECONDS} s each in ${ROUNDS} turns after ${WARMUP_SECONDS} s of warm-up each, ${USERS} users, pools ${env.DATABASE_POOL_SIZE} (server) and ${directPoolSize} (direct), Postgres ${(await admin`show server_version`)[0].server_version}`,
  );
  console.table(rows);
  const rate = (r: Result) => r.count / r.seconds;
  console.log(`API / direct throughput: ${(rate(api) / rate(direct)).toFixed(3)}`);
  console.log(
    `  service / direct: ${(rate(service) / rate(direct)).toFixed(3)}; API / service: ${(rate(api) / rate(service)).toFixed(3)}`,
  );
  console.log(`  per turn, API / direct (service / direct): ${roundRatios.join(", ")}`);
  if (process.env.BENCH_WAL_DETAIL) {
    const inspect = postgres(url.toString(), { max: 1, onnotice: () => {} });
    for (const r of [api, service, direct]) {
      console.log(`\nWAL of ${r.name}, by table and index (top 15):`);
      console.table((await walByRelation(inspect, r.walRanges)).slice(0, 15));
    }
    await inspect.end();
  }
} finally {
  server.kill("SIGTERM");
  await server.exited;
  await admin.unsafe(`drop database if exists ${database} with (force)`);
  await admin.end();
}
