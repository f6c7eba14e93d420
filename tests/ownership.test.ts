/** Every route that takes an id answers 404 for another user's resource, exactly as for a missing one. */
import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { deposit, fundedUser, signedInUser } from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(60_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({
    TRUST_PROXY: "true",
    RATE_LIMIT_PER_MINUTE: "100000",
    ADDRESS_COOLDOWN_HOURS: "0",
    WITHDRAWAL_REVIEW_THRESHOLD_USD: "1",
    AML_REVIEW_THRESHOLD_USD: "1",
  });
});
afterAll(() => fixture.dispose());

/** Routes whose parameter is not a user's resource: public data or the admin back office. */
const NOT_OWNED = [/^\/api\/admin\//, /^\/api\/prices\/:symbol\//, /^\/api\/docs\//];

describe("ownership", () => {
  test("another user's id is 404 on every route that takes one", async () => {
    const owner = await fundedUser(fixture, "owner", "100");
    const stranger = await signedInUser(fixture, "stranger");
    const orderId = await deposit(owner.client, "USD", "1");
    const address = await owner.client.json<{ address: { id: string } }>("POST", "/api/wallet/addresses", {
      asset: "USD",
      address: "DE89370400440532013000",
      label: "bank",
    });
    const withdrawal = await owner.client.request("POST", "/api/wallet/withdraw", {
      body: { asset: "USD", amount: "5", address: "DE89370400440532013000" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    const withdrawalId = ((await withdrawal.json()) as { withdrawal: { id: string } }).withdrawal.id;
    const tx = await owner.client.json<{ items: { id: string }[] }>("GET", "/api/transactions");
    const sessions = await owner.client.json<{ items: { id: string }[] }>("GET", "/api/auth/sessions");
    const alert = await owner.client.json<{ alert: { id: string } }>("POST", "/api/alerts", {
      symbol: "BTC",
      direction: "above",
      price: "10000000",
    });
    const order = await owner.client.request("POST", "/api/trading/orders", {
      body: { type: "limit", side: "buy", asset: "BTC", amount: "0.0001", limitPrice: "1000" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    const tradeId = ((await order.json()) as { order: { id: string } }).order.id;
    // Held for review, and sent to the stranger: its recipient may no more cancel it than anyone else.
    const transfer = await owner.client.request("POST", "/api/transfers/p2p", {
      body: { recipientEmail: stranger.email, asset: "USD", amount: "5" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    const transferId = ((await transfer.json()) as { transfer: { id: string } }).transfer.id;

    const ids: Record<string, string> = {
      "DELETE /api/auth/sessions/:id": sessions.body.items[0].id,
      "GET /api/wallet/deposit/:orderId": orderId,
      "DELETE /api/wallet/addresses/:id": address.body.address.id,
      "GET /api/wallet/withdrawals/:id": withdrawalId,
      "POST /api/wallet/withdrawals/:id/cancel": withdrawalId,
      "GET /api/transactions/:id": tx.body.items[0].id,
      "DELETE /api/alerts/:id": alert.body.alert.id,
      "GET /api/trading/orders/:id": tradeId,
      "DELETE /api/trading/orders/:id": tradeId,
      "POST /api/transfers/:id/cancel": transferId,
    };
    const routes = fixture.app.routes
      .filter((r) => r.path.includes("/:") && !NOT_OWNED.some((pattern) => pattern.test(r.path)))
      .map((r) => `${r.method} ${r.path}`);
    // A new route that takes an id must be added above, so it is proven here too.
    expect(routes.sort()).toEqual(Object.keys(ids).sort());
    for (const [route, id] of Object.entries(ids)) {
      const [method, path] = route.split(" ");
      const url = path.replace(/:[a-zA-Z]+/, id);
      const stolen = await stranger.client.request(method, url);
      const missing = await stranger.client.request(method, path.replace(/:[a-zA-Z]+/, crypto.randomUUID()));
      expect({ route, status: stolen.status }).toEqual({ route, status: 404 });
      expect(await stolen.clone().json()).toMatchObject({ error: { code: "NOT_FOUND" } });
      expect(missing.status).toBe(404);
      // An id that is no id at all, however long, names nothing either: 404, never a 422 or a 5xx.
      for (const junk of ["x", "1".repeat(100), encodeURIComponent("é' or 1=1 --"), "a".repeat(1000), "a".repeat(4000)]) {
        const answer = await stranger.client.request(method, path.replace(/:[a-zA-Z]+/, junk));
        expect({ route, junk: junk.slice(0, 12), status: answer.status }).toEqual({
          route,
          junk: junk.slice(0, 12),
          status: 404,
        });
      }
    }
    // And the owner's resources are untouched: the session lives, the address and withdrawal are there.
    expect((await owner.client.json("GET", "/api/auth/me")).status).toBe(200);
    expect((await owner.client.json("GET", `/api/wallet/withdrawals/${withdrawalId}`)).status).toBe(200);
    expect((await owner.client.json<{ items: unknown[] }>("GET", "/api/wallet/addresses")).body.items).toHaveLength(1);
    expect((await owner.client.json<{ items: unknown[] }>("GET", "/api/alerts")).body.items).toHaveLength(1);
    expect((await owner.client.json("GET", `/api/trading/orders/${tradeId}`)).body).toMatchObject({ order: { status: "open" } });
    const held = await owner.client.json<{ items: { reference: string; status: string }[] }>("GET", "/api/transactions");
    expect(held.body.items.find((row) => row.reference === transferId)?.status).toBe("pending_review");
  });
});
