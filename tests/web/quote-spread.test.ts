/** The spread a quote costs against the market price (web/src/lib/trading.ts quoteSpread), exact. */
import { expect, test } from "bun:test";
import { quoteSpread } from "../../web/src/lib/trading";

test("a buy's spread is the quoted price over the market's, for the amount, and its share of the market price", () => {
  // 50 bps over 60,000: quoted 60,300; 0.01 BTC costs 3 USD more than at the market price.
  expect(quoteSpread({ side: "buy", amount: "0.01", price: "60300" }, "60000", 8)).toEqual({ costUsd: "3", percent: "0.5" });
  // The server's quote price has 4 more decimals than the market's (modules/trading/pricing.ts sidePrice).
  expect(quoteSpread({ side: "buy", amount: "0.00012345", price: "66937.5124" }, "66604.49", 8)).toEqual({
    costUsd: "0.05", // 0.0411... USD, rounded up to the cent as a payment is
    percent: "0.5",
  });
});

test("a sale's spread is the quoted price under the market's", () => {
  expect(quoteSpread({ side: "sell", amount: "2", price: "2985" }, "3000", 18)).toEqual({ costUsd: "30", percent: "0.5" });
  // 0.1 / 0.3 of the market price is 33.333…%: rounded half-up to 2 decimals.
  expect(quoteSpread({ side: "sell", amount: "1", price: "0.2" }, "0.3", 9)).toEqual({ costUsd: "0.1", percent: "33.33" });
  expect(quoteSpread({ side: "sell", amount: "1", price: "0.1" }, "0.3", 9)).toEqual({ costUsd: "0.2", percent: "66.67" });
});

test("no spread is named when the quote is no worse than the market price, or a price is not a decimal", () => {
  expect(quoteSpread({ side: "buy", amount: "1", price: "59990" }, "60000", 8)).toBeUndefined();
  expect(quoteSpread({ side: "sell", amount: "1", price: "60000" }, "60000", 8)).toBeUndefined();
  expect(quoteSpread({ side: "buy", amount: "1", price: "60300" }, "n/a", 8)).toBeUndefined();
  expect(quoteSpread({ side: "buy", amount: "1", price: "60300" }, "0", 8)).toBeUndefined();
});
