/** fieldErrors (web/src/lib/forms.ts): a 422's message placed beside the fields it names. */
import { expect, setSystemTime, test } from "bun:test";
import { ApiError } from "../../web/src/lib/api";
import { formatDateTime } from "../../web/src/lib/format";
import { fieldErrors, rateLimitMessage } from "../../web/src/lib/forms";

const refusal = (message: string, fields: string[]) =>
  new ApiError({ status: 422, code: "VALIDATION_FAILED", message, requestId: "r", details: { fields } });

test("a schema failure: the form's own words where it has them, else the message's clause about the field", () => {
  const error = refusal("Invalid request: amount must be a positive decimal number; note must be at most 280 characters long", [
    "amount",
    "note",
  ]);
  expect(fieldErrors(error, { amount: "Enter an amount such as 12.5" })).toEqual({
    amount: "Enter an amount such as 12.5",
    note: "Note must be at most 280 characters long.",
  });
});

test("a rule's message is shown beside every field it names; a message without a clause for the field, whole", () => {
  const rule = refusal("Amount is too small to buy at this limit price", ["amount", "limitPrice"]);
  expect(fieldErrors(rule, { amount: "unused" })).toEqual({
    amount: "Amount is too small to buy at this limit price",
    limitPrice: "Amount is too small to buy at this limit price",
  });
  expect(fieldErrors(refusal("Invalid body: must be a JSON object", ["body"]))).toEqual({
    body: "Invalid body: must be a JSON object",
  });
});

test("a 429 says when to try again on a clock that names its zone, as every time the app shows", () => {
  const headers = new Headers({ "retry-after": "900" });
  const error = new ApiError({ status: 429, code: "RATE_LIMITED", message: "Too many requests", headers });
  setSystemTime(new Date("2025-03-12T12:35:00.000Z"));
  try {
    const at = formatDateTime("2025-03-12T12:50:00.000Z", "time");
    expect(rateLimitMessage(error, "Too many sign-in attempts.")).toBe(
      `Too many sign-in attempts. Try again in 15 minutes (at ${at}).`,
    );
    expect(at).toMatch(/:50.*\u00a0\S+$/);
    // A wait into another day names the day too.
    const later = new ApiError({
      status: 429,
      code: "RATE_LIMITED",
      message: "Too many requests",
      headers: new Headers({ "retry-after": String(2 * 86_400) }),
    });
    expect(rateLimitMessage(later)).toBe(
      `Too many attempts. Try again in 48 hours (at ${formatDateTime("2025-03-14T12:35:00.000Z", "minute")}).`,
    );
  } finally {
    setSystemTime();
  }
});
