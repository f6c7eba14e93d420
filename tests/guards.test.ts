import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { and, eq, sql } from "drizzle-orm";
import { Elysia } from "elysia";
import { auditLog } from "../src/modules/audit/schema";
import { auditHash, verifyAuditChains } from "../src/modules/audit/service";
import { MemoryCounterStore } from "../src/platform/counters";
import { queryRows } from "../src/platform/db/client";
import { outboxEvents } from "../src/platform/events/schema";
import { authPlugin } from "../src/platform/http/auth";
import { rateLimitPlugin } from "../src/platform/http/rate-limit";
import { adminUser, fundedUser, PASSWORD, signedInUser, TestClient, tally, uniqueEmail } from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ TRUST_PROXY: "true", RATE_LIMIT_PER_MINUTE: "1000", LOGIN_FAILURES_PER_15_MIN: "5" });
});
afterAll(() => fixture.dispose());

type ErrorBody = { error: { code: string } };

/** Routes that take no CSRF token (API.md): nothing to protect before sign-in, or a signed webhook. */
const CSRF_EXEMPT = new Set([
  "/api/auth/register",
  "/api/auth/login",
  "/api/auth/verify-email",
  "/api/auth/password/forgot",
  "/api/auth/password/reset",
  "/api/auth/2fa/undo", // the mailed token is the proof, as for a reset; the owner may be signed out
  "/api/wallet/deposit/webhook",
]);

describe("CSRF", () => {
  test("every unsafe route refuses a cookie-authenticated request without X-CSRF-Token", async () => {
    const { client } = await signedInUser(fixture, "csrf");
    const unsafe = fixture.app.routes.filter(
      (route) => ["POST", "PUT", "PATCH", "DELETE"].includes(route.method) && !CSRF_EXEMPT.has(route.path),
    );
    expect(unsafe.length).toBeGreaterThan(10);
    for (const route of unsafe) {
      const path = route.path.replace(/:[a-zA-Z]+/g, crypto.randomUUID());
      for (const csrf of [undefined, "wrong-token"]) {
        const response = await client.request(route.method, path, {
          body: {},
          csrf: false,
          headers: csrf ? { "x-csrf-token": csrf } : {},
        });
        const body = (await response.json()) as ErrorBody;
        expect({ route: `${route.method} ${route.path}`, status: response.status, code: body.error?.code }).toEqual({
          route: `${route.method} ${route.path}`,
          status: 403,
          code: "CSRF_FAILED",
        });
      }
    }
    // Nothing was changed by any of them: the session still works and the profile is untouched.
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });

  test("401 comes before 403 CSRF, and CSRF before 422", async () => {
    const anonymous = await new TestClient(fixture).json<ErrorBody>("PATCH", "/api/auth/profile", { role: "admin" });
    expect(anonymous.status).toBe(401);
    const { client } = await signedInUser(fixture, "order");
    const noCsrf = await client.request("PATCH", "/api/auth/profile", { body: { role: "admin" }, csrf: false });
    expect(noCsrf.status).toBe(403);
    const invalid = await client.json<ErrorBody>("PATCH", "/api/auth/profile", { role: "admin" });
    expect(invalid.status).toBe(422);
  });

  test("a body that is not JSON answers 400 only after 401, CSRF and 428, with a body schema or without", async () => {
    const junk = (headers: Record<string, string> = {}) => ({
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: "{bad",
    });
    const code = async (path: string, init: RequestInit) => {
      const answer = await fixture.request(path, init);
      return [answer.status, ((await answer.json()) as ErrorBody).error.code];
    };
    expect(await code("/api/transfers/p2p", junk())).toEqual([401, "UNAUTHENTICATED"]);
    const { client } = await signedInUser(fixture, "junk");
    const cookie = `access_token=${client.cookie("access_token")}; csrf_token=${client.cookie("csrf_token")}`;
    expect(await code("/api/transfers/p2p", junk({ cookie }))).toEqual([403, "CSRF_FAILED"]);
    const bearer = { authorization: `Bearer ${client.cookie("access_token")}` };
    expect(await code("/api/transfers/p2p", junk(bearer))).toEqual([428, "IDEMPOTENCY_KEY_REQUIRED"]);
    const keyed = { ...bearer, "idempotency-key": crypto.randomUUID() };
    expect(await code("/api/transfers/p2p", junk(keyed))).toEqual([400, "MALFORMED_REQUEST"]);
    expect(await code("/api/transfers/p2p", { ...junk(keyed), headers: { ...keyed, "content-type": "text/plain" } })).toEqual([
      400,
      "MALFORMED_REQUEST",
    ]);
    // A route without a body schema refuses junk too rather than ignoring it; a public route answers 400 at once.
    expect(await code("/api/auth/resend-verification", junk(bearer))).toEqual([400, "MALFORMED_REQUEST"]);
    expect(await code("/api/auth/login", junk())).toEqual([400, "MALFORMED_REQUEST"]);
    // No body at all, on a route that takes one, is no JSON either: 400, in the same place.
    expect(await code("/api/transfers/p2p", { ...junk(keyed), body: "" })).toEqual([400, "MALFORMED_REQUEST"]);
    expect(await code("/api/auth/login", { method: "POST", headers: { "content-type": "application/json" } })).toEqual([
      400,
      "MALFORMED_REQUEST",
    ]);
    expect(await code("/api/auth/login", { method: "POST" })).toEqual([400, "MALFORMED_REQUEST"]);
    expect(await code("/api/transfers/p2p", { method: "POST", headers: { "content-type": "application/json" } })).toEqual([
      401,
      "UNAUTHENTICATED",
    ]);
    // A route without a body takes none, with or without a JSON content type.
    const resent = await fixture.request("/api/auth/resend-verification", { ...junk(bearer), body: "" });
    expect([resent.status, await resent.text()]).toEqual([202, JSON.stringify({ accepted: true })]);
    expect((await client.json("GET", "/api/auth/me")).status).toBe(200);
  });
});

describe("admin", () => {
  test("admin routes are 403 for users; an admin freezes and unfreezes", async () => {
    const user = await signedInUser(fixture, "plain");
    const admin = await signedInUser(fixture, "admin");
    const forbidden = await user.client.json<ErrorBody>("POST", `/api/admin/users/${admin.userId}/freeze`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error.code).toBe("FORBIDDEN");
    expect((await user.client.json("GET", "/api/admin/audit")).status).toBe(403);

    const { promoteToAdmin } = await import("../src/modules/identity/standing");
    await promoteToAdmin(fixture.deps.database.db, admin.email);
    const frozen = await admin.client.json<{ user: { frozen: boolean } }>("POST", `/api/admin/users/${user.userId}/freeze`);
    expect(frozen.status).toBe(200);
    expect(frozen.body.user.frozen).toBe(true);
    // The frozen user's open app hears of it at once (a security frame).
    const securityFrames = async (userId: string) =>
      (
        await fixture.deps.database.db
          .select()
          .from(outboxEvents)
          .where(and(eq(outboxEvents.userId, userId), eq(outboxEvents.type, "security")))
      ).map((event) => (event.data as { action: string }).action);
    expect(await securityFrames(user.userId)).toEqual(["auth.login", "admin.user_frozen"]);
    // The admin heard of their own promotion, not of the freeze they made.
    expect(await securityFrames(admin.userId)).toEqual(["auth.login", "admin.user_promoted"]);
    // Freezing again changes nothing and records nothing.
    const again = await admin.client.json<{ user: { frozen: boolean } }>("POST", `/api/admin/users/${user.userId}/freeze`);
    expect([again.status, again.body.user.frozen]).toEqual([200, true]);
    // A frozen user still signs in and reads.
    expect((await user.client.json("GET", "/api/auth/me")).status).toBe(200);
    const unfrozen = await admin.client.json<{ user: { frozen: boolean } }>("POST", `/api/admin/users/${user.userId}/unfreeze`);
    expect(unfrozen.body.user.frozen).toBe(false);
    expect(await securityFrames(user.userId)).toEqual(["auth.login", "admin.user_frozen", "admin.user_unfrozen"]);
    expect((await admin.client.json("POST", `/api/admin/users/${crypto.randomUUID()}/freeze`)).status).toBe(404);
    expect((await admin.client.json("POST", "/api/admin/users/not-a-uuid/freeze")).status).toBe(404);
    // An account is found by its email, in any case, as support hears it (the id is what freeze takes).
    const found = await admin.client.json<{ user: { id: string; email: string; frozen: boolean } }>(
      "GET",
      `/api/admin/users?email=${encodeURIComponent(user.email.toUpperCase())}`,
    );
    expect([found.status, found.body.user.id, found.body.user.frozen]).toEqual([200, user.userId, false]);
    const unknown = await admin.client.json<ErrorBody>("GET", "/api/admin/users?email=nobody%40example.com");
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "NOT_FOUND"]);
    const missing = await admin.client.json<ErrorBody>("GET", "/api/admin/users");
    expect([missing.status, missing.body.error.code]).toEqual([422, "VALIDATION_FAILED"]);
    expect((await user.client.json("GET", `/api/admin/users?email=${encodeURIComponent(admin.email)}`)).status).toBe(403);

    const search = await admin.client.json<{ items: { action: string; hash: string; userId: string; userEmail: string }[] }>(
      "GET",
      `/api/admin/audit?userId=${user.userId}&action=admin.user_frozen`,
    );
    expect(search.body.items).toHaveLength(1);
    expect(search.body.items[0].hash).toMatch(/^[0-9a-f]{64}$/);
    // Each row names its user by email too, as the account has it now.
    expect(search.body.items[0].userEmail).toBe(user.email);
    // A family, as API.md writes `admin.*`: the freeze and the unfreeze (and only admin actions).
    const family = await admin.client.json<{ items: { action: string }[] }>(
      "GET",
      `/api/admin/audit?userId=${user.userId}&action=admin.*`,
    );
    expect(family.body.items.map((row) => row.action)).toEqual(["admin.user_unfrozen", "admin.user_frozen"]);
    const literal = await admin.client.json<{ items: unknown[] }>("GET", `/api/admin/audit?userId=${user.userId}&action=admin_*`);
    expect(literal.body.items).toEqual([]);
    // The user's own log names the admin but not the admin's IP or device; the admin's log keeps them.
    type Row = { action: string; ip: string | null; userAgent: string | null; metadata: Record<string, unknown> | null };
    const own = await user.client.json<{ items: Row[] }>("GET", "/api/audit");
    const seen = own.body.items.find((row) => row.action === "admin.user_frozen");
    expect({ ip: seen?.ip, userAgent: seen?.userAgent }).toEqual({ ip: null, userAgent: null });
    expect(JSON.stringify(seen?.metadata ?? {})).not.toContain(admin.userId);
    const byAdmin = await admin.client.json<{ items: Row[] }>("GET", "/api/audit");
    expect(byAdmin.body.items.find((row) => row.action === "admin.user_frozen")?.userAgent).toBe(admin.client.userAgent);
  });

  test("a frozen admin keeps no admin powers, and no admin freezes or unfreezes themselves", async () => {
    const first = await adminUser(fixture, "admin-one");
    const second = await adminUser(fixture, "admin-two");
    const self = await first.client.json<ErrorBody>("POST", `/api/admin/users/${first.userId}/freeze`);
    expect([self.status, self.body.error.code]).toEqual([403, "FORBIDDEN"]);
    expect((await first.client.json("POST", `/api/admin/users/${second.userId}/freeze`)).status).toBe(200);
    for (const [method, path] of [
      ["GET", "/api/admin/withdrawals"],
      ["POST", `/api/admin/users/${second.userId}/unfreeze`],
      ["POST", `/api/admin/users/${first.userId}/freeze`],
    ]) {
      const answer = await second.client.json<ErrorBody>(method, path);
      expect({ path, status: answer.status, code: answer.body.error.code }).toEqual({ path, status: 403, code: "FORBIDDEN" });
    }
    expect((await first.client.json("POST", `/api/admin/users/${second.userId}/unfreeze`)).status).toBe(200);
    expect((await second.client.json("GET", "/api/admin/withdrawals")).status).toBe(200);
  });
});

describe("login throttle", () => {
  test("past the budget every attempt is 429 with Retry-After and the failure budget's RateLimit-*, the right password too", async () => {
    const { email } = await signedInUser(fixture, "brute");
    const attacker = new TestClient(fixture);
    attacker.ip = "198.51.100.66";
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      statuses.push((await attacker.post("/api/auth/login", { email, password: `guess number ${i}` })).status);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const right = await attacker.request("POST", "/api/auth/login", { body: { email, password: PASSWORD } });
    expect(right.status).toBe(429);
    const retryAfter = right.headers.get("retry-after");
    expect(Number(retryAfter)).toBeGreaterThan(14 * 60);
    // The headers describe the budget that refused (5 failures in 15 minutes), not the minute's request budget.
    expect(["limit", "remaining", "reset"].map((name) => right.headers.get(`ratelimit-${name}`))).toEqual(["5", "0", retryAfter]);
    expect(((await right.json()) as ErrorBody).error.code).toBe("RATE_LIMITED");
    // The same budget holds from another IP: it is the account's.
    const elsewhere = new TestClient(fixture);
    elsewhere.ip = "198.51.100.67";
    expect((await elsewhere.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(429);
  });

  test("failures count for the whole window: the owner's sign-in in between does not wipe them", async () => {
    const { email } = await signedInUser(fixture, "interleaved");
    const client = new TestClient(fixture);
    client.ip = "198.51.100.68";
    const attempt = async (password: string) => (await client.post("/api/auth/login", { email, password })).status;
    const statuses: number[] = [];
    for (const password of ["guess 1", "guess 2", PASSWORD, "guess 3", "guess 4", "guess 5", PASSWORD])
      statuses.push(await attempt(password));
    // Budget 5: the fifth failure fills it, so the right password after it is 429 too.
    expect(statuses).toEqual([401, 401, 200, 401, 401, 401, 429]);
  });

  test("a wrong current password counts in the account's sign-in budget, which never keeps the owner from changing it", async () => {
    const { client, email } = await signedInUser(fixture, "one-password");
    const stranger = new TestClient(fixture);
    stranger.ip = "198.51.100.69";
    for (let i = 0; i < 3; i++)
      expect((await stranger.post("/api/auth/login", { email, password: `guess ${i}` })).status).toBe(401);
    const change = (currentPassword: string) =>
      client.request("POST", "/api/auth/password/change", { body: { currentPassword, newPassword: "a brand new passphrase 9" } });
    for (let i = 0; i < 2; i++) expect((await change(`session guess ${i}`)).status).toBe(401);
    // Budget 5: three sign-ins and two current passwords wrong, so sign-in to the account is closed now…
    expect((await stranger.post("/api/auth/login", { email, password: "guess 3" })).status).toBe(429);
    // …but the owner, signed in, still changes the password under attack.
    expect((await change(PASSWORD)).status).toBe(200);
  });

  test("the per-IP budget stops one address trying many accounts", async () => {
    const sprayer = new TestClient(fixture);
    sprayer.ip = "198.51.100.99";
    let limited = 0;
    for (let i = 0; i < 55; i++) {
      const status = (await sprayer.post("/api/auth/login", { email: uniqueEmail("spray"), password: "some password" })).status;
      expect([401, 429]).toContain(status);
      if (status === 429) limited++;
    }
    expect(limited).toBe(5); // 5 per account × 10 = 50 failures per IP
  });

  test("wrong passwords arriving together: exactly the budget of them is checked, the rest are 429", async () => {
    const { email } = await signedInUser(fixture, "burst");
    const attacker = new TestClient(fixture);
    attacker.ip = "198.51.100.70";
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => attacker.post("/api/auth/login", { email, password: `guess number ${i}` })),
    );
    expect(tally(answers.map((answer) => answer.status))).toEqual({ 401: 5, 429: 15 });
  });

  test("the right password sent after a parallel burst of wrong ones is 429, though none had been answered yet", async () => {
    const { email } = await signedInUser(fixture, "burst-right");
    const attacker = new TestClient(fixture);
    attacker.ip = "198.51.100.71";
    const wrong = Array.from({ length: 15 }, (_, i) =>
      attacker.post("/api/auth/login", { email, password: `guess number ${i}` }),
    );
    const right = await attacker.post("/api/auth/login", { email, password: PASSWORD });
    expect(right.status).toBe(429);
    // Computed from the failures, not a short wait for attempts still being checked.
    expect(Number(right.headers.get("retry-after"))).toBeGreaterThan(1);
    expect(tally((await Promise.all(wrong)).map((answer) => answer.status))).toEqual({ 401: 5, 429: 10 });
  });

  /** `count` sign-ins with the right password sent at once from one client, tallied by status. */
  const signInsAtOnce = async (client: TestClient, email: string, count: number) =>
    tally(
      (await Promise.all(Array.from({ length: count }, () => client.post("/api/auth/login", { email, password: PASSWORD })))).map(
        (answer) => answer.status,
      ),
    );

  test("right passwords arriving together, more of them than the budget: all 200, attempts being checked are no failures", async () => {
    const { email } = await signedInUser(fixture, "burst-owner");
    const owner = new TestClient(fixture);
    owner.ip = "198.51.100.73";
    expect(await signInsAtOnce(owner, email, 12)).toEqual({ 200: 12 });
  });

  test("two failures, then right passwords arriving together, more than the budget left: all 200", async () => {
    const { email } = await signedInUser(fixture, "burst-after-typos");
    const owner = new TestClient(fixture);
    owner.ip = "198.51.100.74";
    for (const typo of ["typo one", "typo two"])
      expect((await owner.post("/api/auth/login", { email, password: typo })).status).toBe(401);
    expect(await signInsAtOnce(owner, email, 8)).toEqual({ 200: 8 });
  });

  test("successful sign-ins spend no budget: more of them from one IP than its budget all succeed", async () => {
    const { email } = await signedInUser(fixture, "regular");
    const client = new TestClient(fixture);
    client.ip = "198.51.100.72";
    const ipBudget = 5 * 10;
    const statuses: number[] = [];
    for (let i = 0; i <= ipBudget; i++)
      statuses.push((await client.post("/api/auth/login", { email, password: PASSWORD })).status);
    expect(tally(statuses)).toEqual({ 200: ipBudget + 1 });
  });
});

/** A session resolver that finds every session live, counting how often it is asked. */
function countingSessions() {
  const counter = {
    asked: 0,
    resolve: async () => {
      counter.asked++;
      return { role: "user" as const, emailVerified: true, frozen: false };
    },
  };
  return counter;
}

describe("rate limit", () => {
  test("RateLimit-* headers on API answers, 429 with Retry-After past the budget, per user across IPs", async () => {
    const limited = await createTestApp(
      { TRUST_PROXY: "true", RATE_LIMIT_PER_MINUTE: "5" },
      { database: fixture.deps.database as never },
    );
    const anonymous = new TestClient(limited);
    anonymous.ip = "192.0.2.1";
    const first = await anonymous.request("GET", "/api/config");
    expect(first.headers.get("ratelimit-limit")).toBe("5");
    expect(first.headers.get("ratelimit-remaining")).toBe("4");
    expect(Number(first.headers.get("ratelimit-reset"))).toBeGreaterThan(0);
    for (let i = 0; i < 4; i++) await anonymous.request("GET", "/api/config");
    const over = await anonymous.request("GET", "/api/config");
    expect(over.status).toBe(429);
    expect(Number(over.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(((await over.json()) as ErrorBody).error.code).toBe("RATE_LIMITED");
    // Platform endpoints are never limited.
    expect((await anonymous.request("GET", "/health")).status).toBe(200);
    expect((await anonymous.request("GET", "/ready")).headers.get("ratelimit-limit")).toBeNull();
    // Another IP has its own budget.
    const neighbour = new TestClient(limited);
    neighbour.ip = "192.0.2.2";
    expect((await neighbour.request("GET", "/api/config")).status).toBe(200);
    // A signed-in user has one budget, whatever address the requests come from.
    const { client } = await signedInUser(limited, "budget");
    for (let i = 0; i < 3; i++) expect((await client.request("GET", "/api/auth/me")).status).toBe(200);
    client.ip = "192.0.2.3";
    for (let i = 0; i < 2; i++) expect((await client.request("GET", "/api/auth/me")).status).toBe(200);
    expect((await client.request("GET", "/api/auth/me")).status).toBe(429);
    await limited.dispose();
  });

  test("past its budget a flood is answered 429 without asking the database for the session each time", async () => {
    const { client } = await signedInUser(fixture, "flood");
    const session = countingSessions();
    const limited = new Elysia()
      .use(rateLimitPlugin({ ...fixture.deps.config, rateLimitPerMinute: 3 }, new MemoryCounterStore(), session.resolve))
      .get("/api/probe", () => "ok");
    const headers = { authorization: `Bearer ${client.cookie("access_token")}` };
    const statuses: number[] = [];
    for (let i = 0; i < 30; i++)
      statuses.push((await limited.handle(new Request("http://localhost/api/probe", { headers }))).status);
    expect(tally(statuses)).toEqual({ 200: 3, 429: 27 });
    // Asked for the three allowed and the first refused; then once more only if the loop crossed the answer's second.
    expect(session.asked).toBeGreaterThanOrEqual(4);
    expect(session.asked).toBeLessThanOrEqual(5);
  });

  test("an authenticated request asks for its session once: the limiter's answer is the auth check's", async () => {
    const { client } = await signedInUser(fixture, "oneask");
    const session = countingSessions();
    const config = fixture.deps.config;
    const app = new Elysia()
      .use(rateLimitPlugin(config, new MemoryCounterStore(), session.resolve))
      .use(authPlugin(config, session.resolve))
      .get("/api/mine", ({ principal }) => principal.userId, { auth: true });
    const headers = { authorization: `Bearer ${client.cookie("access_token")}` };
    for (let i = 0; i < 5; i++)
      expect((await app.handle(new Request("http://localhost/api/mine", { headers }))).status).toBe(200);
    expect(session.asked).toBe(5);
  });

  test("a revoked token spends its address's budget, never its user's, even the moment after it was used", async () => {
    const limited = await createTestApp(
      { TRUST_PROXY: "true", RATE_LIMIT_PER_MINUTE: "5" },
      { database: fixture.deps.database as never },
    );
    const { client, email } = await signedInUser(limited, "leaked");
    // A second session whose token leaks; the user then signs it out.
    const device = new TestClient(limited);
    expect((await device.post("/api/auth/login", { email, password: PASSWORD })).status).toBe(200);
    const leaked = device.cookie("access_token") as string;
    const thief = new TestClient(limited);
    // An address of its own: a random one drawn like the others' (1 in 254) found their spent budget (a flaky 429).
    thief.ip = "198.51.100.7";
    const bearer = { authorization: `Bearer ${leaked}` };
    expect((await thief.request("GET", "/api/auth/me", { headers: bearer })).status).toBe(200); // seen live just now
    expect((await device.post("/api/auth/logout")).status).toBe(204);
    for (let i = 0; i < 5; i++) expect((await thief.request("GET", "/api/auth/me", { headers: bearer })).status).toBe(401);
    expect((await thief.request("GET", "/api/auth/me", { headers: bearer })).status).toBe(429);
    // The owner's budget holds only their own requests: the thief's while the session lived, the sign-out, and this one.
    const mine = await client.request("GET", "/api/auth/me");
    expect(mine.status).toBe(200);
    expect(mine.headers.get("ratelimit-remaining")).toBe("2");
    await limited.dispose();
  });
});

describe("two instances of one deployment", () => {
  test("a session revoked on one instance is refused by the other at once", async () => {
    const second = await createTestApp(
      { TRUST_PROXY: "true" },
      { database: fixture.deps.database as never, redisPrefix: fixture.redisPrefix },
    );
    const { client, email } = await signedInUser(fixture, "instances");
    const onSecond = new TestClient(second);
    await onSecond.post("/api/auth/login", { email, password: PASSWORD });
    expect((await onSecond.json("GET", "/api/auth/me")).status).toBe(200);
    // Signed in on the second instance, the user ends every other session from the first.
    expect((await client.post("/api/auth/sessions/revoke-others")).status).toBe(204);
    expect((await onSecond.json("GET", "/api/auth/me")).status).toBe(401);
    // And a logout on the second instance is seen by the first.
    const again = new TestClient(second);
    await again.post("/api/auth/login", { email, password: PASSWORD });
    const token = again.cookie("access_token") as string;
    expect((await again.post("/api/auth/logout")).status).toBe(204);
    const viaFirst = await new TestClient(fixture).request("GET", "/api/auth/me", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(viaFirst.status).toBe(401);
    await second.dispose();
  });
});

describe("withdrawal lock", () => {
  test("a withdrawal lock with 30 minutes left still refuses withdrawals and P2P sends (403 WITHDRAWALS_LOCKED); one ended a minute ago, neither", async () => {
    const user = await fundedUser(fixture, "lock-end", "100");
    const friend = await signedInUser(fixture, "lock-end-friend");
    const iban = "GB82 WEST 1234 5698 7654 32";
    expect((await user.client.json("POST", "/api/wallet/addresses", { asset: "USD", address: iban, label: "bank" })).status).toBe(
      201,
    );
    // The address book's cooling-off is another rule: over already, so only the lock can refuse.
    await fixture.deps.database.db.execute(
      sql`update withdrawal_addresses set active_at = now() - interval '1 minute' where user_id = ${user.userId}`,
    );
    const lockUntil = (interval: string) =>
      fixture.deps.database.db.execute(
        sql`update users set withdrawals_locked_until = now() + ${interval}::interval where id = ${user.userId}`,
      );
    const withKey = (path: string, body: unknown) =>
      user.client.request("POST", path, { body, headers: { "idempotency-key": crypto.randomUUID() } });
    const withdraw = () => withKey("/api/wallet/withdraw", { asset: "USD", amount: "5", address: iban });
    const send = () => withKey("/api/transfers/p2p", { recipientEmail: friend.email, asset: "USD", amount: "5" });

    await lockUntil("30 minutes");
    for (const refused of [await withdraw(), await send()]) {
      expect(refused.status).toBe(403);
      expect(((await refused.json()) as ErrorBody).error.code).toBe("WITHDRAWALS_LOCKED");
    }
    await lockUntil("-1 minute");
    expect((await withdraw()).status).toBe(202);
    expect((await send()).status).toBe(201);
  });
});

describe("audit log", () => {
  test("behind a proxy, an X-Forwarded-For hop that is no IP address is not recorded as the client's", async () => {
    const user = await signedInUser(fixture, "audit-hop");
    user.client.ip = "garbage, <script>";
    await user.client.json("PATCH", "/api/auth/profile", { name: "Hop" });
    const { body } = await user.client.json<{ items: { action: string; ip: string | null }[] }>("GET", "/api/audit?limit=1");
    expect(body.items[0]).toEqual(expect.objectContaining({ action: "auth.profile_updated", ip: null }));
  });

  test("users see only their own events, newest first, with cursor pagination", async () => {
    const alice = await signedInUser(fixture, "audit-a");
    await signedInUser(fixture, "audit-b");
    await alice.client.json("PATCH", "/api/auth/profile", { name: "Alice A" });
    const page1 = await alice.client.json<{
      items: { id: string; action: string; ip: string; userAgent: string }[];
      nextCursor: string | null;
    }>("GET", "/api/audit?limit=2");
    expect(page1.body.items.map((e) => e.action)).toEqual(["auth.profile_updated", "auth.login"]);
    expect(page1.body.items[0].ip).toBe(alice.client.ip);
    expect(page1.body.items[0].userAgent).toBe(alice.client.userAgent);
    expect(page1.body.nextCursor).toBeString();
    const page2 = await alice.client.json<{ items: { action: string }[]; nextCursor: string | null }>(
      "GET",
      `/api/audit?limit=2&cursor=${page1.body.nextCursor}`,
    );
    expect(page2.body.items.map((e) => e.action)).toEqual(["auth.email_verified", "auth.register"]);
    expect(page2.body.nextCursor).toBeNull();
    expect((await alice.client.json("GET", "/api/audit?limit=500")).status).toBe(422);
  });

  test("a cursor the list did not issue is 422 naming it, never a 5xx or the first page; the admin search too", async () => {
    const user = await signedInUser(fixture, "audit-cursor");
    const admin = await adminUser(fixture, "audit-cursor-admin");
    // API.md's template with its filters left empty is the unfiltered list.
    expect((await admin.client.json("GET", "/api/admin/audit?userId=&action=")).status).toBe(200);
    for (const [client, path] of [
      [user.client, "/api/audit"],
      [admin.client, "/api/admin/audit"],
    ] as const) {
      for (const cursor of ["99999999999999999999", "9007199254740993", "garbage", "0", "-1", "1.5", "1e3", "007"]) {
        const answer = await client.json<{ error: { code: string; details?: unknown } }>(
          "GET",
          `${path}?cursor=${encodeURIComponent(cursor)}`,
        );
        expect({
          path,
          cursor,
          status: answer.status,
          code: answer.body.error?.code,
          details: answer.body.error?.details,
        }).toEqual({
          path,
          cursor,
          status: 422,
          code: "VALIDATION_FAILED",
          details: { fields: ["cursor"] },
        });
      }
    }
  });

  test("rows cannot be updated or deleted", async () => {
    await signedInUser(fixture, "immutable");
    const db = fixture.deps.database.db;
    for (const statement of [
      sql`update audit_log set action = 'x' where id = (select min(id) from audit_log)`,
      sql`delete from audit_log where id = (select min(id) from audit_log)`,
      sql`truncate audit_log`,
    ]) {
      const error = await Promise.resolve(db.execute(statement)).then(
        () => undefined,
        (e: Error & { cause?: Error }) => e,
      );
      expect(String(error?.cause?.message ?? error?.message)).toContain("append-only");
    }
  });

  test("tampering with a row (trigger disabled by a superuser) is found and named", async () => {
    const victim = await signedInUser(fixture, "tamper");
    const db = fixture.deps.database.db;
    expect((await verifyAuditChains(db)).problems).toEqual([]);
    const [target] = await queryRows<{ id: string; seq: number }>(
      db,
      sql`select id::text as id, seq from audit_log where user_id = ${victim.userId} and action = 'auth.login'`,
    );
    await db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`update audit_log set ip = '10.0.0.1' where id = ${Number(target.id)}`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    const report = await verifyAuditChains(db);
    expect(report.problems).toEqual([
      { chain: victim.userId, id: Number(target.id), seq: target.seq, problem: expect.stringContaining("changed") },
    ]);
    // Put it back for the other tests: the chain verifies again.
    await db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`update audit_log set ip = ${victim.client.ip} where id = ${Number(target.id)}`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    expect((await verifyAuditChains(db)).problems).toEqual([]);
  });

  test("a deleted row breaks the chain at the next one", async () => {
    const victim = await signedInUser(fixture, "deleted");
    await victim.client.json("PATCH", "/api/auth/profile", { name: "After" });
    const db = fixture.deps.database.db;
    const rows = await queryRows<{ id: string; seq: number }>(
      db,
      sql`select id::text as id, seq from audit_log where user_id = ${victim.userId} order by seq`,
    );
    await db.transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(sql`delete from audit_log where id = ${Number(rows[1].id)}`);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
    const report = await verifyAuditChains(db);
    expect(report.problems).toEqual([
      { chain: victim.userId, id: Number(rows[2].id), seq: rows[2].seq, problem: expect.stringContaining("missing") },
    ]);
  });
});

describe("audit heads", () => {
  const db = () => fixture.deps.database.db;
  const chainRows = (chain: string) =>
    queryRows<{ id: string; seq: number; hash: string }>(
      db(),
      sql`select id::text as id, seq, hash from audit_log where chain = ${chain} order by seq`,
    );
  /** What a superuser can do: the append-only trigger disabled for one statement. */
  const asSuperuser = (statement: ReturnType<typeof sql>) =>
    db().transaction(async (tx) => {
      await tx.execute(sql`alter table audit_log disable trigger audit_log_append_only`);
      await tx.execute(statement);
      await tx.execute(sql`alter table audit_log enable trigger audit_log_append_only`);
    });
  /** A row chained correctly onto `prevHash` but written around audit_append, so audit_heads never hears of it. */
  const forgedRow = async (chain: string, seq: number, prevHash: string) => {
    const row = {
      chain,
      seq,
      userId: chain,
      action: "auth.logout",
      ip: null,
      userAgent: null,
      metadata: {},
      createdAt: new Date(),
    };
    const [inserted] = await db()
      .insert(auditLog)
      .values({ ...row, prevHash, hash: auditHash({ ...row, prevHash }) })
      .returning({ id: auditLog.id });
    return inserted.id;
  };
  const problemsOf = async (chain: string) => (await verifyAuditChains(db())).problems.filter((p) => p.chain === chain);

  test("a deleted newest row leaves no gap to walk into: audit_heads names the seq and hash that are missing", async () => {
    const { userId } = await signedInUser(fixture, "head-cut");
    const newest = (await chainRows(userId)).at(-1) as { id: string; seq: number; hash: string };
    await asSuperuser(sql`delete from audit_log where id = ${Number(newest.id)}`);
    const [problem] = await problemsOf(userId);
    expect(problem).toEqual({
      chain: userId,
      id: null,
      seq: newest.seq,
      problem: expect.stringContaining(`row ${newest.seq} is missing`),
    });
    expect(problem.problem).toContain(`audit_heads records seq ${newest.seq} (hash ${newest.hash})`);
  });

  test("a head whose chain has no rows left names every missing row", async () => {
    const { userId } = await signedInUser(fixture, "head-emptied");
    const rows = await chainRows(userId);
    await asSuperuser(sql`delete from audit_log where chain = ${userId}`);
    expect(await problemsOf(userId)).toEqual([
      { chain: userId, id: null, seq: 1, problem: expect.stringContaining(`no rows: rows 1 to ${rows.length} are missing`) },
    ]);
  });

  test("rows beyond the head, and a newest row replaced, are found though each links to the row before", async () => {
    const beyond = await signedInUser(fixture, "head-beyond");
    const last = (await chainRows(beyond.userId)).at(-1) as { seq: number; hash: string };
    const extra = await forgedRow(beyond.userId, last.seq + 1, last.hash);
    expect(await problemsOf(beyond.userId)).toEqual([
      { chain: beyond.userId, id: extra, seq: last.seq + 1, problem: expect.stringContaining("rows beyond the head") },
    ]);

    const replaced = await signedInUser(fixture, "head-replaced");
    const [, previous, newest] = await chainRows(replaced.userId);
    await asSuperuser(sql`delete from audit_log where id = ${Number(newest.id)}`);
    const forged = await forgedRow(replaced.userId, newest.seq, previous.hash);
    expect(await problemsOf(replaced.userId)).toEqual([
      { chain: replaced.userId, id: forged, seq: newest.seq, problem: expect.stringContaining("the row was replaced") },
    ]);
  });
});

describe("security events", () => {
  test("a security change queues a security frame for the user's sockets, in the same transaction", async () => {
    const { client, userId } = await signedInUser(fixture, "events");
    await client.json("POST", "/api/auth/sessions/revoke-others");
    const { outboxEvents } = await import("../src/platform/events/schema");
    const { eq } = await import("drizzle-orm");
    const events = await fixture.deps.database.db
      .select()
      .from(outboxEvents)
      .where(eq(outboxEvents.userId, userId))
      .orderBy(outboxEvents.id);
    expect(events.map((e) => [e.type, e.data.action])).toEqual([
      ["security", "auth.login"],
      ["security", "session.revoked"],
    ]);
  });
});
