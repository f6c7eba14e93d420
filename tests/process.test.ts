import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../src/platform/db/client";
import { MIGRATIONS_FOLDER } from "../src/platform/db/migrate";
import { enqueueMail } from "../src/platform/mail/outbox";
import { createRealDatabase, TEST_ENV, TEST_REDIS_URL } from "./support/harness";
import { runningServers, startServer } from "./support/server-process";

// Each test boots a real server process (PGlite start and migrations take seconds).
setDefaultTimeout(60_000);

const dataDir = mkdtempSync(join(tmpdir(), "cv-process-"));
const real = await createRealDatabase();
afterAll(async () => {
  for (const proc of runningServers) proc.kill("SIGKILL");
  rmSync(dataDir, { recursive: true, force: true });
  await real?.drop();
});

const ROOT = join(import.meta.dir, "..");
/** A DATABASE_URL to a port nothing listens on, with a password that must never be printed. */
const CLOSED_DATABASE_URL = "postgres://root:hunter2-secret@127.0.0.1:1/cryptovault";

/** Starts the server expecting it to stop before listening: its exit code, output and last stdout line. */
async function failedStart(startEnv: Record<string, string>) {
  const proc = Bun.spawn(["bun", "--no-env-file", "src/main.ts"], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", HOST: "127.0.0.1", PORT: "0", ...startEnv },
    stdout: "pipe",
    stderr: "pipe",
  });
  const timeout = setTimeout(() => proc.kill("SIGKILL"), 45_000);
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  clearTimeout(timeout);
  // The failure's own line is the last; anything else there (not JSON) fails the test's expectations readably.
  const lastLine = stdout.trim().split("\n").at(-1) ?? "";
  const last: Record<string, unknown> = lastLine.startsWith("{") ? JSON.parse(lastLine) : { notJson: lastLine };
  return { code, stdout, stderr, last };
}

/** What the server answers to `text` sent as is on a new connection (it closes the connection after answering). */
async function rawRequest(port: number, text: string): Promise<string> {
  let received = "";
  const closed = Promise.withResolvers<void>();
  const socket = await Bun.connect({
    hostname: "127.0.0.1",
    port,
    socket: {
      data: (_socket, chunk) => {
        received += new TextDecoder().decode(chunk);
      },
      close: () => closed.resolve(),
      error: () => closed.resolve(),
    },
  });
  socket.write(text);
  await Promise.race([closed.promise, Bun.sleep(5_000)]);
  socket.end();
  return received;
}

/** How many migrations drizzle/ holds. */
const MIGRATIONS = readdirSync(MIGRATIONS_FOLDER).filter((name) => name.endsWith(".sql")).length;

const env: Record<string, string> = {
  JWT_SECRET: TEST_ENV.JWT_SECRET,
  COOKIE_SECRET: TEST_ENV.COOKIE_SECRET,
  DATA_DIR: dataDir,
  ...(real ? { DATABASE_URL: real.url } : {}),
  ...(TEST_REDIS_URL ? { REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: `cvtest-process-${process.pid}:` } : {}),
};

describe("the server as a process", () => {
  test("serves, reports its dependencies, and stops cleanly on SIGTERM", async () => {
    const server = await startServer(env);
    const health = await fetch(`${server.url}/health`);
    expect(await health.json()).toEqual({ status: "ok" });
    const ready = await fetch(`${server.url}/ready`);
    expect(ready.status).toBe(200);
    const listening = await server.waitForLog((line) => line.msg === "listening");
    expect(listening.database).toBe(real ? "postgres" : "pglite");
    expect(listening.bus).toBe(TEST_REDIS_URL ? "redis" : "memory");
    // A fresh database: every migration was applied by this boot, and the log says so (an upgrade's record).
    expect(server.lines.find((line) => line.msg === "database migrated")).toMatchObject({
      applied: MIGRATIONS,
      total: MIGRATIONS,
    });

    // A declared body over the limit is refused before it is read, with the envelope.
    const big = await fetch(`${server.url}/api/config`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "x".repeat(70_000),
    });
    expect(big.status).toBe(413);
    expect(((await big.json()) as { error: { code: string } }).error.code).toBe("PAYLOAD_TOO_LARGE");

    // Every request is one structured log line carrying its request id.
    const requestLine = await server.waitForLog((line) => line.msg === "request" && line.path === "/ready");
    expect(requestLine).toMatchObject({ method: "GET", status: 200, requestId: ready.headers.get("x-request-id") });
    expect(typeof requestLine.ms).toBe("number");

    // Within seconds of the start, the integrity check has run on the fresh database and its metrics are there.
    await server.waitForLog((line) => line.msg === "integrity check clean" && line.check === "audit");
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toContain('integrity_check_problems{check="ledger"} 0');
    expect(metrics).toContain('integrity_check_problems{check="audit"} 0');

    // A second instance on the taken port stops with a clear line instead of sharing the port.
    const second = Bun.spawn(["bun", "--no-env-file", "src/main.ts"], {
      cwd: join(import.meta.dir, ".."),
      env: {
        PATH: process.env.PATH ?? "",
        HOME: process.env.HOME ?? "/tmp",
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        ...env,
        DATA_DIR: mkdtempSync(join(tmpdir(), "cv-process-second-")),
        PORT: String(listening.port),
      },
      stdout: "pipe",
      stderr: "pipe",
    });
    const timeout = setTimeout(() => second.kill("SIGKILL"), 30_000);
    expect(await second.exited).toBe(1);
    clearTimeout(timeout);
    const secondOutput = await new Response(second.stdout).text();
    expect(secondOutput).toContain(`"msg":"port in use: another process listens on HOST 127.0.0.1 and PORT ${listening.port}"`);
    // What started with the services (the price feed) stops before the bus and database close: no false outage.
    // (A checkout whose web/dist is older than its sources is told so at every start: that is the checkout's.)
    const warnings = secondOutput.split("\n").filter((line) => line.includes('"level":"warn"'));
    expect(warnings.filter((line) => !line.includes("web/dist is older"))).toEqual([]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.lines.some((line) => line.msg === "stopped" && line.signal === "SIGTERM")).toBe(true);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
  });

  test("a request without a usable Host (none, an invalid one, two, CONNECT) is a 400 in the envelope, and the process lives on", async () => {
    const server = await startServer(env);
    const { port } = new URL(server.url);
    // Bun hands the first four over with a bare path or the CONNECT target as the URL; the next two with a Host
    // RFC 9112 refuses (a port past 65535, two Host lines joined); the last is any short name.
    const answers = [];
    for (const head of [
      "GET /health HTTP/1.0",
      "GET /api/config HTTP/1.1\r\nHost: a b",
      "GET /api/config HTTP/1.1\r\nHost: ",
      "CONNECT 127.0.0.1:1 HTTP/1.1\r\nHost: x",
      "GET /api/config?x=1 HTTP/1.1\r\nHost: example:99999",
      "GET /api/config HTTP/1.1\r\nHost: a\r\nHost: b",
      "GET /api/config HTTP/1.1\r\nHost: a",
    ]) {
      const answer = await rawRequest(Number(port), `${head}\r\nConnection: close\r\n\r\n`);
      const body = answer.slice(answer.indexOf("\r\n\r\n") + 4);
      answers.push([answer.split("\r\n")[0], body.startsWith("{") ? (JSON.parse(body).error?.code ?? "ok") : body]);
    }
    expect(answers).toEqual([
      ["HTTP/1.1 400 Bad Request", "MALFORMED_REQUEST"],
      ["HTTP/1.1 400 Bad Request", "MALFORMED_REQUEST"],
      ["HTTP/1.1 400 Bad Request", "MALFORMED_REQUEST"],
      ["HTTP/1.1 400 Bad Request", "MALFORMED_REQUEST"],
      ["HTTP/1.1 400 Bad Request", "MALFORMED_REQUEST"],
      ["HTTP/1.1 400 Bad Request", "MALFORMED_REQUEST"],
      ["HTTP/1.1 200 OK", "ok"],
    ]);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // Each was logged with its path, and none as an error (the log is read as it comes: up to the last request's line).
    await server.waitForLog((line) => line.msg === "request" && line.method === "CONNECT" && line.path === "127.0.0.1:1");
    await server.waitForLog((line) => line.msg === "request" && line.path === "/api/config" && line.status === 200);
    const logged = server.lines
      .filter((line) => line.msg === "request" && line.path === "/api/config")
      .map((line) => line.status);
    const errors = server.lines.filter((line) => line.level === "error");
    // Stopped before judging: a failure here leaves no server holding the data directory the next test boots on.
    expect(await server.stop("SIGTERM")).toBe(0);
    expect(logged).toEqual([400, 400, 400, 400, 200]);
    expect(errors).toEqual([]);
  });

  test("SIGTERM lets an in-flight request finish before the process exits", async () => {
    const server = await startServer(env);
    const body = JSON.stringify({
      email: `inflight.${Date.now()}@example.com`,
      password: "a long and uncommon passphrase",
      name: "In Flight",
    });
    let sendRest: () => void = () => {};
    const rest = new Promise<void>((resolve) => {
      sendRest = resolve;
    });
    // The body arrives in two halves; the stop signal lands between them.
    const stream = new ReadableStream<Uint8Array>({
      async start(controller) {
        controller.enqueue(new TextEncoder().encode(body.slice(0, 20)));
        await rest;
        controller.enqueue(new TextEncoder().encode(body.slice(20)));
        controller.close();
      },
    });
    const answer = fetch(`${server.url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: stream,
      duplex: "half",
    } as RequestInit);
    // Time for the request to reach the server and wait for the rest of its body: generous, since on a
    // busy machine a new connection can take a few hundred ms to be accepted.
    await Bun.sleep(1000);
    server.proc.kill("SIGTERM");
    await server.waitForLog((line) => line.msg === "shutting down");
    await Bun.sleep(200);
    sendRest();
    const response = await answer;
    expect(response.status).toBe(201);
    expect(await server.proc.exited).toBe(0);
  });

  test("data survives a restart, and work left queued is done by the next boot (SIGINT this time)", async () => {
    // Between two runs, an action left a mail queued in the server's own database.
    const database = await openDatabase({ url: real?.url, dataDir: join(dataDir, "pg") });
    await enqueueMail(database.db, { to: "queued@example.com", subject: "Verify your email", text: "hi", html: "<p>hi</p>" });
    await database.close();

    const server = await startServer(env);
    const sent = await server.waitForLog((line) => line.msg === "mail" && line.to === "queued@example.com");
    expect(sent.subject).toBe("Verify your email");
    expect(await server.stop("SIGINT")).toBe(0);
  });

  test("a bad configuration stops the start naming the variable, in a log line", async () => {
    const start = await failedStart({ NODE_ENV: "production", DATA_DIR: dataDir });
    expect(start.code).toBe(1);
    expect(start.last).toMatchObject({
      level: "error",
      msg: "Configuration error: DATABASE_URL is required when NODE_ENV=production",
    });
  });

  test("PORT=0 without PUBLIC_URL: links and the app's own origin follow the port bound; HOST=:: is bracketed", async () => {
    const server = await startServer({ ...env, HOST: "::", PORT: "0" });
    const listening = await server.waitForLog((line) => line.msg === "listening");
    const own = `http://localhost:${listening.port}`;
    expect(listening.url).toBe(`http://[::]:${listening.port}`);
    const health = await fetch(`${server.url}/health`, { headers: { origin: own } });
    expect(health.headers.get("access-control-allow-origin")).toBe(own);
    const email = `port0.${Date.now()}@example.com`;
    await fetch(`${server.url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "a long and uncommon passphrase", name: "Port Zero" }),
    });
    const mail = await server.waitForLog((line) => line.msg === "mail" && line.to === email);
    expect(mail.text).toContain(`${own}/verify-email?token=`);
    expect(await server.stop()).toBe(0);
  });
});

describe("a start that cannot go on says why in one line, without a stack", () => {
  const expectOneLine = (start: Awaited<ReturnType<typeof failedStart>>, ...parts: string[]) => {
    expect(start.code).toBe(1);
    expect(start.last.level).toBe("error");
    for (const part of parts) expect(start.last.msg).toContain(part);
    expect(start.stdout + start.stderr).not.toContain("    at ");
    expect(start.stdout + start.stderr).not.toContain("hunter2-secret");
  };

  test("DATABASE_URL to a closed port", async () => {
    expectOneLine(await failedStart({ ...env, DATABASE_URL: CLOSED_DATABASE_URL }), "DATABASE_URL", "127.0.0.1:1", "check");
  });

  test.skipIf(!real)("DATABASE_URL to a database that does not exist", async () => {
    const url = new URL(real?.url ?? "");
    url.pathname = "/cv_no_such_database";
    url.password = "hunter2-secret";
    expectOneLine(
      await failedStart({ ...env, DATABASE_URL: url.toString() }),
      "DATABASE_URL",
      '"cv_no_such_database"',
      "does not exist",
    );
  });

  test("a DATA_DIR that cannot be created, with and without generated secrets", async () => {
    const { JWT_SECRET: _, COOKIE_SECRET: __, DATABASE_URL: ___, ...unset } = env;
    expectOneLine(await failedStart({ ...unset, DATA_DIR: "/proc/nope" }), "DATA_DIR", "/proc/nope");
    expectOneLine(await failedStart({ ...env, DATABASE_URL: "", DATA_DIR: "/proc/nope" }), "DATA_DIR", "/proc/nope");
  });

  test("a dev-secrets.json that is not JSON, and one without the secrets, are named", async () => {
    const dir = mkdtempSync(join(dataDir, "secrets-"));
    const file = join(dir, "dev-secrets.json");
    const { JWT_SECRET: _, COOKIE_SECRET: __, ...unset } = env;
    writeFileSync(file, "{ not json");
    expectOneLine(await failedStart({ ...unset, DATA_DIR: dir }), file, "JSON");
    writeFileSync(file, "{}");
    expectOneLine(await failedStart({ ...unset, DATA_DIR: dir }), "JWT_SECRET is required", file);
  });
});

describe("cli", () => {
  const cli = (args: string[], cliEnv = env) =>
    Bun.spawnSync(["bun", "--no-env-file", "src/cli.ts", ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", ...cliEnv },
    });

  test("an unknown command prints usage and exits 2", () => {
    const result = cli(["nope"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("usage: bun run cli <command>");
    expect(result.stderr.toString()).toContain("migrate");
  });

  test("--help prints usage and exits 0; a name every object has is no command", () => {
    const help = cli(["--help"]);
    expect(help.exitCode).toBe(0);
    expect(help.stdout.toString()).toContain("ledger:verify");
    const inherited = cli(["toString"]);
    expect(inherited.exitCode).toBe(2);
    expect(inherited.stderr.toString()).toContain("unknown command: toString");
  });

  const email = `cli.${Date.now()}@example.com`;
  /** Registered with `email`; the changes of the test after the audit's are made to this one. */
  const other = `cli.other.${Date.now()}@example.com`;

  // A server and a dozen CLI runs, each opening the database: more than the default minute on a busy machine.
  test("user:promote and audit:verify, which names a tampered row", async () => {
    const server = await startServer(env);
    for (const address of [other, email]) {
      const registered = await fetch(`${server.url}/api/auth/register`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: address, password: "a long and uncommon passphrase", name: "Cli" }),
      });
      expect(registered.status).toBe(201);
    }
    expect(await server.stop()).toBe(0);

    const promoted = cli(["user:promote", email]);
    expect(promoted.stdout.toString()).toContain(`${email} is now an admin`);
    expect(promoted.exitCode).toBe(0);
    // Again: nothing changes, and the log keeps the one promotion (the tampering below picks it).
    const again = cli(["user:promote", email]);
    expect([again.stdout.toString(), again.exitCode]).toEqual([`${email} is already an admin\n`, 0]);
    expect(cli(["user:promote", "nobody@example.com"]).exitCode).toBe(1);
    for (const args of [["user:promote"], ["user:promote", email, "extra"], ["ledger:verify", "--bogus"]]) {
      const misused = cli(args);
      expect([misused.exitCode, misused.stderr.toString()]).toEqual([
        2,
        `usage: bun run cli ${args[0]}${args[0] === "user:promote" ? " <email>" : ""}\n`,
      ]);
    }
    const revoked = cli(["sessions:revoke-all"]);
    expect(revoked.stdout.toString()).toBe("0 sessions of 0 users ended\n"); // registered, never signed in
    expect(revoked.exitCode).toBe(0);
    const clean = cli(["audit:verify"]);
    expect(clean.stdout.toString()).toContain("0 broken");
    expect(clean.exitCode).toBe(0);

    const tampered = await openDatabase({ url: real?.url, dataDir: join(dataDir, "pg") });
    const [row] = await queryRows<{ id: string }>(
      tampered.db,
      sql`select id::text as id from audit_log where action = 'admin.user_promoted'`,
    );
    await tampered.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`update audit_log set metadata = '{"by":"someone else"}' where id = ${Number(row.id)}`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    await tampered.close();
    const broken = cli(["audit:verify"]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout.toString()).toContain(`row id=${row.id}`);
  }, 120_000);

  test("audit:verify finds a chain's deleted newest row, which audit_heads still records", async () => {
    const database = await openDatabase({ url: real?.url, dataDir: join(dataDir, "pg") });
    const [newest] = await queryRows<{ id: string; chain: string; seq: number }>(
      database.db,
      sql`select id::text as id, chain, seq from audit_log where action = 'admin.user_promoted' order by id desc limit 1`,
    );
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`delete from audit_log where id = ${Number(newest.id)}`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    await database.close();
    const verified = cli(["audit:verify"]);
    expect(verified.exitCode).toBe(1);
    expect(verified.stdout.toString()).toContain(
      `BROKEN chain=${newest.chain} seq=${newest.seq}: audit_heads records seq ${newest.seq}`,
    );
    expect(verified.stdout.toString()).toContain(`row ${newest.seq} is missing`);
  });

  test("user:demote and user:verify-email say what they did, or that it was so already (then recording nothing)", async () => {
    const said = (args: string[]) => {
      const result = cli(args);
      return [result.exitCode, result.stdout.toString() || result.stderr.toString()];
    };
    expect(said(["user:promote", other])).toEqual([0, `${other} is now an admin\n`]);
    expect(said(["user:demote", other])).toEqual([0, `${other} is no longer an admin\n`]);
    expect(said(["user:verify-email", other])).toEqual([0, `${other} is verified now\n`]);
    expect(said(["user:verify-email", other])).toEqual([0, `${other} is verified already\n`]);
    const database = await openDatabase({ url: real?.url, dataDir: join(dataDir, "pg") });
    const recorded = await queryRows<{ action: string; metadata: { by: string } }>(
      database.db,
      sql`select a.action, a.metadata from audit_log a join users u on u.id = a.user_id where u.email = ${other} and a.metadata->>'by' = 'cli' order by a.id`,
    );
    await database.close();
    expect(recorded).toEqual([
      { action: "admin.user_promoted", metadata: { by: "cli" } },
      { action: "admin.user_demoted", metadata: { by: "cli" } },
      { action: "auth.email_verified", metadata: { by: "cli" } },
    ]);
  });

  test("a DATABASE_URL that cannot be reached is one plain line naming it, without the password", () => {
    // A check that could not check exits 2, apart from the 1 of a violation found.
    const expected: [string[], number][] = [
      [["ledger:verify"], 2],
      [["audit:verify"], 2],
      [["user:promote", "someone@example.com"], 1],
      [["migrate"], 1],
    ];
    for (const [args, exitCode] of expected) {
      const result = cli(args, { ...env, DATABASE_URL: CLOSED_DATABASE_URL });
      const stderr = result.stderr.toString();
      expect({ args, exitCode: result.exitCode, lines: stderr.trim().split("\n").length }).toEqual({
        args,
        exitCode,
        lines: 1,
      });
      expect(stderr).toContain("DATABASE_URL names 127.0.0.1:1");
      expect(stderr).not.toContain("hunter2-secret");
    }
  });

  test("with DATABASE_URL and no secrets set, a command leaves no dev-secrets.json in DATA_DIR (it signs nothing)", () => {
    const { JWT_SECRET: _, COOKIE_SECRET: __, ...unset } = env;
    const fresh = join(dataDir, "cli-no-secrets");
    const result = cli(["ledger:verify"], { ...unset, DATABASE_URL: real?.url ?? CLOSED_DATABASE_URL, DATA_DIR: fresh });
    expect(result.exitCode).toBe(real ? 0 : 2);
    expect(existsSync(fresh)).toBe(false);
  });

  test("no embedded database in DATA_DIR: one line naming it, nothing created (a mistyped DATA_DIR, another folder)", () => {
    const { DATABASE_URL: _, ...embedded } = env;
    const missing = join(dataDir, "mistyped");
    const expected: [string[], number][] = [
      [["ledger:verify"], 2],
      [["audit:verify"], 2],
      [["user:promote", "someone@example.com"], 1],
      [["sessions:revoke-all"], 1],
    ];
    for (const [args, exitCode] of expected) {
      const result = cli(args, { ...embedded, DATA_DIR: missing });
      const stderr = result.stderr.toString();
      expect({ args, exitCode: result.exitCode, lines: stderr.trim().split("\n").length }).toEqual({ args, exitCode, lines: 1 });
      expect(stderr).toContain(`DATA_DIR: no embedded database at ${join(missing, "pg")}`);
    }
    expect(existsSync(missing)).toBe(false);
    // One there without the tables (a server that never got as far as migrating): said so too.
    const empty = join(dataDir, "unmigrated");
    mkdirSync(join(empty, "pg"), { recursive: true });
    const unmigrated = cli(["ledger:verify"], { ...embedded, DATA_DIR: empty });
    const stderr = unmigrated.stderr.toString();
    expect({ exitCode: unmigrated.exitCode, lines: stderr.trim().split("\n").length }).toEqual({ exitCode: 2, lines: 1 });
    expect(stderr).toContain(`DATA_DIR: the embedded database in ${empty} lacks CryptoVault's tables`);
  });

  test("a bad setting: a check says it could not check (exit 2), another command failed (exit 1), in one line", () => {
    const expected: [string[], number][] = [
      [["ledger:verify"], 2],
      [["audit:verify"], 2],
      [["migrate"], 1],
    ];
    for (const [args, exitCode] of expected) {
      const result = cli(args, { ...env, PORT: "abc" });
      const stderr = result.stderr.toString();
      expect({ args, exitCode: result.exitCode, lines: stderr.trim().split("\n").length }).toEqual({ args, exitCode, lines: 1 });
      expect(stderr).toContain("PORT");
    }
  });

  test("migrate applies migrations and is safe to repeat, saying how many it applied", () => {
    const said = [0, 1].map(() => {
      const result = cli(["migrate"]);
      expect(result.exitCode).toBe(0);
      return /migrations applied \(\w+\): (\d+) now, (\d+) in all/.exec(result.stdout.toString())?.slice(1).map(Number);
    });
    // The first may find the schema there already (earlier tests of this file share the data directory).
    expect(said[0]?.[1]).toBe(MIGRATIONS);
    expect(said[1]).toEqual([0, MIGRATIONS]);
  });
});
