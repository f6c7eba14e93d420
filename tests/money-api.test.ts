import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { type SQL, sql } from "drizzle-orm";
import { verifyLedger } from "../src/modules/ledger/verify";
import { applyDepositEvent, signWebhook, webhookSecret } from "../src/modules/wallet/deposits";
import { queryRows } from "../src/platform/db/client";
import {
  adminUser,
  deposit,
  fundedUser,
  lastMailTo,
  PASSWORD,
  signedInUser,
  TestClient,
  totpNow,
  uniqueEmail,
} from "./support/client";
import { createTestApp, TEST_DATABASE_URL } from "./support/harness";
import { lockWaiters, runAgainstUncommitted, whileLockHeld } from "./support/held-lock";
import { quietProvider, setPrices } from "./support/prices";

setDefaultTimeout(30_000);

const OVERRIDES = {
  TRUST_PROXY: "true",
  RATE_LIMIT_PER_MINUTE: "10000",
  ADDRESS_COOLDOWN_HOURS: "0",
  AML_REVIEW_THRESHOLD_USD: "1000",
  WITHDRAWAL_REVIEW_THRESHOLD_USD: "500",
  P2P_DAILY_LIMIT_USD: "3000",
  WITHDRAWAL_DAILY_LIMIT_USD: "2000",
  WITHDRAWAL_FEES: "USD:1.50",
};
let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp(OVERRIDES);
});
afterAll(async () => {
  expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
  await fixture.dispose();
});

type ErrorBody = { error: { code: string; message: string; details?: Record<string, unknown> } };
type Balances = {
  balances: { asset: string; available: string; held: string; total: string; valueUsd: string }[];
  totalUsd: string;
};
const usd = async (client: TestClient) =>
  (await client.json<Balances>("GET", "/api/wallet/balance")).body.balances.find(
    (b) => b.asset === "USD",
  ) as Balances["balances"][0];
const withKey = (client: TestClient, path: string, body: unknown, key: string = crypto.randomUUID()) =>
  client.request("POST", path, { body, headers: { "idempotency-key": key } });
/** A USD transfer from `from` to `recipientEmail`, as its answer gives it. */
const sendUsd = async (from: TestClient, recipientEmail: string, amount: string) =>
  (
    (await (await withKey(from, "/api/transfers/p2p", { recipientEmail, asset: "USD", amount })).json()) as {
      transfer: { id: string; status: string; createdAt: string };
    }
  ).transfer;
const IBAN = "GB82 WEST 1234 5698 7654 32";
/** A USD withdrawal of `client` to the saved IBAN, as its answer gives it. */
const withdrawUsd = async (client: TestClient, amount: string) =>
  (
    (await (await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount, address: IBAN })).json()) as {
      withdrawal: { id: string };
    }
  ).withdrawal;
/** Reasons an admin's reject refuses (422 naming `reason`): too long, nothing but spaces, not text. */
const BAD_REASONS = ["x".repeat(501), " \n\t ", "", 42, null, ["why"]];
/** Bodies a reject refuses whole (422 naming `body`): JSON, but no object. */
const BAD_REJECT_BODIES = ["why", 7, [], true];
/**
 * Each bad reason, an unknown field beside a good one, and each body that is no object are refused by an admin's
 * reject of `id` (422 naming the field), before anything is decided.
 */
async function expectBadRejectsRefused(
  reject: (id: string, body?: unknown) => Promise<{ status: number; body: ErrorBody }>,
  id: string,
  unknownField: string,
) {
  const refusals = async (bodies: unknown[]) =>
    Promise.all(
      bodies.map(async (body) => {
        const refused = await reject(id, body);
        return [refused.status, refused.body.error.code, refused.body.error.details];
      }),
    );
  const named = (field: string) => [422, "VALIDATION_FAILED", { fields: [field] }];
  expect(await refusals(BAD_REASONS.map((reason) => ({ reason })))).toEqual(BAD_REASONS.map(() => named("reason")));
  expect(await refusals([{ reason: "ok", [unknownField]: "ok" }])).toEqual([named(unknownField)]);
  expect(await refusals(BAD_REJECT_BODIES)).toEqual(BAD_REJECT_BODIES.map(() => named("body")));
}

/** A transfer as `user` sees it: its rows in their history (type:status) and the statuses of its live frames to them. */
async function transferSeenBy(user: { client: TestClient; userId: string }, transferId: string) {
  const rows = await user.client.json<{ items: { reference: string; type: string; status: string }[] }>(
    "GET",
    "/api/transactions?limit=100",
  );
  const frames = await queryRows<{ data: { reference: string; status: string } }>(
    fixture.deps.database.db,
    sql`select data from outbox_events where user_id = ${user.userId} and type = 'transaction' order by id`,
  );
  return {
    history: rows.body.items.filter((r) => r.reference === transferId).map((r) => `${r.type}:${r.status}`),
    frames: frames.filter((f) => f.data.reference === transferId).map((f) => f.data.status),
  };
}

/** The reason each audit row of an action on one withdrawal or transfer keeps, by whose row it is. */
async function auditedReasons(action: string, key: "withdrawalId" | "transferId", id: string) {
  const rows = await queryRows<{ userId: string; reason: string | null }>(
    fixture.deps.database.db,
    sql`select user_id as "userId", metadata->'reason' as reason from audit_log
        where action = ${action} and metadata->>${key} = ${id}`,
  );
  return Object.fromEntries(rows.map((row) => [row.userId, row.reason]));
}

describe("balance", () => {
  test("every configured asset, zeros included", async () => {
    const { client } = await signedInUser(fixture, "zero");
    const { body } = await client.json<Balances>("GET", "/api/wallet/balance");
    expect(body.balances.map((b) => b.asset)).toEqual(["USD", "BTC", "ETH", "SOL", "USDT"]);
    expect(body.balances[0]).toEqual({ asset: "USD", available: "0", held: "0", total: "0", valueUsd: "0" });
    expect(body.totalUsd).toBe("0");
  });
});

describe("deposits", () => {
  test("create → signed webhook credits → order confirmed, history row, audit", async () => {
    const { client, userId } = await signedInUser(fixture, "dep");
    const orderId = await deposit(client, "USD", "250.50");
    expect(await usd(client)).toMatchObject({ available: "250.5", total: "250.5", valueUsd: "250.5" });
    const order = await client.json<{ order: { status: string; amountReceived: string; payAddress: string; expiresAt: string } }>(
      "GET",
      `/api/wallet/deposit/${orderId}`,
    );
    expect(order.body.order).toMatchObject({ status: "confirmed", amountReceived: "250.5" });
    const history = await client.json<{ items: { type: string; amount: string; reference: string; direction: string }[] }>(
      "GET",
      "/api/transactions",
    );
    expect(history.body.items[0]).toMatchObject({ type: "deposit", amount: "250.5", reference: orderId, direction: "in" });
    const audit = await queryRows<{ action: string }>(
      fixture.deps.database.db,
      sql`select action from audit_log where user_id = ${userId} order by id`,
    );
    expect(audit.map((a) => a.action)).toEqual(expect.arrayContaining(["wallet.deposit_created", "wallet.deposit_credited"]));
    const [credited] = await queryRows<{ metadata: Record<string, unknown> }>(
      fixture.deps.database.db,
      sql`select metadata from audit_log where user_id = ${userId} and action = 'wallet.deposit_credited'`,
    );
    expect(credited.metadata).toMatchObject({ orderId, asset: "USD", amount: "250.5" });
  });

  test("the sandbox pays an order due before it expires even when its tick comes after the expiry (paid late)", async () => {
    const { client } = await signedInUser(fixture, "sandbox-late");
    const created = await withKey(client, "/api/wallet/deposit/create", { asset: "USD", amount: "30" });
    const { order } = (await created.json()) as { order: { orderId: string } };
    // As if the worker had been held up: the sandbox's payment came due long ago, and the order's hour ran out 1 s ago.
    await fixture.deps.database.db.execute(
      sql`update deposit_orders set created_at = created_at - interval '3601 seconds', expires_at = expires_at - interval '3601 seconds'
          where id = ${order.orderId}`,
    );
    const { runSandboxDeposits } = await import("../src/modules/wallet/deposits");
    await runSandboxDeposits(fixture.services.money);
    const { body } = await client.json<{ order: { status: string; amountReceived: string } }>(
      "GET",
      `/api/wallet/deposit/${order.orderId}`,
    );
    expect(body.order).toEqual(expect.objectContaining({ status: "confirmed_late", amountReceived: "30" }));
    expect(await usd(client)).toMatchObject({ available: "30" });
  });

  test("a bad signature is 401 and changes nothing; a duplicate event id is a 200 no-op", async () => {
    const { client } = await signedInUser(fixture, "webhook");
    const created = await withKey(client, "/api/wallet/deposit/create", { asset: "USD", amount: "10" });
    const { order } = (await created.json()) as { order: { orderId: string } };
    const event = JSON.stringify({
      eventId: `evt-${order.orderId}`,
      orderId: order.orderId,
      status: "confirmed",
      amountReceived: "4",
      txHash: null,
    });
    const post = (signature: string) =>
      fixture.request("/api/wallet/deposit/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": signature },
        body: event,
      });
    expect((await post("sha256=deadbeef")).status).toBe(401);
    expect(
      (
        await fixture.request("/api/wallet/deposit/webhook", {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: "{}",
        })
      ).status,
    ).toBe(401);
    expect((await usd(client)).available).toBe("0");
    const signature = signWebhook(webhookSecret(fixture.services.money), event);
    expect((await post(signature)).status).toBe(200);
    // Hex is hex in either case; the repeat is the duplicate no-op.
    expect((await post(signature.replace(/[0-9a-f]+$/, (hex) => hex.toUpperCase()))).status).toBe(200);
    expect((await usd(client)).available).toBe("4");
    const order2 = await client.json<{ order: { status: string } }>("GET", `/api/wallet/deposit/${order.orderId}`);
    expect(order2.body.order.status).toBe("partially_paid");
    // The same id again: a repeat when its contents are the same, a conflict (the webhook warns) when not;
    // either way the first event stands.
    const first = JSON.parse(event);
    expect(await applyDepositEvent(fixture.services.money, first)).toBe("repeat");
    expect(await applyDepositEvent(fixture.services.money, { ...first, amountReceived: "9" })).toBe("conflict");
    expect((await usd(client)).available).toBe("4");
    // amountReceived is the order's running total: the same total again under a new event id credits nothing,
    // a larger one credits only what it adds.
    const send = async (eventId: string, amountReceived: string) => {
      const body = JSON.stringify({ eventId, orderId: order.orderId, status: "confirmed", amountReceived });
      const signed = signWebhook(webhookSecret(fixture.services.money), body);
      return fixture.request("/api/wallet/deposit/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": signed },
        body,
      });
    };
    expect((await send(`again-${order.orderId}`, "4")).status).toBe(200);
    expect((await usd(client)).available).toBe("4");
    expect((await send(`more-${order.orderId}`, "10.5")).status).toBe(200);
    expect((await usd(client)).available).toBe("10.5");
    expect((await send(`stale-${order.orderId}`, "6")).status).toBe(200);
    expect((await usd(client)).available).toBe("10.5");
    const order3 = await client.json<{ order: { status: string; amountReceived: string } }>(
      "GET",
      `/api/wallet/deposit/${order.orderId}`,
    );
    expect(order3.body.order).toMatchObject({ status: "confirmed", amountReceived: "10.5" });
  });

  test("a payment after expiry is still credited: confirmed_late", async () => {
    const { client } = await signedInUser(fixture, "late");
    const created = await withKey(client, "/api/wallet/deposit/create", { asset: "USD", amount: "20" });
    const { order } = (await created.json()) as { order: { orderId: string } };
    await fixture.deps.database.db.execute(
      sql`update deposit_orders set status = 'expired', expires_at = now() - interval '1 minute' where id = ${order.orderId}`,
    );
    const event = JSON.stringify({
      eventId: `late-${order.orderId}`,
      orderId: order.orderId,
      status: "confirmed",
      amountReceived: "25",
    });
    await fixture.request("/api/wallet/deposit/webhook", {
      method: "POST",
      headers: { "content-type": "application/json", "x-signature": signWebhook(webhookSecret(fixture.services.money), event) },
      body: event,
    });
    expect((await usd(client)).available).toBe("25");
    expect(
      (await client.json<{ order: { status: string } }>("GET", `/api/wallet/deposit/${order.orderId}`)).body.order.status,
    ).toBe("confirmed_late");
  });

  test("a failed order paid before it expires is confirmed, not confirmed_late", async () => {
    const { client } = await signedInUser(fixture, "failed-then-paid");
    const created = await withKey(client, "/api/wallet/deposit/create", { asset: "USD", amount: "20" });
    const { order } = (await created.json()) as { order: { orderId: string } };
    for (const [eventId, status, amountReceived] of [
      ["f", "failed", undefined],
      ["p", "confirmed", "20"],
    ]) {
      const event = JSON.stringify({ eventId: `${eventId}-${order.orderId}`, orderId: order.orderId, status, amountReceived });
      const answer = await fixture.request("/api/wallet/deposit/webhook", {
        method: "POST",
        headers: { "content-type": "application/json", "x-signature": signWebhook(webhookSecret(fixture.services.money), event) },
        body: event,
      });
      expect(answer.status).toBe(200);
    }
    expect((await usd(client)).available).toBe("20");
    expect(
      (await client.json<{ order: { status: string } }>("GET", `/api/wallet/deposit/${order.orderId}`)).body.order.status,
    ).toBe("confirmed");
  });

  test("another user's order is 404; bad amounts are 422", async () => {
    const alice = await signedInUser(fixture, "owner");
    const bob = await signedInUser(fixture, "snoop");
    const orderId = await deposit(alice.client, "USD", "1");
    expect((await bob.client.json("GET", `/api/wallet/deposit/${orderId}`)).status).toBe(404);
    expect((await bob.client.json("GET", "/api/wallet/deposit/not-a-uuid")).status).toBe(404);
    for (const amount of ["1e3", "-1", "0", " 1", "1,5", "0x10", "1.001"]) {
      const answer = await withKey(bob.client, "/api/wallet/deposit/create", { asset: "USD", amount });
      expect({ amount, status: answer.status }).toEqual({ amount, status: 422 });
    }
    const unknownAsset = await withKey(bob.client, "/api/wallet/deposit/create", { asset: "DOGE", amount: "1" });
    expect(((await unknownAsset.json()) as ErrorBody).error.code).toBe("VALIDATION_FAILED");
  });
});

describe("P2P transfers", () => {
  test("completes at once, both balances and histories move, no fee", async () => {
    const alice = await fundedUser(fixture, "p2p-a", "100");
    const bob = await signedInUser(fixture, "p2p-b");
    const sent = await withKey(alice.client, "/api/transfers/p2p", {
      recipientEmail: bob.email.toUpperCase(),
      asset: "USD",
      amount: "30.25",
      note: "lunch",
    });
    expect(sent.status).toBe(201);
    const { transfer } = (await sent.json()) as { transfer: Record<string, string> };
    expect(transfer).toMatchObject({
      asset: "USD",
      amount: "30.25",
      recipientEmail: bob.email,
      note: "lunch",
      status: "completed",
    });
    expect((await usd(alice.client)).available).toBe("69.75");
    expect((await usd(bob.client)).available).toBe("30.25");
    type History = { items: { type: string; direction: string; counterparty: string; amount: string }[] };
    const bobHistory = await bob.client.json<History>("GET", "/api/transactions?type=transfer_in");
    expect(bobHistory.body.items).toEqual([
      expect.objectContaining({ type: "transfer_in", direction: "in", counterparty: alice.email, amount: "30.25" }),
    ]);
    // The sender's row goes out, to the recipient.
    const aliceHistory = await alice.client.json<History>("GET", "/api/transactions?type=transfer_out");
    expect(aliceHistory.body.items).toEqual([
      expect.objectContaining({ type: "transfer_out", direction: "out", counterparty: bob.email, amount: "30.25" }),
    ]);
    // Each user's audit log names the other by the email they know, not an internal id.
    type Audit = { items: { action: string; metadata: Record<string, string>; userAgent: string | null; ip: string | null }[] };
    const sentAudit = (await alice.client.json<Audit>("GET", "/api/audit")).body.items.find((a) => a.action === "transfer.sent");
    expect(sentAudit?.metadata).toMatchObject({ transferId: transfer.id, to: bob.email });
    expect(sentAudit?.userAgent).toBe(alice.client.userAgent);
    const gotAudit = (await bob.client.json<Audit>("GET", "/api/audit")).body.items.find((a) => a.action === "transfer.received");
    expect(gotAudit?.metadata).toMatchObject({ transferId: transfer.id, from: alice.email });
    // Bob's log shows what he did from where; Alice's IP and device are hers.
    expect({ ip: gotAudit?.ip, userAgent: gotAudit?.userAgent }).toEqual({ ip: null, userAgent: null });
    // A note of null, or of nothing but spaces, is no note, as the transfer shows it.
    for (const note of [null, "", "   "]) {
      const plain = await withKey(alice.client, "/api/transfers/p2p", {
        recipientEmail: bob.email,
        asset: "USD",
        amount: "1",
        note,
      });
      expect(plain.status).toBe(201);
      expect(((await plain.json()) as { transfer: { note: string | null } }).transfer.note).toBeNull();
    }
    // A note may break lines, but not reorder what the recipient reads: "\u202eevil.exe txt" shows as "txt exe.live".
    for (const [note, status] of [
      ["two\nlines", 201],
      ["\u202eevil.exe txt", 422],
      ["isolated \u2067x\u2069", 422],
    ] as const) {
      const sent = await withKey(alice.client, "/api/transfers/p2p", {
        recipientEmail: bob.email,
        asset: "USD",
        amount: "1",
        note,
      });
      expect({ note, status: sent.status }).toEqual({ note, status });
    }
  });

  test("recipient unknown, self transfer, insufficient funds", async () => {
    const alice = await fundedUser(fixture, "rules", "10");
    const code = async (body: unknown) =>
      ((await (await withKey(alice.client, "/api/transfers/p2p", body)).json()) as ErrorBody).error.code;
    expect(await code({ recipientEmail: uniqueEmail("nobody"), asset: "USD", amount: "1" })).toBe("RECIPIENT_NOT_FOUND");
    expect(await code({ recipientEmail: alice.email, asset: "USD", amount: "1" })).toBe("SELF_TRANSFER");
    const bob = await signedInUser(fixture, "rules-b");
    expect(await code({ recipientEmail: bob.email, asset: "USD", amount: "10.01" })).toBe("INSUFFICIENT_FUNDS");
    expect((await usd(alice.client)).available).toBe("10");
  });

  test("idempotency: 428 without a key, replay byte for byte, 422 on reuse, nothing twice", async () => {
    const alice = await fundedUser(fixture, "idem", "50");
    const bob = await signedInUser(fixture, "idem-b");
    const body = { recipientEmail: bob.email, asset: "USD", amount: "5" };
    const missing = await alice.client.json<ErrorBody>("POST", "/api/transfers/p2p", body);
    expect(missing.status).toBe(428);
    expect(missing.body.error.code).toBe("IDEMPOTENCY_KEY_REQUIRED");
    // An empty key is none; one over 255 characters was sent but is not a key: 422 naming the header.
    const keyed = async (key: string) => {
      const answer = await alice.client.request("POST", "/api/transfers/p2p", { body, headers: { "idempotency-key": key } });
      const { error } = (await answer.json()) as ErrorBody;
      return { status: answer.status, code: error.code, fields: error.details?.fields };
    };
    expect(await keyed("")).toMatchObject({ status: 428, code: "IDEMPOTENCY_KEY_REQUIRED" });
    expect(await keyed("k".repeat(256))).toEqual({ status: 422, code: "VALIDATION_FAILED", fields: ["Idempotency-Key"] });
    const key = crypto.randomUUID();
    const first = await withKey(alice.client, "/api/transfers/p2p", body, key);
    const second = await withKey(alice.client, "/api/transfers/p2p", body, key);
    expect(second.status).toBe(first.status);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    const firstText = await first.text();
    expect(await second.text()).toBe(firstText);
    // The same request with its keys in another order is still the same request.
    const reordered = await withKey(
      alice.client,
      "/api/transfers/p2p",
      { amount: "5", asset: "USD", recipientEmail: bob.email },
      key,
    );
    expect(reordered.headers.get("idempotent-replayed")).toBe("true");
    expect(await reordered.text()).toBe(firstText);
    const reused = await withKey(alice.client, "/api/transfers/p2p", { ...body, amount: "6" }, key);
    expect(reused.status).toBe(422);
    expect(((await reused.json()) as ErrorBody).error.code).toBe("IDEMPOTENCY_KEY_REUSED");
    // A bad value is a validation failure, which API.md puts before the key's replay or reuse.
    const invalid = await withKey(alice.client, "/api/transfers/p2p", { ...body, amount: "1e3" }, key);
    expect(((await invalid.json()) as ErrorBody).error.code).toBe("VALIDATION_FAILED");
    expect((await usd(alice.client)).available).toBe("45");
  });

  test("idempotency: a refusal by the rules is the first answer too, replayed byte for byte; a new key runs again", async () => {
    const alice = await signedInUser(fixture, "idem-refused");
    const bob = await signedInUser(fixture, "idem-refused-b");
    const body = { recipientEmail: bob.email, asset: "USD", amount: "5" };
    const key = crypto.randomUUID();
    const refused = await withKey(alice.client, "/api/transfers/p2p", body, key);
    expect(refused.status).toBe(422);
    const refusedText = await refused.text();
    expect(JSON.parse(refusedText).error.code).toBe("INSUFFICIENT_FUNDS");
    await deposit(alice.client, "USD", "50");
    const again = await withKey(alice.client, "/api/transfers/p2p", body, key);
    expect(again.status).toBe(422);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(await again.text()).toBe(refusedText);
    expect((await usd(alice.client)).available).toBe("50");
    expect((await withKey(alice.client, "/api/transfers/p2p", body)).status).toBe(201);
    // A validation failure never reached the rules: not kept, the key stays free.
    const unchecked = crypto.randomUUID();
    expect((await withKey(alice.client, "/api/transfers/p2p", { ...body, amount: "1e3" }, unchecked)).status).toBe(422);
    expect((await withKey(alice.client, "/api/transfers/p2p", body, unchecked)).status).toBe(201);
    // The same for the routes run by runIdempotent: a withdrawal over the balance.
    const book = await alice.client.json("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "bank" });
    expect(book.status).toBe(201);
    const withdrawKey = crypto.randomUUID();
    const withdraw = { asset: "USD", amount: "500", address: IBAN };
    const tooMuch = await withKey(alice.client, "/api/wallet/withdraw", withdraw, withdrawKey);
    const tooMuchText = await tooMuch.text();
    expect(JSON.parse(tooMuchText).error.code).toBe("INSUFFICIENT_FUNDS");
    await deposit(alice.client, "USD", "1000");
    const replayed = await withKey(alice.client, "/api/wallet/withdraw", withdraw, withdrawKey);
    expect([replayed.status, replayed.headers.get("idempotent-replayed"), await replayed.text()]).toEqual([
      422,
      "true",
      tooMuchText,
    ]);
  });

  test("the daily limit: 422 LIMIT_EXCEEDED with limit, used and remaining; /limits shows it", async () => {
    const alice = await fundedUser(fixture, "limit", "5000");
    const bob = await signedInUser(fixture, "limit-b");
    for (const amount of ["900", "900", "900"]) {
      expect(
        (await withKey(alice.client, "/api/transfers/p2p", { recipientEmail: bob.email, asset: "USD", amount })).status,
      ).toBe(201);
    }
    const over = await withKey(alice.client, "/api/transfers/p2p", { recipientEmail: bob.email, asset: "USD", amount: "300.01" });
    expect(over.status).toBe(422);
    const error = ((await over.json()) as ErrorBody).error;
    expect(error.code).toBe("LIMIT_EXCEEDED");
    expect(error.details).toMatchObject({ limit: "3000", used: "2700", remaining: "300" });
    // Over both the balance (2300 left) and the limit: API.md's order puts INSUFFICIENT_FUNDS first.
    const broke = await withKey(alice.client, "/api/transfers/p2p", { recipientEmail: bob.email, asset: "USD", amount: "2400" });
    expect(((await broke.json()) as ErrorBody).error.code).toBe("INSUFFICIENT_FUNDS");
    const limits = await alice.client.json<{
      items: { kind: string; limitUsd: string; usedUsd: string; remainingUsd: string; resetsAt: string }[];
    }>("GET", "/api/transfers/limits");
    expect(limits.body.items[0]).toMatchObject({ kind: "p2p", limitUsd: "3000", usedUsd: "2700", remainingUsd: "300" });
    expect(limits.body.items[1]).toMatchObject({ kind: "withdrawal", limitUsd: "2000", usedUsd: "0" });
    // Structuring: three transfers within 10% under the threshold in 24 h were flagged.
    const flags = await queryRows<{ rule: string }>(
      fixture.deps.database.db,
      sql`select rule from aml_flags where user_id = ${alice.userId}`,
    );
    expect(flags.map((f) => f.rule)).toContain("structuring");
  });

  test("an instance with no price yet still replays a stored transfer, and names an unknown recipient before its 503", async () => {
    // This instance has a BTC price from the start (its own feed's first tick may still be on the bus).
    setPrices([fixture], { BTC: "65000" });
    const alice = await signedInUser(fixture, "unpriced");
    await deposit(alice.client, "BTC", "1");
    const bob = await signedInUser(fixture, "unpriced-b");
    const body = { recipientEmail: bob.email, asset: "BTC", amount: "0.01" };
    const key = crypto.randomUUID();
    const sent = await withKey(alice.client, "/api/transfers/p2p", body, key);
    expect(sent.status).toBe(201);
    // A second instance of the deployment, just started: its price cache is still empty.
    const fresh = await createTestApp(OVERRIDES, { database: fixture.deps.database, market: { provider: quietProvider() } });
    try {
      const there = new TestClient(fresh);
      for (const [name, cookie] of alice.client.cookies) there.cookies.set(name, cookie);
      const replay = await withKey(there, "/api/transfers/p2p", body, key);
      expect(replay.status).toBe(201);
      expect(replay.headers.get("idempotent-replayed")).toBe("true");
      const unknown = await withKey(there, "/api/transfers/p2p", { ...body, recipientEmail: uniqueEmail("nobody") });
      expect(((await unknown.json()) as ErrorBody).error.code).toBe("RECIPIENT_NOT_FOUND");
      const unpriced = await withKey(there, "/api/transfers/p2p", body);
      expect(unpriced.status).toBe(503);
      expect(((await unpriced.json()) as ErrorBody).error.code).toBe("UNAVAILABLE");
    } finally {
      await fresh.dispose();
    }
  });

  test("the daily limit counts the UTC day: yesterday's total is not today's", async () => {
    const alice = await fundedUser(fixture, "day", "6000");
    const bob = await signedInUser(fixture, "day-b");
    const send = (amount: string) =>
      withKey(alice.client, "/api/transfers/p2p", { recipientEmail: bob.email, asset: "USD", amount });
    expect((await send("2500")).status).toBe(201);
    expect((await send("600")).status).toBe(422);
    // The running total as it stands at midnight: everything so far was sent yesterday.
    await fixture.deps.database.db.execute(sql`update p2p_senders set day = day - 1 where sender_id = ${alice.userId}`);
    const limits = await alice.client.json<{ items: { kind: string; usedUsd: string }[] }>("GET", "/api/transfers/limits");
    expect(limits.body.items[0]).toMatchObject({ kind: "p2p", usedUsd: "0" });
    expect((await send("600")).status).toBe(201);
    expect((await send("2400.01")).status).toBe(422);
    expect((await send("2400")).status).toBe(201);
  });

  test("a transfer dated before the day the running total has moved on to (it committed past midnight) is not today's", async () => {
    const alice = await fundedUser(fixture, "late-day", "500");
    const bob = await signedInUser(fixture, "late-day-b");
    expect((await sendUsd(alice.client, bob.email, "100")).status).toBe("completed");
    const db = fixture.deps.database.db;
    const total = async () =>
      (
        await queryRows<{ day: string; cents: string }>(
          db,
          sql`select day::text, day_total_usd_cents::text as cents from p2p_senders where sender_id = ${alice.userId}`,
        )
      )[0];
    // Another instance's transfer, dated after midnight, committed first: the running total is tomorrow's.
    await db.execute(sql`update p2p_senders set day = day + 1, day_total_usd_cents = 7000 where sender_id = ${alice.userId}`);
    const tomorrow = await total();
    expect((await sendUsd(alice.client, bob.email, "50")).status).toBe("completed");
    expect(await total()).toEqual(tomorrow);
  });

  test("above the AML threshold: held for review; the admin approves one and rejects another", async () => {
    const alice = await fundedUser(fixture, "aml", "3000");
    const bob = await signedInUser(fixture, "aml-b");
    const admin = await adminUser(fixture, "aml-admin");
    const send = (amount: string) => sendUsd(alice.client, bob.email, amount);
    // Both users see a transfer's status in their history, and get it live: the recipient a held one too.
    const seenBy = transferSeenBy;
    const first = await send("1000.01");
    expect(first.status).toBe("pending_review");
    expect(await usd(alice.client)).toMatchObject({ available: "1999.99", held: "1000.01" });
    expect((await usd(bob.client)).available).toBe("0");
    expect(await seenBy(bob, first.id)).toEqual({ history: ["transfer_in:pending_review"], frames: ["pending_review"] });
    expect(await seenBy(alice, first.id)).toEqual({ history: ["transfer_out:pending_review"], frames: ["pending_review"] });
    const queue = await admin.client.json<{ items: { id: string; recipientEmail: string; senderEmail: string }[] }>(
      "GET",
      "/api/admin/transfers?status=pending_review",
    );
    // The admin sees both parties by email.
    expect(queue.body.items.find((t) => t.id === first.id)).toMatchObject({
      recipientEmail: bob.email,
      senderEmail: alice.email,
    });
    expect((await alice.client.json("POST", `/api/admin/transfers/${first.id}/approve`)).status).toBe(403);
    const approved = await admin.client.json<{ transfer: { status: string } }>(
      "POST",
      `/api/admin/transfers/${first.id}/approve`,
    );
    expect(approved.body.transfer.status).toBe("completed");
    expect((await usd(bob.client)).available).toBe("1000.01");
    // Each user's log says what moved: the receipt as an immediate transfer's does, the decision in both logs.
    type Audit = { items: { action: string; metadata: Record<string, unknown> }[] };
    const logged = async (client: TestClient, action: string) =>
      (await client.json<Audit>("GET", "/api/audit")).body.items.find((a) => a.action === action)?.metadata;
    const moved = { transferId: first.id, asset: "USD", amount: "1000.01", status: "completed" };
    expect(await logged(bob.client, "transfer.received")).toEqual({ ...moved, from: alice.email });
    expect(await logged(alice.client, "admin.transfer_approved")).toEqual(moved);
    expect(await seenBy(bob, first.id)).toEqual({
      history: ["transfer_in:completed"],
      frames: ["pending_review", "completed"],
    });
    expect((await admin.client.json<ErrorBody>("POST", `/api/admin/transfers/${first.id}/reject`)).body.error.code).toBe(
      "INVALID_STATE",
    );
    const second = await send("1500");
    const usedToday = async () =>
      (await alice.client.json<{ items: { kind: string; usedUsd: string }[] }>("GET", "/api/transfers/limits")).body.items.find(
        (l) => l.kind === "p2p",
      )?.usedUsd;
    // A held transfer counts against the daily limit until it is rejected.
    expect(await usedToday()).toBe("2500.01");
    const rejected = await admin.client.json<{ transfer: { status: string } }>(
      "POST",
      `/api/admin/transfers/${second.id}/reject`,
    );
    expect(rejected.body.transfer.status).toBe("rejected");
    expect(await usedToday()).toBe("1000.01");
    expect(await seenBy(bob, second.id)).toEqual({ history: ["transfer_in:rejected"], frames: ["pending_review", "rejected"] });
    expect(await seenBy(alice, second.id)).toEqual({
      history: ["transfer_out:rejected"],
      frames: ["pending_review", "rejected"],
    });
    expect(await usd(alice.client)).toMatchObject({ available: "1999.99", held: "0" });
    const flags = await admin.client.json<{ items: { rule: string; transferId: string; userEmail: string }[] }>(
      "GET",
      "/api/admin/aml/flags",
    );
    const flagged = flags.body.items.filter((f) => f.transferId === first.id);
    expect(flagged.map((f) => f.rule)).toContain("over_threshold");
    expect(flagged.map((f) => f.userEmail)).toEqual(flagged.map(() => alice.email));
    // A transfer held before recipients saw held transfers has no row of theirs: approval makes it.
    const third = await send("1000.02");
    await fixture.deps.database.db.execute(sql`delete from transactions where reference = ${third.id} and type = 'transfer_in'`);
    await admin.client.json("POST", `/api/admin/transfers/${third.id}/approve`);
    expect((await seenBy(bob, third.id)).history).toEqual(["transfer_in:completed"]);
  });

  test("the sender cancels a held transfer: funds and limit back, both histories say so, its flag stays for an admin", async () => {
    const alice = await fundedUser(fixture, "cancel-a", "3000");
    const bob = await signedInUser(fixture, "cancel-b");
    const admin = await adminUser(fixture, "cancel-admin");
    const cancel = (client: TestClient, id: string) =>
      client.json<ErrorBody & { transfer: { status: string } }>("POST", `/api/transfers/${id}/cancel`);
    const held = await sendUsd(alice.client, bob.email, "1200");
    expect(held.status).toBe("pending_review");
    // Only the sender's: the recipient and an admin get 404, as for a transfer that does not exist.
    for (const other of [bob.client, admin.client]) {
      expect(await cancel(other, held.id)).toMatchObject({ status: 404, body: { error: { code: "NOT_FOUND" } } });
    }
    const cancelled = await cancel(alice.client, held.id);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.transfer).toMatchObject({
      id: held.id,
      status: "cancelled",
      amount: "1200",
      recipientEmail: bob.email,
    });
    expect(await usd(alice.client)).toMatchObject({ available: "3000", held: "0" });
    expect((await usd(bob.client)).available).toBe("0");
    const limits = await alice.client.json<{ items: { kind: string; usedUsd: string }[] }>("GET", "/api/transfers/limits");
    expect(limits.body.items.find((l) => l.kind === "p2p")?.usedUsd).toBe("0");
    expect(await transferSeenBy(alice, held.id)).toEqual({
      history: ["transfer_out:cancelled"],
      frames: ["pending_review", "cancelled"],
    });
    expect(await transferSeenBy(bob, held.id)).toEqual({
      history: ["transfer_in:cancelled"],
      frames: ["pending_review", "cancelled"],
    });
    const audited = await queryRows<{ userId: string; amount: string }>(
      fixture.deps.database.db,
      sql`select user_id as "userId", metadata->>'amount' as amount from audit_log
          where action = 'transfer.cancelled' and metadata->>'transferId' = ${held.id}`,
    );
    expect(audited).toEqual([{ userId: alice.userId, amount: "1200" }]);
    // Ended once: a second cancel and an admin's decision after it are refused, and move nothing.
    for (const [client, path] of [
      [alice.client, `/api/transfers/${held.id}/cancel`],
      [admin.client, `/api/admin/transfers/${held.id}/approve`],
      [admin.client, `/api/admin/transfers/${held.id}/reject`],
    ] as const) {
      expect(await client.json<ErrorBody>("POST", path)).toMatchObject({
        status: 409,
        body: { error: { code: "INVALID_STATE" } },
      });
    }
    expect(await usd(alice.client)).toMatchObject({ available: "3000", held: "0" });
    // The flag that held it is left open, no longer holding anything: an admin resolves it after looking.
    const flags = await admin.client.json<{
      items: { id: string; rule: string; transferId: string; transferStatus: string; resolvedAt: string | null }[];
    }>("GET", "/api/admin/aml/flags?status=open");
    const flag = flags.body.items.find((f) => f.transferId === held.id && f.rule === "over_threshold");
    expect(flag).toMatchObject({ transferStatus: "cancelled", resolvedAt: null });
    const resolved = await admin.client.json("POST", `/api/admin/aml/flags/${flag?.id}/resolve`, {
      resolution: "Sender cancelled; no pattern",
    });
    expect(resolved.status).toBe(200);
    // A transfer that completed at once is no longer held: nothing to cancel.
    const small = await sendUsd(alice.client, bob.email, "10");
    expect(await cancel(alice.client, small.id)).toMatchObject({ status: 409, body: { error: { code: "INVALID_STATE" } } });
  });

  test("a cancel and an admin's decision on one held transfer at once: exactly one ends it, the other is 409", async () => {
    const alice = await fundedUser(fixture, "cancel-race-a", "3000");
    const bob = await signedInUser(fixture, "cancel-race-b");
    const admin = await adminUser(fixture, "cancel-race-admin");
    for (const decision of ["approve", "reject"]) {
      const held = await sendUsd(alice.client, bob.email, "1001");
      const [cancelled, decided] = await Promise.all([
        alice.client.request("POST", `/api/transfers/${held.id}/cancel`),
        admin.client.request("POST", `/api/admin/transfers/${held.id}/${decision}`),
      ]);
      expect([cancelled.status, decided.status].sort()).toEqual([200, 409]);
      const ended = cancelled.status === 200 ? "cancelled" : decision === "approve" ? "completed" : "rejected";
      expect(await transferSeenBy(alice, held.id)).toMatchObject({ history: [`transfer_out:${ended}`] });
      expect((await usd(alice.client)).held).toBe("0");
    }
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "a decision that comes while a cancel of the transfer is being written waits for it, and finds it no longer held",
    async () => {
      const db = fixture.deps.database.db;
      const alice = await fundedUser(fixture, "cancel-wait-a", "2000");
      const bob = await signedInUser(fixture, "cancel-wait-b");
      const admin = await adminUser(fixture, "cancel-wait-admin");
      const held = await sendUsd(alice.client, bob.email, "1500");
      // A cancel's write, not yet committed, holds the transfer's row: the approval queues on it (lockTransfer takes
      // it FOR UPDATE), then reads the committed status. Read without the lock, it would approve a cancelled transfer.
      const approving = await runAgainstUncommitted(
        db,
        sql`update p2p_transfers set status = 'cancelled' where id = ${held.id}`,
        () => admin.client.json<ErrorBody>("POST", `/api/admin/transfers/${held.id}/approve`),
      );
      expect([approving.status, approving.body.error.code]).toEqual([409, "INVALID_STATE"]);
      expect((await usd(bob.client)).available).toBe("0");
      // The stand-in cancel moved no money: put back, the transfer is cancelled for real, its funds returned.
      await db.execute(sql`update p2p_transfers set status = 'pending_review' where id = ${held.id}`);
      expect((await alice.client.json("POST", `/api/transfers/${held.id}/cancel`)).status).toBe(200);
      expect(await usd(alice.client)).toMatchObject({ available: "2000", held: "0" });
    },
  );

  test("an admin resolves a flag once, with what they found: audited, listed as resolved, never on their own transfer", async () => {
    const alice = await fundedUser(fixture, "resolve-a", "1500");
    const bob = await signedInUser(fixture, "resolve-b");
    const [admin, otherAdmin] = [await adminUser(fixture, "resolver"), await adminUser(fixture, "resolver-2")];
    const sendEleven = async (from: TestClient) => {
      const sent = [];
      for (let i = 0; i < 11; i++) sent.push(await sendUsd(from, bob.email, "1"));
      return sent[10]; // the 11th within the hour: flagged (velocity), and completed
    };
    const flagged = await sendEleven(alice.client);
    type Flag = {
      id: string;
      transferId: string;
      resolvedAt: string | null;
      resolvedBy: string | null;
      resolution: string | null;
    };
    const list = async (query: string) =>
      (await admin.client.json<{ items: Flag[] }>("GET", `/api/admin/aml/flags?limit=100${query}`)).body.items.filter(
        (f) => f.transferId === flagged.id,
      );
    const [flag] = await list("&status=open");
    expect(flag).toMatchObject({ recipientId: bob.userId, resolvedAt: null, resolvedBy: null, resolution: null });
    const resolve = (client: TestClient, id: string, body: unknown) =>
      client.json<{ flag: Flag } & ErrorBody>("POST", `/api/admin/aml/flags/${id}/resolve`, body);

    for (const resolution of ["   ", "\u202eevil", "x".repeat(1001)]) {
      const refused = await resolve(admin.client, flag.id, { resolution });
      expect([refused.status, refused.body.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    }
    expect((await resolve(alice.client, flag.id, { resolution: "mine" })).status).toBe(403);
    expect((await resolve(admin.client, crypto.randomUUID(), { resolution: "none such" })).status).toBe(404);
    const resolved = await resolve(admin.client, flag.id, { resolution: "  Rent to a flatmate; lease seen.  " });
    expect(resolved.status).toBe(200);
    expect(resolved.body.flag).toMatchObject({
      id: flag.id,
      resolvedBy: admin.userId,
      resolution: "Rent to a flatmate; lease seen.",
    });
    expect(Date.parse(resolved.body.flag.resolvedAt as string)).toBeGreaterThan(Date.now() - 60_000);
    const again = await resolve(otherAdmin.client, flag.id, { resolution: "second look" });
    expect([again.status, again.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(await list("&status=open")).toEqual([]);
    expect((await list("&status=resolved")).map((f) => f.id)).toEqual([flag.id]);
    expect((await list("")).map((f) => f.id)).toEqual([flag.id]);
    const audit = await admin.client.json<{ items: { action: string; metadata: Record<string, unknown> }[] }>(
      "GET",
      `/api/admin/audit?userId=${admin.userId}&action=admin.aml_flag_resolved`,
    );
    expect(audit.body.items.map((row) => row.metadata)).toEqual([
      {
        flagId: flag.id,
        transferId: flagged.id,
        userId: alice.userId,
        rule: "velocity",
        resolution: "Rent to a flatmate; lease seen.",
      },
    ]);

    // Four eyes: an admin's own transfer's flag is another admin's to resolve.
    await deposit(otherAdmin.client, "USD", "15");
    const own = await sendEleven(otherAdmin.client);
    const ownFlag = (
      await otherAdmin.client.json<{ items: Flag[] }>("GET", "/api/admin/aml/flags?status=open&limit=100")
    ).body.items.find((f) => f.transferId === own.id) as Flag;
    expect((await resolve(otherAdmin.client, ownFlag.id, { resolution: "fine by me" })).status).toBe(403);
    expect((await resolve(admin.client, ownFlag.id, { resolution: "checked by another" })).status).toBe(200);
  });

  test("a later flag of the same rule takes the pattern over: transfers after it are its, not the earlier flag's", async () => {
    const sender = await fundedUser(fixture, "flag-handover", "100");
    const recipient = await signedInUser(fixture, "flag-handover-b");
    const admin = await adminUser(fixture, "flag-handover-admin");
    const sent: { id: string; createdAt: string }[] = [];
    for (let i = 0; i < 14; i++) sent.push(await sendUsd(sender.client, recipient.email, "1"));
    // As an instance from before this release does (a flag on every transfer of the pattern): one on the 13th.
    await fixture.deps.database.db.execute(sql`insert into aml_flags (transfer_id, user_id, rule, detail, created_at)
      values (${sent[12].id}, ${sender.userId}, 'velocity', 'more than 10 transfers within an hour', ${sent[12].createdAt}::timestamptz)`);
    type Flag = { transferId: string; userId: string; windowTransferIds: string[]; windowTransferCount: number };
    const { body } = await admin.client.json<{ items: Flag[] }>("GET", "/api/admin/aml/flags?status=open&limit=100");
    const coveredBy = (transferId: string) => body.items.find((f) => f.userId === sender.userId && f.transferId === transferId);
    const ids = sent.map((t) => t.id);
    expect(coveredBy(ids[10])?.windowTransferIds).toEqual(ids.slice(0, 12)); // up to the later flag's transfer
    expect(coveredBy(ids[12])?.windowTransferIds).toEqual(ids); // its hour back, and on
  });

  test("GET /api/admin/ledger/reconcile: admins only; names a transfer whose amount was changed behind the ledger", async () => {
    const admin = await adminUser(fixture, "reconciler");
    const alice = await fundedUser(fixture, "reconcile-a", "10");
    type Report = { ok: boolean; problems: { invariant: number; transferId?: number; message: string }[] } & ErrorBody;
    const reconcile = () => admin.client.json<Report>("GET", "/api/admin/ledger/reconcile");
    expect((await alice.client.json<ErrorBody>("GET", "/api/admin/ledger/reconcile")).status).toBe(403);
    expect((await reconcile()).body).toMatchObject({ ok: true, problems: [] });
    const db = fixture.deps.database.db;
    const [deposit] = await queryRows<{ id: number }>(
      db,
      sql`select t.id::int as id from ledger_transfers t join ledger_accounts a on a.id = t.credit_account_id
          where a.owner_id = ${alice.userId} order by t.id desc limit 1`,
    );
    const setAmount = (amount: string) => [
      sql`alter table ledger_transfers disable trigger ledger_transfers_append_only`,
      sql`update ledger_transfers set amount = ${amount}::numeric where id = ${deposit.id}`,
      sql`alter table ledger_transfers enable trigger ledger_transfers_append_only`,
    ];
    for (const statement of setAmount("1")) await db.execute(statement);
    try {
      const { body } = await reconcile();
      expect(body.ok).toBe(false);
      expect(body.problems).toEqual([expect.objectContaining({ invariant: 1, transferId: deposit.id })]);
    } finally {
      for (const statement of setAmount("1000")) await db.execute(statement);
    }
    expect((await reconcile()).body.ok).toBe(true);
  });

  test("a flag that holds its transfer is resolved by the decision on the transfer, not apart from it", async () => {
    const alice = await fundedUser(fixture, "holding-a", "2500");
    const bob = await signedInUser(fixture, "holding-b");
    const admin = await adminUser(fixture, "holding-admin");
    type Flag = {
      id: string;
      transferId: string;
      transferStatus: string;
      createdAt: string;
      resolvedBy: string | null;
      resolution: string | null;
    };
    const flagOf = async (transferId: string) =>
      (await admin.client.json<{ items: Flag[] }>("GET", "/api/admin/aml/flags?limit=100")).body.items.find(
        (f) => f.transferId === transferId,
      ) as Flag;
    const [approved, rejected] = [await sendUsd(alice.client, bob.email, "1200"), await sendUsd(alice.client, bob.email, "1100")];
    const open = await flagOf(approved.id);
    // Stamped with its transfer's time: the clock the screening's windows and an auditor's timeline go by.
    expect(open).toMatchObject({ transferStatus: "pending_review", createdAt: approved.createdAt, resolvedBy: null });
    const apart = await admin.client.json<ErrorBody>("POST", `/api/admin/aml/flags/${open.id}/resolve`, { resolution: "fine" });
    expect([apart.status, apart.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(apart.body.error.message).toContain("approve or reject the transfer");

    expect((await admin.client.post(`/api/admin/transfers/${approved.id}/approve`)).status).toBe(200);
    expect((await admin.client.post(`/api/admin/transfers/${rejected.id}/reject`)).status).toBe(200);
    expect(await flagOf(approved.id)).toMatchObject({
      transferStatus: "completed",
      resolvedBy: admin.userId,
      resolvedByEmail: admin.email,
      resolution: "Transfer approved in review",
    });
    expect(await flagOf(rejected.id)).toMatchObject({
      transferStatus: "rejected",
      resolvedBy: admin.userId,
      resolution: "Transfer rejected in review",
    });
  });

  test("four eyes: no admin decides a held transfer of their own; a frozen sender's can be rejected, not approved", async () => {
    const [first, second] = [await adminUser(fixture, "eyes-one"), await adminUser(fixture, "eyes-two")];
    const carol = await fundedUser(fixture, "eyes-carol", "3000");
    await deposit(first.client, "USD", "2000");
    const hold = async (from: TestClient, to: string) =>
      (
        (await (await withKey(from, "/api/transfers/p2p", { recipientEmail: to, asset: "USD", amount: "1000.01" })).json()) as {
          transfer: { id: string; status: string };
        }
      ).transfer;
    const decide = (admin: TestClient, id: string, verdict: "approve" | "reject") =>
      admin.json<ErrorBody & { transfer: { status: string } }>("POST", `/api/admin/transfers/${id}/${verdict}`);
    // As sender, and as recipient: another admin decides.
    const own = await hold(first.client, carol.email);
    expect(own.status).toBe("pending_review");
    const bySender = await decide(first.client, own.id, "approve");
    expect([bySender.status, bySender.body.error.code]).toEqual([403, "FORBIDDEN"]);
    expect((await decide(second.client, own.id, "approve")).body.transfer.status).toBe("completed");
    const toSecond = await hold(carol.client, second.email);
    expect((await decide(second.client, toSecond.id, "approve")).status).toBe(403);
    expect((await decide(first.client, toSecond.id, "approve")).body.transfer.status).toBe("completed");
    // A frozen sender's held money does not leave; a rejection gives it back to them.
    const frozenOut = await hold(carol.client, first.email);
    const senderFrozen = async () =>
      (
        await second.client.json<{ items: { id: string; senderFrozen: boolean }[] }>(
          "GET",
          "/api/admin/transfers?status=pending_review",
        )
      ).body.items.find((t) => t.id === frozenOut.id)?.senderFrozen;
    // The transfer's AML flag says whether its user is frozen too: the admin page offers Unfreeze, not Freeze.
    const flaggedFrozen = async () =>
      (
        await second.client.json<{ items: { transferId: string; userFrozen: boolean }[] }>(
          "GET",
          "/api/admin/aml/flags?limit=100",
        )
      ).body.items.find((f) => f.transferId === frozenOut.id)?.userFrozen;
    expect(await senderFrozen()).toBe(false);
    expect(await flaggedFrozen()).toBe(false);
    await second.client.json("POST", `/api/admin/users/${carol.userId}/freeze`);
    // The queue says so, as the withdrawals' does (userFrozen): the admin page then offers Reject alone.
    expect(await senderFrozen()).toBe(true);
    expect(await flaggedFrozen()).toBe(true);
    const approved = await decide(second.client, frozenOut.id, "approve");
    expect([approved.status, approved.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(await usd(carol.client)).toMatchObject({ held: "1000.01" });
    expect((await decide(second.client, frozenOut.id, "reject")).body.transfer.status).toBe("rejected");
    expect(await usd(carol.client)).toMatchObject({ available: "3000", held: "0" }); // 3000 + 1000.01 in - 1000.01 out
  });

  test("the admin's flag list, page by page, skips no flag: two flags of one transfer share a time", async () => {
    const sender = await fundedUser(fixture, "flag-pages", "1100");
    const recipient = await signedInUser(fixture, "flag-pages-b");
    const admin = await adminUser(fixture, "flag-pages-admin");
    const send = (amount: string) => sendUsd(sender.client, recipient.email, amount);
    const earlier: string[] = [];
    for (let i = 0; i < 10; i++) earlier.push((await send("1")).id);
    const flaggedTwice = await send("1000.01"); // over the threshold, and the 11th within the hour
    type FlagPage = {
      items: { id: string; rule: string; transferId: string; windowTransferIds: string[] }[];
      nextCursor: string | null;
    };
    const walked: FlagPage["items"] = [];
    let cursor: string | null = null;
    for (let page = 0; page < 4; page++) {
      const query: string = cursor ? `limit=1&cursor=${cursor}` : "limit=1";
      const answer = await admin.client.json<FlagPage>("GET", `/api/admin/aml/flags?${query}`);
      walked.push(...answer.body.items);
      cursor = answer.body.nextCursor;
      if (!cursor) break;
    }
    const rules = walked.filter((f) => f.transferId === flaggedTwice.id).map((f) => f.rule);
    expect(rules.sort()).toEqual(["over_threshold", "velocity"]);
    expect(new Set(walked.map((f) => f.id)).size).toBe(walked.length);
    // Each flag names the transfers its rule judged, oldest first: the hour's eleven, or the one over the threshold.
    const windowOf = (rule: string) => walked.find((f) => f.transferId === flaggedTwice.id && f.rule === rule)?.windowTransferIds;
    expect(windowOf("velocity")).toEqual([...earlier, flaggedTwice.id]);
    expect(windowOf("over_threshold")).toEqual([flaggedTwice.id]);
  });

  test("a busy sender gets one velocity flag while it is open, and a new one once an admin has resolved it", async () => {
    const sender = await fundedUser(fixture, "flag-once", "100");
    const recipient = await signedInUser(fixture, "flag-once-b");
    const admin = await adminUser(fixture, "flag-once-admin");
    const sent: string[] = [];
    for (let i = 0; i < 14; i++) sent.push((await sendUsd(sender.client, recipient.email, "1")).id);
    type Flag = {
      id: string;
      rule: string;
      transferId: string;
      userId: string;
      windowTransferIds: string[];
      windowTransferCount: number;
      windowTotalUsd: string;
      reviewThresholdUsd: string | null;
    };
    const flagsOfSender = async () =>
      (await admin.client.json<{ items: Flag[] }>("GET", "/api/admin/aml/flags?status=open&limit=100")).body.items.filter(
        (f) => f.userId === sender.userId,
      );
    const [first, ...more] = await flagsOfSender();
    expect(more).toEqual([]);
    // The 11th within the hour raised it; the three after, which raised none, are the open flag's to show.
    expect(first).toMatchObject({ rule: "velocity", transferId: sent[10], windowTransferIds: sent, windowTransferCount: 14 });
    expect(first.windowTotalUsd).toBe("14");
    expect(first.reviewThresholdUsd).toBe("1000"); // the AML_REVIEW_THRESHOLD_USD it was judged with
    const senderVersion = async () =>
      (
        await queryRows<{ version: number }>(
          fixture.deps.database.db,
          sql`select version::int as version from p2p_senders where sender_id = ${sender.userId}`,
        )
      )[0].version;
    const before = await senderVersion();
    const resolved = await admin.client.json<{ flag: Flag }>("POST", `/api/admin/aml/flags/${first.id}/resolve`, {
      resolution: "Looked into the burst.",
    });
    expect(resolved.status).toBe(200);
    // A transfer of the sender judged while the flag was open, landing after this, is judged again ('stale').
    expect(await senderVersion()).toBe(before + 1);
    const next = await sendUsd(sender.client, recipient.email, "1");
    expect((await flagsOfSender()).map((f) => [f.rule, f.transferId, f.windowTransferCount])).toEqual([
      ["velocity", next.id, 15],
    ]);
    // A resolved flag covers what it stood for until its resolution, not what came after.
    expect(resolved.body.flag.windowTransferIds).toEqual(sent);
  });

  test("a structuring flag names the transfers just under the threshold in its 24 hours, not the others", async () => {
    const sender = await fundedUser(fixture, "flag-window", "5000");
    const recipient = await signedInUser(fixture, "flag-window-b");
    const admin = await adminUser(fixture, "flag-window-admin");
    const send = async (amount: string) => (await sendUsd(sender.client, recipient.email, amount)).id;
    // The band is 900–1000 USD (90 % of the 1000 threshold up to it): 5 is outside. (All under the 3000 daily limit.)
    const [, inBand1, , inBand2, third] = [
      await send("5"),
      await send("900"),
      await send("5"),
      await send("950"),
      await send("1000"),
    ];
    const { body } = await admin.client.json<{ items: { userId: string; rule: string; windowTransferIds: string[] }[] }>(
      "GET",
      "/api/admin/aml/flags?limit=100",
    );
    const flag = body.items.find((f) => f.userId === sender.userId && f.rule === "structuring");
    expect(flag?.windowTransferIds).toEqual([inBand1, inBand2, third]);
  });

  test("an unverified user adds no withdrawal address (it may be a stranger's account set up for the owner to inherit)", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("unverified-book");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "U" });
    await client.post("/api/auth/login", { email, password: PASSWORD });
    const add = (address: string) =>
      client.json<ErrorBody>("POST", "/api/wallet/addresses", { asset: "USD", address, label: "bank" });
    const malformed = await add("GB00 NOT AN IBAN");
    expect([malformed.status, malformed.body.error.code]).toEqual([422, "VALIDATION_FAILED"]); // validation first
    const refused = await add(IBAN);
    expect([refused.status, refused.body.error.code]).toEqual([403, "EMAIL_NOT_VERIFIED"]);
    expect((await client.json<{ items: unknown[] }>("GET", "/api/wallet/addresses")).body.items).toEqual([]);
  });

  test("unverified and frozen users cannot move money, in API.md's order", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("unverified");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "U" });
    await client.post("/api/auth/login", { email, password: PASSWORD });
    const bad = await withKey(client, "/api/transfers/p2p", { recipientEmail: "x", asset: "USD", amount: "1" });
    expect(bad.status).toBe(422); // validation first
    const unverified = await withKey(client, "/api/transfers/p2p", {
      recipientEmail: uniqueEmail("r"),
      asset: "USD",
      amount: "1",
    });
    expect(((await unverified.json()) as ErrorBody).error.code).toBe("EMAIL_NOT_VERIFIED");
    // A bad money value is a validation failure too, and answers before the 403 (API.md's order).
    const badValues: [string, Record<string, unknown>, string][] = [
      ["/api/transfers/p2p", { recipientEmail: uniqueEmail("r"), asset: "USD", amount: "-1" }, "amount"],
      ["/api/transfers/p2p", { recipientEmail: uniqueEmail("r"), asset: "USD", amount: "0.001" }, "amount"],
      ["/api/wallet/deposit/create", { asset: "DOGE", amount: "1" }, "asset"],
      ["/api/wallet/deposit/create", { asset: "USD", amount: "9".repeat(77) }, "amount"],
      ["/api/wallet/withdraw", { asset: "BTC", amount: "1e3", address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" }, "amount"],
      ["/api/trading/orders", { type: "market", side: "buy", asset: "BTC", amount: "0" }, "amount"],
      ["/api/trading/orders", { type: "limit", side: "buy", asset: "BTC", amount: "1", limitPrice: "-5" }, "limitPrice"],
    ];
    for (const [path, body, field] of badValues) {
      const answer = await withKey(client, path, body);
      const { error } = (await answer.json()) as ErrorBody;
      expect([path, answer.status, error.code, error.details?.fields]).toEqual([path, 422, "VALIDATION_FAILED", [field]]);
    }
    // Several bad fields in one body are all named in one answer, the amounts' form with the rest.
    const manyBad: [string, Record<string, unknown>, string[]][] = [
      ["/api/transfers/p2p", { recipientEmail: "not-an-email", asset: "USD", amount: "-1" }, ["amount", "recipientEmail"]],
      [
        "/api/trading/orders",
        { type: "limit", side: "x", asset: "BTC", amount: "1e3", limitPrice: "-1", stopPrice: "0" },
        ["amount", "limitPrice", "side", "stopPrice"],
      ],
    ];
    for (const [path, body, fields] of manyBad) {
      const { error } = (await (await withKey(client, path, body)).json()) as ErrorBody;
      expect([path, error.code, [...((error.details?.fields as string[]) ?? [])].sort()]).toEqual([
        path,
        "VALIDATION_FAILED",
        fields,
      ]);
    }
    const frozen = await fundedUser(fixture, "frozen", "10");
    const admin = await adminUser(fixture, "freezer");
    await admin.client.json("POST", `/api/admin/users/${frozen.userId}/freeze`);
    const refused = await withKey(frozen.client, "/api/transfers/p2p", {
      recipientEmail: admin.email,
      asset: "USD",
      amount: "1",
    });
    expect(refused.status).toBe(403);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("FORBIDDEN");
    // Every way money moves is closed, money in included (the freeze mail says so).
    for (const [path, body] of [
      ["/api/wallet/deposit/create", { asset: "USD", amount: "5" }],
      ["/api/wallet/withdraw", { asset: "USD", amount: "5", address: IBAN }],
      ["/api/trading/orders", { type: "market", side: "buy", asset: "BTC", amount: "0.0001" }],
    ] as const) {
      const answer = await withKey(frozen.client, path, body);
      expect([path, answer.status, ((await answer.json()) as ErrorBody).error.code]).toEqual([path, 403, "FORBIDDEN"]);
    }
    // Only the order that funded the account: the refused one left none behind.
    expect((await frozen.client.json<{ items: unknown[] }>("GET", "/api/wallet/deposits")).body.items).toHaveLength(1);
    const frozenBadAmount = await withKey(frozen.client, "/api/transfers/p2p", {
      recipientEmail: admin.email,
      asset: "USD",
      amount: "1,5",
    });
    expect(((await frozenBadAmount.json()) as ErrorBody).error.code).toBe("VALIDATION_FAILED");
    expect((await frozen.client.json("GET", "/api/wallet/balance")).status).toBe(200);
    // Nor does the address book take a new address, whose cooldown would otherwise run out during the freeze.
    const address = await frozen.client.json<ErrorBody>("POST", "/api/wallet/addresses", {
      asset: "USD",
      address: IBAN,
      label: "x",
    });
    expect([address.status, address.body.error.code]).toEqual([403, "FORBIDDEN"]);
    expect((await frozen.client.json<{ items: unknown[] }>("GET", "/api/wallet/addresses")).body.items).toEqual([]);
  });

  // A freeze is the moment a user's money stops: no send of theirs may land after it has answered.
  /**
   * Whether a security change and a money request of one user kept one order: the money either came first (its audit
   * row before the change's, in the user's chain) or was refused for the change (403 WITHDRAWALS_LOCKED).
   */
  async function oneOrder(client: TestClient, money: Response, moneyAction: string) {
    const audit = await client.json<{ items: { action: string; id: string }[] }>("GET", "/api/audit?limit=100");
    const seq = (action: string) => Number(audit.body.items.find((row) => row.action === action)?.id);
    if (money.status === 403) return ((await money.json()) as ErrorBody).error.code === "WITHDRAWALS_LOCKED";
    return money.status < 300 && seq(moneyAction) < seq("auth.password_changed");
  }

  /**
   * Sends `money` while `lock` is held, then a password change from `other`; both go on when the lock is given up.
   * Returns the money's answer, once the change has answered 200.
   */
  async function moneyAgainstPasswordChange(lock: SQL, other: TestClient, money: () => Promise<Response>) {
    const db = fixture.deps.database.db;
    const { moving, changing } = await whileLockHeld(db, lock, async () => {
      const moving = money();
      expect(await lockWaiters(db, 1)).toBe(true);
      const changing = other.request("POST", "/api/auth/password/change", {
        body: { currentPassword: PASSWORD, newPassword: "a passphrase changed meanwhile" },
      });
      await lockWaiters(db, 2); // the change waits there too (before the fix it went through)
      return { moving, changing };
    });
    expect((await changing).status).toBe(200);
    return moving;
  }

  test.if(Boolean(TEST_DATABASE_URL))(
    "a send judged before a password change and written after it: written first, or judged again and refused",
    async () => {
      const recipient = await signedInUser(fixture, "change-race-recipient");
      const sender = await fundedUser(fixture, "change-race-sender", "100");
      await sendUsd(sender.client, recipient.email, "1"); // the sender's row (p2p_senders) exists
      const other = new TestClient(fixture);
      await other.post("/api/auth/login", { email: sender.email, password: PASSWORD });
      // The send has read its facts and waits at the sender's row while the change is made.
      const sent = await moneyAgainstPasswordChange(
        sql`select 1 from p2p_senders where sender_id = ${sender.userId} for update`,
        other,
        () => withKey(sender.client, "/api/transfers/p2p", { recipientEmail: recipient.email, asset: "USD", amount: "5" }),
      );
      expect(await oneOrder(other, sent, "transfer.sent")).toBe(true);
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a send judged before a freeze and written after it: written before the freeze answers, or judged again and refused",
    async () => {
      const db = fixture.deps.database.db;
      const recipient = await signedInUser(fixture, "freeze-race-recipient");
      const sender = await fundedUser(fixture, "freeze-race-sender", "100");
      const admin = await adminUser(fixture, "freeze-race-admin");
      await sendUsd(sender.client, recipient.email, "1"); // the sender's row (p2p_senders) exists
      // The send has read its facts (not frozen) and waits at the sender's row while the freeze is made.
      const { sending, freezing } = await whileLockHeld(
        db,
        sql`select 1 from p2p_senders where sender_id = ${sender.userId} for update`,
        async () => {
          const sending = withKey(sender.client, "/api/transfers/p2p", {
            recipientEmail: recipient.email,
            asset: "USD",
            amount: "5",
          });
          expect(await lockWaiters(db, 1)).toBe(true);
          const freezing = admin.client.json("POST", `/api/admin/users/${sender.userId}/freeze`);
          await lockWaiters(db, 2, 1_000); // the freeze waits for the send there
          return { sending, freezing };
        },
      );
      expect((await freezing).status).toBe(200);
      const sent = await sending;
      const audit = await sender.client.json<{ items: { action: string; id: string }[] }>("GET", "/api/audit?limit=100");
      const seq = (action: string) => Number(audit.body.items.find((row) => row.action === action)?.id);
      if (sent.status === 201) expect(seq("transfer.sent")).toBeLessThan(seq("admin.user_frozen"));
      else expect([sent.status, ((await sent.json()) as ErrorBody).error.code]).toEqual([403, "FORBIDDEN"]);
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a withdrawal prepared before a password change and written after it: written first, or refused",
    async () => {
      const user = await fundedUser(fixture, "change-race-withdrawer", "100");
      await user.client.json("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "bank" });
      const other = new TestClient(fixture);
      await other.post("/api/auth/login", { email: user.email, password: PASSWORD });
      // The withdrawal waits at its daily limit's lock while the change is made.
      const withdrawn = await moneyAgainstPasswordChange(
        sql`select pg_advisory_xact_lock(hashtextextended(${`withdrawal-limit:${user.userId}`}, 0))`,
        other,
        () => withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "5", address: IBAN }),
      );
      expect(await oneOrder(other, withdrawn, "wallet.withdrawal_requested")).toBe(true);
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a withdrawal on its way when its address is removed: once the removal has answered, it finds the address gone",
    async () => {
      const db = fixture.deps.database.db;
      const user = await fundedUser(fixture, "removed-address", "100");
      const book = await user.client.json<{ address: { id: string } }>("POST", "/api/wallet/addresses", {
        asset: "USD",
        address: IBAN,
        label: "not mine",
      });
      // The withdrawal has checked the book and waits at the user's row while the owner removes the address.
      const { withdrawing, removed } = await whileLockHeld(
        db,
        sql`select 1 from users where id = ${user.userId} for update`,
        async () => {
          const withdrawing = withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "5", address: IBAN });
          expect(await lockWaiters(db, 1)).toBe(true);
          return { withdrawing, removed: await user.client.request("DELETE", `/api/wallet/addresses/${book.body.address.id}`) };
        },
      );
      expect(removed.status).toBe(204);
      const answer = await withdrawing;
      expect(answer.status).toBe(422);
      expect(((await answer.json()) as ErrorBody).error.code).toBe("ADDRESS_NOT_ALLOWED");
      expect((await usd(user.client)).available).toBe("100");
      expect((await user.client.json<{ items: unknown[] }>("GET", "/api/wallet/withdrawals")).body.items).toEqual([]);
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a send that comes to its write while a freeze is being made waits for it, and is refused",
    async () => {
      const db = fixture.deps.database.db;
      const admin = await adminUser(fixture, "race-freezer");
      const recipient = await signedInUser(fixture, "race-recipient");
      // A first send (the sender has no running totals yet) and a later one.
      for (const sentBefore of [false, true]) {
        const sender = await fundedUser(fixture, `race-sender-${sentBefore}`, "100");
        if (sentBefore) await sendUsd(sender.client, recipient.email, "1");
        const before = await usd(sender.client);
        // The freeze, past its write, waits at its audit row (the admin's chain) while the send begins, passing the
        // session's check of the account (the freeze not committed) and reading its facts.
        const { freezing, sending } = await whileLockHeld(
          db,
          sql`select 1 from audit_heads where chain = ${admin.userId} for update`,
          async () => {
            const freezing = admin.client.json("POST", `/api/admin/users/${sender.userId}/freeze`);
            expect(await lockWaiters(db, 1)).toBe(true);
            const sending = withKey(sender.client, "/api/transfers/p2p", {
              recipientEmail: recipient.email,
              asset: "USD",
              amount: "5",
            });
            await lockWaiters(db, 2);
            return { freezing, sending };
          },
        );
        expect((await freezing).status).toBe(200);
        const answer = await sending;
        expect([sentBefore, answer.status, ((await answer.json()) as ErrorBody).error?.code]).toEqual([
          sentBefore,
          403,
          "FORBIDDEN",
        ]);
        expect(await usd(sender.client)).toEqual(before);
      }
    },
  );

  test.if(Boolean(TEST_DATABASE_URL))(
    "a freeze waits for a send of its user already writing: the send lands, then the freeze answers",
    async () => {
      const db = fixture.deps.database.db;
      const admin = await adminUser(fixture, "late-freezer");
      const recipient = await fundedUser(fixture, "late-recipient", "1");
      const sender = await fundedUser(fixture, "late-sender", "100");
      const [account] = await queryRows<{ id: string }>(
        db,
        sql`select id::text from ledger_accounts where owner_id = ${recipient.userId} and asset = 'USD' and kind = 'available'`,
      );
      let freezeAnswered = false;
      // The send, past its checks, waits at the recipient's account (held here) when the freeze begins.
      const { freezing, sending } = await whileLockHeld(
        db,
        sql`select 1 from ledger_accounts where id = ${account.id} for update`,
        async () => {
          const sending = withKey(sender.client, "/api/transfers/p2p", {
            recipientEmail: recipient.email,
            asset: "USD",
            amount: "5",
          });
          expect(await lockWaiters(db, 1)).toBe(true);
          const freezing = admin.client.json("POST", `/api/admin/users/${sender.userId}/freeze`).then((answer) => {
            freezeAnswered = true;
            return answer;
          });
          await lockWaiters(db, 2);
          expect(freezeAnswered).toBe(false);
          return { freezing, sending };
        },
      );
      expect((await sending).status).toBe(201);
      expect((await freezing).status).toBe(200);
      expect(await usd(sender.client)).toMatchObject({ available: "95", held: "0" });
      expect(await usd(recipient.client)).toMatchObject({ available: "6" });
    },
  );

  test("a rejection may say why: the sender and admins see it, the recipient does not; the audit rows keep it", async () => {
    const alice = await fundedUser(fixture, "why", "3000");
    const bob = await signedInUser(fixture, "why-b");
    const admin = await adminUser(fixture, "why-admin");
    const [explained, unexplained] = [
      await sendUsd(alice.client, bob.email, "1100"),
      await sendUsd(alice.client, bob.email, "1200"),
    ];
    type Rejected = ErrorBody & { transfer: { status: string; rejectionReason?: string } };
    const reject = (id: string, body?: unknown) => admin.client.json<Rejected>("POST", `/api/admin/transfers/${id}/reject`, body);
    // Refused before anything is decided, the field named; an unknown field is refused as anywhere else.
    await expectBadRejectsRefused(reject, explained.id, "note");
    expect(await usd(alice.client)).toMatchObject({ held: "2300" });

    const rejected = await reject(explained.id, { reason: "  Source of funds not shown.\n" });
    expect([rejected.status, rejected.body.transfer.status]).toEqual([200, "rejected"]);
    expect(rejected.body.transfer.rejectionReason).toBe("Source of funds not shown.");
    // A reject with no body at all still rejects, without a reason.
    // No reason, no field: the transfer keeps API.md's fields alone.
    const unexplainedAnswer = (await reject(unexplained.id)).body.transfer;
    expect([unexplainedAnswer.status, "rejectionReason" in unexplainedAnswer]).toEqual(["rejected", false]);
    const reasons = { [explained.id]: "Source of funds not shown.", [unexplained.id]: undefined };

    const admins = await admin.client.json<{ items: { id: string; rejectionReason?: string }[] }>(
      "GET",
      "/api/admin/transfers?status=rejected&limit=100",
    );
    expect(admins.body.items.filter((t) => t.id in reasons).map((t) => [t.id, t.rejectionReason])).toEqual(
      [unexplained.id, explained.id].map((id) => [id, reasons[id]]),
    );
    // In each user's history and its live frames: the sender's rows say why, the recipient's never.
    const seenBy = async (user: { client: TestClient; userId: string }) => {
      const history = await user.client.json<{ items: { reference: string; rejectionReason?: string }[] }>(
        "GET",
        "/api/transactions?limit=100",
      );
      const frames = await queryRows<{ data: { reference: string; status: string; rejectionReason?: string } }>(
        fixture.deps.database.db,
        sql`select data from outbox_events where user_id = ${user.userId} and type = 'transaction' and data->>'status' = 'rejected'`,
      );
      const of = (id: string) => [
        history.body.items.find((r) => r.reference === id)?.rejectionReason,
        frames.find((f) => f.data.reference === id)?.data.rejectionReason,
      ];
      return [of(explained.id), of(unexplained.id)];
    };
    expect(await seenBy(alice)).toEqual([
      ["Source of funds not shown.", "Source of funds not shown."],
      [undefined, undefined],
    ]);
    expect(await seenBy(bob)).toEqual([
      [undefined, undefined],
      [undefined, undefined],
    ]);
    // The admin's row and the sender's keep the reason; the recipient has none.
    expect(await auditedReasons("admin.transfer_rejected", "transferId", explained.id)).toEqual({
      [admin.userId]: "Source of funds not shown.",
      [alice.userId]: "Source of funds not shown.",
    });
    expect(await auditedReasons("admin.transfer_rejected", "transferId", unexplained.id)).toEqual({
      [admin.userId]: null,
      [alice.userId]: null,
    });
  });
});

describe("withdrawals", () => {
  async function withBook(label: string, funds: string) {
    const user = await fundedUser(fixture, label, funds);
    const added = await user.client.json<{ address: { id: string; activeAt: string } }>("POST", "/api/wallet/addresses", {
      asset: "USD",
      address: IBAN,
      label: "bank",
    });
    expect(added.status).toBe(201);
    return user;
  }

  test("address book: format checked per asset; cooldown refuses a fresh address", async () => {
    const { client } = await fundedUser(fixture, "book", "10");
    const bad = await client.json<ErrorBody>("POST", "/api/wallet/addresses", {
      asset: "BTC",
      address: "bc1notanaddress",
      label: "x",
    });
    expect(bad.status).toBe(422);
    expect(bad.body.error.details).toEqual({ fields: ["address"] });
    // The message says what the address should be: an IBAN for USD.
    const iban = await client.json<ErrorBody & { error: { message: string } }>("POST", "/api/wallet/addresses", {
      asset: "USD",
      address: "GB00 WEST 1234 5698 7654 32",
      label: "x",
    });
    expect(iban.body.error.message).toBe("Not a valid IBAN");
    // A label of spaces only would be stored empty.
    for (const label of ["", "   ", "\t", "bad\nlabel", "\u200b", "next\u0085line", "\u202eevil"]) {
      const unlabelled = await client.json<ErrorBody>("POST", "/api/wallet/addresses", {
        asset: "BTC",
        address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
        label,
      });
      expect([unlabelled.status, unlabelled.body.error.details]).toEqual([422, { fields: ["label"] }]);
    }
    const slow = await createTestApp(
      { TRUST_PROXY: "true", ADDRESS_COOLDOWN_HOURS: "24" },
      { database: fixture.deps.database as never },
    );
    const user = await fundedUser(slow, "cooldown", "10");
    const added = await user.client.json<{ address: { activeAt: string } }>("POST", "/api/wallet/addresses", {
      asset: "USD",
      address: IBAN,
      label: "bank",
    });
    expect(new Date(added.body.address.activeAt).getTime()).toBeGreaterThan(Date.now() + 23 * 3600 * 1000);
    const refused = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "1", address: IBAN });
    expect(((await refused.json()) as ErrorBody).error.code).toBe("ADDRESS_NOT_ALLOWED");
    // The cooldown holds to its end: half a minute before it, still refused; once it has passed, usable.
    const db = fixture.deps.database.db;
    const withdrawOnceActiveIn = async (interval: string) => {
      await db.execute(
        sql`update withdrawal_addresses set active_at = now() + ${interval}::interval where user_id = ${user.userId}`,
      );
      const answer = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "1", address: IBAN });
      return answer.status === 202 ? 202 : ((await answer.json()) as ErrorBody).error.code;
    };
    expect(await withdrawOnceActiveIn("30 seconds")).toBe("ADDRESS_NOT_ALLOWED");
    expect(await withdrawOnceActiveIn("-1 second")).toBe(202);
    await slow.dispose();
  });

  test("address book: each address once, in any spelling, even added twice at once; no zero address", async () => {
    const { client, userId } = await fundedUser(fixture, "book-once", "10");
    const add = (asset: string, address: string, label = "mine") =>
      client.json<ErrorBody & { address: { id: string } }>("POST", "/api/wallet/addresses", { asset, address, label });
    const hex = "0x52908400098527886E0F7030069857D2E4169EE7";
    expect((await add("ETH", hex, "cold")).status).toBe(201);
    for (const spelling of [hex.toLowerCase(), ` ${hex} `]) {
      const again = await add("ETH", spelling);
      expect([again.status, again.body.error.code, again.body.error.details]).toEqual([
        422,
        "VALIDATION_FAILED",
        { fields: ["address"] },
      ]);
      expect(again.body.error.message).toBe("This address is already in your address book, as “cold”");
    }
    // The same hex is another destination for another asset (a token's), and removed it can be added again.
    const token = await add("USDT", hex);
    expect(token.status).toBe(201);
    expect((await client.request("DELETE", `/api/wallet/addresses/${token.body.address.id}`)).status).toBe(204);
    expect((await add("USDT", hex)).status).toBe(201);
    // Added five times at once, it is added once.
    const ibans = [
      "GB82WEST12345698765432",
      "gb82 west 1234 5698 7654 32",
      IBAN,
      "GB82 WEST 12345698765432",
      "GB82WEST12345698765432",
    ];
    const statuses = await Promise.all(ibans.map(async (iban) => (await add("USD", iban)).status));
    expect(statuses.sort()).toEqual([201, 422, 422, 422, 422]);
    const [{ n }] = await queryRows<{ n: number }>(
      fixture.deps.database.db,
      sql`select count(*)::int as n from withdrawal_addresses where user_id = ${userId} and asset = 'USD'`,
    );
    expect(n).toBe(1);
    // An address of zero bytes has no key behind it: refused in the book, and by a withdrawal to one saved before.
    for (const [asset, zero] of [
      ["ETH", `0x${"0".repeat(40)}`],
      ["USDT", `0x${"0".repeat(40)}`],
      ["SOL", "1".repeat(32)],
    ]) {
      const refused = await add(asset, zero);
      expect([refused.status, refused.body.error.code]).toEqual([422, "ADDRESS_NOT_ALLOWED"]);
    }
    await deposit(client, "ETH", "1");
    const zero = `0x${"0".repeat(40)}`;
    await fixture.deps.database.db.execute(
      sql`insert into withdrawal_addresses (user_id, asset, address, label, active_at) values (${userId}, 'ETH', ${zero}, 'old', now())`,
    );
    const withdrawal = await withKey(client, "/api/wallet/withdraw", { asset: "ETH", amount: "0.1", address: zero });
    expect([withdrawal.status, ((await withdrawal.json()) as ErrorBody).error.code]).toEqual([422, "ADDRESS_NOT_ALLOWED"]);
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "an address added while the same one is being added waits for it, and is refused: saved once",
    async () => {
      const db = fixture.deps.database.db;
      const { client, userId } = await signedInUser(fixture, "book-wait");
      // Another add of the address, under the owner's book lock, not yet committed: this one waits for the lock
      // (lockUntilCommit), then sees the saved row. Without the lock it would not see it, and save it twice.
      const adding = await runAgainstUncommitted(
        db,
        sql`with locked as (select pg_advisory_xact_lock(hashtextextended(${`address-book:${userId}`}, 0)))
            insert into withdrawal_addresses (user_id, asset, address, label, active_at)
            select ${userId}, 'USD', ${IBAN}, 'first', now() from locked`,
        () => client.json<ErrorBody>("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "second" }),
      );
      expect([adding.status, adding.body.error.code, adding.body.error.message]).toEqual([
        422,
        "VALIDATION_FAILED",
        "This address is already in your address book, as “first”",
      ]);
      const book = await client.json<{ items: { label: string }[] }>("GET", "/api/wallet/addresses");
      expect(book.body.items.map((entry) => entry.label)).toEqual(["first"]);
    },
  );

  test("address book list: cursor-paginated, newest first; bad limit or cursor is 422 naming it", async () => {
    const { client } = await signedInUser(fixture, "book-pages");
    for (const [label, address] of [
      ["one", IBAN],
      ["two", "DE89370400440532013000"],
      ["three", "NL91ABNA0417164300"],
    ]) {
      expect((await client.json("POST", "/api/wallet/addresses", { asset: "USD", address, label })).status).toBe(201);
      // Times are kept to the millisecond: two entries made within one are equally new (their order is by id).
      await Bun.sleep(3);
    }
    type Page = { items: { label: string }[]; nextCursor: string | null };
    const first = await client.json<Page>("GET", "/api/wallet/addresses?limit=2");
    expect(first.body.items.map((a) => a.label)).toEqual(["three", "two"]);
    expect(first.body.nextCursor).toBeString();
    const second = await client.json<Page>("GET", `/api/wallet/addresses?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((a) => a.label)).toEqual(["one"]);
    expect(second.body.nextCursor).toBeNull();
    for (const query of ["limit=0", "limit=101", "cursor=garbage"]) {
      const bad = await client.json<ErrorBody>("GET", `/api/wallet/addresses?${query}`);
      expect({ query, status: bad.status, details: bad.body.error.details }).toEqual({
        query,
        status: 422,
        details: { fields: [query.split("=")[0]] },
      });
    }
  });

  test("a sanctioned address is refused with ADDRESS_NOT_ALLOWED, whatever its spelling", async () => {
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const list = join(mkdtempSync(join(tmpdir(), "cv-sanctions-")), "sanctioned.txt");
    writeFileSync(list, "# OFAC-style list\n0x52908400098527886E0F7030069857D2E4169EE7\nGB82WEST12345698765432\n");
    const strict = await createTestApp(
      { TRUST_PROXY: "true", ADDRESS_COOLDOWN_HOURS: "0", SANCTIONED_ADDRESSES_FILE: list },
      { database: fixture.deps.database as never },
    );
    const user = await fundedUser(strict, "sanctioned", "100");
    await user.client.json("POST", "/api/wallet/addresses", { asset: "USD", address: IBAN, label: "bank" });
    const refused = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "1", address: IBAN });
    expect(refused.status).toBe(422);
    expect(((await refused.json()) as ErrorBody).error.code).toBe("ADDRESS_NOT_ALLOWED");
    expect((await usd(user.client)).available).toBe("100");
    // A pasted address with whitespace around it, or in other letter case, is the same sanctioned address.
    const listed = "0x52908400098527886E0F7030069857D2E4169EE7";
    await deposit(user.client, "ETH", "1");
    // It cannot join the address book either, in any spelling.
    const added = await user.client.json<ErrorBody>("POST", "/api/wallet/addresses", {
      asset: "ETH",
      address: ` ${listed}\t`,
      label: "x",
    });
    expect([added.status, added.body.error.code]).toEqual([422, "ADDRESS_NOT_ALLOWED"]);
    for (const spelling of [` ${listed}`, `${listed} `, `\t${listed}`, listed.toLowerCase(), `0X${listed.slice(2)}`]) {
      const answer = await withKey(user.client, "/api/wallet/withdraw", { asset: "ETH", amount: "0.1", address: spelling });
      const body = (await answer.json()) as ErrorBody;
      expect({ spelling, status: answer.status, code: body.error?.code }).toEqual({
        spelling,
        status: 422,
        code: "ADDRESS_NOT_ALLOWED",
      });
    }
    await strict.dispose();
  });

  test("over the balance and the daily limit: INSUFFICIENT_FUNDS first; over the limit only: LIMIT_EXCEEDED", async () => {
    const poor = await withBook("wd-poor", "100");
    const broke = await withKey(poor.client, "/api/wallet/withdraw", { asset: "USD", amount: "2500", address: IBAN });
    expect(((await broke.json()) as ErrorBody).error.code).toBe("INSUFFICIENT_FUNDS");
    // The fee counts: 100 available cannot cover 99 + 1.50.
    const withFee = await withKey(poor.client, "/api/wallet/withdraw", { asset: "USD", amount: "99", address: IBAN });
    expect(((await withFee.json()) as ErrorBody).error.code).toBe("INSUFFICIENT_FUNDS");
    const rich = await withBook("wd-rich", "3000");
    const over = await withKey(rich.client, "/api/wallet/withdraw", { asset: "USD", amount: "2500", address: IBAN });
    expect(((await over.json()) as ErrorBody).error.code).toBe("LIMIT_EXCEEDED");
    expect((await usd(rich.client)).available).toBe("3000");
    // Within the balance but not with its fee, and over the limit: short of funds is still said first.
    const shortOfFee = await withKey(rich.client, "/api/wallet/withdraw", { asset: "USD", amount: "2999", address: IBAN });
    expect(((await shortOfFee.json()) as ErrorBody).error.code).toBe("INSUFFICIENT_FUNDS");
  });

  test("small withdrawal: held at once (amount + fee), paid out by the worker, history carries the tx hash", async () => {
    const { client, email, userId } = await withBook("wd", "100");
    const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    expect(answer.status).toBe(202);
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string; fee: string } };
    expect(withdrawal).toMatchObject({ status: "processing", fee: "1.5" });
    expect(await usd(client)).toMatchObject({ available: "58.5", held: "41.5" });
    expect((await lastMailTo(fixture, email)).subject).toBe("Withdrawal requested");
    const { runPayouts } = await import("../src/modules/wallet/payouts");
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const { createLogger } = await import("../src/platform/observability/logger");
    await runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"));
    const done = await client.json<{ withdrawal: { status: string; txHash: string } }>(
      "GET",
      `/api/wallet/withdrawals/${withdrawal.id}`,
    );
    expect(done.body.withdrawal.status).toBe("completed");
    // Out of held, the amount went out and the fee is the platform's (in cents).
    const payout = await queryRows<{ kind: string; amount: string }>(
      fixture.deps.database.db,
      sql`select credit.kind, t.amount::text as amount from ledger_transfers t
          join ledger_accounts debit on debit.id = t.debit_account_id
          join ledger_accounts credit on credit.id = t.credit_account_id
          where t.kind = 'withdrawal_payout' and debit.owner_id = ${userId} order by credit.kind`,
    );
    expect(payout).toEqual([
      { kind: "external", amount: "4000" },
      { kind: "fees", amount: "150" },
    ]);
    // A bank payout's reference, as the sandbox makes one for USD (crypto gets its network's form of hash).
    expect(done.body.withdrawal.txHash).toBe(`SANDBOX-PAYOUT-${withdrawal.id.slice(0, 8).toUpperCase()}`);
    expect(await usd(client)).toMatchObject({ available: "58.5", held: "0" });
    const history = await client.json<{ items: { type: string; reference: string; fee: string; status: string }[] }>(
      "GET",
      "/api/transactions?type=withdrawal",
    );
    expect(history.body.items[0]).toMatchObject({ status: "completed", reference: done.body.withdrawal.txHash, fee: "1.5" });
    const hashOf = async (asset: string) =>
      (await sandboxPayoutProvider.send({ withdrawalId: withdrawal.id, asset, amount: "1", address: "x" })).txHash;
    expect(await hashOf("ETH")).toMatch(/^0x[0-9a-f]{64}$/);
    expect(await hashOf("BTC")).toMatch(/^[0-9a-f]{64}$/);
    expect(await hashOf("SOL")).toMatch(/^[1-9A-HJ-NP-Za-km-z]{80,90}$/);
  });

  test("a withdrawal no larger than its fee is refused, naming the smallest that is; nothing is held", async () => {
    const { client } = await withBook("worth-fee", "100");
    type Refusal = ErrorBody & { error: { details: { fields: string[]; minimumAmount: string } } };
    const tooSmall = async (amount: string) => {
      const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount, address: IBAN });
      return [answer.status, ((await answer.json()) as Refusal).error] as [number, unknown];
    };
    for (const amount of ["0.01", "1.49", "1.5", "1.50"]) {
      expect(await tooSmall(amount)).toEqual([
        422,
        {
          code: "VALIDATION_FAILED",
          message: "The amount must be more than the withdrawal fee of 1.5 USD",
          details: { fields: ["amount"], minimumAmount: "1.51" },
          requestId: expect.any(String),
        },
      ]);
    }
    expect(await usd(client)).toMatchObject({ available: "100", held: "0" });
    // In the asset's own units: Bitcoin's fee is 0.0001 BTC by default.
    await deposit(client, "BTC", "0.01");
    await client.json("POST", "/api/wallet/addresses", {
      asset: "BTC",
      address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
      label: "btc",
    });
    const btc = (amount: string) =>
      withKey(client, "/api/wallet/withdraw", { asset: "BTC", amount, address: "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq" });
    const refused = (await (await btc("0.0001")).json()) as Refusal;
    expect(refused.error.details.minimumAmount).toBe("0.00010001");
    expect((await btc("0.00010001")).status).toBe(202);
    expect((await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "1.51", address: IBAN })).status).toBe(202);
    expect(await usd(client)).toMatchObject({ available: "96.99" });
  });

  test("a withdrawal matches the book in any spelling of the same address: IBAN spacing and case, hex case", async () => {
    const { client } = await withBook("spelling", "100");
    const iban = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "2", address: "gb82west12345698765432" });
    expect(iban.status).toBe(202);
    // Paid out to the book's spelling, which was checked when it was added, not to the request's.
    type Withdrawn = { withdrawal: { address: string } };
    expect(((await iban.json()) as Withdrawn).withdrawal.address).toBe(IBAN);
    await deposit(client, "ETH", "1");
    const checksummed = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed";
    expect(
      (await client.json("POST", "/api/wallet/addresses", { asset: "ETH", address: checksummed, label: "cold" })).status,
    ).toBe(201);
    const hex = await withKey(client, "/api/wallet/withdraw", {
      asset: "ETH",
      amount: "0.1",
      address: checksummed.toLowerCase(),
    });
    expect(hex.status).toBe(202);
    expect(((await hex.json()) as Withdrawn).withdrawal.address).toBe(checksummed);
    // A bech32 address in mixed case is no valid address (BIP-173): it still finds the booked one, which is paid.
    await deposit(client, "BTC", "0.01");
    const bech32 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq";
    expect((await client.json("POST", "/api/wallet/addresses", { asset: "BTC", address: bech32, label: "btc" })).status).toBe(
      201,
    );
    const mixed = await withKey(client, "/api/wallet/withdraw", {
      asset: "BTC",
      amount: "0.001",
      address: "bc1Qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    });
    expect(((await mixed.json()) as Withdrawn).withdrawal.address).toBe(bech32);
    // Another IBAN is still another address.
    const other = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "2", address: "DE89370400440532013000" });
    expect(((await other.json()) as ErrorBody).error.code).toBe("ADDRESS_NOT_ALLOWED");
  });

  test("a frozen user's withdrawal is not paid out while the freeze lasts", async () => {
    const user = await withBook("wd-frozen", "100");
    const answer = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string } };
    expect(withdrawal.status).toBe("processing");
    const admin = await adminUser(fixture, "wd-freezer");
    await admin.client.json("POST", `/api/admin/users/${user.userId}/freeze`);
    const { runPayouts } = await import("../src/modules/wallet/payouts");
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const { createLogger } = await import("../src/platform/observability/logger");
    const payOut = () => runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"));
    const status = async () =>
      (await user.client.json<{ withdrawal: { status: string } }>("GET", `/api/wallet/withdrawals/${withdrawal.id}`)).body
        .withdrawal.status;
    await payOut();
    expect(await status()).toBe("processing");
    expect(await usd(user.client)).toMatchObject({ available: "58.5", held: "41.5" });
    await admin.client.json("POST", `/api/admin/users/${user.userId}/unfreeze`);
    await payOut();
    expect(await status()).toBe("completed");
  });

  test.if(Boolean(TEST_DATABASE_URL))("a freeze that commits while a payout is being taken up holds it", async () => {
    const user = await withBook("wd-freezing", "100");
    const answer = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string } };
    const { runPayouts } = await import("../src/modules/wallet/payouts");
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const { createLogger } = await import("../src/platform/observability/logger");
    // The freeze's write, committed once the worker waits for it (or has ended without waiting).
    await runAgainstUncommitted(fixture.deps.database.db, sql`update users set frozen_at = now() where id = ${user.userId}`, () =>
      runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent")),
    );
    const status = async () =>
      (await user.client.json<{ withdrawal: { status: string } }>("GET", `/api/wallet/withdrawals/${withdrawal.id}`)).body
        .withdrawal.status;
    expect(await status()).toBe("processing");
    await fixture.deps.database.db.execute(sql`update users set frozen_at = null where id = ${user.userId}`);
    await runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"));
    expect(await status()).toBe("completed");
  });

  test("a frozen user's withdrawal under review can be rejected, not approved (as a held transfer)", async () => {
    const user = await withBook("wd-frozen-review", "1000");
    const answer = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "600", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string } };
    expect(withdrawal.status).toBe("pending_review");
    const admin = await adminUser(fixture, "wd-frozen-reviewer");
    await admin.client.json("POST", `/api/admin/users/${user.userId}/freeze`);
    const approved = await admin.client.json<ErrorBody>("POST", `/api/admin/withdrawals/${withdrawal.id}/approve`);
    expect([approved.status, approved.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(await usd(user.client)).toMatchObject({ available: "398.5", held: "601.5" });
    const rejected = await admin.client.json<{ withdrawal: { status: string } }>(
      "POST",
      `/api/admin/withdrawals/${withdrawal.id}/reject`,
    );
    expect(rejected.body.withdrawal.status).toBe("rejected");
    expect(await usd(user.client)).toMatchObject({ available: "1000", held: "0" });
  });

  /** The sandbox, except for one withdrawal, whose sends go to `send` (counted). */
  async function providerFor(withdrawalId: string, send: (attempt: number) => Promise<{ txHash: string }>) {
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const sent: string[] = [];
    const provider = {
      name: "test",
      send: (payout: Parameters<typeof sandboxPayoutProvider.send>[0]) => {
        if (payout.withdrawalId !== withdrawalId) return sandboxPayoutProvider.send(payout);
        sent.push(payout.withdrawalId);
        return send(sent.length);
      },
    };
    return { provider, sent };
  }
  const payOutWith = async (provider: import("../src/modules/wallet/providers").PayoutProvider) => {
    const { runPayouts } = await import("../src/modules/wallet/payouts");
    const { createLogger } = await import("../src/platform/observability/logger");
    return runPayouts(fixture.services.money, provider, createLogger("silent"));
  };
  const withdrawalOf = async (client: TestClient, id: string) =>
    (await client.json<{ withdrawal: { status: string; txHash: string | null } }>("GET", `/api/wallet/withdrawals/${id}`)).body
      .withdrawal;

  test("a payout the provider refuses fails, and the amount and fee return to available", async () => {
    const { PayoutRefused } = await import("../src/modules/wallet/providers");
    const { client } = await withBook("wd-refused", "100");
    const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string } };
    const { provider, sent } = await providerFor(withdrawal.id, async () => {
      throw new PayoutRefused("account closed");
    });
    await payOutWith(provider);
    expect(sent).toHaveLength(1);
    expect(await withdrawalOf(client, withdrawal.id)).toMatchObject({ status: "failed", txHash: null });
    expect(await usd(client)).toMatchObject({ available: "100", held: "0" });
    const history = await client.json<{ items: { reference: string; status: string }[] }>(
      "GET",
      "/api/transactions?type=withdrawal",
    );
    expect(history.body.items[0]).toMatchObject({ status: "failed" });
    const audit = await client.json<{ items: { action: string }[] }>("GET", "/api/audit");
    expect(audit.body.items[0].action).toBe("wallet.withdrawal_failed");
    // A failed withdrawal is not sent again.
    await payOutWith(provider);
    expect(sent).toHaveLength(1);
  });

  test("a payout whose outcome is unknown stays held, is sent again later under the same id, and is paid once", async () => {
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const { client } = await withBook("wd-unknown", "100");
    const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string } };
    const payout = { withdrawalId: withdrawal.id, asset: "USD", amount: "40", address: IBAN };
    // The first send goes out, but its answer is lost; the second is answered.
    const { provider, sent } = await providerFor(withdrawal.id, async (attempt) => {
      const paid = await sandboxPayoutProvider.send(payout);
      if (attempt === 1) throw new Error("provider timed out");
      return paid;
    });
    await payOutWith(provider);
    expect(sent).toHaveLength(1);
    expect(await withdrawalOf(client, withdrawal.id)).toMatchObject({ status: "processing", txHash: null });
    expect(await usd(client)).toMatchObject({ available: "58.5", held: "41.5" });
    // Not sent again at once: the next ticks leave it for a minute.
    await payOutWith(provider);
    expect(sent).toHaveLength(1);
    await fixture.deps.database.db.execute(
      sql`update withdrawals set payout_attempted_at = payout_attempted_at - interval '61 seconds' where id = ${withdrawal.id}`,
    );
    await payOutWith(provider);
    expect(sent).toEqual([withdrawal.id, withdrawal.id]);
    const done = await withdrawalOf(client, withdrawal.id);
    expect(done).toMatchObject({ status: "completed", txHash: (await sandboxPayoutProvider.send(payout)).txHash });
    expect(await usd(client)).toMatchObject({ available: "58.5", held: "0" });
  });

  test("two payout workers at once send each withdrawal once", async () => {
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const { client } = await withBook("wd-two-workers", "100");
    const ids: string[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "10", address: IBAN });
      ids.push(((await answer.json()) as { withdrawal: { id: string } }).withdrawal.id);
    }
    const sent: string[] = [];
    const slowProvider = {
      name: "slow",
      async send(payout: Parameters<typeof sandboxPayoutProvider.send>[0]) {
        sent.push(payout.withdrawalId);
        await Bun.sleep(20); // long enough for the other worker to reach the same row
        return sandboxPayoutProvider.send(payout);
      },
    };
    await Promise.all([payOutWith(slowProvider), payOutWith(slowProvider)]);
    expect(sent.filter((id) => ids.includes(id)).sort()).toEqual([...ids].sort());
    for (const id of ids) expect((await withdrawalOf(client, id)).status).toBe("completed");
    expect(await usd(client)).toMatchObject({ available: "31", held: "0" });
  });

  /** The withdrawal as the admin's list of approved ones waiting for payout shows it. */
  const waitingForPayout = async (admin: TestClient, id: string) =>
    (
      await admin.json<{ items: { id: string; status: string; userFrozen: boolean; payoutAttemptedAt: string | null }[] }>(
        "GET",
        "/api/admin/withdrawals?status=processing&limit=100",
      )
    ).body.items.find((w) => w.id === id);
  const reject = (admin: TestClient, id: string) =>
    admin.json<ErrorBody & { withdrawal: { status: string } }>("POST", `/api/admin/withdrawals/${id}/reject`);

  test("an approved withdrawal the worker has not sent can be rejected, as a frozen user's waiting for the unfreeze", async () => {
    const user = await withBook("wd-frozen-reject", "100");
    const answer = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string } };
    expect(withdrawal.status).toBe("processing");
    const admin = await adminUser(fixture, "wd-frozen-rejecter");
    // Decided once, an approval is not decided again: a freeze is what holds it back.
    const unfrozen = await reject(admin.client, withdrawal.id);
    expect([unfrozen.status, unfrozen.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(unfrozen.body.error.message).toContain("freeze its owner first");
    expect(await waitingForPayout(admin.client, withdrawal.id)).toMatchObject({ userFrozen: false });
    await admin.client.json("POST", `/api/admin/users/${user.userId}/freeze`);
    const { provider, sent } = await providerFor(withdrawal.id, async () => ({ txHash: "never" }));
    await payOutWith(provider);
    expect(sent).toHaveLength(0);
    expect(await waitingForPayout(admin.client, withdrawal.id)).toMatchObject({
      status: "processing",
      userFrozen: true,
      payoutAttemptedAt: null,
    });
    const rejected = await reject(admin.client, withdrawal.id);
    expect([rejected.status, rejected.body.withdrawal?.status]).toEqual([200, "rejected"]);
    expect(await usd(user.client)).toMatchObject({ available: "100", held: "0" });
    const history = await user.client.json<{ items: { reference: string; status: string }[] }>(
      "GET",
      "/api/transactions?type=withdrawal",
    );
    expect(history.body.items[0]).toMatchObject({ id: withdrawal.id, status: "rejected" });
    // Rejected is final: the unfreeze sends nothing.
    await admin.client.json("POST", `/api/admin/users/${user.userId}/unfreeze`);
    await payOutWith(provider);
    expect(sent).toHaveLength(0);
    const again = await reject(admin.client, withdrawal.id);
    expect([again.status, again.body.error.code]).toEqual([409, "INVALID_STATE"]);
  });

  test("a withdrawal whose payout was handed to the provider cannot be rejected, even before the provider answers", async () => {
    const { client, userId } = await withBook("wd-handed", "100");
    const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "40", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string } };
    const admin = await adminUser(fixture, "wd-handed-admin");
    const freeze = (frozen: boolean) => admin.client.json("POST", `/api/admin/users/${userId}/${frozen ? "freeze" : "unfreeze"}`);
    let answerProvider = () => {};
    const { provider, sent } = await providerFor(
      withdrawal.id,
      () => new Promise((resolve) => (answerProvider = () => resolve({ txHash: "0xhanded" }))),
    );
    const paying = payOutWith(provider);
    for (let i = 0; i < 200 && sent.length === 0; i++) await Bun.sleep(10);
    expect(sent).toHaveLength(1);
    // A freeze now does not call back what was sent; the refusal comes at once: nothing waits on the payout.
    await freeze(true);
    const refused = await Promise.race([reject(admin.client, withdrawal.id), Bun.sleep(2_000).then(() => undefined)]);
    expect([refused?.status, refused?.body.error.code]).toEqual([409, "INVALID_STATE"]);
    expect(refused?.body.error.message).toContain("sent to the payout provider");
    answerProvider();
    await paying;
    expect(await withdrawalOf(client, withdrawal.id)).toMatchObject({ status: "completed", txHash: "0xhanded" });
    expect(await usd(client)).toMatchObject({ available: "58.5", held: "0" });

    // An attempt whose outcome was never learned may have paid: it is not rejected either.
    await freeze(false);
    const unknown = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "10", address: IBAN });
    const second = ((await unknown.json()) as { withdrawal: { id: string } }).withdrawal;
    const lost = await providerFor(second.id, async () => {
      throw new Error("provider timed out");
    });
    await payOutWith(lost.provider);
    expect(lost.sent).toHaveLength(1);
    await freeze(true);
    // The admin's list says it was sent, and when.
    const listed = await waitingForPayout(admin.client, second.id);
    expect(Date.parse(listed?.payoutAttemptedAt ?? "")).toBeGreaterThan(Date.now() - 60_000);
    const stillHeld = await reject(admin.client, second.id);
    expect([stillHeld.status, stillHeld.body.error.message]).toEqual([
      409,
      expect.stringContaining("sent to the payout provider"),
    ]);
    expect(await withdrawalOf(client, second.id)).toMatchObject({ status: "processing" });
    expect(await usd(client)).toMatchObject({ available: "47", held: "11.5" });
  });

  test("an admin's freeze and reject racing the payout worker: either the payout is never sent, or the reject is refused", async () => {
    const { client, userId } = await withBook("wd-reject-race", "100");
    const admin = await adminUser(fixture, "wd-race-admin");
    const outcomes = new Set<string>();
    for (let round = 0; round < 8; round++) {
      const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "2", address: IBAN });
      const { withdrawal } = (await answer.json()) as { withdrawal: { id: string } };
      const { provider, sent } = await providerFor(withdrawal.id, async () => ({ txHash: `0xrace${round}` }));
      // The admin freezes the owner, to hold the payout back, and rejects it, while the worker runs.
      const stop = async () => {
        await admin.client.json("POST", `/api/admin/users/${userId}/freeze`);
        return reject(admin.client, withdrawal.id);
      };
      const [, rejected] = await Promise.all([payOutWith(provider), stop()]);
      await admin.client.json("POST", `/api/admin/users/${userId}/unfreeze`);
      const { status } = await withdrawalOf(client, withdrawal.id);
      if (rejected.status === 200) {
        expect([status, sent.length]).toEqual(["rejected", 0]);
      } else {
        expect([rejected.status, rejected.body.error.code, status, sent.length]).toEqual([409, "INVALID_STATE", "completed", 1]);
      }
      outcomes.add(status);
    }
    // Each round ends in one of the two; the balance says no money was lost or made.
    expect([...outcomes].every((s) => s === "rejected" || s === "completed")).toBe(true);
    const { available, held } = await usd(client);
    expect(held).toBe("0");
    const { items } = (await client.json<{ items: { status: string }[] }>("GET", "/api/wallet/withdrawals")).body;
    const completed = items.filter((w) => w.status === "completed").length;
    // 100 less 3.50 (2 + 1.50 fee) per completed payout.
    expect(available).toBe(String(100 - 3.5 * completed));
  });

  test("a payout that cannot be settled is rolled back (still held) without stopping the others, and the tick fails", async () => {
    const { client } = await withBook("wd-unsettled", "100");
    const ids: string[] = [];
    for (let i = 0; i < 2; i++) {
      const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "10", address: IBAN });
      ids.push(((await answer.json()) as { withdrawal: { id: string } }).withdrawal.id);
    }
    // A transaction id Postgres cannot store (a NUL byte) makes the first payout's settlement fail.
    const { provider } = await providerFor(ids[0], async () => ({ txHash: "bad\u0000hash" }));
    await expect(payOutWith(provider)).rejects.toThrow("1 of");
    expect(await withdrawalOf(client, ids[0])).toMatchObject({ status: "processing", txHash: null });
    expect(await withdrawalOf(client, ids[1])).toMatchObject({ status: "completed" });
    expect(await usd(client)).toMatchObject({ available: "77", held: "11.5" }); // each 10 + 1.50 fee
  });

  test("the sandbox pays each withdrawal id once: asked again, it answers the same transaction id", async () => {
    const { sandboxPayoutProvider } = await import("../src/modules/wallet/providers");
    const [first, second] = [crypto.randomUUID(), crypto.randomUUID()];
    for (const asset of ["USD", "BTC", "ETH", "SOL", "USDT"]) {
      const send = (withdrawalId: string) => sandboxPayoutProvider.send({ withdrawalId, asset, amount: "1", address: "x" });
      expect((await send(first)).txHash).toBe((await send(first)).txHash);
      expect((await send(first)).txHash).not.toBe((await send(second)).txHash);
    }
  });

  test("an admin's own withdrawal under review is decided by another admin", async () => {
    const own = await withBook("wd-own-admin", "1000");
    const { promoteToAdmin } = await import("../src/modules/identity/standing");
    await promoteToAdmin(fixture.deps.database.db, own.email);
    const answer = await withKey(own.client, "/api/wallet/withdraw", { asset: "USD", amount: "600", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string } };
    expect(withdrawal.status).toBe("pending_review");
    const self = await own.client.json<ErrorBody>("POST", `/api/admin/withdrawals/${withdrawal.id}/approve`);
    expect([self.status, self.body.error.code]).toEqual([403, "FORBIDDEN"]);
    const other = await adminUser(fixture, "wd-other-admin");
    const approved = await other.client.json<{ withdrawal: { status: string } }>(
      "POST",
      `/api/admin/withdrawals/${withdrawal.id}/approve`,
    );
    expect(approved.body.withdrawal.status).toBe("processing");
  });

  test("large withdrawal waits for review; cancel returns the funds; cancel twice is 409", async () => {
    const { client } = await withBook("wd-review", "1000");
    const answer = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "600", address: IBAN });
    const { withdrawal } = (await answer.json()) as { withdrawal: { id: string; status: string } };
    expect(withdrawal.status).toBe("pending_review");
    const cancelled = await client.json<{ withdrawal: { status: string } }>(
      "POST",
      `/api/wallet/withdrawals/${withdrawal.id}/cancel`,
    );
    expect(cancelled.body.withdrawal.status).toBe("cancelled");
    expect(await usd(client)).toMatchObject({ available: "1000", held: "0" });
    expect((await client.json<ErrorBody>("POST", `/api/wallet/withdrawals/${withdrawal.id}/cancel`)).body.error.code).toBe(
      "INVALID_STATE",
    );
  });

  test("a withdrawal of exactly the review threshold goes out at once; one a cent above it waits for review", async () => {
    const { client } = await withBook("wd-threshold", "1100");
    const at = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "500", address: IBAN });
    expect(((await at.json()) as { withdrawal: { status: string } }).withdrawal.status).toBe("processing");
    const above = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "500.01", address: IBAN });
    expect(((await above.json()) as { withdrawal: { status: string } }).withdrawal.status).toBe("pending_review");
  });

  test("a withdrawal waiting for review counts toward the daily limit until it is cancelled", async () => {
    const { client } = await withBook("wd-held-limit", "3000");
    const limitUsed = async () =>
      (await client.json<{ items: { kind: string; usedUsd: string }[] }>("GET", "/api/transfers/limits")).body.items.find(
        (item) => item.kind === "withdrawal",
      )?.usedUsd;
    const held = await withdrawUsd(client, "1500");
    expect(await limitUsed()).toBe("1500");
    const over = await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "600", address: IBAN });
    expect(((await over.json()) as ErrorBody).error).toMatchObject({
      code: "LIMIT_EXCEEDED",
      details: { limit: "2000", used: "1500", remaining: "500" },
    });
    expect((await client.request("POST", `/api/wallet/withdrawals/${held.id}/cancel`)).status).toBe(200);
    expect(await limitUsed()).toBe("0");
    expect((await withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "600", address: IBAN })).status).toBe(202);
  });

  test("a rejection may say why: its owner sees it (withdrawal, history, mail), the admin too; the audit rows keep it", async () => {
    const { client, email, userId } = await withBook("wd-why", "2000");
    const admin = await adminUser(fixture, "wd-why-admin");
    const request = () => withdrawUsd(client, "600");
    const [explained, unexplained] = [await request(), await request()];
    type Answer = ErrorBody & { withdrawal: { status: string; rejectionReason?: string } };
    const reject = (id: string, body?: unknown) => admin.client.json<Answer>("POST", `/api/admin/withdrawals/${id}/reject`, body);
    const own = async (id: string) => (await client.json<Answer>("GET", `/api/wallet/withdrawals/${id}`)).body.withdrawal;
    await expectBadRejectsRefused(reject, explained.id, "approve");
    expect(await own(explained.id)).toMatchObject({ status: "pending_review" });
    expect(await own(explained.id)).not.toHaveProperty("rejectionReason");

    // Up to 500 characters (the 501st refused above); the mail escapes it in HTML.
    const reason = `The address <${"x".repeat(460)}> & its bank did not match.`;
    expect(reason.length).toBe(500);
    const rejected = await reject(explained.id, { reason });
    expect(rejected.body.withdrawal).toMatchObject({ status: "rejected", rejectionReason: reason });
    expect(await own(explained.id)).toMatchObject({ status: "rejected", rejectionReason: reason });
    const mail = await lastMailTo(fixture, email);
    expect(mail.subject).toBe("Withdrawal rejected");
    expect(mail.textBody).toContain(`The reviewer's reason: ${reason}\n`);
    expect(mail.htmlBody).toContain("The reviewer&#39;s reason: The address &lt;xxx");

    const unexplainedAnswer = (await reject(unexplained.id)).body.withdrawal;
    expect([unexplainedAnswer.status, "rejectionReason" in unexplainedAnswer]).toEqual(["rejected", false]);
    const unexplainedMail = await lastMailTo(fixture, email);
    expect([unexplainedMail.subject, unexplainedMail.textBody.includes("reason")]).toEqual(["Withdrawal rejected", false]);

    const mine = await client.json<{ items: { id: string; rejectionReason?: string }[] }>("GET", "/api/wallet/withdrawals");
    const history = await client.json<{ items: { id: string; rejectionReason?: string }[] }>("GET", "/api/transactions");
    const admins = await admin.client.json<{ items: { id: string; rejectionReason?: string }[] }>(
      "GET",
      "/api/admin/withdrawals?status=rejected&limit=100",
    );
    for (const list of [mine.body.items, history.body.items, admins.body.items]) {
      expect([
        list.find((w) => w.id === explained.id)?.rejectionReason,
        list.find((w) => w.id === unexplained.id)?.rejectionReason,
      ]).toEqual([reason, undefined]);
    }
    expect(await auditedReasons("admin.withdrawal_rejected", "withdrawalId", explained.id)).toEqual({
      [admin.userId]: reason,
      [userId]: reason,
    });
    expect(await auditedReasons("admin.withdrawal_rejected", "withdrawalId", unexplained.id)).toEqual({
      [admin.userId]: null,
      [userId]: null,
    });
    expect(await usd(client)).toMatchObject({ available: "2000", held: "0" });
  });

  test("admin approves and rejects; another user's withdrawal is 404", async () => {
    const { client, email, userId } = await withBook("wd-admin", "2000");
    const admin = await adminUser(fixture, "wd-approver");
    const request = () => withdrawUsd(client, "700");
    const first = await request();
    expect((await admin.client.json("GET", `/api/wallet/withdrawals/${first.id}`)).status).toBe(404);
    const approved = await admin.client.json<{ withdrawal: { status: string } }>(
      "POST",
      `/api/admin/withdrawals/${first.id}/approve`,
    );
    expect(approved.body.withdrawal.status).toBe("processing");
    const second = await request();
    const rejected = await admin.client.json<{ withdrawal: { status: string } }>(
      "POST",
      `/api/admin/withdrawals/${second.id}/reject`,
    );
    expect(rejected.body.withdrawal.status).toBe("rejected");
    expect(await usd(client)).toMatchObject({ available: "1298.5", held: "701.5" });
    const queue = await admin.client.json<{ items: { id: string; userId: string; userEmail: string }[] }>(
      "GET",
      "/api/admin/withdrawals?status=processing",
    );
    // The admin sees who asked.
    expect(queue.body.items.find((w) => w.id === first.id)).toMatchObject({ userId, userEmail: email });
    const bogus = await admin.client.json<ErrorBody>("GET", "/api/admin/withdrawals?status=bogus");
    expect({ status: bogus.status, error: bogus.body.error }).toMatchObject({
      status: 422,
      error: { code: "VALIDATION_FAILED", details: { fields: ["status"] } },
    });
  });

  test("2FA code required when 2FA is on; locked after a password change", async () => {
    const user = await withBook("wd-2fa", "100");
    const setup = await user.client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    await user.client.json("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) });
    for (const code of [undefined, "", null]) {
      const noCode = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "2", address: IBAN, code });
      expect(((await noCode.json()) as ErrorBody).error.code).toBe("TOTP_REQUIRED");
    }
    // The code comes before the withdrawal's own rules: an address not in the book, or too much, asks for it all the same.
    for (const body of [
      { asset: "USD", amount: "2", address: "DE89370400440532013000" },
      { asset: "USD", amount: "1000", address: IBAN },
    ]) {
      const noCode = await withKey(user.client, "/api/wallet/withdraw", body);
      expect([noCode.status, ((await noCode.json()) as ErrorBody).error.code]).toEqual([401, "TOTP_REQUIRED"]);
    }
    // An amount that is no withdrawal (no more than its fee of 1.50) is refused as a malformed one is, before the code.
    for (const amount of ["1", "1.001"]) {
      const tooSmall = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount, address: IBAN });
      expect([tooSmall.status, ((await tooSmall.json()) as ErrorBody).error.code]).toEqual([422, "VALIDATION_FAILED"]);
    }
    // A withdrawal its rules refuse leaves the code unspent: the corrected one goes through with the same code.
    const code = await totpNow(setup.body.secret, 1);
    const tooMuch = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "1000", address: IBAN, code });
    expect([tooMuch.status, ((await tooMuch.json()) as ErrorBody).error.code]).toEqual([422, "INSUFFICIENT_FUNDS"]);
    const ok = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "2", address: IBAN, code });
    expect(ok.status).toBe(202);
    const reused = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "2", address: IBAN, code });
    expect([reused.status, ((await reused.json()) as ErrorBody).error.code]).toEqual([401, "INVALID_TOTP"]);
    const before = await user.client.json<{ user: { withdrawalsLockedUntil: string | null } }>("GET", "/api/auth/me");
    expect(before.body.user.withdrawalsLockedUntil).toBeNull();
    await user.client.json("POST", "/api/auth/password/change", {
      currentPassword: PASSWORD,
      newPassword: "another fine passphrase",
    });
    // The user can see the pause (and until when) before trying to withdraw.
    const after = await user.client.json<{ user: { withdrawalsLockedUntil: string | null } }>("GET", "/api/auth/me");
    expect(Date.parse(after.body.user.withdrawalsLockedUntil ?? "") - Date.now()).toBeGreaterThan(23 * 3_600_000);
    const locked = await withKey(user.client, "/api/wallet/withdraw", {
      asset: "USD",
      amount: "1",
      address: IBAN,
      code: "123456",
    });
    expect(locked.status).toBe(403);
    expect(((await locked.json()) as ErrorBody).error.code).toBe("WITHDRAWALS_LOCKED");
    const lockedBadAmount = await withKey(user.client, "/api/wallet/withdraw", { asset: "USD", amount: "-1", address: IBAN });
    expect(((await lockedBadAmount.json()) as ErrorBody).error.code).toBe("VALIDATION_FAILED");
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "a withdrawal asked for as a security change commits is refused (403 WITHDRAWALS_LOCKED) and holds nothing",
    async () => {
      const { client, userId } = await withBook("wd-locking", "100");
      const db = fixture.deps.database.db;
      // The request's first look saw no lock; the change's write is in, not yet committed, as the withdrawal runs.
      const answer = await runAgainstUncommitted(
        db,
        sql`update users set withdrawals_locked_until = now() + interval '1 day' where id = ${userId}`,
        () => withKey(client, "/api/wallet/withdraw", { asset: "USD", amount: "10", address: IBAN }),
      );
      expect([answer.status, ((await answer.json()) as ErrorBody).error.code]).toEqual([403, "WITHDRAWALS_LOCKED"]);
      expect(await usd(client)).toMatchObject({ available: "100", held: "0" });
    },
  );

  test("with 2FA on a P2P send takes a code too; a retry after a lost answer, with a fresh code, is the same send", async () => {
    const user = await fundedUser(fixture, "p2p-2fa", "100");
    const friend = await signedInUser(fixture, "p2p-2fa-friend");
    const setup = await user.client.json<{ secret: string }>("POST", "/api/auth/2fa/setup");
    await user.client.json("POST", "/api/auth/2fa/enable", { code: await totpNow(setup.body.secret) });
    const send = (code: string | null | undefined, key: string) =>
      withKey(user.client, "/api/transfers/p2p", { recipientEmail: friend.email, asset: "USD", amount: "5", code }, key);
    const key = crypto.randomUUID();
    for (const code of [undefined, "", null]) {
      const noCode = await send(code, key);
      expect([noCode.status, ((await noCode.json()) as ErrorBody).error.code]).toEqual([401, "TOTP_REQUIRED"]);
    }
    const wrong = await send("000000", key);
    expect([wrong.status, ((await wrong.json()) as ErrorBody).error.code]).toEqual([401, "INVALID_TOTP"]);
    // A send its rules refuse leaves the code unspent: the corrected one goes through with the same code.
    const code = await totpNow(setup.body.secret, 1);
    for (const [body, refusal] of [
      [{ recipientEmail: "nobody@example.com", asset: "USD", amount: "5", code }, "RECIPIENT_NOT_FOUND"],
      [{ recipientEmail: friend.email, asset: "USD", amount: "500", code }, "INSUFFICIENT_FUNDS"],
    ] as const) {
      const refused = await withKey(user.client, "/api/transfers/p2p", body);
      expect([refused.status, ((await refused.json()) as ErrorBody).error.code]).toEqual([422, refusal]);
    }
    const sent = await send(code, key);
    expect(sent.status).toBe(201);
    // The answer was lost: the app retries with the same key and the code it shows now (the first is used up).
    const retried = await send(await totpNow(setup.body.secret, 2), key);
    expect([retried.status, retried.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    expect(await retried.json()).toEqual(await sent.json());
    expect((await usd(friend.client)).available).toBe("5");
    // A code is good once.
    const again = await send(await totpNow(setup.body.secret, 1), crypto.randomUUID());
    expect(((await again.json()) as ErrorBody).error.code).toBe("INVALID_TOTP");
  });

  test("during the pause after a security change P2P sends are refused too (before a replay); receiving goes on", async () => {
    const user = await fundedUser(fixture, "p2p-paused", "100");
    const friend = await fundedUser(fixture, "p2p-paused-friend", "100");
    const send = (key = crypto.randomUUID()) =>
      withKey(user.client, "/api/transfers/p2p", { recipientEmail: friend.email, asset: "USD", amount: "1" }, key);
    const usedKey = crypto.randomUUID();
    expect((await send(usedKey)).status).toBe(201);
    await user.client.json("POST", "/api/auth/password/change", {
      currentPassword: PASSWORD,
      newPassword: "another fine passphrase",
    });
    for (const key of [crypto.randomUUID(), usedKey]) {
      const locked = await send(key);
      expect(locked.status).toBe(403);
      const body = (await locked.json()) as ErrorBody & { error: { details: { until: string } } };
      expect(body.error.code).toBe("WITHDRAWALS_LOCKED");
      expect(Date.parse(body.error.details.until) - Date.now()).toBeGreaterThan(23 * 3_600_000);
    }
    // A malformed request still hears of its mistake first (API.md's order of checks).
    const malformed = await withKey(user.client, "/api/transfers/p2p", {
      recipientEmail: friend.email,
      asset: "USD",
      amount: "1.001",
    });
    expect(((await malformed.json()) as ErrorBody).error.code).toBe("VALIDATION_FAILED");
    const received = await withKey(friend.client, "/api/transfers/p2p", {
      recipientEmail: user.email,
      asset: "USD",
      amount: "5",
    });
    expect(received.status).toBe(201);
    expect(await usd(user.client)).toMatchObject({ available: "104" });
    // Once the pause is over, sending works again.
    await fixture.deps.database.db.execute(
      sql`update users set withdrawals_locked_until = now() - interval '1 second' where id = ${user.userId}`,
    );
    expect((await send()).status).toBe(201);
  });
});

describe("idempotency keys after their day", () => {
  test("a key whose stored answer was cleaned up moves no money again: P2P, withdrawal and order get 422 IDEMPOTENCY_KEY_REUSED", async () => {
    const alice = await fundedUser(fixture, "spent", "200");
    const bob = await signedInUser(fixture, "spent-b");
    await alice.client.post("/api/wallet/addresses", { asset: "USD", address: IBAN, label: "bank" });
    setPrices([fixture], { BTC: "65000" });
    const requests = [
      { path: "/api/transfers/p2p", body: { recipientEmail: bob.email, asset: "USD", amount: "5" } },
      { path: "/api/wallet/withdraw", body: { asset: "USD", amount: "10", address: IBAN } },
      { path: "/api/trading/orders", body: { type: "market", side: "buy", asset: "BTC", amount: "0.0001" } },
    ].map((request) => ({ ...request, key: crypto.randomUUID() }));
    for (const { path, body, key } of requests) expect((await withKey(alice.client, path, body, key)).status).toBeLessThan(300);
    // Amounts only: the fixture's simulated feed may move BTC's price (and so valueUsd) at any moment.
    const balances = async () =>
      (await alice.client.json<Balances>("GET", "/api/wallet/balance")).body.balances.map(({ asset, available, held }) => ({
        asset,
        available,
        held,
      }));
    const before = await balances();

    // A day and more later the cleanup worker removes the keys with their answers.
    const db = fixture.deps.database.db;
    await db.execute(sql`update idempotency_keys set created_at = now() - interval '26 hours' where user_id = ${alice.userId}`);
    const { deleteExpiredKeys } = await import("../src/platform/idempotency");
    expect(await deleteExpiredKeys(db)).toBeGreaterThanOrEqual(requests.length);

    for (const { path, body, key } of requests) {
      for (const sent of [body, { ...body, amount: "1" }]) {
        const again = await withKey(alice.client, path, sent, key);
        expect(again.status).toBe(422);
        expect(((await again.json()) as ErrorBody).error.code).toBe("IDEMPOTENCY_KEY_REUSED");
      }
    }
    expect(await balances()).toEqual(before);
    // Refused, the key keeps no answer: it stays refused, and a new key moves money as ever.
    const [transfer] = requests;
    expect((await withKey(alice.client, transfer.path, transfer.body, transfer.key)).status).toBe(422);
    expect((await withKey(alice.client, transfer.path, transfer.body)).status).toBe(201);
  });

  test("a key a day old is kept: its first answer is still replayed (API.md: at least 24 hours)", async () => {
    const alice = await fundedUser(fixture, "day-old-key", "20");
    const bob = await signedInUser(fixture, "day-old-key-b");
    const key = crypto.randomUUID();
    const body = { recipientEmail: bob.email, asset: "USD", amount: "5" };
    const first = await withKey(alice.client, "/api/transfers/p2p", body, key);
    expect(first.status).toBe(201);
    const db = fixture.deps.database.db;
    await db.execute(
      sql`update idempotency_keys set created_at = now() - interval '24 hours 1 minute' where user_id = ${alice.userId}`,
    );
    const { deleteExpiredKeys } = await import("../src/platform/idempotency");
    await deleteExpiredKeys(db);
    const again = await withKey(alice.client, "/api/transfers/p2p", body, key);
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    expect(await again.text()).toBe(await first.text());
    expect((await usd(alice.client)).available).toBe("15");
  });

  test("the ledger itself refuses a second posting under a key, whoever calls it", async () => {
    const alice = await fundedUser(fixture, "spent-ledger", "20");
    const { ledger } = fixture.services.money;
    const key = `${alice.userId}:${crypto.randomUUID()}`;
    const posting = {
      kind: "test",
      idempotencyKey: key,
      legs: [
        {
          from: { ownerId: alice.userId, asset: "USD", kind: "available" as const },
          to: { ownerId: alice.userId, asset: "USD", kind: "held" as const },
          amount: 100n,
        },
      ],
    };
    const db = fixture.deps.database.db;
    await ledger.openAccounts(db, [posting.legs[0].to]);
    await db.transaction((tx) => ledger.post(tx, posting));
    const second = db.transaction((tx) => ledger.post(tx, posting));
    await expect(second).rejects.toMatchObject({ status: 422, code: "IDEMPOTENCY_KEY_REUSED" });
    expect(await usd(alice.client)).toMatchObject({ available: "19", held: "1" });
  });
});

describe("history and export", () => {
  test("filters, cursor pagination, 404 for another user's row", async () => {
    const alice = await fundedUser(fixture, "hist", "100");
    const bob = await signedInUser(fixture, "hist-b");
    for (let i = 1; i <= 3; i++) {
      const sent = await withKey(alice.client, "/api/transfers/p2p", { recipientEmail: bob.email, asset: "USD", amount: `${i}` });
      expect(await sent.text()).toContain("completed");
    }
    const page1 = await alice.client.json<{ items: { id: string; amount: string }[]; nextCursor: string }>(
      "GET",
      "/api/transactions?limit=2",
    );
    expect(page1.body.items.map((t) => t.amount)).toEqual(["3", "2"]);
    const page2 = await alice.client.json<{ items: { amount: string }[]; nextCursor: string | null }>(
      "GET",
      `/api/transactions?limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items.map((t) => t.amount)).toEqual(["1", "100"]);
    expect(page2.body.nextCursor).toBeNull();
    expect((await alice.client.json("GET", "/api/transactions?cursor=garbage")).status).toBe(422);
    expect((await alice.client.json("GET", "/api/transactions?limit=0")).status).toBe(422);
    // API.md's own template, with every filter left empty, is the unfiltered first page.
    const template = await alice.client.json<{ items: unknown[] }>(
      "GET",
      "/api/transactions?type=&asset=&status=&from=&to=&limit=&cursor=",
    );
    expect([template.status, template.body.items.length]).toEqual([200, 4]);
    // By asset: a BTC deposit beside the USD rows, each listed under its own asset only.
    await deposit(alice.client, "BTC", "0.5");
    const assets = async (asset: string) =>
      (await alice.client.json<{ items: { asset: string }[] }>("GET", `/api/transactions?asset=${asset}`)).body.items.map(
        (t) => t.asset,
      );
    expect(await assets("BTC")).toEqual(["BTC"]);
    expect(await assets("USD")).toEqual(["USD", "USD", "USD", "USD"]);
    expect((await bob.client.json("GET", `/api/transactions/${page1.body.items[0].id}`)).status).toBe(404);
    expect((await alice.client.json("GET", `/api/transactions/${page1.body.items[0].id}`)).status).toBe(200);
  });

  test("every list is cursor-paginated: deposits, withdrawals, admin queues and flags", async () => {
    const { client } = await signedInUser(fixture, "pages");
    for (const amount of ["1", "2", "3"]) await withKey(client, "/api/wallet/deposit/create", { asset: "USD", amount });
    const first = await client.json<{ items: { amount: string }[]; nextCursor: string | null }>(
      "GET",
      "/api/wallet/deposits?limit=2",
    );
    expect(first.body.items.map((o) => o.amount)).toEqual(["3", "2"]);
    const second = await client.json<{ items: { amount: string }[]; nextCursor: string | null }>(
      "GET",
      `/api/wallet/deposits?limit=2&cursor=${first.body.nextCursor}`,
    );
    expect(second.body.items.map((o) => o.amount)).toEqual(["1"]);
    expect(second.body.nextCursor).toBeNull();
    expect((await client.json("GET", "/api/wallet/deposits?cursor=nonsense")).status).toBe(422);
    expect((await client.json("GET", "/api/wallet/withdrawals?limit=101")).status).toBe(422);
    const none = await client.json<{ items: unknown[]; nextCursor: string | null }>("GET", "/api/wallet/withdrawals");
    expect(none.body).toEqual({ items: [], nextCursor: null });
    const admin = await adminUser(fixture, "pages-admin");
    for (const path of ["/api/admin/withdrawals?limit=1", "/api/admin/transfers?limit=1", "/api/admin/aml/flags?limit=1"]) {
      const page = await admin.client.json<{ items: unknown[]; nextCursor: string | null }>("GET", path);
      expect({ path, status: page.status, keys: Object.keys(page.body).sort() }).toEqual({
        path,
        status: 200,
        keys: ["items", "nextCursor"],
      });
    }
    // The admin queue honours ?limit= and ?cursor= (the suite has made several withdrawals by now).
    type Page = { items: { id: string }[]; nextCursor: string | null };
    const one = await admin.client.json<Page>("GET", "/api/admin/withdrawals?limit=1");
    expect(one.body.items).toHaveLength(1);
    expect(one.body.nextCursor).toBeString();
    const next = await admin.client.json<Page>("GET", `/api/admin/withdrawals?limit=1&cursor=${one.body.nextCursor}`);
    expect(next.body.items).toHaveLength(1);
    expect(next.body.items[0].id).not.toBe(one.body.items[0].id);
  });

  test("a `to` without a time takes in that whole day, in the list and the export alike", async () => {
    const { client } = await fundedUser(fixture, "whole-day", "10");
    const listed = async (query: string) =>
      (await client.json<{ items: { createdAt: string }[] }>("GET", `/api/transactions?${query}`)).body.items;
    const [deposit] = await listed("");
    const day = deposit.createdAt.slice(0, 10);
    const dayBefore = new Date(Date.parse(day) - 86_400_000).toISOString().slice(0, 10);
    expect((await listed(`from=${day}&to=${day}`)).length).toBe(1);
    expect((await listed(`to=${dayBefore}`)).length).toBe(0);
    // With a time, `to` is the instant it names, inclusive.
    expect((await listed(`to=${deposit.createdAt}`)).length).toBe(1);
    expect((await listed(`to=${new Date(Date.parse(deposit.createdAt) - 1).toISOString()}`)).length).toBe(0);
    const exported = await client.request("POST", "/api/transactions/export", { body: { format: "json", to: day } });
    expect(((await exported.json()) as unknown[]).length).toBe(1);
    // A day of any year a date can have, not only 1900 to 2099; the last one's end is past what Postgres reads.
    expect((await listed("from=1800-01-01&to=2100-01-01")).length).toBe(1);
    expect((await listed("to=9999-12-31")).length).toBe(1);
    const lastDay = await client.request("POST", "/api/transactions/export", { body: { format: "json", to: "9999-12-31" } });
    expect(((await lastDay.json()) as unknown[]).length).toBe(1);
  });

  test("a `from` leaves out what came before it, inclusive of its own instant, in the list and the export alike", async () => {
    const { client } = await fundedUser(fixture, "from-bound", "10");
    const listed = async (query: string) =>
      (await client.json<{ items: { createdAt: string }[] }>("GET", `/api/transactions?${query}`)).body.items;
    const [deposit] = await listed("");
    const dayAfter = new Date(Date.parse(deposit.createdAt.slice(0, 10)) + 86_400_000).toISOString().slice(0, 10);
    expect((await listed(`from=${dayAfter}`)).length).toBe(0);
    expect((await listed(`from=${deposit.createdAt}`)).length).toBe(1);
    expect((await listed(`from=${new Date(Date.parse(deposit.createdAt) + 1).toISOString()}`)).length).toBe(0);
    const exported = await client.request("POST", "/api/transactions/export", { body: { format: "json", from: dayAfter } });
    expect(await exported.json()).toEqual([]);
  });

  test("an export holds the whole history, past the first page the database is read in", async () => {
    const { client, userId } = await fundedUser(fixture, "long-history", "10");
    // 600 more rows than the funding deposit: over the export's page of 500.
    await fixture.deps.database.db.execute(
      sql`insert into transactions (user_id, type, asset, amount, fee, status, direction, created_at)
          select ${userId}, 'deposit', 'USD', 100, 0, 'completed', 'in', now() - make_interval(secs => n)
          from generate_series(1, 600) n`,
    );
    const exported = await client.request("POST", "/api/transactions/export", { body: { format: "json" } });
    const rows = (await exported.json()) as { id: string }[];
    expect(rows.length).toBe(601);
    expect(new Set(rows.map((row) => row.id)).size).toBe(601);
  });

  test("an unknown status or asset filter is 422 naming it, in the list and the export alike", async () => {
    const { client } = await fundedUser(fixture, "filters", "10");
    const fieldsOf = async (response: Response) => ({
      status: response.status,
      error: ((await response.json()) as ErrorBody).error,
    });
    for (const [query, field] of [
      ["status=bogus", "status"],
      ["asset=DOGE", "asset"],
      ["type=bogus", "type"],
    ]) {
      expect({ query, ...(await fieldsOf(await client.request("GET", `/api/transactions?${query}`))) }).toMatchObject({
        query,
        status: 422,
        error: { code: "VALIDATION_FAILED", details: { fields: [field] } },
      });
    }
    for (const [filter, field] of [
      [{ status: "bogus" }, "status"],
      [{ asset: "DOGE" }, "asset"],
    ] as const) {
      const response = await client.request("POST", "/api/transactions/export", { body: { format: "csv", ...filter } });
      expect({ filter, ...(await fieldsOf(response)) }).toMatchObject({
        filter,
        status: 422,
        error: { code: "VALIDATION_FAILED", details: { fields: [field] } },
      });
    }
    // The real values still filter: the funding deposit is a completed USD row, nothing is pending.
    type Page = { items: { type: string }[] };
    expect(
      (await client.json<Page>("GET", "/api/transactions?status=completed&asset=USD")).body.items.map((t) => t.type),
    ).toEqual(["deposit"]);
    expect((await client.json<Page>("GET", "/api/transactions?status=pending_review")).body.items).toEqual([]);
    const exported = await client.request("POST", "/api/transactions/export", {
      body: { format: "json", status: "completed", asset: "USD" },
    });
    expect(((await exported.json()) as { type: string }[]).map((t) => t.type)).toEqual(["deposit"]);
  });

  test("CSV export: attachment, column order, formula guard", async () => {
    const alice = await fundedUser(fixture, "csv", "10");
    const bob = await signedInUser(fixture, "csv-b");
    await withKey(alice.client, "/api/transfers/p2p", {
      recipientEmail: bob.email,
      asset: "USD",
      amount: "1",
      note: '=HYPERLINK("x")',
    });
    const response = await alice.client.request("POST", "/api/transactions/export", { body: { format: "csv" } });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-disposition")).toMatch(
      /^attachment; filename="cryptovault-history-\d{4}-\d{2}-\d{2}\.csv"$/,
    );
    const text = await response.text();
    const [header, first] = text.split("\r\n");
    expect(header).toBe("id,createdAt,type,direction,asset,amount,fee,status,counterparty,reference,note");
    expect(first).toContain("'=HYPERLINK");
    // A note is kept as written, so one that starts with a tab is guarded in the file, not silently trimmed.
    await withKey(alice.client, "/api/transfers/p2p", { recipientEmail: bob.email, asset: "USD", amount: "1", note: "\t=1+2" });
    const again = await (await alice.client.request("POST", "/api/transactions/export", { body: { format: "csv" } })).text();
    expect(again.split("\r\n")[1]).toEndWith(",'\t=1+2");
    const json = await alice.client.request("POST", "/api/transactions/export", { body: { format: "json", type: "deposit" } });
    const rows = (await json.json()) as { type: string }[];
    expect(rows.map((r) => r.type)).toEqual(["deposit"]);
  });

  test("two exports of one user run at once, a third waits its turn (429 with Retry-After); ending one frees a slot", async () => {
    const user = await fundedUser(fixture, "export-slots", "10");
    const exportCsv = (client = user.client) => client.request("POST", "/api/transactions/export", { body: { format: "csv" } });
    // Started and not yet read: both are still running.
    const [first, second] = [await exportCsv(), await exportCsv()];
    expect([first.status, second.status]).toEqual([200, 200]);
    const third = await exportCsv();
    expect([third.status, third.headers.get("retry-after")]).toEqual([429, "10"]);
    expect(((await third.json()) as ErrorBody).error.code).toBe("RATE_LIMITED");
    // Another user is not held up by them.
    expect((await exportCsv((await signedInUser(fixture, "export-other")).client)).status).toBe(200);
    await first.text(); // read to the end
    const fourth = await exportCsv();
    expect(fourth.status).toBe(200);
    await second.body?.cancel(); // the client went away
    const fifth = await exportCsv();
    expect(fifth.status).toBe(200);
    await Promise.all([fourth.text(), fifth.text()]);
    expect((await exportCsv()).status).toBe(200);
  });
});
