/** What the stop price field says of where a stop belongs and when it is refused (web/src/pages/trade/stop-hint.ts). */
import { expect, test } from "bun:test";
import { stopHint, stopReachedNote } from "../../web/src/pages/trade/stop-hint";

// A 50 bps spread on a market price of 60,000: the sell price is 59,700, the buy price 60,300.
const SPREAD_BPS = 50;

test("the hint names the side's price the stop is compared with, not the market price", () => {
  expect(stopHint("sell", "60000", SPREAD_BPS)).toContain("set it below the sell price now (59,700.00 USD)");
  expect(stopHint("buy", "60000", SPREAD_BPS)).toContain("set it above the buy price now (60,300.00 USD)");
});

test("without a live price the hint names no figure rather than a wrong one", () => {
  expect(stopHint("buy", undefined, SPREAD_BPS)).toBe(
    "A stop buy triggers once the buy price rises to it: set it above the buy price now, which is the market price plus the trading spread.",
  );
});

test("a stop the market has reached is called refused, with the bound it must pass", () => {
  expect(stopReachedNote("sell", "59700", "60000", SPREAD_BPS)).toBe(
    "This stop would trigger at once, and is refused: a stop sell must be below the sell price now (59,700.00 USD).",
  );
  expect(stopReachedNote("buy", "60300", "60000", SPREAD_BPS)).toBe(
    "This stop would trigger at once, and is refused: a stop buy must be above the buy price now (60,300.00 USD).",
  );
});

test("a stop still ahead of the market, or judged without a live price, has no such note", () => {
  expect(stopReachedNote("sell", "59699.99", "60000", SPREAD_BPS)).toBeUndefined();
  expect(stopReachedNote("buy", "60300.01", "60000", SPREAD_BPS)).toBeUndefined();
  expect(stopReachedNote("buy", "1", undefined, SPREAD_BPS)).toBeUndefined();
});
