import { afterAll, beforeAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { FormatRegistry } from "@sinclair/typebox";
import { t } from "elysia";
import { createApp, createServices } from "../src/app";
import { publicConfig } from "../src/modules/system/service";
import { RedisBus } from "../src/platform/bus";
import { isDependencyDown } from "../src/platform/http/errors";
import { isEmail } from "../src/platform/http/formats";
import { rateLimitHeaders } from "../src/platform/http/rate-limit";
import { APP_PATHS } from "../src/platform/http/spa";
import { createLogger } from "../src/platform/observability/logger";
import { createMetrics } from "../src/platform/observability/metrics";
import { ensureWebBuilt } from "../src/web-build";
import { signedInUser } from "./support/client";
import { createTestApp, createTestDatabase, testConfig } from "./support/harness";

// Tests that start their own embedded database take 3–5 s on a loaded machine; what they check is timed inside them.
setDefaultTimeout(30_000);

const webDist = mkdtempSync(join(tmpdir(), "cv-dist-"));
mkdirSync(join(webDist, "assets"));
writeFileSync(join(webDist, "index.html"), "<!doctype html><title>CryptoVault</title>");
writeFileSync(join(webDist, "assets", "app-abc123.js"), "console.log(1)");
// A built chunk with the precompressed copies web/precompress.ts writes beside it.
const chunk = `export const prices = ${JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ symbol: `S${i}`, price: "1.00" })))};`;
writeFileSync(join(webDist, "assets", "chunk-def456.js"), chunk);
writeFileSync(join(webDist, "assets", "chunk-def456.js.br"), brotliCompressSync(chunk));
writeFileSync(join(webDist, "assets", "chunk-def456.js.gz"), gzipSync(chunk));

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ CORS_ORIGINS: "https://app.example" }, { webDist });
  // Routes that exercise the platform: a bug carrying internals that must not leak, an echo, a schema.
  fixture.app
    .get("/api/test/boom", () => {
      throw new Error('relation "secret_table" does not exist at /srv/src/x.ts:1');
    })
    .post("/api/test/echo", ({ body }) => body)
    .post("/api/test/schema", ({ body }) => body, {
      body: t.Object({ email: t.String({ format: "email" }), amount: t.String() }),
    });
});
afterAll(async () => {
  await fixture.dispose();
  rmSync(webDist, { recursive: true, force: true });
});

const json = (body: string, headers: Record<string, string> = {}) => ({
  method: "POST",
  headers: { "content-type": "application/json", ...headers },
  body,
});

async function expectEnvelope(response: Response, status: number, code: string) {
  expect(response.status).toBe(status);
  expect(response.headers.get("content-type")).toContain("application/json");
  const body = (await response.json()) as {
    error: { code: string; message: string; requestId: string; details?: { fields?: string[] } };
  };
  expect(body.error.code).toBe(code);
  expect(body.error.message.length).toBeGreaterThan(0);
  expect(body.error.requestId).toBe(response.headers.get("x-request-id") as string);
  return body.error;
}

describe("error envelope", () => {
  test("unknown API route is a JSON 404, for every method", async () => {
    await expectEnvelope(await fixture.request("/api/nope"), 404, "NOT_FOUND");
    await expectEnvelope(await fixture.request("/api/nope", json("{}")), 404, "NOT_FOUND");
    await expectEnvelope(await fixture.request("/api/nope", { method: "DELETE" }), 404, "NOT_FOUND");
  });

  test("malformed JSON and wrong content type are 400 MALFORMED_REQUEST", async () => {
    await expectEnvelope(await fixture.request("/api/test/echo", json("{bad")), 400, "MALFORMED_REQUEST");
    await expectEnvelope(
      await fixture.request("/api/test/echo", { method: "POST", headers: { "content-type": "text/plain" }, body: "hello" }),
      400,
      "MALFORMED_REQUEST",
    );
    // Valid JSON under another type too: text/plain is what a cross-site form can send without a preflight.
    for (const type of ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"])
      await expectEnvelope(
        await fixture.request("/api/test/echo", { method: "POST", headers: { "content-type": type }, body: '{"a":1}' }),
        400,
        "MALFORMED_REQUEST",
      );
  });

  test("a query parameter given twice is 422 naming it, after authentication; a page's query is its own", async () => {
    const twice = await expectEnvelope(await fixture.request("/api/prices?type=a&ok=1&type=b"), 422, "VALIDATION_FAILED");
    expect(twice.details?.fields).toEqual(["type"]);
    await expectEnvelope(await fixture.request("/api/transactions?type=deposit&type=withdrawal"), 401, "UNAUTHENTICATED");
    const { client } = await signedInUser(fixture, "twice");
    const listed = await client.json<{ error: { details: { fields: string[] } } }>(
      "GET",
      "/api/transactions?type=deposit&type=withdrawal",
    );
    expect([listed.status, listed.body.error.details.fields]).toEqual([422, ["type"]]);
    expect((await client.json("GET", "/api/transactions?type=deposit")).status).toBe(200);
    // A page, an unknown path and the docs read no query: served (or 404) as without the repetition.
    await expectEnvelope(await fixture.request("/api/nope?a=1&a=2"), 404, "NOT_FOUND");
    expect((await fixture.request("/api/docs?a=1&a=2")).status).toBe(200);
  });

  test("a NUL character (which Postgres cannot store) in a body or query is 422 naming the field; in a path, 404", async () => {
    const cases: [unknown, string[]][] = [
      [{ note: "a\u0000b" }, ["note"]],
      [{ nested: [{ deep: "\u0000" }] }, ["nested.0.deep"]],
      [{ "k\u0000": 1 }, ["k\u0000"]],
      ["\u0000", ["body"]],
    ];
    for (const [body, fields] of cases) {
      const error = await expectEnvelope(
        await fixture.request("/api/test/echo", json(JSON.stringify(body))),
        422,
        "VALIDATION_FAILED",
      );
      expect(error.details?.fields).toEqual(fields);
    }
    // An escaped backslash before "u0000" is ordinary text.
    expect((await fixture.request("/api/test/echo", json(JSON.stringify({ note: "\\u0000" })))).status).toBe(200);
    const inQuery = await expectEnvelope(await fixture.request("/api/test/echo?q=%00&ok=1"), 422, "VALIDATION_FAILED");
    expect(inQuery.details?.fields).toEqual(["q"]);
    await expectEnvelope(await fixture.request("/api/transactions/%00"), 404, "NOT_FOUND");
    // Authentication still answers first (API.md's order): a NUL does not tell a stranger what the route checks.
    await expectEnvelope(await fixture.request("/api/auth/me?q=%00"), 401, "UNAUTHENTICATED");
  });

  test("an unpaired surrogate is no text: 422 naming the field, on a real route too; a pair is a character", async () => {
    for (const [raw, fields] of [
      ['{"note":"n\\ud800"}', ["note"]],
      ['{"list":["ok","\\udc00x"]}', ["list.1"]],
      ['{"k\\ud83d":1}', ["k\ud83d"]],
    ] as const) {
      const error = await expectEnvelope(await fixture.request("/api/test/echo", json(raw)), 422, "VALIDATION_FAILED");
      expect(error.details?.fields).toEqual([...fields]);
    }
    expect((await fixture.request("/api/test/echo", json('{"note":"\\ud83e\\udd8a"}'))).status).toBe(200);
    // Before, the failed login's audit row could not be written: a 500.
    const login = await fixture.request("/api/auth/login", json('{"email":"\\ud800@b.co","password":"whatever1"}'));
    expect((await expectEnvelope(login, 422, "VALIDATION_FAILED")).details?.fields).toEqual(["email"]);
  });

  test("a body nested deeper than any of ours is 400 MALFORMED_REQUEST however deep", async () => {
    for (const depth of [33, 5_000, 32_000]) {
      const raw = `{"email":${"[".repeat(depth)}${"]".repeat(depth)}}`;
      await expectEnvelope(await fixture.request("/api/auth/login", json(raw)), 400, "MALFORMED_REQUEST");
    }
    expect((await fixture.request("/api/test/echo", json(`{"a":${"[".repeat(31)}${"]".repeat(31)}}`))).status).toBe(200);
  });

  test("a malformed percent escape in a cookie or a path is a 4xx, never a 500", async () => {
    for (const cookie of ["access_token=%E0%A4%A", "access_token=%"]) {
      await expectEnvelope(await fixture.request("/api/auth/me", { headers: { cookie } }), 401, "UNAUTHENTICATED");
    }
    await expectEnvelope(await fixture.request("/%E0%A4%A"), 404, "NOT_FOUND");
  });

  test("a schema failure is 422 naming the fields", async () => {
    const error = await expectEnvelope(
      await fixture.request("/api/test/schema", json(JSON.stringify({ email: "nope", amount: 5 }))),
      422,
      "VALIDATION_FAILED",
    );
    expect(error.details?.fields?.sort()).toEqual(["amount", "email"]);
    const extra = await expectEnvelope(
      await fixture.request("/api/test/schema", json(JSON.stringify({ email: "a@b.co", amount: "1", role: "admin" }))),
      422,
      "VALIDATION_FAILED",
    );
    expect(extra.details?.fields).toEqual(["role"]);
    // A body that is not an object is named as the body; one that is missing is no JSON at all (400).
    await expectEnvelope(await fixture.request("/api/test/schema", { method: "POST" }), 400, "MALFORMED_REQUEST");
    await expectEnvelope(await fixture.request("/api/test/schema", json("")), 400, "MALFORMED_REQUEST");
    for (const init of [json("[1]"), json('"text"'), json("null")]) {
      const whole = await expectEnvelope(await fixture.request("/api/test/schema", init), 422, "VALIDATION_FAILED");
      expect(whole.details?.fields).toEqual(["body"]);
    }
    const ok = await fixture.request("/api/test/schema", json(JSON.stringify({ email: "a@b.co", amount: "1" })));
    expect(ok.status).toBe(200);
  });

  test("a body over 64 KiB is 413 with the envelope, declared or streamed", async () => {
    const big = JSON.stringify({ pad: "x".repeat(70_000) });
    const declared = await fixture.request("/api/test/echo", json(big, { "content-length": String(big.length) }));
    await expectEnvelope(declared, 413, "PAYLOAD_TOO_LARGE");
    // Counted by the rate limit like any request, so nobody sends them without bound.
    const remaining = Number(declared.headers.get("ratelimit-remaining"));
    expect(declared.headers.get("ratelimit-limit")).not.toBeNull();
    const again = await fixture.request("/api/test/echo", json(big, { "content-length": String(big.length) }));
    expect(Number(again.headers.get("ratelimit-remaining"))).toBe(remaining - 1);
    const chunks = new ReadableStream({
      start(controller) {
        for (let i = 0; i < 20; i++) controller.enqueue(new TextEncoder().encode("x".repeat(5000)));
        controller.close();
      },
    });
    const streamed = await fixture.app.handle(
      new Request("http://localhost/api/test/echo", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: chunks,
      }),
    );
    await expectEnvelope(streamed, 413, "PAYLOAD_TOO_LARGE");
  });

  test("a declared length just over the limit is 413 at once, without waiting for a body that may never end", async () => {
    // A body that never ends: only a refusal by its declared length answers.
    const endless = new ReadableStream({
      start(controller) {
        controller.enqueue(new TextEncoder().encode('{"pad":"'));
      },
    });
    const answer = fixture.app.handle(
      new Request("http://localhost/api/test/echo", {
        method: "POST",
        headers: { "content-type": "application/json", "content-length": String(64 * 1024 + 1) },
        body: endless,
      }),
    );
    const waited = new Promise<"no answer">((resolve) => setTimeout(() => resolve("no answer"), 2000));
    const response = await Promise.race([answer, waited]);
    if (response === "no answer") throw new Error("the declared length was not refused: the server waited for the body");
    await expectEnvelope(response, 413, "PAYLOAD_TOO_LARGE");
  });

  test("an internal failure is 500 without internals", async () => {
    const response = await fixture.request("/api/test/boom");
    const text = await response.clone().text();
    await expectEnvelope(response, 500, "INTERNAL");
    expect(text).not.toContain("secret_table");
    expect(text).not.toContain(".ts:");
  });
});

describe("isDependencyDown: 503 UNAVAILABLE, not 500", () => {
  const pgError = (code: string, message: string) =>
    new Error("Failed query: select 1", { cause: Object.assign(new Error(message), { code }) });

  test("the database gone, the role's sign-in or CONNECT refused, a server shutting down: down", () => {
    for (const [code, message] of [
      ["3D000", 'database "vault" does not exist'],
      ["28P01", 'password authentication failed for user "vault"'],
      ["28000", 'role "vault" is not permitted to log in'],
      ["42501", 'permission denied for database "vault"'],
      ["57P01", "terminating connection due to administrator command"],
      ["ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:5432"],
    ])
      expect({ code, down: isDependencyDown(pgError(code, message)) }).toEqual({ code, down: true });
  });

  test("a query's own failure is the server's fault (500), however it reads", () => {
    for (const [code, message] of [
      ["42501", "permission denied for table users"],
      ["42P01", 'relation "users" does not exist'],
      ["23505", "duplicate key value violates unique constraint"],
    ])
      expect({ code, down: isDependencyDown(pgError(code, message)) }).toEqual({ code, down: false });
  });
});

describe("the request deadline (REQUEST_TIMEOUT_SECONDS)", () => {
  test("unanswered at the deadline: 503 UNAVAILABLE in the envelope with every answer's headers; a body still arriving: 408", async () => {
    const late = await createTestApp({ REQUEST_TIMEOUT_SECONDS: "1", CORS_ORIGINS: "https://app.example" });
    let release = () => {};
    const released = new Promise<void>((resolve) => {
      release = resolve;
    });
    late.app
      .get("/api/test/stuck", async () => {
        await released;
        return { done: true };
      })
      .post("/api/test/echo", ({ body }) => body);
    try {
      const started = performance.now();
      const answer = await late.request("/api/test/stuck", { headers: { origin: "https://app.example" } });
      expect(performance.now() - started).toBeGreaterThanOrEqual(950);
      await expectEnvelope(answer, 503, "UNAVAILABLE");
      expect(answer.headers.get("retry-after")).toBe("5");
      expect(answer.headers.get("x-content-type-options")).toBe("nosniff");
      expect(answer.headers.get("access-control-allow-origin")).toBe("https://app.example");
      // Answers within it are untouched.
      release();
      expect(await (await late.request("/api/test/stuck")).json()).toEqual({ done: true });
      // The metrics count what the clients got: one 503 (its work finished later), one 200.
      await Bun.sleep(10); // a request is counted just after its answer is sent
      const metrics = await (await late.request("/metrics")).text();
      const counted = (status: number) =>
        metrics.includes(`http_requests_total{method="GET",route="/api/test/stuck",status="${status}"} 1`);
      expect([counted(503), counted(200)]).toEqual([true, true]);

      // A body still arriving at the deadline is the client's slowness: 408, not a 5xx.
      let stop = () => {};
      const trickle = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(new TextEncoder().encode('{"slow":'));
          stop = () => controller.close();
        },
      });
      const slow = await late.request("/api/test/echo", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: trickle,
        duplex: "half",
      } as RequestInit);
      stop();
      await expectEnvelope(slow, 408, "REQUEST_TIMEOUT");
    } finally {
      release();
      await late.dispose();
    }
  });
});

describe("string formats", () => {
  test("email is checked by the pattern compiled once (registered after the OpenAPI plugin's), as zod checked it, and at lengths mail can reach", () => {
    expect(FormatRegistry.Get("email")).toBe(isEmail);
    const accepted = [
      "a@b.co",
      "A.B@C.DE",
      "a+tag@sub.example.com",
      "a'b@c.de",
      "a_b-c@d-e.example",
      `${"l".repeat(64)}@${"d".repeat(63)}.example`,
    ];
    const refused = [
      ".a@b.co",
      "a.@b.de",
      "a..b@c.de",
      "a@b.c",
      "a@-b.com",
      "a@b_c.com",
      "a@b..de",
      "a@b.de.",
      "a@b.d1",
      "ä@b.de",
      '"a"@b.de',
      "a@[1.2.3.4]",
      "a b@c.de",
      `${"l".repeat(65)}@b.de`, // a local part over RFC 5321's 64
      `a@${"d".repeat(64)}.example`, // a DNS label over 63
    ];
    expect(accepted.filter((email) => !isEmail(email))).toEqual([]);
    expect(refused.filter((email) => isEmail(email))).toEqual([]);
  });
});

describe("headers", () => {
  test("security headers are on every answer, errors included", async () => {
    for (const response of [await fixture.request("/health"), await fixture.request("/api/nope"), await fixture.request("/")]) {
      expect(response.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
      // The same for browsers that read no CSP: no page of the app is framed (clickjacking a Confirm button).
      expect(response.headers.get("x-frame-options")).toBe("DENY");
      expect(response.headers.get("x-content-type-options")).toBe("nosniff");
      expect(response.headers.get("referrer-policy")).toBe("strict-origin-when-cross-origin");
      expect(response.headers.get("strict-transport-security")).toBeNull();
      // Sockets and fetches go to the app's own origins only (PUBLIC_URL's and CORS_ORIGINS), not to any ws: host.
      const connect = response.headers.get("content-security-policy")?.match(/connect-src ([^;]*)/)?.[1];
      expect(connect).toBe(`'self' ${fixture.deps.config.publicUrl.replace(/^http/, "ws")} wss://app.example`);
    }
    // API answers are kept by no cache; the app's own files may be.
    for (const path of ["/api/auth/me", "/api/nope", "/health"]) {
      expect((await fixture.request(path)).headers.get("cache-control")).toBe("no-store");
    }
    // The page, by any of its names, is revalidated: a cached copy would name assets a deploy removed.
    for (const path of ["/", "/index.html", "/wallet"]) {
      expect((await fixture.request(path)).headers.get("cache-control")).toBe("no-cache");
    }
  });

  test("RateLimit-Reset rounds a part second up: a client that waits that many seconds never comes back early", () => {
    const reset = (ms: number) => rateLimitHeaders(100, 40, ms)["ratelimit-reset"];
    expect([reset(1_500), reset(1), reset(999), reset(1_000), reset(60_000)]).toEqual(["2", "1", "1", "1", "60"]);
    expect(rateLimitHeaders(100, -3, 1_500)).toEqual({
      "ratelimit-limit": "100",
      "ratelimit-remaining": "0",
      "ratelimit-reset": "2",
    });
  });

  test("HSTS only in production", async () => {
    const production = await createTestApp(
      { NODE_ENV: "production", DATABASE_URL: "postgres://unused/x" },
      { database: fixture.deps.database as never },
    );
    const response = await production.request("/health");
    expect(response.headers.get("strict-transport-security")).toContain("max-age=");
    await production.dispose();
  });

  test("X-Request-Id: a sane one is echoed, anything else replaced", async () => {
    const echoed = await fixture.request("/health", { headers: { "x-request-id": "abc-123-def-456" } });
    expect(echoed.headers.get("x-request-id")).toBe("abc-123-def-456");
    const forged = await fixture.request("/health", { headers: { "x-request-id": 'x" {"level":"error"}' } });
    expect(forged.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
    const generated = await fixture.request("/health");
    expect(generated.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });

  test("CORS: allowed origins get credentials, others nothing; preflight answers 204", async () => {
    const allowed = await fixture.request("/api/config", { headers: { origin: "https://app.example" } });
    expect(allowed.headers.get("access-control-allow-origin")).toBe("https://app.example");
    expect(allowed.headers.get("access-control-allow-credentials")).toBe("true");
    const stranger = await fixture.request("/api/config", { headers: { origin: "https://evil.example" } });
    expect(stranger.headers.get("access-control-allow-origin")).toBeNull();
    // Each answer says it varies by Origin, with grants or without: a cache keeps them apart.
    const none = await fixture.request("/api/config");
    for (const answer of [allowed, stranger, none]) expect(answer.headers.get("vary")).toBe("Origin");
    const preflight = await fixture.request("/api/transfers/p2p", {
      method: "OPTIONS",
      headers: {
        origin: "https://app.example",
        "access-control-request-method": "POST",
        "access-control-request-headers": "x-csrf-token",
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get("access-control-allow-headers")).toContain("X-CSRF-Token");
    expect(preflight.headers.get("access-control-allow-methods")).toContain("POST");
  });
});

describe("platform endpoints", () => {
  test("/health", async () => {
    const response = await fixture.request("/health");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ok" });
  });

  test("/ready reports both checks", async () => {
    const response = await fixture.request("/ready");
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: "ready", checks: { database: "ok", bus: "ok" } });
  });

  test("/api/config lists the assets with their precisions", async () => {
    const body = (await (await fixture.request("/api/config")).json()) as Record<string, unknown> & {
      assets: { symbol: string; precision: number; withdrawalFee: string }[];
    };
    expect(body.assets.map((a) => `${a.symbol}:${a.precision}`)).toEqual(["USD:2", "BTC:8", "ETH:18", "SOL:9", "USDT:6"]);
    expect(body.assets[1].withdrawalFee).toBe("0.0001");
    expect(body.priceSource).toBe("simulated");
    expect(body.wsPath).toBe("/ws");
    expect(body.limits).toEqual({
      p2pDailyUsd: "25000",
      withdrawalDailyUsd: "50000",
      amlReviewUsd: "10000",
      withdrawalReviewUsd: "10000",
      rateLimitPerMinute: 100,
    });
    expect(body.sentry).toEqual({ dsn: null, environment: "test" });
    expect(body.features).toEqual({ twoFactor: true, trading: true, p2p: true, emailVerification: true });
  });

  test("/api/config tells clients whether money needs a verified email", () => {
    expect(publicConfig(testConfig({ REQUIRE_EMAIL_VERIFICATION: "false" })).features.emailVerification).toBe(false);
  });

  test("/api/config gives the trading fee and spread in basis points, so an order's cost shows before it is placed", async () => {
    expect(((await (await fixture.request("/api/config")).json()) as { trading: unknown }).trading).toEqual({
      feeBps: fixture.deps.config.tradingFeeBps,
      spreadBps: fixture.deps.config.tradingSpreadBps,
    });
    expect(publicConfig(testConfig({ TRADING_FEE_BPS: "25", TRADING_SPREAD_BPS: "40" })).trading).toEqual({
      feeBps: 25,
      spreadBps: 40,
    });
  });

  test("/api/config names the support address the operator set (SUPPORT_EMAIL), or null", async () => {
    expect(((await (await fixture.request("/api/config")).json()) as { supportEmail: unknown }).supportEmail).toBeNull();
    expect(publicConfig(testConfig({ SUPPORT_EMAIL: " help@vault.example " })).supportEmail).toBe("help@vault.example");
  });

  test("/metrics is Prometheus text with the required series", async () => {
    await fixture.request("/health");
    await Bun.sleep(10); // the request is counted just after its answer is sent
    const response = await fixture.request("/metrics");
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    for (const name of [
      "http_requests_total",
      "http_request_duration_seconds_bucket",
      "ws_connections",
      "ledger_transfers_total",
    ]) {
      expect(text).toContain(name);
    }
    expect(text).toMatch(/http_requests_total\{method="GET",route="\/health",status="200"\} \d+/);
    // An answer made as a Response (the idempotent money routes) is counted with its own status, not 200.
    const { client } = await signedInUser(fixture, "metrics-status");
    const created = await client.request("POST", "/api/wallet/deposit/create", {
      body: { asset: "USD", amount: "5" },
      headers: { "idempotency-key": crypto.randomUUID() },
    });
    expect(created.status).toBe(201);
    await Bun.sleep(10);
    const after = await (await fixture.request("/metrics")).text();
    expect(after).toMatch(/http_requests_total\{method="POST",route="\/api\/wallet\/deposit\/create",status="201"\} \d+/);
  });

  test("OpenAPI document and UI", async () => {
    const doc = (await (await fixture.request("/api/docs/json")).json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toStartWith("3.");
    // Every route of API.md's Platform table, the document's own two included; not its UI's files.
    const platform = ["/health", "/ready", "/metrics", "/api/config", "/api/docs", "/api/docs/json"];
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(platform));
    expect(Object.keys(doc.paths).filter((path) => path.startsWith("/api/docs/") && path !== "/api/docs/json")).toEqual([]);
    const ui = await fixture.request("/api/docs");
    expect(ui.status).toBe(200);
    expect(ui.headers.get("content-type")).toContain("text/html");
    // The UI is served from here, not a CDN (the page works offline, under the app's CSP of 'self').
    const html = await ui.text();
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]).filter((url) => url !== "data:,");
    expect(assets.length).toBeGreaterThanOrEqual(3);
    for (const asset of assets) {
      expect(asset).toStartWith("/api/docs/");
      const served = await fixture.request(asset);
      expect([asset, served.status]).toEqual([asset, 200]);
      expect(served.headers.get("content-type")).toMatch(/^text\/(css|javascript)/);
      expect((await served.text()).length).toBeGreaterThan(0);
    }
    expect(ui.headers.get("content-security-policy")).toContain("script-src 'self';");
    expect((await fixture.request("/api/docs/package.json")).status).toBe(404);
  });

  test("OpenAPI: every request body is described as JSON with its schema", async () => {
    type Operation = {
      requestBody?: { required: boolean; content: Record<string, { schema?: { properties?: Record<string, unknown> } }> };
    };
    const doc = (await (await fixture.request("/api/docs/json")).json()) as { paths: Record<string, Record<string, Operation>> };
    const withBody = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.requestBody)
        .map(([method, operation]) => ({
          route: `${method.toUpperCase()} ${path}`,
          types: Object.keys(operation.requestBody?.content ?? {}),
          required: operation.requestBody?.required,
        })),
    );
    expect(withBody.length).toBeGreaterThanOrEqual(19);
    expect(withBody.filter(({ types }) => types.length !== 1 || types[0] !== "application/json")).toEqual([]);
    // An admin's reject may be sent without a body (its reason is optional); every other body is required.
    expect(withBody.filter(({ required }) => !required).map(({ route }) => route)).toEqual([
      "POST /api/admin/withdrawals/{id}/reject",
      "POST /api/admin/transfers/{id}/reject",
    ]);
    const p2p = doc.paths["/api/transfers/p2p"].post.requestBody?.content["application/json"].schema;
    expect(Object.keys(p2p?.properties ?? {}).sort()).toEqual(["amount", "asset", "code", "note", "recipientEmail"]);
    // A new password's rules are checked past its schema's first bound, and said in it (API.md: 8–128 characters).
    const register = doc.paths["/api/auth/register"].post.requestBody?.content["application/json"].schema;
    expect((register?.properties?.password as { description?: string } | undefined)?.description).toStartWith(
      "8 to 128 characters",
    );
  });

  test("OpenAPI: how to authenticate, the Idempotency-Key where it is required, and the error envelope everywhere", async () => {
    type Operation = {
      security?: Record<string, string[]>[];
      parameters?: { name: string; in: string }[];
      responses: Record<string, unknown>;
    };
    const doc = (await (await fixture.request("/api/docs/json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components: { securitySchemes: Record<string, { type: string; in?: string; name?: string; scheme?: string }> };
    };
    expect(doc.components.securitySchemes.accessCookie).toMatchObject({ type: "apiKey", in: "cookie", name: "access_token" });
    expect(doc.components.securitySchemes.bearerToken).toMatchObject({ type: "http", scheme: "bearer" });
    const p2p = doc.paths["/api/transfers/p2p"].post;
    // A cookie signs an unsafe request only with X-CSRF-Token beside it (API.md), a Bearer token alone.
    expect(p2p.security).toEqual([{ accessCookie: [], csrfToken: [] }, { bearerToken: [] }]);
    expect(doc.components.securitySchemes.csrfToken).toMatchObject({ type: "apiKey", in: "header", name: "X-CSRF-Token" });
    expect(doc.paths["/api/transactions"].get.security).toEqual([{ accessCookie: [] }, { bearerToken: [] }]);
    expect(p2p.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }));
    expect(doc.paths["/api/auth/login"].post.security).toBeUndefined();
    expect(doc.paths["/api/transactions"].get.parameters?.some((p) => p.name === "Idempotency-Key")).toBeFalsy();
    const idempotent = Object.entries(doc.paths).flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => operation.parameters?.some((p) => p.name === "Idempotency-Key"))
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    // API.md's four.
    expect(idempotent.sort()).toEqual([
      "POST /api/trading/orders",
      "POST /api/transfers/p2p",
      "POST /api/wallet/deposit/create",
      "POST /api/wallet/withdraw",
    ]);
    const withoutEnvelope = Object.entries(doc.paths)
      .filter(([path]) => path.startsWith("/api/"))
      .flatMap(([path, operations]) => Object.entries(operations).map(([method, operation]) => [`${method} ${path}`, operation]))
      .filter(([, operation]) => !(operation as Operation).responses.default);
    expect(withoutEnvelope).toEqual([]);
  });

  test("OpenAPI: response headers a client relies on, the refresh cookie's routes, and integers as JSON numbers", async () => {
    type Operation = { security?: Record<string, string[]>[]; responses: Record<string, { headers?: Record<string, unknown> }> };
    const text = await (await fixture.request("/api/docs/json")).text();
    const doc = JSON.parse(text) as { paths: Record<string, Record<string, Operation>> };
    const headersOf = (path: string, method: string, status: string) =>
      Object.keys(doc.paths[path][method].responses[status].headers ?? {}).sort();
    const common = ["RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset", "X-Request-Id"];
    expect(headersOf("/api/transactions", "get", "200")).toEqual(common);
    expect(headersOf("/api/transactions", "get", "default")).toEqual([...common, "Retry-After"].sort());
    expect(headersOf("/api/transfers/p2p", "post", "201")).toEqual([...common, "Idempotent-Replayed"].sort());
    expect(headersOf("/api/auth/login", "post", "200")).toEqual([...common, "Set-Cookie"].sort());
    // The generator's defaults are per response: one operation's headers are not another's.
    expect(headersOf("/api/auth/me", "get", "default")).not.toContain("Idempotent-Replayed");
    expect(doc.paths["/api/auth/refresh"].post.security).toEqual([{ refreshCookie: [], csrfToken: [] }]);
    expect(doc.paths["/api/auth/logout"].post.security).toEqual([
      { accessCookie: [], csrfToken: [] },
      { bearerToken: [] },
      { refreshCookie: [], csrfToken: [] },
    ]);
    // An integer in a response is a number, never "a string of an integer" with a numeric default (invalid OpenAPI).
    const config = doc.paths["/api/config"].get.responses["200"] as unknown as {
      content: { "application/json": { schema: { properties: { limits: { properties: Record<string, unknown> } } } } };
    };
    expect(config.content["application/json"].schema.properties.limits.properties.rateLimitPerMinute).toEqual({
      type: "integer",
    });
    const responses = Object.values(doc.paths).flatMap((operations) => Object.values(operations).map((o) => o.responses));
    expect(JSON.stringify(responses)).not.toContain('"format":"integer","default":0');
  });

  test("OpenAPI says what API.md makes true of every route: X-CSRF-Token, the error statuses, closed bodies", async () => {
    type Response = { content?: Record<string, { schema: { required?: string[] } }>; headers?: Record<string, unknown> };
    type Operation = {
      parameters?: { name: string; in: string; required?: boolean }[];
      requestBody?: { content: Record<string, { schema: { additionalProperties?: unknown } }> };
      responses: Record<string, Response>;
    };
    const doc = (await (await fixture.request("/api/docs/json")).json()) as { paths: Record<string, Record<string, Operation>> };
    const op = (path: string, method: string) => doc.paths[path][method];
    const csrf = (path: string, method: string) => op(path, method).parameters?.some((p) => p.name === "X-CSRF-Token") ?? false;
    // A cookie may sign these changes: each takes the header. Reads, and routes no cookie signs, do not.
    for (const [path, method] of [
      ["/api/transfers/p2p", "post"],
      ["/api/auth/profile", "patch"],
      ["/api/auth/sessions/{id}", "delete"],
      ["/api/auth/refresh", "post"],
      ["/api/auth/logout", "post"],
    ])
      expect({ path, method, csrf: csrf(path, method) }).toEqual({ path, method, csrf: true });
    for (const [path, method] of [
      ["/api/transactions", "get"],
      ["/api/auth/login", "post"],
      ["/api/auth/register", "post"],
      ["/api/wallet/deposit/webhook", "post"],
    ])
      expect({ path, method, csrf: csrf(path, method) }).toEqual({ path, method, csrf: false });
    const statuses = (path: string, method: string) => Object.keys(op(path, method).responses).sort();
    expect(statuses("/api/transfers/p2p", "post")).toEqual(
      ["201", "400", "401", "403", "409", "413", "422", "428", "429", "503", "default"].sort(),
    );
    expect(statuses("/api/wallet/deposit/{orderId}", "get")).toEqual([
      "200",
      "401",
      "403",
      "404",
      "422",
      "429",
      "503",
      "default",
    ]);
    // A lookup by query and a webhook's unknown order are 404s too; /ws refuses anonymous sockets past the cap.
    expect(statuses("/api/admin/users", "get")).toContain("404");
    expect(statuses("/api/wallet/deposit/webhook", "post")).toContain("404");
    expect(statuses("/ws", "get")).toContain("429");
    // A route's own rules: wrong credentials, an email taken, a state that forbids the change, a body nobody asked for.
    expect(statuses("/api/auth/login", "post")).toContain("401");
    expect(statuses("/api/auth/register", "post")).toContain("409");
    expect(statuses("/api/wallet/withdrawals/{id}/cancel", "post")).toEqual(expect.arrayContaining(["400", "404", "409", "413"]));
    // Each error answer is the envelope, and those a client retries say when.
    const p2p = op("/api/transfers/p2p", "post").responses;
    for (const status of ["400", "401", "403", "409", "413", "422", "428", "429", "503"]) {
      expect({ status, required: p2p[status].content?.["application/json"].schema.required }).toEqual({
        status,
        required: ["error"],
      });
    }
    for (const status of ["409", "429", "503"]) expect(Object.keys(p2p[status].headers ?? {})).toContain("Retry-After");
    expect(Object.keys(op("/api/auth/logout", "post").responses["204"].headers ?? {})).toContain("Set-Cookie");
    expect(Object.keys(op("/api/transactions/export", "post").responses["200"].headers ?? {})).toContain("Content-Disposition");
    // A body refuses a field it does not name (422), but the provider's events may carry new ones.
    const bodyOf = (path: string) => op(path, "post").requestBody?.content["application/json"].schema;
    expect(bodyOf("/api/auth/register")?.additionalProperties).toBe(false);
    expect(bodyOf("/api/wallet/deposit/webhook")?.additionalProperties).toBe(true);
    const extra = await fixture.request("/api/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "extra@example.com", password: "a long uncommon passphrase", name: "Extra", role: "admin" }),
    });
    expect(extra.status).toBe(422);
    const webhook = op("/api/wallet/deposit/webhook", "post");
    expect(webhook.parameters).toContainEqual(expect.objectContaining({ name: "X-Signature", in: "header", required: true }));
    expect(webhook.responses["200"].content?.["application/json"].schema.required).toEqual(["received"]);
  });

  test("OpenAPI: a date a request takes may be a bare day, as the server accepts; statuses in answers are their values", async () => {
    type Schema = { anyOf?: { format?: string }[]; enum?: string[]; properties?: Record<string, Schema> };
    type Operation = {
      parameters?: { name: string; schema: Schema }[];
      requestBody?: { content: Record<string, { schema: Schema }> };
      responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
    };
    const doc = (await (await fixture.request("/api/docs/json")).json()) as { paths: Record<string, Record<string, Operation>> };
    const bodyField = (path: string, field: string) =>
      doc.paths[path].post.requestBody?.content["application/json"].schema.properties?.[field];
    const dateOrDay = [
      { type: "string", format: "date-time" },
      { type: "string", format: "date" },
    ];
    expect(doc.paths["/api/transactions"].get.parameters?.find((p) => p.name === "from")?.schema.anyOf).toEqual(dateOrDay);
    expect(bodyField("/api/transactions/export", "to")?.anyOf).toEqual(dateOrDay);
    expect(bodyField("/api/trading/orders", "expiresAt")?.anyOf).toEqual(dateOrDay);
    // As the document says, the server takes either (an order's day is in the future, a filter's any day).
    expect((await fixture.request("/api/transactions?from=2026-01-01")).status).toBe(401);
    const answerOf = (path: string, method: string, status: string) =>
      doc.paths[path][method].responses[status].content?.["application/json"].schema as Schema;
    const statusValues = (schema: Schema | undefined) => [...(schema?.enum ?? [])].sort();
    expect(
      statusValues(answerOf("/api/wallet/withdrawals/{id}", "get", "200").properties?.withdrawal.properties?.status),
    ).toEqual(["cancelled", "completed", "failed", "pending_review", "processing", "rejected"]);
    expect(statusValues(answerOf("/api/wallet/deposit/{orderId}", "get", "200").properties?.order.properties?.status)).toEqual([
      "confirmed",
      "confirmed_late",
      "expired",
      "failed",
      "partially_paid",
      "pending",
    ]);
    expect(statusValues(answerOf("/api/transactions/{id}", "get", "200").properties?.tx.properties?.status)).toEqual([
      "cancelled",
      "completed",
      "failed",
      "pending_review",
      "processing",
      "rejected",
    ]);
  });

  test("OpenAPI paths are exactly the served ones: no trailing slash, /ws a GET upgrade", async () => {
    type Operation = { responses?: Record<string, unknown> };
    const doc = (await (await fixture.request("/api/docs/json")).json()) as {
      paths: Record<string, Record<string, Operation>>;
    };
    const paths = Object.keys(doc.paths);
    expect(paths.filter((path) => path.length > 1 && path.endsWith("/"))).toEqual([]);
    expect(paths).toEqual(expect.arrayContaining(["/api/audit", "/api/transactions"]));
    // Both answer at the documented path (401 without a session, not a 404).
    for (const path of ["/api/audit", "/api/transactions"]) expect((await fixture.request(path)).status).toBe(401);
    expect(Object.keys(doc.paths["/ws"])).toEqual(["get"]);
    expect(Object.keys(doc.paths["/ws"].get.responses ?? {})).toContain("101");
    // Every operation says what it answers: a response schema, or the statuses of a 204, a file or text.
    const served = Object.entries(doc.paths).filter(([path]) => !path.startsWith("/api/test/")); // this file's own probes
    const undocumented = served.flatMap(([path, operations]) =>
      Object.entries(operations)
        .filter(([, operation]) => Object.keys(operation.responses ?? {}).length === 0)
        .map(([method]) => `${method.toUpperCase()} ${path}`),
    );
    expect(undocumented).toEqual([]);
  });

  test("OpenAPI: a file, a text or a report that is not JSON says its content type and shape", async () => {
    type Schema = { type?: string; properties?: Record<string, unknown>; items?: Schema };
    type Content = Record<string, { schema: Schema }>;
    type Operation = { responses: Record<string, { content?: Content }> };
    const doc = (await (await fixture.request("/api/docs/json")).json()) as { paths: Record<string, Record<string, Operation>> };
    const exported = doc.paths["/api/transactions/export"].post.responses["200"].content as Content;
    expect(Object.keys(exported).sort()).toEqual(["application/json", "text/csv"]);
    expect(Object.keys(exported["application/json"].schema.items?.properties ?? {})).toContain("counterparty");
    expect(Object.keys(doc.paths["/metrics"].get.responses["200"].content ?? {})).toEqual(["text/plain; version=0.0.4"]);
    const ready = doc.paths["/ready"].get.responses;
    expect(Object.keys(ready["200"].content?.["application/json"].schema.properties ?? {})).toEqual(["status", "checks"]);
    // The report with the error envelope.
    expect(Object.keys(ready["503"].content?.["application/json"].schema.properties ?? {})).toEqual([
      "status",
      "checks",
      "error",
    ]);
  });
});

describe("web app", () => {
  test("serves files and falls back to index.html for client routes", async () => {
    const root = await fixture.request("/");
    expect(root.status).toBe(200);
    expect(await root.text()).toContain("<title>CryptoVault</title>");
    for (const page of ["/wallet", "/markets/BTC", "/reset-password?token=abc", "/history/"]) {
      const route = await fixture.request(page);
      expect([page, route.status, await route.text()]).toEqual([
        page,
        200,
        expect.stringContaining("<title>CryptoVault</title>"),
      ]);
    }
    const asset = await fixture.request("/assets/app-abc123.js");
    expect(await asset.text()).toBe("console.log(1)");
    expect(asset.headers.get("cache-control")).toContain("immutable");
  });

  test("anything that is neither a file nor a page of the app is API.md's 404; a browser gets the app's own page", async () => {
    for (const path of ["/nope", "/wallet/deposit", "/assets/missing.js", "/favicon.ico", "/apix", "/wsx", "/markets/BTC/x"]) {
      await expectEnvelope(await fixture.request(path), 404, "NOT_FOUND");
      const page = await fixture.request(path, { headers: { accept: "text/html,application/xhtml+xml,*/*;q=0.8" } });
      expect([path, page.status, await page.text()]).toEqual([path, 404, expect.stringContaining("<title>CryptoVault</title>")]);
    }
  });

  test("the server's list of app pages is the web app's (web/src/routes.ts)", async () => {
    const routes = await Bun.file(new URL("../web/src/routes.ts", import.meta.url)).text();
    const paths = [...routes.matchAll(/path: "([^"]+)"/g)].map((match) => match[1]).filter((path) => path !== "*404");
    expect([...paths].sort()).toEqual([...APP_PATHS].sort());
  });

  test("text files go out precompressed in an encoding the client accepts, with their own type", async () => {
    const get = (acceptEncoding?: string) =>
      fixture.request("/assets/chunk-def456.js", acceptEncoding ? { headers: { "accept-encoding": acceptEncoding } } : {});
    const brotli = await get("gzip, deflate, br");
    expect(brotli.headers.get("content-encoding")).toBe("br");
    expect(brotli.headers.get("content-type")).toContain("javascript");
    expect(brotli.headers.get("vary")).toContain("Accept-Encoding");
    expect(brotliDecompressSync(Buffer.from(await brotli.arrayBuffer())).toString()).toBe(chunk);
    const gzip = await get("gzip;q=1.0");
    expect(gzip.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(Buffer.from(await gzip.arrayBuffer())).toString()).toBe(chunk);
    const plain = await get();
    expect(plain.headers.get("content-encoding")).toBeNull();
    expect(await plain.text()).toBe(chunk);
    // The copies are not files of the app: asking for one directly is a 404.
    await expectEnvelope(await fixture.request("/assets/chunk-def456.js.br"), 404, "NOT_FOUND");
  });

  test("files and pages answer whole, as varying by what they vary by: no Content-Range on a 200, no 206 for a 404", async () => {
    const asset = await fixture.request("/assets/chunk-def456.js", { headers: { "accept-encoding": "br" } });
    expect([asset.status, asset.headers.get("content-range"), asset.headers.get("vary")]).toEqual([
      200,
      null,
      "Origin, Accept-Encoding",
    ]);
    const page = await fixture.request("/wallet", { headers: { range: "bytes=0-9" } });
    expect([page.status, page.headers.get("content-range"), await page.text()]).toEqual([
      200,
      null,
      expect.stringContaining("<title>CryptoVault</title>"),
    ]);
    // An unknown path is the envelope or the app's 404 page, by Accept.
    const missing = await fixture.request("/nope", { headers: { accept: "text/html", range: "bytes=0-9" } });
    expect([missing.status, missing.headers.get("content-range"), missing.headers.get("vary")]).toEqual([
      404,
      null,
      "Origin, Accept, Accept-Encoding",
    ]);
    const envelope = await fixture.request("/nope");
    expect(envelope.headers.get("vary")).toBe("Origin, Accept");
  });

  test("never serves files outside web/dist", async () => {
    const response = await fixture.request("/..%2f..%2f..%2fetc%2fpasswd");
    expect(await response.text()).not.toContain("root:");
  });

  test("a short Host routes as any other: the path served is the path the rate limit and the log read", async () => {
    const short = await fixture.app.handle(new Request("http://a/api/config"));
    expect([short.status, short.headers.get("ratelimit-limit")]).toEqual([200, expect.any(String)]);
    // With the default reading (past the URL's 11th character) this was /api/config, served without a limit.
    await expectEnvelope(await fixture.app.handle(new Request("http://a/xx/api/config")), 404, "NOT_FOUND");
  });

  test("an unknown /api path stays a JSON 404", async () => {
    await expectEnvelope(await fixture.request("/api/unknown/thing"), 404, "NOT_FOUND");
  });
});

describe("a dependency out of reach: 503 UNAVAILABLE, never a 500", () => {
  test("the database gone: /ready is 503 naming it; a route that needs it is 503 with Retry-After", async () => {
    const own = await createTestApp();
    await own.deps.database.close();
    const login = await own.request("/api/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: "someone@example.com", password: "a password of some length" }),
    });
    await expectEnvelope(login, 503, "UNAVAILABLE");
    expect(login.headers.get("retry-after")).toBe("5");
    const response = await own.request("/ready");
    expect(response.status).toBe(503);
    expect(response.headers.get("retry-after")).toBe("5");
    const body = (await response.json()) as { status: string; checks: Record<string, string>; error: { code: string } };
    expect(body.status).toBe("unavailable");
    expect(body.checks.database).toBe("down"); // no driver message: /ready is public
    expect(body.checks.bus).toBe("ok");
    expect(body.error.code).toBe("UNAVAILABLE");
    await own.deps.bus.close();
    await (own.deps.database as { dispose(): Promise<void> }).dispose().catch(() => {});
  });

  test("Redis unreachable: limited routes answer 503 at once rather than after the reconnect attempts", async () => {
    const free = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const url = `redis://127.0.0.1:${free.port}`;
    free.stop(true);
    const config = testConfig({ REDIS_URL: url });
    const database = await createTestDatabase();
    const bus = new RedisBus(url, config.redisKeyPrefix);
    const deps = { config, database, bus, logger: createLogger("silent"), metrics: createMetrics() };
    const app = createApp(deps, { webDist: "/nonexistent-web-dist" }, createServices(deps));
    for (let i = 0; i < 3; i++) {
      const started = performance.now();
      const response = await app.handle(new Request("http://localhost/api/config"));
      await expectEnvelope(response, 503, "UNAVAILABLE");
      expect(performance.now() - started).toBeLessThan(1000);
    }
    const ready = await app.handle(new Request("http://localhost/ready"));
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { checks: Record<string, string> }).checks.bus).toBe("down");
    await app.decorator.runtime.stop();
    await bus.close();
    await database.dispose();
  });
});

describe("the built web app at start", () => {
  test("a web/dist older than the web app's sources is named in a warning; a current one is not", () => {
    const web = mkdtempSync(join(tmpdir(), "cv-web-"));
    mkdirSync(join(web, "src", "pages"), { recursive: true });
    mkdirSync(join(web, "dist"));
    writeFileSync(join(web, "index.html"), "<!doctype html>");
    writeFileSync(join(web, "src", "pages", "Wallet.tsx"), "export {}");
    writeFileSync(join(web, "dist", "index.html"), "<!doctype html>");
    const warnings = (distChangedAt: Date) => {
      const lines: string[] = [];
      utimesSync(join(web, "dist", "index.html"), distChangedAt, distChangedAt);
      ensureWebBuilt(
        join(web, "dist"),
        createLogger("info", (line) => lines.push(line)),
      );
      return lines.map((line) => JSON.parse(line).msg as string);
    };
    try {
      // A page changed after the build (a git pull), deep in src/.
      expect(warnings(new Date(Date.now() - 60_000))).toEqual([
        "web/dist is older than the web app's sources: run `bun run build` to serve the current app",
      ]);
      expect(warnings(new Date(Date.now() + 60_000))).toEqual([]);
    } finally {
      rmSync(web, { recursive: true, force: true });
    }
  });
});

describe("logs", () => {
  test("a failed query is logged with its SQL and cause, never its parameters (user data)", async () => {
    const { DrizzleQueryError } = await import("drizzle-orm/errors");
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    const failed = new DrizzleQueryError(
      'select "password_hash" from "users" where "email" = $1',
      ["someone@example.com"],
      new Error("connect ECONNREFUSED"),
    );
    logger.error("dependency unavailable", { error: failed });
    const { error } = JSON.parse(lines[0]) as { error: { message: string; stack: string; cause: string } };
    expect(error.message).toBe('Failed query: select "password_hash" from "users" where "email" = $1');
    expect(error.cause).toBe("connect ECONNREFUSED");
    expect(lines[0]).not.toContain("someone@example.com");
  });
});
