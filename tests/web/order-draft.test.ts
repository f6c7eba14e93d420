/** The order body the trade form sends for what is typed (web/src/pages/trade/order-draft.ts). */
import { expect, test } from "bun:test";
import { bodyOf, type Draft } from "../../web/src/pages/trade/order-draft";

// Both prices typed: the user filled in a limit, then switched the type (the form keeps every field).
const draft: Draft = { type: "market", side: "buy", asset: "BTC", amount: "0.01", limitPrice: "59000", stopPrice: "61000" };

test("a limit or stop order sends only its own price, not one typed for another type", () => {
  expect(bodyOf({ ...draft, type: "limit" })).toEqual({
    type: "limit",
    side: "buy",
    asset: "BTC",
    amount: "0.01",
    limitPrice: "59000",
  });
  expect(bodyOf({ ...draft, type: "stop" }, "q-1")).toEqual({
    type: "stop",
    side: "buy",
    asset: "BTC",
    amount: "0.01",
    stopPrice: "61000",
  });
});

test("a market order sends the quote the user confirmed, and no price", () => {
  expect(bodyOf(draft, "q-1")).toEqual({ type: "market", side: "buy", asset: "BTC", amount: "0.01", quoteId: "q-1" });
  expect(bodyOf(draft)).toEqual({ type: "market", side: "buy", asset: "BTC", amount: "0.01" });
});
