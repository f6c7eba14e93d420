/**
 * Postgres out of reach behind a TCP proxy this file controls (real Postgres only): requests answer 503 with
 * Retry-After within a bound, never wait for the database to return, and the app recovers when it does.
 */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { sql } from "drizzle-orm";
import postgres from "postgres";
import { openDatabase, queryRows } from "../src/platform/db/client";
import { migrate } from "../src/platform/db/migrate";
import { fundedUser, signedInUser } from "./support/client";
import { createRealDatabase, createTestApp, TEST_DATABASE_URL, TEST_ENV } from "./support/harness";
import { runningServers, startServer } from "./support/server-process";

setDefaultTimeout(60_000);

type Pipe = { upstream?: Socket<Pipe>; pending: Uint8Array[] };

/**
 * A TCP proxy to the test server's Postgres that can refuse and drop every connection, then listen again, or
 * go silent: accept connections and never answer, as a host that drops packets.
 */
function databaseProxy(target: URL) {
  const open = new Set<Socket<Pipe>>();
  let listener: TCPSocketListener<Pipe> | undefined;
  let port = 0;
  let silent = false;
  /** While stalled, bytes either way wait here, in order, as on a host that stopped: delivered on `resume`. */
  let stalled: (() => void)[] | undefined;
  const deliver = (write: () => void) => (stalled ? stalled.push(write) : write());
  const dropAll = () => {
    for (const client of open) {
      client.data.upstream?.terminate();
      client.terminate();
    }
    open.clear();
  };
  const listen = () => {
    listener = Bun.listen<Pipe>({
      hostname: "127.0.0.1",
      port,
      socket: {
        async open(client) {
          client.data = { pending: [] };
          open.add(client);
          if (silent) return;
          client.data.upstream = await Bun.connect<Pipe>({
            hostname: target.hostname,
            port: Number(target.port || 5432),
            data: { pending: [] },
            socket: {
              data: (_, bytes) => {
                const copy = new Uint8Array(bytes);
                deliver(() => client.write(copy));
              },
              close: () => {
                client.end();
              },
              error: () => {
                client.end();
              },
            },
          });
          for (const bytes of client.data.pending) client.data.upstream.write(bytes);
        },
        data(client, bytes) {
          if (silent) return;
          const copy = new Uint8Array(bytes);
          const upstream = client.data.upstream;
          if (upstream) deliver(() => upstream.write(copy));
          else client.data.pending.push(copy);
        },
        close(client) {
          client.data.upstream?.end();
          open.delete(client);
        },
      },
    });
    port = listener.port;
  };
  listen();
  return {
    url() {
      const url = new URL(target);
      url.hostname = "127.0.0.1";
      url.port = String(port);
      return url.toString();
    },
    /** Refuses new connections and ends every open one, as a database that went away. */
    cut() {
      listener?.stop(true);
      listener = undefined;
      dropAll();
    },
    restore: listen,
    /** Ends every open connection and answers none from now on, until `speak`. */
    silence() {
      silent = true;
      dropAll();
    },
    speak() {
      silent = false;
      dropAll();
    },
    /** Keeps every connection open but carries nothing either way, as a database host that froze. */
    stall() {
      stalled = [];
    },
    /** Carries what waited, then everything again. */
    resume() {
      const waiting = stalled ?? [];
      stalled = undefined;
      for (const write of waiting) write();
    },
    stop() {
      listener?.stop(true);
    },
  };
}

const real = TEST_DATABASE_URL ? await createRealDatabase() : undefined;
const proxy = real ? databaseProxy(new URL(real.url)) : undefined;
let fixture: Awaited<ReturnType<typeof createTestApp>>;
/** The fixture's request deadline (REQUEST_TIMEOUT_SECONDS). */
const DEADLINE_SECONDS = 8;

beforeAll(async () => {
  if (!real || !proxy) return;
  const direct = await openDatabase({ url: real.url, poolSize: 1 });
  await migrate(direct);
  await direct.close();
  const database = await openDatabase({ url: proxy.url(), poolSize: 4 });
  fixture = await createTestApp(
    { REQUEST_TIMEOUT_SECONDS: String(DEADLINE_SECONDS) },
    { database: { ...database, url: proxy.url(), dispose: () => database.close() } },
  );
});

afterAll(async () => {
  for (const proc of runningServers) proc.kill("SIGKILL");
  await fixture?.dispose();
  await fixture?.deps.database.close();
  proxy?.stop();
  await real?.drop();
});

/** Status and milliseconds of one request. */
async function timed(request: () => Promise<Response>) {
  const started = performance.now();
  const response = await request();
  return { status: response.status, retryAfter: response.headers.get("retry-after"), ms: performance.now() - started };
}

describe.if(Boolean(TEST_DATABASE_URL))("Postgres out of reach", () => {
  test("sessions ended under requests: each answers 200 or 503 within 2 s, and the next ones find a new session", async () => {
    // Upstream postgres.js kept bytes meant for an ended session, and the next session's startup waited behind
    // them until its 30 s connect timeout: requests hung that long after a restart or failover.
    const user = await signedInUser(fixture, "terminated");
    const balance = () => user.client.request("GET", "/api/wallet/balance");
    const killer = postgres((real as NonNullable<typeof real>).url, { max: 1, onnotice: () => {} });
    const answers: Awaited<ReturnType<typeof timed>>[] = [];
    try {
      for (let round = 0; round < 10; round++) {
        const burst = Promise.all(Array.from({ length: 6 }, () => timed(balance)));
        await killer`select pg_terminate_backend(pid) from pg_stat_activity
          where datname = current_database() and application_name = 'cryptovault'`;
        answers.push(...(await burst));
      }
    } finally {
      await killer.end();
    }
    for (const answer of answers) expect([200, 503]).toContain(answer.status);
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(2_000);
    expect((await balance()).status).toBe(200);
  });

  test("each request answers 503 with Retry-After within 2 s, for as long as it lasts; then the app recovers", async () => {
    const user = await signedInUser(fixture, "outage");
    const balance = () => user.client.request("GET", "/api/wallet/balance");
    expect((await balance()).status).toBe(200);
    (proxy as NonNullable<typeof proxy>).cut();
    const answers: Awaited<ReturnType<typeof timed>>[] = [];
    // Requests one after another and some at once, over 6 s of outage: none may wait for the database.
    for (const until = Date.now() + 6_000; Date.now() < until; ) {
      answers.push(...(await Promise.all([timed(balance), timed(balance), timed(() => fixture.request("/ready"))])));
      await Bun.sleep(300);
    }
    for (const answer of answers) expect(answer).toMatchObject({ status: 503, retryAfter: "5" });
    expect(Math.max(...answers.map((answer) => answer.ms))).toBeLessThan(2_000);
    (proxy as NonNullable<typeof proxy>).restore();
    let recovered = 0;
    for (const until = Date.now() + 5_000; Date.now() < until && recovered !== 200; await Bun.sleep(100)) {
      recovered = (await balance()).status;
    }
    expect(recovered).toBe(200);
    expect((await fixture.request("/ready")).status).toBe(200);
  });

  test("a database host that answers nothing: each request answers 503 within the connect timeout (5 s), however many wait", async () => {
    const user = await signedInUser(fixture, "silent");
    const balance = () => user.client.request("GET", "/api/wallet/balance");
    expect((await balance()).status).toBe(200);
    const database = proxy as NonNullable<typeof proxy>;
    database.silence();
    const answers: Promise<Awaited<ReturnType<typeof timed>>>[] = [];
    try {
      // About 13 requests a second for 8 s, far more than a pool of 4 can try connections for (one per 5 s each).
      for (const until = Date.now() + 8_000; Date.now() < until; await Bun.sleep(300)) {
        answers.push(timed(balance), timed(balance), timed(balance), timed(balance));
      }
      const settled = await Promise.all(answers);
      for (const answer of settled) expect(answer).toMatchObject({ status: 503, retryAfter: "5" });
      expect(Math.max(...settled.map((answer) => answer.ms))).toBeLessThan(7_000);
    } finally {
      database.speak();
    }
    let recovered = 0;
    for (const until = Date.now() + 8_000; Date.now() < until && recovered !== 200; await Bun.sleep(100)) {
      recovered = (await balance()).status;
    }
    expect(recovered).toBe(200);
  });

  test("a database that froze on open connections: 503 at the request deadline; the work lands when it answers again", async () => {
    const sender = await fundedUser(fixture, "frozen-db", "100");
    const recipient = await signedInUser(fixture, "frozen-db-recipient");
    const key = crypto.randomUUID();
    const send = () =>
      sender.client.request("POST", "/api/transfers/p2p", {
        body: { recipientEmail: recipient.email, asset: "USD", amount: "30" },
        headers: { "idempotency-key": key },
      });
    const database = proxy as NonNullable<typeof proxy>;
    database.stall();
    let answers: Awaited<ReturnType<typeof timed>>[];
    try {
      answers = await Promise.all([timed(send), timed(() => sender.client.request("GET", "/api/wallet/balance"))]);
    } finally {
      database.resume();
    }
    // A request on a connection already open waited for as long as the database did (here: for ever) before the
    // deadline; one that needed a new connection answers at the connect timeout (5 s), as before.
    for (const answer of answers) expect(answer).toMatchObject({ status: 503, retryAfter: "5" });
    const slowest = Math.max(...answers.map((answer) => answer.ms));
    expect(slowest).toBeGreaterThanOrEqual(DEADLINE_SECONDS * 1000 - 50);
    expect(slowest).toBeLessThan(DEADLINE_SECONDS * 1000 + 2_000);
    // The transfer went on once the database answered (its key's answer is stored; a retry sent before that
    // would race it to the key, and either would be right): its retry is its first answer, and it moved money once.
    const landed = async () =>
      (
        await queryRows(
          fixture.deps.database.db,
          sql`select 1 from idempotency_keys where user_id = ${sender.userId} and key = ${key}`,
        )
      ).length > 0;
    for (const until = Date.now() + 5_000; !(await landed()) && Date.now() < until; ) await Bun.sleep(50);
    let retried = await send();
    for (const until = Date.now() + 5_000; retried.status === 409 && Date.now() < until; await Bun.sleep(100))
      retried = await send();
    expect(retried.status).toBe(201);
    expect(retried.headers.get("idempotent-replayed")).toBe("true");
    const { body } = await sender.client.json<{ balances: { asset: string; available: string }[] }>("GET", "/api/wallet/balance");
    expect(body.balances.find((b) => b.asset === "USD")?.available).toBe("70");
  });

  test("a database dropped under the app (an operator's mistake): 503 with Retry-After, as /ready says, never 500; created again empty, not ready", async () => {
    const doomed = (await createRealDatabase()) as NonNullable<Awaited<ReturnType<typeof createRealDatabase>>>;
    const database = await openDatabase({ url: doomed.url, poolSize: 2 });
    await migrate(database);
    const app = await createTestApp({}, { database: { ...database, url: doomed.url, dispose: () => database.close() } });
    try {
      const user = await signedInUser(app, "dropped");
      await doomed.drop();
      const answers = [
        await user.client.request("GET", "/api/auth/me"),
        await user.client.request("GET", "/api/wallet/balance"),
        await app.request("/api/auth/login", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email: user.email, password: "a password of some length" }),
        }),
        await app.request("/ready"),
      ];
      for (const answer of answers) {
        expect({ status: answer.status, retryAfter: answer.headers.get("retry-after") }).toEqual({
          status: 503,
          retryAfter: "5",
        });
      }
      // Created again under the same name, empty: not the database the app migrated, so not ready either.
      const admin = postgres(TEST_DATABASE_URL as string, { max: 1, onnotice: () => {} });
      await admin.unsafe(`create database ${new URL(doomed.url).pathname.slice(1)}`);
      await admin.end();
      let ready = 0;
      for (const until = Date.now() + 5_000; Date.now() < until && ready !== 503; await Bun.sleep(100)) {
        ready = (await app.request("/ready")).status;
      }
      expect(ready).toBe(503);
    } finally {
      await app.dispose();
      await database.close();
      await doomed.drop();
    }
  });

  test("SIGTERM while Postgres is out of reach: the process still exits 0 within 15 s (drain 10 s, closing 5 s)", async () => {
    const tidy = databaseProxy(new URL((real as NonNullable<typeof real>).url));
    try {
      const server = await startServer({
        JWT_SECRET: TEST_ENV.JWT_SECRET,
        COOKIE_SECRET: TEST_ENV.COOKIE_SECRET,
        DATABASE_URL: tidy.url(),
      });
      expect((await fetch(`${server.url}/ready`)).status).toBe(200);
      tidy.cut();
      // The workers' ticks now meet the outage, as do requests.
      await Bun.sleep(2_000);
      const login = await fetch(`${server.url}/api/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "someone@example.com", password: "a password of some length" }),
      });
      expect(login.status).toBe(503);
      const started = performance.now();
      expect(await server.stop("SIGTERM")).toBe(0);
      expect(performance.now() - started).toBeLessThan(15_000);
    } finally {
      tidy.stop();
    }
  });
});
