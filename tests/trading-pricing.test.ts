/** The smallest amount worth trading (src/modules/trading/pricing.ts), which a refusal tells the user. */
import { expect, test } from "bun:test";
import { isWorthItsFee, priceBound, smallestWorthTrading, termsAt } from "../src/modules/trading/pricing";

test("the smallest amount worth trading is worth it, and one minor unit less is not, on either side and any precision", () => {
  const cases: [side: "buy" | "sell", price: string, precision: number, feeBps: number][] = [
    ["buy", "65325", 8, 50],
    ["sell", "64675", 8, 50],
    ["buy", "3015.1234", 18, 50],
    ["sell", "2999.99", 18, 100],
    ["buy", "1.0005", 6, 0],
    ["sell", "0.000012", 9, 9_999],
  ];
  for (const [side, price, precision, feeBps] of cases) {
    const worthIt = (units: bigint) => isWorthItsFee(side, termsAt(price, side, units, precision, feeBps), units, precision);
    const smallest = smallestWorthTrading(side, price, precision, feeBps);
    expect({ side, price, worth: worthIt(smallest), below: worthIt(smallest - 1n) }).toEqual({
      side,
      price,
      worth: true,
      below: false,
    });
  }
});

test("where no amount is worth its fee (a 100 % fee, a price of 0), the search for the smallest ends rather than hold the server", () => {
  expect(() => smallestWorthTrading("buy", "65325", 8, 10_000)).toThrow("no amount is worth its fee");
  expect(() => smallestWorthTrading("sell", "0", 8, 10)).toThrow("no amount is worth its fee");
});

test("a price named as a bound is rounded away from the price it is judged against: to the cent, or 0.0001 under 10 USD", () => {
  expect(priceBound("65325.01005", "up")).toBe("65325.02");
  expect(priceBound("65325.01005", "down")).toBe("65325.01");
  expect(priceBound("65325.01", "up")).toBe("65325.01");
  expect(priceBound("64675", "down")).toBe("64675");
  expect(priceBound("1.00550025", "up")).toBe("1.0056");
  expect(priceBound("0.99450225", "down")).toBe("0.9945");
  expect(priceBound("9.99999", "up")).toBe("10");
});
