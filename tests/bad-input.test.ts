/**
 * Bad input never reaches a 5xx: every /api route, as a signed-in, funded, verified admin, gets bodies,
 * queries and path ids built from its own schema out of hostile and edge-case values (and now and then
 * valid ones, so the rules behind validation run too). Seeded, so a failure names a reproducible case.
 */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import fc from "fast-check";
import { promoteToAdmin } from "../src/modules/identity/standing";
import { fundedUser, signedInUser } from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(120_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
beforeAll(async () => {
  fixture = await createTestApp({ RATE_LIMIT_PER_MINUTE: "1000000", LOGIN_FAILURES_PER_15_MIN: "1000000" });
});
afterAll(() => fixture.dispose());

type Schema = {
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  anyOf?: Schema[];
  enum?: unknown[];
  const?: unknown;
  required?: string[];
};

const HOSTILE: unknown[] = [
  "",
  " ",
  "0",
  "-1",
  "1e309",
  "NaN",
  "0x10",
  "9".repeat(100),
  "0.000000000000000000000000001",
  "x".repeat(5000),
  "é🙂\u202e",
  "'; drop table users; --",
  "../../etc/passwd",
  "%00",
  "nul\u0000inside",
  "lone \ud800 surrogate",
  0,
  -1,
  1.5,
  1e308,
  Number.MAX_SAFE_INTEGER,
  true,
  null,
  [],
  {},
  { nested: { deep: ["x"] } },
  JSON.parse(`${"[".repeat(2000)}${"]".repeat(2000)}`),
];
/** Dates JavaScript reads without complaint that name no storable day. */
const UNSTORABLE_DATES = [
  "0000-01-01T00:00:00Z",
  "+275760-09-13T00:00:00.000Z",
  "-001000-01-01T00:00:00.000Z",
  // Not on the calendar: JavaScript would read it as 1 March.
  "2024-02-30T00:00:00Z",
];
/** A cursor as the lists encode them (createdAt|id), at a given time. */
const cursorAt = (at: string) => Buffer.from(`${at}|${crypto.randomUUID()}`).toString("base64url");
const AMOUNTS = ["0.01", "1", "100", "0.00000001", "99999999999999999999999999", "1.123456789123456789123", "12.5"];

/** Values a field of this name and schema accepts, so that some requests get past validation to the rules. */
function plausible(name: string, schema: Schema | undefined, known: { email: string; id: string }): unknown[] {
  const values: unknown[] = [];
  for (const option of [schema, ...(schema?.anyOf ?? [])]) {
    if (option?.const !== undefined) values.push(option.const);
    if (option?.enum) values.push(...option.enum);
  }
  if (schema?.format === "email" || /email/i.test(name)) values.push(known.email, "nobody@example.com");
  if (schema?.format === "uuid" || /Id$/.test(name)) values.push(known.id, crypto.randomUUID());
  if (schema?.format === "date-time")
    values.push(new Date().toISOString(), "2099-01-01T00:00:00Z", "1970-01-01T00:00:00Z", ...UNSTORABLE_DATES);
  if (name === "cursor") values.push(...UNSTORABLE_DATES.map((at) => cursorAt(at)));
  if (/amount|price/i.test(name)) values.push(...AMOUNTS);
  if (/asset|symbol/i.test(name)) values.push("BTC", "USD", "ETH", "DOGE");
  if (/address/i.test(name))
    values.push("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed");
  if (/code/i.test(name)) values.push("123456", "000000");
  return values;
}

/** A field's value: usually one it plausibly accepts, otherwise something hostile or a nested object. */
function valueFor(name: string, schema: Schema | undefined, known: { email: string; id: string }): fc.Arbitrary<unknown> {
  const accepted = plausible(name, schema, known);
  const nested = schema?.type === "object" && schema.properties ? bodyFor(schema, known) : fc.constant({ nested: true });
  return fc.oneof(
    { weight: accepted.length ? 5 : 0, arbitrary: fc.constantFrom(...(accepted.length ? accepted : [null])) },
    { weight: 2, arbitrary: fc.constantFrom(...HOSTILE) },
    { weight: 1, arbitrary: nested },
  );
}

function bodyFor(schema: Schema, known: { email: string; id: string }): fc.Arbitrary<Record<string, unknown>> {
  const entries = Object.entries(schema.properties ?? {});
  return fc
    .tuple(
      ...entries.map(([name, property]) =>
        fc.option(valueFor(name, property, known), { freq: schema.required?.includes(name) ? 12 : 2, nil: undefined }),
      ),
    )
    .map((values) => Object.fromEntries(entries.flatMap(([name], i) => (values[i] === undefined ? [] : [[name, values[i]]]))));
}

test("no route answers 5xx to hostile or edge-case bodies, queries and ids", async () => {
  const admin = await fundedUser(fixture, "fuzz-admin", "1000");
  await promoteToAdmin(fixture.deps.database.db, admin.email);
  const other = await signedInUser(fixture, "fuzz-other");
  const known = { email: other.email, id: other.userId };
  const routes = fixture.app.routes.filter((route) => route.path.startsWith("/api/") && route.method !== "ALL");
  expect(routes.length).toBeGreaterThan(40);
  const failures: string[] = [];
  let client = admin.client;
  for (const [index, route] of routes.entries()) {
    const hooks = route.hooks as { body?: Schema; query?: Schema };
    const ids = fc.constantFrom(known.id, crypto.randomUUID(), "not-an-id", "1", "x".repeat(300), "%2e%2e");
    const cases = fc.sample(
      fc.tuple(
        hooks.body ? bodyFor(hooks.body, known) : fc.constant(undefined),
        hooks.query ? bodyFor(hooks.query, known) : fc.constant({}),
        ids,
      ),
      { numRuns: route.method === "GET" ? 15 : 40, seed: 20261125 + index },
    );
    for (const [body, query, id] of cases) {
      const search = new URLSearchParams(
        Object.entries(query as Record<string, unknown>).map(([k, v]): [string, string] => [
          k,
          typeof v === "string" ? v : JSON.stringify(v),
        ]),
      );
      const path = `${route.path.replace(/:[a-zA-Z]+/g, encodeURIComponent(id))}${search.size ? `?${search}` : ""}`;
      const response = await client.request(route.method, path, {
        body,
        headers: { "idempotency-key": crypto.randomUUID(), "x-signature": "00" },
      });
      if (response.status >= 500)
        failures.push(`${route.method} ${path} ${JSON.stringify(body)?.slice(0, 300)} → ${response.status}`);
      // Some routes end the session (logout, password change, revocations): carry on as a new admin.
      if (response.status === 401) {
        const fresh = await fundedUser(fixture, `fuzz-${index}`, "1000");
        await promoteToAdmin(fixture.deps.database.db, fresh.email);
        client = fresh.client;
      }
    }
  }
  expect(failures).toEqual([]);
});

test("dates Postgres cannot hold are a 422 naming the field, in filters, cursors, exports and order expiry", async () => {
  const admin = await fundedUser(fixture, "dates-admin", "1000");
  await promoteToAdmin(fixture.deps.database.db, admin.email);
  const lists = [
    "/api/transactions",
    "/api/wallet/deposits",
    "/api/wallet/withdrawals",
    "/api/wallet/addresses",
    "/api/trading/orders",
    "/api/alerts",
    "/api/admin/withdrawals",
  ];
  const answers: string[] = [];
  const expect422 = async (label: string, response: Response, field: string) => {
    const body = (await response.json()) as { error?: { code: string; details?: { fields?: string[] } } };
    if (response.status !== 422 || body.error?.code !== "VALIDATION_FAILED" || !body.error.details?.fields?.includes(field))
      answers.push(`${label} → ${response.status} ${JSON.stringify(body)}`);
  };
  for (const at of UNSTORABLE_DATES) {
    for (const list of lists)
      await expect422(`${list} cursor ${at}`, await admin.client.request("GET", `${list}?cursor=${cursorAt(at)}`), "cursor");
    for (const field of ["from", "to"]) {
      await expect422(
        `filter ${field} ${at}`,
        await admin.client.request("GET", `/api/transactions?${field}=${encodeURIComponent(at)}`),
        field,
      );
      for (const format of ["csv", "json"])
        await expect422(
          `export ${format} ${field} ${at}`,
          await admin.client.request("POST", "/api/transactions/export", { body: { format, [field]: at } }),
          field,
        );
    }
    const order = { type: "limit", side: "buy", asset: "BTC", amount: "0.001", limitPrice: "1000", expiresAt: at };
    await expect422(
      `order expiresAt ${at}`,
      await admin.client.request("POST", "/api/trading/orders", {
        body: order,
        headers: { "idempotency-key": crypto.randomUUID() },
      }),
      "expiresAt",
    );
  }
  expect(answers).toEqual([]);
});
