import { describe, expect, test } from "bun:test";
import { AmountError, formatAmount, MAX_WHOLE_DIGITS, parseAmount, trimDecimal, usdCents } from "../src/platform/money";

describe("parseAmount", () => {
  test.each([
    ["1", 2, 100n],
    ["1.5", 2, 150n],
    ["1.50", 2, 150n],
    ["0.01", 2, 1n],
    ["0.000000000000000001", 18, 1n],
    ["1000000000000", 18, 10n ** 30n],
    ["21000000", 8, 2_100_000_000_000_000n],
  ])("%p with precision %p is %p minor units", (text, precision, units) => {
    expect(parseAmount(text, precision)).toBe(units);
  });

  test.each(["1e3", "-1", "0", " 1", "1 ", "1,5", "0x10", "", ".5", "1.", "+1", "NaN", "Infinity", "1.2.3", "0.00"])(
    "refuses %p",
    (text) => {
      expect(() => parseAmount(text, 2)).toThrow(AmountError);
    },
  );

  test("refuses more decimals than the asset has", () => {
    expect(() => parseAmount("0.001", 2)).toThrow("more than 2 decimal places");
    expect(() => parseAmount("0.000000001", 8)).toThrow(AmountError);
  });

  test(`at most ${MAX_WHOLE_DIGITS} digits before the point (leading zeros aside), so no amount overflows a column`, () => {
    const largest = "9".repeat(MAX_WHOLE_DIGITS);
    expect(parseAmount(`${largest}.999999999999999999`, 18)).toBe(10n ** BigInt(MAX_WHOLE_DIGITS + 18) - 1n);
    expect(parseAmount(`000${largest}`, 2)).toBe(BigInt(`${largest}00`));
    expect(() => parseAmount(`1${"0".repeat(MAX_WHOLE_DIGITS)}`, 2)).toThrow("too large");
    expect(() => parseAmount("9".repeat(77), 2)).toThrow(AmountError);
  });

  test("zero only where allowed", () => {
    expect(parseAmount("0", 2, { allowZero: true })).toBe(0n);
    expect(parseAmount("0.00", 2, { allowZero: true })).toBe(0n);
  });
});

describe("formatAmount", () => {
  test.each([
    [0n, 2, "0"],
    [150n, 2, "1.5"],
    [100n, 2, "1"],
    [1n, 8, "0.00000001"],
    [1n, 18, "0.000000000000000001"],
    [10n ** 30n, 18, "1000000000000"],
    [-150n, 2, "-1.5"],
    [123456789n, 0, "123456789"],
  ])("%p with precision %p is %p", (units, precision, text) => {
    expect(formatAmount(units, precision)).toBe(text);
  });

  test("round-trips every amount it formats", () => {
    for (const precision of [0, 2, 6, 8, 9, 18]) {
      for (let i = 1n; i < 10n ** BigInt(MAX_WHOLE_DIGITS + precision); i = i * 7n + 3n) {
        expect(parseAmount(formatAmount(i, precision), precision)).toBe(i);
      }
    }
  });
});

describe("usdCents", () => {
  test.each([
    [100_000_000n, 8, "65000.12", 6_500_012n], // 1 BTC
    [1n, 8, "65000", 1n], // 1 satoshi is 0.00065 USD: rounded up to a cent
    [10n ** 18n, 18, "3200.5", 320_050n],
    [1_500n, 2, "1", 1_500n], // USD itself
    [2_500_000n, 6, "0.9998", 250n], // 2.5 USDT at 0.9998 = 2.4995 → 250 cents
    [0n, 8, "65000", 0n],
  ])("%p units (precision %p) at %p is %p cents", (units, precision, price, cents) => {
    expect(usdCents(units, precision, price)).toBe(cents);
  });
});

test("usdCents rounds down when asked (a holding's worth)", () => {
  expect(usdCents(1n, 8, "65000", "down")).toBe(0n);
  expect(usdCents(2_500_000n, 6, "0.9998", "down")).toBe(249n);
});

test("trimDecimal gives a stored numeric API.md's form", () => {
  for (const [stored, shown] of [
    ["1000.50", "1000.5"],
    ["200.00", "200"],
    ["0.000100", "0.0001"],
    ["65000", "65000"],
    ["100", "100"],
    ["0", "0"],
  ]) {
    expect(trimDecimal(stored)).toBe(shown);
  }
});
