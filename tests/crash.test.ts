/**
 * Crash safety on real Postgres: a server killed with SIGKILL in the middle of a transfer load loses no
 * acknowledged transfer and leaves a ledger that verifies clean after a restart.
 */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import { signWebhook } from "../src/modules/wallet/deposits";
import { openDatabase, queryRows } from "../src/platform/db/client";
import { createRealDatabase, TEST_DATABASE_URL, TEST_ENV } from "./support/harness";
import { runningServers, startServer } from "./support/server-process";

setDefaultTimeout(120_000);

const WEBHOOK_SECRET = "crash-test-webhook-secret";
const real = await createRealDatabase();
afterAll(async () => {
  for (const proc of runningServers) proc.kill("SIGKILL");
  await real?.drop();
});

const env: Record<string, string> = {
  JWT_SECRET: TEST_ENV.JWT_SECRET,
  COOKIE_SECRET: TEST_ENV.COOKIE_SECRET,
  ARGON2_MEMORY_KIB: "1024",
  RATE_LIMIT_PER_MINUTE: "1000000",
  P2P_DAILY_LIMIT_USD: "100000000",
  REQUIRE_EMAIL_VERIFICATION: "false",
  DEPOSIT_WEBHOOK_SECRET: WEBHOOK_SECRET,
  DEPOSIT_SANDBOX_CONFIRM_SECONDS: "0",
  ...(real ? { DATABASE_URL: real.url } : {}),
};

async function account(base: string, email: string) {
  const json = { "content-type": "application/json" };
  await fetch(`${base}/api/auth/register`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: "a long and uncommon passphrase", name: "Crash" }),
  });
  const login = await fetch(`${base}/api/auth/login`, {
    method: "POST",
    headers: json,
    body: JSON.stringify({ email, password: "a long and uncommon passphrase" }),
  });
  const token = /access_token=([^;]+)/.exec(login.headers.getSetCookie().join(";"))?.[1] as string;
  return { email, headers: { ...json, authorization: `Bearer ${token}` } };
}

async function fund(base: string, user: Awaited<ReturnType<typeof account>>, amount: string) {
  const created = await fetch(`${base}/api/wallet/deposit/create`, {
    method: "POST",
    headers: { ...user.headers, "idempotency-key": crypto.randomUUID() },
    body: JSON.stringify({ asset: "USD", amount }),
  });
  const { order } = (await created.json()) as { order: { orderId: string } };
  const event = JSON.stringify({
    eventId: crypto.randomUUID(),
    orderId: order.orderId,
    status: "confirmed",
    amountReceived: amount,
  });
  const paid = await fetch(`${base}/api/wallet/deposit/webhook`, {
    method: "POST",
    headers: { "content-type": "application/json", "x-signature": signWebhook(WEBHOOK_SECRET, event) },
    body: event,
  });
  expect(paid.status).toBe(200);
}

describe.if(Boolean(TEST_DATABASE_URL))("crash", () => {
  test("SIGKILL mid-load, restart: ledger:verify is clean and every acknowledged transfer is there", async () => {
    const server = await startServer(env);
    const a = await account(server.url, `crash-a.${Date.now()}@example.com`);
    const b = await account(server.url, `crash-b.${Date.now()}@example.com`);
    await fund(server.url, a, "500");
    await fund(server.url, b, "500");

    const acknowledged: string[] = [];
    let stop = false;
    const worker = async (from: typeof a, to: typeof b) => {
      // Bounded: at most 2,000 requests per worker, and it ends when the server dies.
      for (let i = 0; i < 2000 && !stop; i++) {
        try {
          const answer = await fetch(`${server.url}/api/transfers/p2p`, {
            method: "POST",
            headers: { ...from.headers, "idempotency-key": crypto.randomUUID() },
            body: JSON.stringify({ recipientEmail: to.email, asset: "USD", amount: "0.01" }),
          });
          if (answer.status === 201) acknowledged.push(((await answer.json()) as { transfer: { id: string } }).transfer.id);
        } catch {
          return; // the server is gone
        }
      }
    };
    const load = Promise.all([worker(a, b), worker(b, a), worker(a, b), worker(b, a), worker(a, b), worker(b, a)]);
    await Bun.sleep(1500);
    server.proc.kill("SIGKILL");
    await server.proc.exited;
    stop = true;
    await load;
    expect(acknowledged.length).toBeGreaterThan(10);

    const restarted = await startServer(env);
    expect((await fetch(`${restarted.url}/ready`)).status).toBe(200);
    const verify = Bun.spawnSync(["bun", "--no-env-file", "src/cli.ts", "ledger:verify"], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", ...env },
    });
    expect(verify.stdout.toString()).toContain("guards (invariant 4): 7 checked, 5 by trying a change (refused, rolled back)");
    expect(verify.stdout.toString()).toContain("ledger OK");
    expect(verify.exitCode).toBe(0);
    const database = await openDatabase({ url: real?.url, poolSize: 2 });
    const rows = await queryRows<{ id: string }>(database.db, sql`select id::text from p2p_transfers`);
    const stored = new Set(rows.map((r) => r.id));
    expect(acknowledged.filter((id) => !stored.has(id))).toEqual([]);
    const [total] = await queryRows<{ sum: string }>(
      database.db,
      sql`select sum(balance)::text as sum from ledger_accounts where owner_id is not null and asset = 'USD'`,
    );
    expect(total.sum).toBe("100000");
    await database.close();
    expect(await restarted.stop()).toBe(0);
  });
});
