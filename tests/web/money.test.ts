/**
 * The exact decimal helpers behind the withdraw form's "Max" and the USD values of the money forms
 * (web/src/lib/money.ts), and the network said next to every crypto address (web/src/lib/networks.ts).
 */
import { expect, test } from "bun:test";
import { formatUsdCents, usdCents } from "../../src/platform/money";
import { formatAmount, largestBeforeFee, overUsd, sharedDecimals, smallestWithdrawal, usdValue } from "../../web/src/lib/money";
import { networkOf, networkWarning } from "../../web/src/lib/networks";

test("Max is the available balance less the fee, exact to the asset's last decimal", () => {
  expect(largestBeforeFee("1.5", "0.0005", 8)).toBe("1.4995");
  expect(largestBeforeFee("0.3", "0.1", 8)).toBe("0.2"); // 0.3 - 0.1 in floats is 0.19999999999999998
  expect(largestBeforeFee("1", "0.000000000000000001", 18)).toBe("0.999999999999999999");
  expect(largestBeforeFee("10100", "0", 2)).toBe("10100");
  expect(largestBeforeFee("12345678901234567890.123456", "0.000001", 6)).toBe("12345678901234567890.123455");
});

test("Max is nothing when the balance covers no more than the fee, or a value is not an amount", () => {
  expect(largestBeforeFee("0.0005", "0.0005", 8)).toBeUndefined();
  expect(largestBeforeFee("0.0001", "0.0005", 8)).toBeUndefined();
  expect(largestBeforeFee("0", "0", 2)).toBeUndefined();
  expect(largestBeforeFee("1.123", "0", 2)).toBeUndefined();
  expect(largestBeforeFee("abc", "0.1", 8)).toBeUndefined();
  expect(largestBeforeFee("1", "-0.1", 8)).toBeUndefined();
});

test("a USD value is exact and rounded up to the cent, as the server values an amount", () => {
  expect(usdValue("0.5", 8, "66604.49")).toBe("33302.25"); // 33,302.245 USD: half a cent more is a cent
  expect(usdValue("2", 8, "50000")).toBe("100000");
  expect(usdValue("0.00000001", 8, "60000")).toBe("0.01"); // 0.0006 USD is a cent, rounded up
  expect(usdValue("10001", 2, "1")).toBe("10001");
  expect(usdValue("1.000001", 6, "0.99971288")).toBe("1");
  expect(usdValue("1", 18, "3000.123456789")).toBe("3000.13");
  expect(usdValue("0", 8, "60000")).toBe("0");
});

test("a USD value is the server's own: the same cents for every precision and price", () => {
  const cases: [string, number, string][] = [
    ["0.12345678", 8, "66604.49"],
    ["3.000000000000000001", 18, "3012.5"],
    ["987.654321", 6, "1.0004"],
    ["0.000000001", 9, "142.123456"],
    ["12.34", 2, "1"],
  ];
  for (const [amount, precision, price] of cases) {
    const units = BigInt(amount.replace(".", "").replace(/^0+(?=\d)/, ""));
    expect(usdValue(amount, precision, price)).toBe(formatUsdCents(usdCents(units, precision, price)));
  }
});

test("a USD value is nothing for what is not an amount or a price", () => {
  expect(usdValue("1e3", 8, "1")).toBeUndefined();
  expect(usdValue("0.123", 2, "1")).toBeUndefined();
  expect(usdValue("1", 8, "-5")).toBeUndefined();
  expect(usdValue("1", 8, "n/a")).toBeUndefined();
});

test("only a value more than the threshold is reviewed: exactly the threshold is not", () => {
  expect(overUsd("10000.01", "10000")).toBe(true);
  expect(overUsd("10000", "10000")).toBe(false);
  expect(overUsd("10000.00", "10000.00")).toBe(false);
  expect(overUsd("9999.99", "10000")).toBe(false);
  expect(overUsd("150", "100")).toBe(true);
  expect(overUsd("n/a", "100")).toBe(false);
});

test("each crypto asset names the network whose addresses the server accepts; others name none", () => {
  expect(networkOf("BTC")).toBe("Bitcoin");
  expect(networkOf("ETH")).toBe("Ethereum");
  expect(networkOf("USDT")).toBe("Ethereum (ERC-20)");
  expect(networkOf("SOL")).toBe("Solana");
  expect(networkOf("USD")).toBeUndefined();
  expect(networkOf("DOGE")).toBeUndefined();
  expect(networkOf("constructor")).toBeUndefined();
  expect(networkWarning("USDT", "Ethereum (ERC-20)")).toBe(
    "Only USDT on Ethereum (ERC-20): USDT sent on any other network is lost.",
  );
});

test("the smallest withdrawal is one minor unit more than the fee, as the server refuses any no larger", () => {
  expect(smallestWithdrawal("1.5", 2)).toBe("1.51");
  expect(smallestWithdrawal("0.0001", 8)).toBe("0.00010001");
  expect(smallestWithdrawal("0.001", 18)).toBe("0.001000000000000001");
  expect(smallestWithdrawal("0", 2)).toBe("0.01");
  expect(smallestWithdrawal("fee", 2)).toBeUndefined();
});

test("amounts of one asset side by side share their decimals: zero pads as the others, no digit is cut", () => {
  const alike = (values: string[], precision: number) =>
    values.map((value) => formatAmount(value, precision, sharedDecimals(values, precision)));
  // ETH alone writes zero as "0"; beside 1.25 ETH it reads as the others do.
  expect(formatAmount("0", 18)).toBe("0");
  expect(alike(["1.25", "0", "1.25"], 18)).toEqual(["1.25000000", "0.00000000", "1.25000000"]);
  expect(alike(["0", "0", "0"], 9)).toEqual(["0.00000000", "0.00000000", "0.00000000"]);
  // 1 wei is shown whole, and the others pad to it.
  expect(alike(["0.000000000000000001", "0", "0.000000000000000001"], 18)).toEqual([
    "0.000000000000000001",
    "0.000000000000000000",
    "0.000000000000000001",
  ]);
  expect(alike(["0", "0", "0"], 6)).toEqual(["0.000000", "0.000000", "0.000000"]);
  expect(alike(["12345.5", "0", "12345.5"], 2)).toEqual(["12,345.50", "0.00", "12,345.50"]);
  expect(sharedDecimals(["1"], undefined)).toBeUndefined();
});

test("a negative amount carries a minus sign, not a hyphen; zero carries none", () => {
  expect(formatAmount("-0.83", 2)).toBe("\u22120.83");
  expect(formatAmount("-1234.5", 2)).toBe("\u22121,234.50");
  expect(formatAmount("-0.00", 2)).toBe("0.00");
  expect(formatAmount("-0", 18)).toBe("0");
});

test("an amount alone pads zero as the balances table does, in every asset alike", () => {
  const alone = (value: string, precision: number) => formatAmount(value, precision, sharedDecimals([value], precision));
  expect([alone("0", 18), alone("0", 9), alone("0", 8), alone("0", 6), alone("0", 2)]).toEqual([
    "0.00000000",
    "0.00000000",
    "0.00000000",
    "0.000000",
    "0.00",
  ]);
  expect(alone("1.5", 18)).toBe(formatAmount("1.5", 18));
});
