import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase, queryRows } from "../src/platform/db/client";
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
    expect(await new Response(second.stdout).text()).toContain('"msg":"port in use: another process listens there"');
    expect((await fetch(`${server.url}/health`)).status).toBe(200);

    expect(await server.stop("SIGTERM")).toBe(0);
    expect(server.lines.some((line) => line.msg === "stopped" && line.signal === "SIGTERM")).toBe(true);
    await expect(fetch(`${server.url}/health`)).rejects.toThrow();
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

  test("a bad configuration stops the start naming the variable", async () => {
    const proc = Bun.spawn(["bun", "--no-env-file", "src/main.ts"], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", NODE_ENV: "production", DATA_DIR: dataDir },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await proc.exited).toBe(1);
    expect(await new Response(proc.stderr).text()).toContain("DATABASE_URL is required when NODE_ENV=production");
  });
});

describe("cli", () => {
  const cli = (args: string[]) =>
    Bun.spawnSync(["bun", "--no-env-file", "src/cli.ts", ...args], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", ...env },
    });

  test("an unknown command prints usage and exits 2", () => {
    const result = cli(["nope"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.toString()).toContain("usage: bun run cli <command>");
    expect(result.stderr.toString()).toContain("migrate");
  });

  test("user:promote and audit:verify, which names a tampered row", async () => {
    const server = await startServer(env);
    const email = `cli.${Date.now()}@example.com`;
    const registered = await fetch(`${server.url}/api/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email, password: "a long and uncommon passphrase", name: "Cli" }),
    });
    expect(registered.status).toBe(201);
    expect(await server.stop()).toBe(0);

    const promoted = cli(["user:promote", email]);
    expect(promoted.stdout.toString()).toContain(`${email} is now an admin`);
    expect(promoted.exitCode).toBe(0);
    expect(cli(["user:promote", "nobody@example.com"]).exitCode).toBe(1);
    const clean = cli(["audit:verify"]);
    expect(clean.stdout.toString()).toContain("0 broken");
    expect(clean.exitCode).toBe(0);

    const database = await openDatabase({ url: real?.url, dataDir: join(dataDir, "pg") });
    const [row] = await queryRows<{ id: string }>(
      database.db,
      sql`select id::text as id from audit_log where action = 'admin.user_promoted'`,
    );
    await database.db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`update audit_log set metadata = '{"by":"someone else"}' where id = ${Number(row.id)}`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    await database.close();
    const broken = cli(["audit:verify"]);
    expect(broken.exitCode).toBe(1);
    expect(broken.stdout.toString()).toContain(`row id=${row.id}`);
  });

  test("migrate applies migrations and is safe to repeat", () => {
    for (let i = 0; i < 2; i++) {
      const result = cli(["migrate"]);
      expect(result.stdout.toString()).toContain("migrations applied");
      expect(result.exitCode).toBe(0);
    }
  });
});
