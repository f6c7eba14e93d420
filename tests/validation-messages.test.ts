/** A schema failure says, for each field, what it must be (src/platform/http/validation-message.ts). */
import { afterAll, beforeAll, expect, setDefaultTimeout, test } from "bun:test";
import { signedInUser, type TestClient } from "./support/client";
import { createTestApp } from "./support/harness";

setDefaultTimeout(30_000);

let fixture: Awaited<ReturnType<typeof createTestApp>>;
let client: TestClient;
beforeAll(async () => {
  fixture = await createTestApp();
  ({ client } = await signedInUser(fixture, "messages"));
});
afterAll(() => fixture.dispose());

type Refusal = { error: { code: string; message: string; details: { fields: string[] } } };

async function refusal(method: string, path: string, body?: unknown) {
  const response = await client.request(method, path, { body, headers: { "idempotency-key": crypto.randomUUID() } });
  const { error } = (await response.json()) as Refusal;
  return { status: response.status, code: error.code, message: error.message, fields: error.details.fields };
}

const DECIMAL = 'a positive decimal number, digits and one optional point only, such as "12.5"';

test("each failed field once, with what it must be: format, length, type, required, unknown", async () => {
  for (const amount of ["1e5", " 1", "1,5", "0x10", "١٢"]) {
    expect(await refusal("POST", "/api/transfers/p2p", { recipientEmail: "a@example.com", asset: "BTC", amount })).toEqual({
      status: 422,
      code: "VALIDATION_FAILED",
      message: `Invalid request: amount must be ${DECIMAL}`,
      fields: ["amount"],
    });
  }
  const many = await refusal("POST", "/api/transfers/p2p", {
    recipientEmail: "nope",
    amount: "1",
    note: "x".repeat(281),
    extra: 1,
  });
  expect(many.fields.sort()).toEqual(["asset", "extra", "note", "recipientEmail"]);
  for (const told of [
    "extra is not a field this request takes",
    "recipientEmail must be an email address",
    "note must be at most 280 characters long",
    "asset is required",
  ]) {
    expect(many.message).toContain(told);
  }
  // Not a string at all: said first, with what the string must hold.
  expect(await refusal("POST", "/api/transfers/p2p", { recipientEmail: "a@example.com", asset: "BTC", amount: 5 })).toMatchObject(
    {
      message: `Invalid request: amount must be a string: ${DECIMAL}`,
    },
  );
  expect(await refusal("POST", "/api/wallet/addresses", { asset: "BTC", address: 5, label: "ok" })).toMatchObject({
    message: "Invalid request: address must be a string",
  });
});

test("queries: a date's form, a limit's range, an enum's values; the whole body not an object", async () => {
  expect((await refusal("GET", "/api/transactions?from=1700000000000")).message).toBe(
    "Invalid request: from must be a date (2026-01-31) or a date-time in ISO 8601 (2026-01-31T12:00:00Z)",
  );
  expect((await refusal("GET", "/api/transactions?limit=0")).message).toBe(
    "Invalid request: limit must be a whole number from 1 to 100 (default 20)",
  );
  expect((await refusal("GET", "/api/transactions?status=nope")).message).toStartWith("Invalid request: status must be one of ");
  expect(await refusal("POST", "/api/transfers/p2p", [])).toMatchObject({
    status: 422,
    message: "Invalid body: must be a JSON object",
  });
});

test("a field's name is told up to 64 characters, however long the client made it", async () => {
  const name = "x".repeat(8000);
  const { status, message, fields } = await refusal("GET", `/api/transactions?${name}=1`);
  expect(status).toBe(422);
  expect(message).toBe(`Invalid request: ${"x".repeat(64)}… is not a field this request takes`);
  expect(fields).toEqual([`${"x".repeat(64)}…`]);
  // Many names alike in their first 64 characters: one name, told once.
  const alike = Array.from({ length: 50 }, (_, i) => `${"x".repeat(100)}${i}=1`).join("&");
  const many = await refusal("GET", `/api/transactions?${alike}`);
  expect([many.status, many.message, many.fields]).toEqual([422, message, fields]);
});
