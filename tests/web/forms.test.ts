/** fieldErrors (web/src/lib/forms.ts): a 422's message placed beside the fields it names. */
import { expect, test } from "bun:test";
import { ApiError } from "../../web/src/lib/api";
import { fieldErrors } from "../../web/src/lib/forms";

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
