/** Trading through the API: quotes, market orders, limit and stop orders, cancels, races and the portfolio. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, setSystemTime, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { auditLog } from "../src/modules/audit/schema";
import { verifyLedger } from "../src/modules/ledger/verify";
import { tradeOrders, tradeQuotes } from "../src/modules/trading/schema";
import { deleteOldQuotes } from "../src/modules/trading/service";
import { runOrderTriggers } from "../src/modules/trading/triggers";
import { runPayouts } from "../src/modules/wallet/payouts";
import { sandboxPayoutProvider } from "../src/modules/wallet/providers";
import { withdrawalAddresses } from "../src/modules/wallet/schema";
import { outboxEvents } from "../src/platform/events/schema";
import { formatAmount } from "../src/platform/money";
import { createLogger } from "../src/platform/observability/logger";
import { adminUser, deposit, fundedUser, PASSWORD, signedInUser, TestClient, tally, uniqueEmail } from "./support/client";
import { createTestApp, createTestDatabase, TEST_DATABASE_URL } from "./support/harness";
import { runAgainstUncommitted } from "./support/held-lock";
import { quietProvider, setPrices } from "./support/prices";

setDefaultTimeout(60_000);

type Fixture = Awaited<ReturnType<typeof createTestApp>>;
type Order = {
  id: string;
  status: string;
  reason: string | null;
  price: string | null;
  fee: string;
  filledAmount: string;
  createdAt: string;
};
type Balance = { asset: string; available: string; held: string };
type Holding = {
  asset: string;
  amount: string;
  valueUsd: string;
  costBasisUsd: string;
  unrealizedPnlUsd: string;
  amountWithoutBasis: string;
};
const PRICES = { BTC: "65000.00", ETH: "3200.00", SOL: "150.00", USDT: "1.0000" };
const OVERRIDES = { RATE_LIMIT_PER_MINUTE: "100000", TRADING_SPREAD_BPS: "50", TRADING_FEE_BPS: "10" };

let fixture: Fixture;
beforeAll(async () => {
  fixture = await createTestApp(OVERRIDES, { market: { provider: quietProvider() } });
  setPrices([fixture], PRICES);
});
afterAll(() => fixture.dispose());

const order = (client: TestClient, body: Record<string, unknown>, key: string = crypto.randomUUID()) =>
  client.request("POST", "/api/trading/orders", { body, headers: { "idempotency-key": key } });
const errorCode = async (response: Response) => ((await response.json()) as { error?: { code: string } }).error?.code;
async function balance(client: TestClient, asset: string) {
  const { body } = await client.json<{ balances: Balance[] }>("GET", "/api/wallet/balance");
  const found = body.balances.find((b) => b.asset === asset) as Balance;
  return { available: found.available, held: found.held };
}

describe("quotes", () => {
  test("a buy quote pays price × (1 + spread), fee on the notional, all rounded up; valid 10 s", async () => {
    const user = await fundedUser(fixture, "quote", "1000");
    const before = Date.now();
    const { status, body } = await user.client.json<Record<string, string>>("POST", "/api/trading/quote", {
      side: "buy",
      asset: "BTC",
      amount: "0.00012345",
    });
    expect(status).toBe(200);
    // 65000 × 1.005 = 65325; 0.00012345 × 65325 = 8.06437… → 8.07; fee 0.1 % of 8.07 = 0.00807 → 0.01.
    expect(body).toMatchObject({
      side: "buy",
      asset: "BTC",
      amount: "0.00012345",
      price: "65325",
      fee: "0.01",
      totalUsd: "8.08",
    });
    const ttl = Date.parse(body.expiresAt) - before;
    expect(ttl).toBeGreaterThanOrEqual(9_900);
    expect(ttl).toBeLessThanOrEqual(10_500);
    const sell = await user.client.json<Record<string, string>>("POST", "/api/trading/quote", {
      side: "sell",
      asset: "BTC",
      amount: "0.00012345",
    });
    // 65000 × 0.995 = 64675; 0.00012345 × 64675 = 7.98413… → 7.98 received; fee 0.00798 → 0.01.
    expect(sell.body).toMatchObject({ price: "64675", fee: "0.01", totalUsd: "7.97" });
  });

  test("a buy not worth more than its fee is refused, as a sale is: no cent and fee for a fraction of a cent", async () => {
    const user = await fundedUser(fixture, "quote-dust", "10");
    const quote = (side: string, asset: string, amount: string) =>
      user.client.json<{ error?: { code: string; details: { fields: string[] } } }>("POST", "/api/trading/quote", {
        side,
        asset,
        amount,
      });
    // One wei of ETH is worth 3e-15 USD: its cost would round up to a cent, plus a cent of fee.
    for (const [side, asset, amount] of [
      ["buy", "ETH", "0.000000000000000001"],
      ["sell", "ETH", "0.000000000000000001"],
      // 0.0000003 × 65325 = 0.0195975: worth 0.01, the fee.
      ["buy", "BTC", "0.0000003"],
    ]) {
      const answer = await quote(side, asset, amount);
      expect({
        side,
        amount,
        status: answer.status,
        code: answer.body.error?.code,
        fields: answer.body.error?.details.fields,
      }).toEqual({ side, amount, status: 422, code: "VALIDATION_FAILED", fields: ["amount"] });
    }
    // 0.00000031 × 65325 = 0.02025: worth 0.02, more than its fee of 0.01. The refusal says so.
    const dust = await quote("buy", "BTC", "0.0000003");
    const refusal = dust.body.error as unknown as { message: string; details: { minimumAmount?: string } };
    expect(refusal.details.minimumAmount).toBe("0.00000031");
    expect(refusal.message).toEndWith("the smallest amount that is, is 0.00000031 BTC");
    expect((await quote("buy", "BTC", "0.00000031")).status).toBe(200);
    const bought = await order(user.client, { type: "market", side: "buy", asset: "ETH", amount: "0.000000000000000001" });
    expect(bought.status).toBe(422);
    // A limit or stop order is judged at its own price: a price too low may be the mistake as much as the amount.
    for (const [type, field] of [
      ["limit", "limitPrice"],
      ["stop", "stopPrice"],
    ]) {
      const placed = await order(user.client, { type, side: "buy", asset: "BTC", amount: "0.01", [field]: "1" });
      const { error } = (await placed.json()) as { error: { code: string; details: { fields: string[] } } };
      expect({ type, status: placed.status, code: error.code, fields: error.details.fields }).toEqual({
        type,
        status: 422,
        code: "VALIDATION_FAILED",
        fields: ["amount", field],
      });
    }
    expect((await balance(user.client, "USD")).available).toBe("10");
  });

  test("a quote only reads: an unverified user gets one, and may not place the order", async () => {
    const client = new TestClient(fixture);
    const email = uniqueEmail("quote-unverified");
    await client.post("/api/auth/register", { email, password: PASSWORD, name: "Unverified" });
    expect((await client.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const quote = await client.json<{ quoteId: string }>("POST", "/api/trading/quote", {
      side: "buy",
      asset: "BTC",
      amount: "0.001",
    });
    expect(quote.status).toBe(200);
    const placed = await order(client, {
      type: "market",
      side: "buy",
      asset: "BTC",
      amount: "0.001",
      quoteId: quote.body.quoteId,
    });
    expect(placed.status).toBe(403);
    expect(((await placed.json()) as { error: { code: string } }).error.code).toBe("EMAIL_NOT_VERIFIED");
    // Its values are still judged like an order's.
    const bad = await client.json<{ error: { code: string } }>("POST", "/api/trading/quote", {
      side: "buy",
      asset: "BTC",
      amount: "0.000000001",
    });
    expect([bad.status, bad.body.error.code]).toEqual([422, "VALIDATION_FAILED"]);
  });

  test("bad input is 422 VALIDATION_FAILED naming the field", async () => {
    const user = await fundedUser(fixture, "quote-bad", "10");
    for (const [body, field] of [
      [{ side: "buy", asset: "USD", amount: "1" }, "asset"],
      [{ side: "buy", asset: "DOGE", amount: "1" }, "asset"],
      [{ side: "buy", asset: "BTC", amount: "1e3" }, "amount"],
      [{ side: "buy", asset: "BTC", amount: "0.000000001" }, "amount"],
      [{ side: "buy", asset: "BTC", amount: "-1" }, "amount"],
      [{ side: "hold", asset: "BTC", amount: "1" }, "side"],
    ] as const) {
      const answer = await user.client.json<{ error: { code: string; details: { fields: string[] } } }>(
        "POST",
        "/api/trading/quote",
        body,
      );
      expect({ body, status: answer.status, code: answer.body.error.code }).toEqual({
        body,
        status: 422,
        code: "VALIDATION_FAILED",
      });
      expect(answer.body.error.details.fields.join()).toContain(field);
    }
  });

  test("an order at an expired quote is 422 QUOTE_EXPIRED and moves nothing; a quote is used once", async () => {
    const user = await fundedUser(fixture, "expiry", "1000");
    const body = { side: "buy", asset: "ETH", amount: "0.1" };
    const quote = await user.client.json<{ quoteId: string }>("POST", "/api/trading/quote", body);
    setSystemTime(new Date(Date.now() + 10_500));
    try {
      const late = await order(user.client, { type: "market", ...body, quoteId: quote.body.quoteId });
      expect(late.status).toBe(422);
      expect(await errorCode(late)).toBe("QUOTE_EXPIRED");
    } finally {
      setSystemTime();
    }
    expect(await balance(user.client, "USD")).toEqual({ available: "1000", held: "0" });

    const fresh = await user.client.json<{ quoteId: string; totalUsd: string }>("POST", "/api/trading/quote", body);
    const first = await order(user.client, { type: "market", ...body, quoteId: fresh.body.quoteId });
    expect(first.status).toBe(201);
    const again = await order(user.client, { type: "market", ...body, quoteId: fresh.body.quoteId });
    expect(await errorCode(again)).toBe("QUOTE_EXPIRED");
    const mismatch = await user.client.json<{ quoteId: string }>("POST", "/api/trading/quote", body);
    const other = await order(user.client, { type: "market", ...body, amount: "0.2", quoteId: mismatch.body.quoteId });
    expect(await errorCode(other)).toBe("VALIDATION_FAILED");
    // Another user's quote is as unknown as a missing one.
    const stranger = await fundedUser(fixture, "quote-thief", "1000");
    const stolen = await order(stranger.client, { type: "market", ...body, quoteId: mismatch.body.quoteId });
    expect(await errorCode(stolen)).toBe("VALIDATION_FAILED");
  });

  test("quotes expired for over a day are cleaned up; fresh ones, and ones expired under a day ago, stay", async () => {
    const user = await fundedUser(fixture, "quote-cleanup", "1000");
    const body = { side: "buy", asset: "SOL", amount: "1" };
    const old = await user.client.json<{ quoteId: string }>("POST", "/api/trading/quote", body);
    const fresh = await user.client.json<{ quoteId: string }>("POST", "/api/trading/quote", body);
    const recent = await user.client.json<{ quoteId: string }>("POST", "/api/trading/quote", body);
    const db = fixture.deps.database.db;
    await db
      .update(tradeQuotes)
      .set({ expiresAt: new Date(Date.now() - 25 * 3600 * 1000) })
      .where(eq(tradeQuotes.id, old.body.quoteId));
    // Kept a day for support's questions: expired 23 hours ago, it is still there.
    await db
      .update(tradeQuotes)
      .set({ expiresAt: new Date(Date.now() - 23 * 3600 * 1000) })
      .where(eq(tradeQuotes.id, recent.body.quoteId));
    expect(await deleteOldQuotes(db)).toBeGreaterThanOrEqual(1);
    const left = await db.select({ id: tradeQuotes.id }).from(tradeQuotes).where(eq(tradeQuotes.userId, user.userId));
    expect(left.map((q) => q.id).sort()).toEqual([fresh.body.quoteId, recent.body.quoteId].sort());
  });

  test("the quote is the price: an order at a quote executes at it even after the market moves", async () => {
    const user = await fundedUser(fixture, "quoted", "1000");
    const body = { side: "buy", asset: "SOL", amount: "1" };
    const quote = await user.client.json<{ quoteId: string; price: string; totalUsd: string }>(
      "POST",
      "/api/trading/quote",
      body,
    );
    setPrices([fixture], { SOL: "170.00" });
    try {
      const placed = await order(user.client, { type: "market", ...body, quoteId: quote.body.quoteId });
      const { order: filled } = (await placed.json()) as { order: Order };
      expect(filled).toMatchObject({ status: "filled", price: quote.body.price, filledAmount: "1" });
      expect((await balance(user.client, "USD")).available).toBe((1000 - Number(quote.body.totalUsd)).toFixed(2));
    } finally {
      setPrices([fixture], { SOL: PRICES.SOL });
    }
  });

  test("stale prices are refused with 503 UNAVAILABLE, for quotes and unquoted market orders", async () => {
    const stale = await createTestApp(OVERRIDES, { market: { provider: quietProvider() } });
    try {
      setPrices([stale], PRICES, new Date(Date.now() - 31_000));
      const user = await fundedUser(stale, "stale", "100");
      const quote = await user.client.json("POST", "/api/trading/quote", { side: "buy", asset: "BTC", amount: "0.001" });
      expect(quote.status).toBe(503);
      expect(quote.body).toMatchObject({ error: { code: "UNAVAILABLE" } });
      expect(quote.response.headers.get("retry-after")).toBe("5");
      const placed = await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.001" });
      expect(placed.status).toBe(503);
      expect(placed.headers.get("retry-after")).toBe("5");
      expect(await balance(user.client, "USD")).toEqual({ available: "100", held: "0" });
    } finally {
      await stale.dispose();
    }
  });
});

describe("market orders", () => {
  test("a buy and a sell settle in one posting each, with history, audit, events; the ledger balances", async () => {
    const user = await fundedUser(fixture, "market", "1000");
    const buy = await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.01" });
    expect(buy.status).toBe(201);
    const { order: bought } = (await buy.json()) as { order: Order };
    // 0.01 × 65325 = 653.25, fee 0.65325 → 0.66.
    expect(bought).toMatchObject({ type: "market", status: "filled", price: "65325", fee: "0.66", filledAmount: "0.01" });
    expect(await balance(user.client, "USD")).toEqual({ available: "346.09", held: "0" });
    expect(await balance(user.client, "BTC")).toEqual({ available: "0.01", held: "0" });

    const sell = await order(user.client, { type: "market", side: "sell", asset: "BTC", amount: "0.004" });
    const { order: sold } = (await sell.json()) as { order: Order };
    // 0.004 × 64675 = 258.70 received, fee 0.2587 → 0.26.
    expect(sold).toMatchObject({ status: "filled", price: "64675", fee: "0.26" });
    expect(await balance(user.client, "USD")).toEqual({ available: "604.53", held: "0" });

    const history = await user.client.json<{ items: { type: string; asset: string; reference: string }[] }>(
      "GET",
      `/api/transactions?limit=100`,
    );
    const ofBuy = history.body.items.filter((tx) => tx.reference === bought.id).map((tx) => `${tx.type}/${tx.asset}`);
    expect(ofBuy.sort()).toEqual(["fee/USD", "trade_buy/BTC", "trade_buy/USD"]);
    const audit = await fixture.deps.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.userId, user.userId), eq(auditLog.action, "trade.executed")));
    expect(audit).toHaveLength(2);
    const events = await fixture.deps.database.db.select().from(outboxEvents).where(eq(outboxEvents.userId, user.userId));
    expect(events.filter((e) => e.type === "order").map((e) => (e.data as Order).id)).toEqual([bought.id, sold.id]);
    expect(events.some((e) => e.type === "balance" && (e.data as Balance).asset === "BTC")).toBe(true);
    expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
  });

  test("more than the balance is 422 INSUFFICIENT_FUNDS and nothing moves; a replay does not trade twice", async () => {
    const user = await fundedUser(fixture, "poor", "10");
    const tooMuch = await order(user.client, { type: "market", side: "buy", asset: "ETH", amount: "1" });
    expect(await errorCode(tooMuch)).toBe("INSUFFICIENT_FUNDS");
    const noCoins = await order(user.client, { type: "market", side: "sell", asset: "ETH", amount: "0.001" });
    expect(await errorCode(noCoins)).toBe("INSUFFICIENT_FUNDS");
    expect(await balance(user.client, "USD")).toEqual({ available: "10", held: "0" });

    const body = { type: "market", side: "buy", asset: "ETH", amount: "0.001" };
    const first = await order(user.client, body, "same-key");
    const replay = await order(user.client, body, "same-key");
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe(await first.text());
    // 0.001 × 3216 = 3.216 → 3.22, fee 0.01.
    expect(await balance(user.client, "USD")).toEqual({ available: "6.77", held: "0" });
    const missingKey = await user.client.request("POST", "/api/trading/orders", { body });
    expect(missingKey.status).toBe(428);
  });
});

describe("limit and stop orders", () => {
  test("placing holds the funds; cancelling returns them (amount and fee); cancelling twice is 409", async () => {
    const user = await fundedUser(fixture, "limit", "1000");
    const placed = await order(user.client, { type: "limit", side: "buy", asset: "BTC", amount: "0.01", limitPrice: "60000" });
    expect(placed.status).toBe(201);
    const { order: open } = (await placed.json()) as { order: Order };
    // 600.00 + fee 0.60 held.
    expect(open).toMatchObject({ status: "open", limitPrice: "60000", stopPrice: null, price: null, fee: "0.6" });
    expect(await balance(user.client, "USD")).toEqual({ available: "399.4", held: "600.6" });
    // Its frames: the order and the balance it moved (USD), not an unchanged BTC balance.
    const framed = await fixture.deps.database.db.select().from(outboxEvents).where(eq(outboxEvents.userId, user.userId));
    expect(framed.filter((e) => e.type === "balance").map((e) => (e.data as Balance).asset)).toEqual(["USD", "USD"]);
    // A resting order moved money (available to held): audited, as its cancel is.
    const audited = await fixture.deps.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.userId, user.userId), eq(auditLog.action, "trade.order_placed")));
    expect(audited.map((row) => row.metadata)).toEqual([
      {
        orderId: open.id,
        type: "limit",
        side: "buy",
        asset: "BTC",
        amount: "0.01",
        limitPrice: "60000",
        stopPrice: null,
        held: "600.6",
        heldAsset: "USD",
      },
    ]);
    const cancelled = await user.client.json<{ order: Order }>("DELETE", `/api/trading/orders/${open.id}`);
    expect(cancelled.status).toBe(200);
    // Nothing was charged: a cancelled order shows no fee.
    expect(cancelled.body.order).toMatchObject({ status: "cancelled", fee: "0", filledAmount: "0" });
    expect(await balance(user.client, "USD")).toEqual({ available: "1000", held: "0" });
    const again = await user.client.json("DELETE", `/api/trading/orders/${open.id}`);
    expect(again.status).toBe(409);
    expect(again.body).toMatchObject({ error: { code: "INVALID_STATE" } });
  });

  test("an order refused for its own fields (422 VALIDATION_FAILED) is not kept under its key: corrected, it goes through", async () => {
    const user = await fundedUser(fixture, "corrected-order", "100");
    const key = crypto.randomUUID();
    // Marketable, 1 satoshi trades at the live price, where it is worth less than its fee: refused as the order is
    // prepared, under its key.
    const dust = { type: "limit", side: "buy", asset: "BTC", amount: "0.00000001", limitPrice: "100000000" };
    const refused = await order(user.client, dust, key);
    expect([refused.status, await errorCode(refused)]).toEqual([422, "VALIDATION_FAILED"]);
    const corrected = await order(
      user.client,
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "60000" },
      key,
    );
    expect(corrected.status).toBe(201);
    expect(((await corrected.json()) as { order: Order }).order.status).toBe("open");
  });

  test("order shapes: missing or foreign prices, quotes on limit orders and past expiries are 422", async () => {
    const user = await fundedUser(fixture, "shapes", "100");
    for (const body of [
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001" },
      { type: "stop", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "1" },
      { type: "market", side: "buy", asset: "BTC", amount: "0.001", stopPrice: "1" },
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "-5" },
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "0" },
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "1", quoteId: crypto.randomUUID() },
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "1", expiresAt: "2001-01-01T00:00:00Z" },
      { type: "market", side: "buy", asset: "BTC", amount: "0.001", quoteId: "nope" },
    ]) {
      const answer = await order(user.client, body);
      expect({ body, status: answer.status, code: await errorCode(answer) }).toEqual({
        body,
        status: 422,
        code: "VALIDATION_FAILED",
      });
    }
  });

  test("a malformed order is 422 before an unverified or frozen user's 403 and before a used key (API.md's order)", async () => {
    const unverified = new TestClient(fixture);
    const email = uniqueEmail("shape-unverified");
    await unverified.post("/api/auth/register", { email, password: PASSWORD, name: "Unverified" });
    expect((await unverified.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const frozen = await fundedUser(fixture, "shape-frozen", "100");
    const admin = await adminUser(fixture, "shape-freezer");
    expect((await admin.client.json("POST", `/api/admin/users/${frozen.userId}/freeze`)).status).toBe(200);
    const sol = { side: "buy", asset: "SOL", amount: "0.1" };
    const malformed: [Record<string, unknown>, string | string[]][] = [
      [{ type: "limit", ...sol }, "limitPrice"],
      [{ type: "stop", ...sol }, "stopPrice"],
      [{ type: "market", ...sol, limitPrice: "100" }, "limitPrice"],
      [{ type: "market", ...sol, asset: "USD" }, "asset"],
      [{ type: "market", ...sol, expiresAt: new Date(Date.now() + 3_600_000).toISOString() }, "expiresAt"],
      [{ type: "market", ...sol, quoteId: "nope" }, "quoteId"],
      [{ type: "limit", ...sol, limitPrice: "100", quoteId: crypto.randomUUID() }, "quoteId"],
      // Worth less than the fee at its own limit price: known from the order alone, whatever the market does.
      [{ type: "limit", side: "sell", asset: "SOL", amount: "0.000000001", limitPrice: "1" }, ["amount", "limitPrice"]],
      [{ type: "stop", side: "buy", asset: "SOL", amount: "0.000000001", stopPrice: "1000" }, ["amount", "stopPrice"]],
    ];
    const answerOf = async (client: TestClient, body: Record<string, unknown>, key?: string) => {
      const answer = await order(client, body, key);
      const { error } = (await answer.json()) as { error: { code: string; details?: { fields?: string[] } } };
      return { status: answer.status, code: error.code, fields: error.details?.fields };
    };
    for (const [body, field] of malformed) {
      for (const [who, client] of [
        ["unverified", unverified],
        ["frozen", frozen.client],
      ] as const) {
        expect({ who, body, ...(await answerOf(client, body)) }).toEqual({
          who,
          body,
          status: 422,
          code: "VALIDATION_FAILED",
          fields: [field].flat(),
        });
      }
    }
    // A well-formed order still meets the guards.
    const valid = { type: "limit", ...sol, limitPrice: "100" };
    expect(await answerOf(unverified, valid)).toMatchObject({ status: 403, code: "EMAIL_NOT_VERIFIED" });
    expect(await answerOf(frozen.client, valid)).toMatchObject({ status: 403, code: "FORBIDDEN" });

    // A key already spent on a filled order: a malformed body is judged before the key is looked up.
    const user = await fundedUser(fixture, "shape-used-key", "100");
    const key = crypto.randomUUID();
    const filled = await order(user.client, { type: "market", ...sol }, key);
    expect(filled.status).toBe(201);
    expect(await answerOf(user.client, { type: "limit", ...sol }, key)).toEqual({
      status: 422,
      code: "VALIDATION_FAILED",
      fields: ["limitPrice"],
    });
    const replay = await order(user.client, { type: "market", ...sol }, key);
    expect(replay.headers.get("idempotent-replayed")).toBe("true");
    expect(await replay.text()).toBe(await filled.text());

    // Whether expiresAt is still ahead is the clock's: a retry after it passed gets the order's first answer.
    const expiring = { type: "limit", ...sol, limitPrice: "100", expiresAt: new Date(Date.now() + 300).toISOString() };
    const placedKey = crypto.randomUUID();
    const placed = await order(user.client, expiring, placedKey);
    expect(placed.status).toBe(201);
    await Bun.sleep(400);
    const retried = await order(user.client, expiring, placedKey);
    expect([retried.status, retried.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    expect(await retried.text()).toBe(await placed.text());
    expect(await answerOf(user.client, { ...expiring, limitPrice: "101" })).toMatchObject({ status: 422, fields: ["expiresAt"] });
  });

  test("a limit order the market already meets trades at once, at the live price, not at its limit", async () => {
    const user = await fundedUser(fixture, "marketable", "1000");
    await deposit(user.client, "BTC", "0.01");
    // BTC 65000: buy at 65325, sell at 64675 with the 50 bps spread.
    const buy = await order(user.client, { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "70000" });
    expect(buy.status).toBe(201);
    // 0.001 × 65325 = 65.325 → 65.33 paid, fee 0.07; the hold at 70000 (70.07) comes back but for that.
    expect(((await buy.json()) as { order: Order }).order).toMatchObject({ status: "filled", price: "65325", fee: "0.07" });
    expect(await balance(user.client, "USD")).toEqual({ available: "934.6", held: "0" });
    const sell = await order(user.client, { type: "limit", side: "sell", asset: "BTC", amount: "0.002", limitPrice: "60000" });
    expect(((await sell.json()) as { order: Order }).order).toMatchObject({ status: "filled", price: "64675" });
    expect(await balance(user.client, "BTC")).toEqual({ available: "0.009", held: "0" });
    // One the market does not meet rests, holding its funds.
    const resting = await order(user.client, { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "65324" });
    expect(((await resting.json()) as { order: Order }).order.status).toBe("open");
    // A limit exactly at the price the market trades at is met: it fills at once, a buy and a sell alike.
    for (const [side, limitPrice] of [
      ["buy", "65325"],
      ["sell", "64675"],
    ]) {
      const atPrice = await order(user.client, { type: "limit", side, asset: "BTC", amount: "0.001", limitPrice });
      expect([side, ((await atPrice.json()) as { order: Order }).order]).toMatchObject([
        side,
        { status: "filled", price: limitPrice },
      ]);
    }
  });

  test("a limit order that trades at once must be worth its fee at the price it trades at, not only at its limit", async () => {
    const user = await fundedUser(fixture, "marketable-dust", "10");
    // At its limit, 1 satoshi is worth 1.00 USD, well over its fee; at the live 65325 it is worth 0.00065325 USD, which
    // would cost a cent and a cent of fee.
    const dust = await order(user.client, {
      type: "limit",
      side: "buy",
      asset: "BTC",
      amount: "0.00000001",
      limitPrice: "100000000",
    });
    const body = (await dust.json()) as { error: { code: string; details: { fields: string[]; minimumAmount: string } } };
    expect([dust.status, body.error.code, body.error.details.fields]).toEqual([422, "VALIDATION_FAILED", ["amount"]]);
    // The smallest amount a market buy at 65325 is worth its fee for, as a market order is told.
    const market = await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.00000001" });
    const marketBody = (await market.json()) as { error: { details: { minimumAmount: string } } };
    expect(body.error.details.minimumAmount).toBe(marketBody.error.details.minimumAmount);
    expect(await balance(user.client, "USD")).toEqual({ available: "10", held: "0" });
    expect(await balance(user.client, "BTC")).toEqual({ available: "0", held: "0" });
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "an order sent as a freeze commits is refused (403) and moves nothing: no trade lands after the freeze answered",
    async () => {
      const user = await fundedUser(fixture, "freezing-trader", "100");
      const db = fixture.deps.database.db;
      // The order's session showed the user unfrozen; the freeze's write is in, not yet committed, as the order runs.
      const answer = await runAgainstUncommitted(db, sql`update users set frozen_at = now() where id = ${user.userId}`, () =>
        order(user.client, { type: "market", side: "buy", asset: "SOL", amount: "0.1" }),
      );
      expect([answer.status, await errorCode(answer)]).toEqual([403, "FORBIDDEN"]);
      expect(await balance(user.client, "USD")).toEqual({ available: "100", held: "0" });
      expect(await balance(user.client, "SOL")).toEqual({ available: "0", held: "0" });
      await db.execute(sql`update users set frozen_at = null where id = ${user.userId}`);
    },
  );

  test("a stop buy triggered above its stop pays the rest from available, or is rejected saying why", async () => {
    // 1 SOL stopped at 151: 151.00 and a fee of 0.16 held. Buy price now 150 × 1.005 = 150.75: it waits.
    const exact = await fundedUser(fixture, "stop-exact", "151.16");
    const spare = await fundedUser(fixture, "stop-spare", "160");
    // 1.64 to spare: the price's rise (1.60) but not its fee as well (1.76 in all).
    const shortOfFee = await fundedUser(fixture, "stop-short-of-fee", "152.80");
    const stopBuy = { type: "stop", side: "buy", asset: "SOL", amount: "1", stopPrice: "151" };
    const placed = await Promise.all(
      [exact, spare, shortOfFee].map(async (u) => ((await (await order(u.client, stopBuy)).json()) as { order: Order }).order),
    );
    expect(placed.map((o) => o.status)).toEqual(["open", "open", "open"]);
    expect(await balance(exact.client, "USD")).toEqual({ available: "0", held: "151.16" });
    // The price jumps past the stop: 152 × 1.005 = 152.76, fee 0.16; 152.92 in all, 1.76 more than held.
    setPrices([fixture], { SOL: "152.00" });
    await Bun.sleep(250);
    await runOrderTriggers(fixture.services.trading);
    const [rejected, filled] = await Promise.all(
      [exact, spare].map(
        async (u, i) => (await u.client.json<{ order: Order }>("GET", `/api/trading/orders/${placed[i].id}`)).body.order,
      ),
    );
    expect(rejected).toMatchObject({ status: "rejected", reason: "not enough USD at the trigger price", fee: "0" });
    expect(await balance(exact.client, "USD")).toEqual({ available: "151.16", held: "0" });
    expect(filled).toMatchObject({ status: "filled", price: "152.76", fee: "0.16", reason: null });
    expect(await balance(spare.client, "USD")).toEqual({ available: "7.08", held: "0" });
    const short = (await shortOfFee.client.json<{ order: Order }>("GET", `/api/trading/orders/${placed[2].id}`)).body.order;
    expect(short).toMatchObject({ status: "rejected", reason: "not enough USD at the trigger price" });
    expect(await balance(shortOfFee.client, "USD")).toEqual({ available: "152.8", held: "0" });
    setPrices([fixture], PRICES);
  });

  test("a stop the price has already reached is refused (it would trigger at once); one ahead of it waits", async () => {
    const user = await fundedUser(fixture, "stop-side", "1000");
    await deposit(user.client, "BTC", "0.01");
    setPrices([fixture], { BTC: "65000.00" }); // buy at 65325, sell at 64675 with the 50 bps spread
    const refused = async (body: Record<string, unknown>) => {
      const answer = await order(user.client, { type: "stop", asset: "BTC", amount: "0.001", ...body });
      const { error } = (await answer.json()) as { error: { code: string; message: string; details: { fields: string[] } } };
      return { status: answer.status, code: error.code, fields: error.details.fields, message: error.message };
    };
    expect(await refused({ side: "sell", stopPrice: "1000000" })).toMatchObject({
      status: 422,
      code: "VALIDATION_FAILED",
      fields: ["stopPrice"],
      message: expect.stringContaining("set it below 64,675 USD, the sell price now"),
    });
    expect(await refused({ side: "sell", stopPrice: "64675" })).toMatchObject({ status: 422, fields: ["stopPrice"] });
    expect(await refused({ side: "buy", stopPrice: "65325" })).toMatchObject({
      status: 422,
      message: expect.stringContaining("set it above 65,325 USD, the buy price now"),
    });
    // 65000.01 ± 0.5 %: buy at 65325.01005, sell at 64675.00995, named to the cent on the side the check allows.
    setPrices([fixture], { BTC: "65000.01" });
    expect((await refused({ side: "buy", stopPrice: "65000" })).message).toContain("set it above 65,325.02 USD");
    expect((await refused({ side: "sell", stopPrice: "70000" })).message).toContain("set it below 64,675 USD");
    setPrices([fixture], { BTC: "65000.00" });
    expect(await balance(user.client, "BTC")).toEqual({ available: "0.01", held: "0" });
    expect(await balance(user.client, "USD")).toEqual({ available: "1000", held: "0" });
    const waiting = await order(user.client, {
      type: "stop",
      side: "sell",
      asset: "BTC",
      amount: "0.001",
      stopPrice: "64674.99",
    });
    expect(waiting.status).toBe(201);
    setPrices([fixture], PRICES);
  });

  test("the order list filters by ?status=, pages newest first, and refuses a cursor it did not issue", async () => {
    const user = await fundedUser(fixture, "order-list", "100");
    const placed: Order[] = [];
    for (const limitPrice of ["1000", "2000", "3000"]) {
      const answer = await order(user.client, { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice });
      placed.push(((await answer.json()) as { order: Order }).order);
    }
    await user.client.json("DELETE", `/api/trading/orders/${placed[1].id}`);
    type Page = { items: Order[]; nextCursor: string | null };
    const walk = async (query: string) => {
      const ids: string[] = [];
      let cursor: string | null = null;
      do {
        const suffix: string = cursor ? `&cursor=${cursor}` : "";
        const page = await user.client.json<Page>("GET", `/api/trading/orders?limit=1&${query}${suffix}`);
        expect(page.status).toBe(200);
        ids.push(...page.body.items.map((o) => o.id));
        cursor = page.body.nextCursor;
      } while (cursor);
      return ids;
    };
    // Newest first; two orders in the same millisecond are ordered by id, descending.
    const newestFirst = (orders: Order[]) =>
      orders.toSorted((a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id)).map((o) => o.id);
    expect(await walk("")).toEqual(newestFirst(placed));
    expect(await walk("status=open")).toEqual(newestFirst([placed[0], placed[2]]));
    expect(await walk("status=cancelled")).toEqual([placed[1].id]);
    expect(await walk("status=filled")).toEqual([]);
    for (const cursor of ["garbage", "0", Buffer.from("yesterday|nope").toString("base64url")]) {
      const answer = await user.client.json<{ error: { code: string; details?: unknown } }>(
        "GET",
        `/api/trading/orders?cursor=${encodeURIComponent(cursor)}`,
      );
      expect({ cursor, status: answer.status, code: answer.body.error?.code, details: answer.body.error?.details }).toEqual({
        cursor,
        status: 422,
        code: "VALIDATION_FAILED",
        details: { fields: ["cursor"] },
      });
    }
  });

  test("an order whose fill fails holds up no other: the pass fills the rest, then throws; the next pass tries it again", async () => {
    const user = await fundedUser(fixture, "one-fails", "1000");
    setPrices([fixture], { ETH: "3200.00" });
    const place = async (body: Record<string, unknown>) =>
      ((await (await order(user.client, body)).json()) as { order: Order }).order;
    const limit = { type: "limit", side: "buy", asset: "ETH", amount: "0.1", limitPrice: "3000" };
    const [failing, other] = [await place(limit), await place(limit)];
    const status = async (o: Order) =>
      (await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${o.id}`)).body.order.status;
    // The database refuses the older order's fill, as an error nobody foresaw would.
    const db = fixture.deps.database.db;
    await db.execute(
      sql.raw("create function refuse_one_fill() returns trigger language plpgsql as $$ begin raise exception 'refused'; end $$"),
    );
    await db.execute(
      sql.raw(`create trigger refuse_one_fill before update on trade_orders for each row
        when (old.id = '${failing.id}') execute function refuse_one_fill()`),
    );
    try {
      setPrices([fixture], { ETH: "2900.00" });
      await expect(runOrderTriggers(fixture.services.trading)).rejects.toThrow();
      expect(await status(other)).toBe("filled");
      expect(await status(failing)).toBe("open");
    } finally {
      await db.execute(sql.raw("drop trigger refuse_one_fill on trade_orders"));
      await db.execute(sql.raw("drop function refuse_one_fill()"));
    }
    await runOrderTriggers(fixture.services.trading);
    expect(await status(failing)).toBe("filled");
    expect((await balance(user.client, "USD")).held).toBe("0");
    setPrices([fixture], PRICES);
  });

  test("a pass told to stop (shutdown) ends no order it has not reached: they stay open for the next pass", async () => {
    const user = await fundedUser(fixture, "shutdown-pass", "1000");
    setPrices([fixture], { ETH: "3200.00" });
    const placed = await order(user.client, { type: "limit", side: "buy", asset: "ETH", amount: "0.1", limitPrice: "3000" });
    const { order: resting } = (await placed.json()) as { order: Order };
    setPrices([fixture], { ETH: "2900.00" });
    const stopping = new AbortController();
    stopping.abort();
    expect(await runOrderTriggers(fixture.services.trading, { signal: stopping.signal })).toBe(0);
    expect((await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${resting.id}`)).body.order.status).toBe("open");
    await runOrderTriggers(fixture.services.trading);
    expect((await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${resting.id}`)).body.order.status).toBe(
      "filled",
    );
    setPrices([fixture], PRICES);
  });

  test("ticks fill limit and stop orders at the live price ± spread, releasing excess held; expiry cancels", async () => {
    const user = await fundedUser(fixture, "triggers", "3000");
    await order(user.client, { type: "market", side: "buy", asset: "ETH", amount: "0.5" });
    const place = async (body: Record<string, unknown>) =>
      ((await (await order(user.client, body)).json()) as { order: Order }).order;
    const limitBuy = await place({ type: "limit", side: "buy", asset: "ETH", amount: "0.1", limitPrice: "3100" });
    const stopSell = await place({ type: "stop", side: "sell", asset: "ETH", amount: "0.2", stopPrice: "3000" });
    const limitSell = await place({ type: "limit", side: "sell", asset: "ETH", amount: "0.1", limitPrice: "3500" });
    const expiring = await place({
      type: "limit",
      side: "buy",
      asset: "ETH",
      amount: "0.1",
      limitPrice: "1000",
      expiresAt: new Date(Date.now() + 200).toISOString(),
    });
    await runOrderTriggers(fixture.services.trading);
    const status = async (o: Order) =>
      (await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${o.id}`)).body.order;
    expect((await status(limitBuy)).status).toBe("open");

    // 3050 × 1.005 = 3065.25 ≤ 3100 fills the buy; 3050 × 0.995 = 3034.75 does not reach the stop (≤ 3000).
    setPrices([fixture], { ETH: "3050.00" });
    await Bun.sleep(250);
    await runOrderTriggers(fixture.services.trading);
    expect(await status(limitBuy)).toMatchObject({ status: "filled", price: "3065.25", filledAmount: "0.1", reason: null });
    expect((await status(stopSell)).status).toBe("open");
    expect(await status(expiring)).toMatchObject({ status: "cancelled", reason: "expired" });

    setPrices([fixture], { ETH: "2990.00" });
    await runOrderTriggers(fixture.services.trading);
    expect(await status(stopSell)).toMatchObject({ status: "filled", price: "2975.05" });
    expect((await status(limitSell)).status).toBe("open");
    const cancelled = await user.client.json<{ order: Order }>("DELETE", `/api/trading/orders/${limitSell.id}`);
    expect(cancelled.body.order).toMatchObject({ status: "cancelled", reason: "cancelled by the user" });
    // Nothing stays held once every order is closed, and the ledger balances with house and fees.
    expect((await balance(user.client, "USD")).held).toBe("0");
    expect((await balance(user.client, "ETH")).held).toBe("0");
    expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
    const list = await user.client.json<{ items: Order[]; nextCursor: string | null }>("GET", "/api/trading/orders?limit=2");
    expect(list.body.items).toHaveLength(2);
    const next = await user.client.json<{ items: Order[] }>("GET", `/api/trading/orders?limit=10&cursor=${list.body.nextCursor}`);
    // Newest first, across pages: the four orders above, then the market buy. Two placed in the same
    // millisecond are ordered by id, as the list orders them.
    const ids = [...list.body.items, ...next.body.items].map((o) => o.id);
    const newestFirst = [expiring, limitSell, stopSell, limitBuy].sort(
      (a, b) => b.createdAt.localeCompare(a.createdAt) || b.id.localeCompare(a.id),
    );
    expect(ids.slice(0, 4)).toEqual(newestFirst.map((o) => o.id));
    expect(ids).toHaveLength(5);
  });

  test("cancel racing a fill: exactly one wins and the funds end where that outcome puts them", async () => {
    for (let round = 0; round < 5; round++) {
      const user = await fundedUser(fixture, `race-${round}`, "100");
      setPrices([fixture], { SOL: "150.00" });
      const placed = await order(user.client, { type: "limit", side: "buy", asset: "SOL", amount: "0.5", limitPrice: "140" });
      const { order: open } = (await placed.json()) as { order: Order };
      setPrices([fixture], { SOL: "130.00" });
      const [cancel] = await Promise.all([
        user.client.json<{ order: Order }>("DELETE", `/api/trading/orders/${open.id}`),
        runOrderTriggers(fixture.services.trading),
      ]);
      const final = (await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${open.id}`)).body.order;
      if (cancel.status === 200) {
        expect(final.status).toBe("cancelled");
        expect(await balance(user.client, "USD")).toEqual({ available: "100", held: "0" });
        expect((await balance(user.client, "SOL")).available).toBe("0");
      } else {
        expect(cancel.status).toBe(409);
        expect(final.status).toBe("filled");
        // 130 × 1.005 = 130.65; × 0.5 = 65.325 → 65.33, fee 0.07.
        expect(await balance(user.client, "USD")).toEqual({ available: "34.6", held: "0" });
        expect((await balance(user.client, "SOL")).available).toBe("0.5");
      }
    }
    setPrices([fixture], PRICES);
    expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
  });

  test("one balance spent by every path at once (sell, limit sell, P2P, withdrawal): exactly one wins", async () => {
    const recipient = await signedInUser(fixture, "all-paths-b");
    const address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    for (let round = 0; round < 4; round++) {
      const user = await signedInUser(fixture, `all-paths-${round}`);
      await deposit(user.client, "BTC", "0.01");
      await user.client.json("POST", "/api/wallet/addresses", { asset: "BTC", address, label: "cold" });
      await fixture.deps.database.db
        .update(withdrawalAddresses)
        .set({ activeAt: new Date(Date.now() - 1000) })
        .where(eq(withdrawalAddresses.userId, user.userId));
      const post = (path: string, body: Record<string, unknown>) =>
        user.client.request("POST", path, { body, headers: { "idempotency-key": crypto.randomUUID() } });
      // Each spends the whole 0.01 BTC (the withdrawal with its 0.0001 fee); three of each, all at once.
      const spends = [
        () => order(user.client, { type: "market", side: "sell", asset: "BTC", amount: "0.01" }),
        () => order(user.client, { type: "limit", side: "sell", asset: "BTC", amount: "0.01", limitPrice: "90000" }),
        () => post("/api/transfers/p2p", { recipientEmail: recipient.email, asset: "BTC", amount: "0.01" }),
        () => post("/api/wallet/withdraw", { asset: "BTC", amount: "0.0099", address }),
      ];
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => spends[(i + round) % spends.length]()));
      const outcomes = await Promise.all(answers.map(async (a) => (a.ok ? a.status : await errorCode(a))));
      expect(outcomes.filter((o) => typeof o === "number")).toHaveLength(1);
      expect(outcomes.filter((o) => o === "INSUFFICIENT_FUNDS")).toHaveLength(11);
      // Sold or sent: nothing left; resting or being paid out: all of it held.
      const btc = await balance(user.client, "BTC");
      expect(btc.available).toBe("0");
      expect(["0", "0.01"]).toContain(btc.held);
    }
    await runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"));
    expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
  });

  test("one user's marketable limit orders and market orders at once: each fills, none deadlocks into a 500", async () => {
    // A marketable limit order posts twice (hold, fill). It used to lock the second posting's accounts (the
    // house's) while holding the first's (the user's), the reverse of a market order's id order: a deadlock.
    const user = await fundedUser(fixture, "no-deadlock", "100000");
    await deposit(user.client, "BTC", "1");
    const price = Number(PRICES.BTC);
    const orders = [
      { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: (price * 1.1).toFixed(2) },
      { type: "market", side: "sell", asset: "BTC", amount: "0.001" },
      { type: "limit", side: "sell", asset: "BTC", amount: "0.001", limitPrice: (price * 0.9).toFixed(2) },
      { type: "market", side: "buy", asset: "BTC", amount: "0.001" },
    ];
    const statuses: number[] = [];
    for (let round = 0; round < 10; round++) {
      const answers = await Promise.all(orders.map((body) => order(user.client, body)));
      statuses.push(...answers.map((answer) => answer.status));
    }
    expect(tally(statuses)).toEqual({ 201: 40 });
    const filled = await user.client.json<{ items: Order[] }>("GET", "/api/trading/orders?status=filled&limit=100");
    expect(filled.body.items).toHaveLength(40);
    expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "Postgres ending the server's sessions mid-order: 201 or 503 with Retry-After, a retry settles it, nothing half-done",
    async () => {
      // With the stock driver a transaction's next statement after its session ended threw a TypeError out of a
      // timer and the process died (porsager/postgres#1208), or ran outside the transaction (#1216).
      const user = await fundedUser(fixture, "terminated", "100000");
      const body = { type: "limit", side: "buy", asset: "BTC", amount: "0.0001", limitPrice: "1000" };
      const killer = postgres(fixture.deps.database.url as string, { max: 1, onnotice: () => {} });
      const answers: { key: string; response: Response }[] = [];
      try {
        const placing = Array.from({ length: 4 }, async () => {
          for (const until = Date.now() + 2_000; Date.now() < until; ) {
            const key = crypto.randomUUID();
            answers.push({ key, response: await order(user.client, body, key) });
          }
        });
        for (let i = 0; i < 3; i++) {
          await Bun.sleep(500);
          await killer`select pg_terminate_backend(pid) from pg_stat_activity
            where datname = current_database() and application_name = 'cryptovault'`;
        }
        await Promise.all(placing);
      } finally {
        await killer.end();
      }
      const unavailable = answers.filter(({ response }) => response.status !== 201);
      for (const { response } of unavailable) {
        expect(response.status).toBe(503);
        expect(response.headers.get("retry-after")).toBe("5");
      }
      // A 503 may have come after the COMMIT went through (its answer was lost): the retry with its key says which.
      for (const { key } of unavailable) expect((await order(user.client, body, key)).status).toBe(201);
      const placed = await fixture.deps.database.db.select().from(tradeOrders).where(eq(tradeOrders.userId, user.userId));
      expect(placed).toHaveLength(answers.length);
      const held = placed.reduce((sum, row) => sum + row.held, 0n);
      expect(await balance(user.client, "USD")).toEqual({
        available: formatAmount(10_000_000n - held, 2),
        held: formatAmount(held, 2),
      });
      expect((await verifyLedger(fixture.deps.database.db)).problems).toEqual([]);
    },
  );

  test("a frozen owner's resting order does not fill; once unfrozen it does", async () => {
    const user = await fundedUser(fixture, "frozen-orders", "100");
    const admin = await adminUser(fixture, "frozen-orders-admin");
    setPrices([fixture], { SOL: "150.00" });
    const placed = await order(user.client, { type: "limit", side: "buy", asset: "SOL", amount: "0.5", limitPrice: "140" });
    const { order: open } = (await placed.json()) as { order: Order };
    expect((await admin.client.json("POST", `/api/admin/users/${user.userId}/freeze`)).status).toBe(200);
    setPrices([fixture], { SOL: "130.00" });
    await runOrderTriggers(fixture.services.trading);
    const status = async () =>
      (await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${open.id}`)).body.order.status;
    expect(await status()).toBe("open");
    expect((await balance(user.client, "SOL")).available).toBe("0");
    await admin.client.json("POST", `/api/admin/users/${user.userId}/unfreeze`);
    await runOrderTriggers(fixture.services.trading);
    expect(await status()).toBe("filled");
    expect((await balance(user.client, "SOL")).available).toBe("0.5");
    setPrices([fixture], PRICES);
  });

  test.if(Boolean(TEST_DATABASE_URL))(
    "a freeze that commits while a crossed order is being filled holds it: no fill lands after the freeze",
    async () => {
      const user = await fundedUser(fixture, "freezing-orders", "100");
      setPrices([fixture], { SOL: "150.00" });
      const placed = await order(user.client, { type: "limit", side: "buy", asset: "SOL", amount: "0.5", limitPrice: "140" });
      const { order: open } = (await placed.json()) as { order: Order };
      setPrices([fixture], { SOL: "130.00" });
      const db = fixture.deps.database.db;
      // The freeze's write, committed once the triggers wait for it (or have ended without waiting).
      await runAgainstUncommitted(db, sql`update users set frozen_at = now() where id = ${user.userId}`, () =>
        runOrderTriggers(fixture.services.trading),
      );
      const status = async () =>
        (await user.client.json<{ order: Order }>("GET", `/api/trading/orders/${open.id}`)).body.order.status;
      expect(await status()).toBe("open");
      expect((await balance(user.client, "SOL")).available).toBe("0");
      await db.execute(sql`update users set frozen_at = null where id = ${user.userId}`);
      await runOrderTriggers(fixture.services.trading);
      expect(await status()).toBe("filled");
      setPrices([fixture], PRICES);
    },
  );
});

describe("portfolio", () => {
  test("holdings at live prices, average cost from fills, realized and unrealized P&L", async () => {
    const user = await fundedUser(fixture, "portfolio", "20000");
    setPrices([fixture], { BTC: "60000.00" });
    await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.1" }); // 6030 + 6.03
    setPrices([fixture], { BTC: "70000.00" });
    await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.1" }); // 7035 + 7.04
    setPrices([fixture], { BTC: "80000.00" });
    await order(user.client, { type: "market", side: "sell", asset: "BTC", amount: "0.1" }); // 7960 − 7.96
    const { status, body } = await user.client.json<{
      holdings: Holding[];
      realizedPnlUsd: string;
      totalUsd: string;
    }>("GET", "/api/portfolio");
    expect(status).toBe(200);
    // Basis of 0.2 BTC: 13078.07; half sold: realized 7952.04 − 6539.03 = 1413.01; value 0.1 × 80000 = 8000.
    expect(body.holdings.find((h) => h.asset === "BTC")).toEqual({
      asset: "BTC",
      amount: "0.1",
      valueUsd: "8000",
      costBasisUsd: "6539.04",
      unrealizedPnlUsd: "1460.96",
      amountWithoutBasis: "0",
    });
    expect(body.realizedPnlUsd).toBe("1413.01");
    const usd = body.holdings.find((h) => h.asset === "USD");
    expect(usd?.amount).toBe("14873.97");
    expect(body.totalUsd).toBe("22873.97");
    setPrices([fixture], PRICES);
    const empty = await signedInUser(fixture, "empty");
    expect((await empty.client.json("GET", "/api/portfolio")).body).toEqual({ holdings: [], realizedPnlUsd: "0", totalUsd: "0" });
  });
});

describe("portfolio of units with no known cost", () => {
  test("deposited units count in neither basis nor P&L, and selling them realizes nothing; traded units do", async () => {
    const user = await fundedUser(fixture, "deposited", "10000");
    setPrices([fixture], { BTC: "60000.00" });
    await deposit(user.client, "BTC", "1");
    const btc = async () => {
      const { body } = await user.client.json<{ holdings: Holding[]; realizedPnlUsd: string }>("GET", "/api/portfolio");
      return { holding: body.holdings.find((h) => h.asset === "BTC"), realized: body.realizedPnlUsd };
    };
    expect(await btc()).toEqual({
      holding: {
        asset: "BTC",
        amount: "1",
        valueUsd: "60000",
        costBasisUsd: "0",
        unrealizedPnlUsd: "0",
        amountWithoutBasis: "1",
      },
      realized: "0",
    });
    await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.1" }); // 6030 + 6.03
    setPrices([fixture], { BTC: "70000.00" });
    // Only the 0.1 bought has a basis: worth 7000, cost 6036.03.
    expect((await btc()).holding).toMatchObject({
      amount: "1.1",
      costBasisUsd: "6036.03",
      unrealizedPnlUsd: "963.97",
      amountWithoutBasis: "1",
    });
    // Selling 0.5 sells the 0.1 with a basis first: proceeds 0.5 × 69650 = 34825 − fee 34.83; a fifth is the 0.1's.
    await order(user.client, { type: "market", side: "sell", asset: "BTC", amount: "0.5" });
    // 34790.17 / 5 = 6958.03 (rounded down) − 6036.03 = 922.
    expect(await btc()).toEqual({
      holding: {
        asset: "BTC",
        amount: "0.6",
        valueUsd: "42000",
        costBasisUsd: "0",
        unrealizedPnlUsd: "0",
        amountWithoutBasis: "0.6",
      },
      realized: "922",
    });
    setPrices([fixture], PRICES);
  });
});

describe("portfolio of units that left another way", () => {
  const holdingOf = async (client: TestClient, asset: string) => {
    const { body } = await client.json<{ holdings: Holding[]; realizedPnlUsd: string }>("GET", "/api/portfolio");
    return { holding: body.holdings.find((h) => h.asset === asset), realized: body.realizedPnlUsd };
  };
  const send = async (client: TestClient, recipientEmail: string, amount: string) => {
    const answer = await client.request("POST", "/api/transfers/p2p", {
      body: { recipientEmail, asset: "BTC", amount },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(answer.status).toBe(201);
    return ((await answer.json()) as { transfer: { id: string; status: string } }).transfer;
  };

  test("units sent away take their share of the basis; units deposited after them have none", async () => {
    const dave = await fundedUser(fixture, "dave", "20000");
    const alice = await signedInUser(fixture, "alice");
    setPrices([fixture], { BTC: "60000.00" });
    await order(dave.client, { type: "market", side: "buy", asset: "BTC", amount: "0.1" }); // 6030 + 6.03
    // Sold 0.04 at 59700: 2388 − 2.39 received for 2414.41 of the basis.
    await order(dave.client, { type: "market", side: "sell", asset: "BTC", amount: "0.04" });
    expect(await holdingOf(dave.client, "BTC")).toEqual({
      holding: {
        asset: "BTC",
        amount: "0.06",
        valueUsd: "3600",
        costBasisUsd: "3621.62",
        unrealizedPnlUsd: "-21.62",
        amountWithoutBasis: "0",
      },
      realized: "-28.8",
    });
    // Half of the units, so half of the basis, leaves.
    await send(dave.client, alice.email, "0.03");
    expect((await holdingOf(dave.client, "BTC")).holding).toMatchObject({ amount: "0.03", costBasisUsd: "1810.81" });
    await send(dave.client, alice.email, "0.03");
    expect((await holdingOf(dave.client, "BTC")).holding).toBeUndefined();
    // The coins deposited now are not the ones that left: no known basis, no P&L, and the realized P&L stands.
    await deposit(dave.client, "BTC", "0.06");
    expect(await holdingOf(dave.client, "BTC")).toEqual({
      holding: {
        asset: "BTC",
        amount: "0.06",
        valueUsd: "3600",
        costBasisUsd: "0",
        unrealizedPnlUsd: "0",
        amountWithoutBasis: "0.06",
      },
      realized: "-28.8",
    });
    // What alice received has no basis for her either.
    expect((await holdingOf(alice.client, "BTC")).holding).toMatchObject({
      amount: "0.06",
      costBasisUsd: "0",
      amountWithoutBasis: "0.06",
    });
    setPrices([fixture], PRICES);
  });

  test("a withdrawal keeps its units' basis while it is paid out; then they leave with their share, fee included", async () => {
    const user = await fundedUser(fixture, "withdrawing", "10000");
    setPrices([fixture], { BTC: "60000.00" });
    await order(user.client, { type: "market", side: "buy", asset: "BTC", amount: "0.1" }); // 6030 + 6.03
    const address = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4";
    await user.client.json("POST", "/api/wallet/addresses", { asset: "BTC", address, label: "cold" });
    // Past the address book's cooldown.
    await fixture.deps.database.db
      .update(withdrawalAddresses)
      .set({ activeAt: new Date(Date.now() - 1000) })
      .where(eq(withdrawalAddresses.userId, user.userId));
    const answer = await user.client.request("POST", "/api/wallet/withdraw", {
      body: { asset: "BTC", amount: "0.0499", address },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(((await answer.json()) as { withdrawal: { status: string } }).withdrawal.status).toBe("processing");
    expect((await holdingOf(user.client, "BTC")).holding).toMatchObject({ amount: "0.1", costBasisUsd: "6036.03" });
    await runPayouts(fixture.services.money, sandboxPayoutProvider, createLogger("silent"));
    // 0.0499 and the 0.0001 fee: half the units, half the basis.
    expect((await holdingOf(user.client, "BTC")).holding).toMatchObject({ amount: "0.05", costBasisUsd: "3018.02" });
    await deposit(user.client, "BTC", "0.05");
    expect((await holdingOf(user.client, "BTC")).holding).toMatchObject({
      amount: "0.1",
      costBasisUsd: "3018.02",
      amountWithoutBasis: "0.05",
    });
    setPrices([fixture], PRICES);
  });

  test("a transfer held for review keeps its units' basis until it completes; a rejected one returns with it", async () => {
    const sender = await fundedUser(fixture, "held-sender", "20000");
    const recipient = await signedInUser(fixture, "held-recipient");
    const admin = await adminUser(fixture, "held-admin");
    setPrices([fixture], { BTC: "60000.00" });
    await order(sender.client, { type: "market", side: "buy", asset: "BTC", amount: "0.2" }); // 12060 + 12.06
    const whole = {
      asset: "BTC",
      amount: "0.2",
      valueUsd: "12000",
      costBasisUsd: "12072.06",
      unrealizedPnlUsd: "-72.06",
      amountWithoutBasis: "0",
    };
    // 12000 USD is over the AML review threshold: held, still the sender's.
    const rejected = await send(sender.client, recipient.email, "0.2");
    expect(rejected.status).toBe("pending_review");
    expect((await holdingOf(sender.client, "BTC")).holding).toEqual(whole);
    expect((await holdingOf(recipient.client, "BTC")).holding).toBeUndefined();
    await admin.client.json("POST", `/api/admin/transfers/${rejected.id}/reject`);
    expect((await holdingOf(sender.client, "BTC")).holding).toEqual(whole);
    const approved = await send(sender.client, recipient.email, "0.2");
    expect(approved.status).toBe("pending_review");
    await admin.client.json("POST", `/api/admin/transfers/${approved.id}/approve`);
    expect((await holdingOf(sender.client, "BTC")).holding).toBeUndefined();
    expect((await holdingOf(recipient.client, "BTC")).holding).toMatchObject({
      amount: "0.2",
      costBasisUsd: "0",
      amountWithoutBasis: "0.2",
    });
    await deposit(sender.client, "BTC", "0.1");
    expect((await holdingOf(sender.client, "BTC")).holding).toMatchObject({
      amount: "0.1",
      costBasisUsd: "0",
      amountWithoutBasis: "0.1",
    });
    setPrices([fixture], PRICES);
  });
});

describe.if(Boolean(TEST_DATABASE_URL))("two instances on real Postgres and Redis", () => {
  test("a limit order is filled exactly once when both instances run the triggers at once", async () => {
    const database = await createTestDatabase();
    const first = await createTestApp(OVERRIDES, { database, market: { provider: quietProvider() } });
    const second = await createTestApp(OVERRIDES, {
      database,
      redisPrefix: first.redisPrefix,
      market: { provider: quietProvider() },
    });
    try {
      setPrices([first, second], PRICES);
      const users = [];
      for (let i = 0; i < 5; i++) {
        const user = await fundedUser(first, `twin-${i}`, "1000");
        await order(user.client, { type: "limit", side: "buy", asset: "BTC", amount: "0.01", limitPrice: "64000" });
        users.push(user);
      }
      setPrices([first, second], { BTC: "63000.00" });
      const done = await Promise.all([runOrderTriggers(first.services.trading), runOrderTriggers(second.services.trading)]);
      expect(done[0] + done[1]).toBe(5);
      for (const user of users) {
        // 63000 × 1.005 = 63315; 633.15 + fee 0.64.
        expect(await balance(user.client, "BTC")).toEqual({ available: "0.01", held: "0" });
        expect(await balance(user.client, "USD")).toEqual({ available: "366.21", held: "0" });
      }
      expect((await verifyLedger(database.db)).problems).toEqual([]);
    } finally {
      await first.dispose();
      await second.dispose();
      await database.dispose();
    }
  });
});
