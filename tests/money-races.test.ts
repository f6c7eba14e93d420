/** Concurrency: what many requests at once must never do. Meaningful on real Postgres (CI runs it there too). */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { sql } from "drizzle-orm";
import { verifyAuditChains } from "../src/modules/audit/service";
import { userAccount } from "../src/modules/ledger/service";
import { verifyLedger } from "../src/modules/ledger/verify";
import { type DbTransaction, queryRows } from "../src/platform/db/client";
import { runIdempotent } from "../src/platform/idempotency";
import { fundedUser, signedInUser, totpNow } from "./support/client";
import { createTestApp } from "./support/harness";
import { whileLockHeld } from "./support/held-lock";

setDefaultTimeout(120_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ TRUST_PROXY: "true", RATE_LIMIT_PER_MINUTE: "100000", P2P_DAILY_LIMIT_USD: "100000000" });
});
afterAll(async () => {
  expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
  // Hundreds of concurrent appends to the same users' audit chains leave every chain intact.
  expect((await verifyAuditChains(fixture.deps.database.db)).problems).toEqual([]);
  await fixture.dispose();
});

const p2p = (client: Awaited<ReturnType<typeof fundedUser>>["client"], to: string, amount: string, key = crypto.randomUUID()) =>
  client.request("POST", "/api/transfers/p2p", {
    body: { recipientEmail: to, asset: "USD", amount },
    headers: { "idempotency-key": key },
  });
const usdOf = async (client: Awaited<ReturnType<typeof fundedUser>>["client"]) =>
  (
    (await client.json<{ balances: { asset: string; available: string }[] }>("GET", "/api/wallet/balance")).body.balances.find(
      (b) => b.asset === "USD",
    ) as { available: string }
  ).available;

/** Runs `request` while a transaction holds the key's lock, as a first request with the key holds it while it runs. */
const whileKeyHeld = <T>(userId: string, key: string, request: () => Promise<T>) =>
  whileLockHeld(
    fixture.deps.database.db,
    sql`select pg_advisory_xact_lock(hashtextextended(${`idem:${userId}:${key}`}, 0))`,
    request,
  );

describe("races", () => {
  test("50 parallel spends of a whole balance: exactly one wins, the rest are INSUFFICIENT_FUNDS", async () => {
    const alice = await fundedUser(fixture, "spend", "100");
    const bob = await fundedUser(fixture, "spend-b", "0.01");
    const answers = await Promise.all(Array.from({ length: 50 }, () => p2p(alice.client, bob.email, "100")));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s !== 201).every((s) => s === 422)).toBe(true);
    for (const answer of answers.filter((a) => a.status === 422)) {
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("INSUFFICIENT_FUNDS");
    }
    expect(await usdOf(alice.client)).toBe("0");
    expect(await usdOf(bob.client)).toBe("100.01");
  });

  test("A→B and B→A 200 times in parallel: no deadlock reaches a client, totals conserved", async () => {
    const a = await fundedUser(fixture, "ping", "1000");
    const b = await fundedUser(fixture, "pong", "1000");
    const answers = await Promise.all(
      Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? p2p(a.client, b.email, "1.25") : p2p(b.client, a.email, "0.75"))),
    );
    const refused = answers.filter((x) => x.status !== 201);
    expect(await Promise.all(refused.map(async (x) => `${x.status} ${await x.text()}`))).toEqual([]);
    expect(await usdOf(a.client)).toBe(String(1000 - 100 * 1.25 + 100 * 0.75));
    expect(await usdOf(b.client)).toBe(String(1000 + 100 * 1.25 - 100 * 0.75));
  });

  test("with 2FA on, 10 sends at once, each with its own recovery code: each sends once and spends its code once", async () => {
    // Sends of one sender at once are judged again under the sender's lock ('stale'): the code of one judged again
    // must not be spent by its first judgement.
    const alice = await fundedUser(fixture, "codes", "11");
    const bob = await fundedUser(fixture, "codes-b", "0.01");
    const setup = await alice.client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    const enabled = await alice.client.json<{ recoveryCodes: string[] }>("POST", "/api/auth/2fa/enable", {
      code: await totpNow(setup.body.secret),
    });
    const send = (code: string) =>
      alice.client.request("POST", "/api/transfers/p2p", {
        body: { recipientEmail: bob.email, asset: "USD", amount: "1", code },
        headers: { "idempotency-key": crypto.randomUUID() },
      });
    const answers = await Promise.all(enabled.body.recoveryCodes.map(send));
    expect(await Promise.all(answers.map(async (a) => `${a.status} ${a.status === 201 ? "" : await a.text()}`))).toEqual(
      Array(10).fill("201 "),
    );
    expect([await usdOf(alice.client), await usdOf(bob.client)]).toEqual(["1", "10.01"]);
    const again = await send(enabled.body.recoveryCodes[0]);
    expect([again.status, ((await again.json()) as { error: { code: string } }).error.code]).toEqual([401, "INVALID_TOTP"]);
  });

  test("20 parallel transfers against the daily limit: exactly as many as fit are accepted", async () => {
    // The limit here is 100,000,000 USD; ten transfers of 10,000,000 fit (each waits for review, which
    // counts), and every one judged on facts another changed meanwhile is judged again under the lock.
    const alice = await fundedUser(fixture, "limit-race", "150000000");
    const bob = await signedInUser(fixture, "limit-race-b");
    const answers = await Promise.all(Array.from({ length: 20 }, () => p2p(alice.client, bob.email, "10000000")));
    const codes = await Promise.all(
      answers.map(async (a) => (a.status === 201 ? 201 : ((await a.json()) as { error: { code: string } }).error.code)),
    );
    expect(codes.filter((c) => c === 201)).toHaveLength(10);
    expect(codes.filter((c) => c !== 201).every((c) => c === "LIMIT_EXCEEDED")).toBe(true);
    const limits = await alice.client.json<{ items: { kind: string; usedUsd: string }[] }>("GET", "/api/transfers/limits");
    expect(limits.body.items.find((l) => l.kind === "p2p")?.usedUsd).toBe("100000000");
  });

  test("one Idempotency-Key sent 20 times at once moves money once", async () => {
    const alice = await fundedUser(fixture, "samekey", "50");
    const bob = await fundedUser(fixture, "samekey-b", "0.01");
    const key = crypto.randomUUID();
    const answers = await Promise.all(Array.from({ length: 20 }, () => p2p(alice.client, bob.email, "10", key)));
    const statuses = answers.map((x) => x.status);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const bodies = await Promise.all(answers.filter((x) => x.status === 201).map((x) => x.text()));
    expect(new Set(bodies).size).toBe(1);
    expect(await usdOf(alice.client)).toBe("40");
    const [moved] = await queryRows<{ postings: number }>(
      fixture.deps.database.db,
      sql`select count(distinct posting_id)::int as postings from ledger_transfers where idempotency_key = ${`${alice.userId}:${key}`}`,
    );
    expect(moved.postings).toBe(1);
    for (const answer of answers.filter((x) => x.status === 409)) expect(answer.headers.get("retry-after")).toBe("1");
    // Once the first has finished, the key replays.
    const again = await p2p(alice.client, bob.email, "10", key);
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  test("a duplicate that finds the key spent because its first request committed just then replays the answer", async () => {
    const alice = await fundedUser(fixture, "spent-race", "50");
    const { db } = fixture.deps.database;
    const { ledger } = fixture.services.money;
    const req = {
      userId: alice.userId,
      key: crypto.randomUUID(),
      request: new Request("http://localhost/api/wallet/withdraw", { method: "POST" }),
      body: { asset: "USD", amount: "10" },
    };
    const [available, held] = (["available", "held"] as const).map((kind) => userAccount(alice.userId, "USD", kind));
    await ledger.openAccounts(db, [available, held]);
    const hold = (tx: DbTransaction, _: unknown, ledgerKey: string) =>
      ledger
        .post(tx, { kind: "withdrawal_hold", idempotencyKey: ledgerKey, legs: [{ from: available, to: held, amount: 1000n }] })
        .then(() => ({ status: 202, body: { held: "10" } }));
    // The duplicate read the key's answer before the first request committed, and asks the ledger after.
    const duplicate = await runIdempotent(
      db,
      req,
      async () => {},
      hold,
      async (ledgerKey) => {
        expect((await runIdempotent(db, req, async () => {}, hold)).status).toBe(202);
        await ledger.refuseSpentKey(db, ledgerKey);
      },
    );
    expect(duplicate.status).toBe(202);
    expect(duplicate.headers.get("idempotent-replayed")).toBe("true");
    expect(await duplicate.json()).toEqual({ held: "10" });
    expect(await usdOf(alice.client)).toBe("40");
  });

  // A transaction held open from here would wait forever on PGlite's one connection, which the server shares.
  test.if(Boolean(process.env.TEST_DATABASE_URL))(
    "while a key's request still runs, the same key is 409 IDEMPOTENCY_IN_PROGRESS with Retry-After",
    async () => {
      const alice = await fundedUser(fixture, "inprogress", "50");
      const bob = await signedInUser(fixture, "inprogress-b");
      const key = crypto.randomUUID();
      const answer = await whileKeyHeld(alice.userId, key, () => p2p(alice.client, bob.email, "10", key));
      expect(answer.status).toBe(409);
      expect(answer.headers.get("retry-after")).toBe("1");
      expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("IDEMPOTENCY_IN_PROGRESS");
      expect(await usdOf(alice.client)).toBe("50");
    },
  );

  test.if(Boolean(process.env.TEST_DATABASE_URL))(
    "a refused request under a key another request holds is not kept: the running request's answer is the key's",
    async () => {
      const alice = await fundedUser(fixture, "refused-under", "50");
      const bob = await signedInUser(fixture, "refused-under-b");
      const key = crypto.randomUUID();
      const refused = await whileKeyHeld(alice.userId, key, () => p2p(alice.client, "nobody-here@example.com", "10", key));
      expect(refused.status).toBe(422);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe("RECIPIENT_NOT_FOUND");
      // Had the refusal been kept, the request that held the key could not keep its own answer (a 500, or 422 reused).
      const sent = await p2p(alice.client, bob.email, "10", key);
      expect(sent.status).toBe(201);
      expect(await usdOf(alice.client)).toBe("40");
      const retried = await p2p(alice.client, "nobody-here@example.com", "10", key);
      expect(((await retried.json()) as { error: { code: string } }).error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    },
  );
});
