/**
 * Balances and holdings revalued at live prices in the page (web/src/lib/valuation.ts), exactly as the server values
 * them (GET /api/wallet/balance, GET /api/portfolio): rounded down to the cent, the total the sum of those.
 */
import { expect, test } from "bun:test";
import { formatUsdCents, usdCents } from "../../src/platform/money";
import type { PublicConfig } from "../../web/src/lib/config";
import type { Holding } from "../../web/src/lib/trading";
import {
  balanceValued,
  hasBasis,
  liveTotalUsd,
  liveUnrealizedPnlUsd,
  liveValueUsd,
  type PriceOf,
  pnlTone,
} from "../../web/src/lib/valuation";

const config = {
  assets: [
    { symbol: "USD", name: "US Dollar", precision: 2, withdrawalFee: "0" },
    { symbol: "BTC", name: "Bitcoin", precision: 8, withdrawalFee: "0.0005" },
    { symbol: "ETH", name: "Ether", precision: 18, withdrawalFee: "0.005" },
  ],
} as PublicConfig;

const at =
  (table: Record<string, string>): PriceOf =>
  (symbol) =>
    symbol === "USD" ? "1" : table[symbol];

const holding = (fields: Partial<Holding>): Holding => ({
  asset: "BTC",
  amount: "1",
  valueUsd: "0",
  costBasisUsd: "0",
  unrealizedPnlUsd: "0",
  amountWithoutBasis: "0",
  ...fields,
});

test("a value follows the live price, rounded down to the cent as the server shows a holding", () => {
  const item = { asset: "BTC", amount: "0.5", valueUsd: "33000" };
  expect(liveValueUsd(config, item, at({ BTC: "66604.49" }))).toBe("33302.24"); // 33,302.245: never shown worth more
  expect(liveValueUsd(config, item, at({ BTC: "67702.2" }))).toBe("33851.1");
  expect(liveValueUsd(config, { asset: "BTC", amount: "0.00000001", valueUsd: "0" }, at({ BTC: "60000" }))).toBe("0");
  expect(liveValueUsd(config, { asset: "USD", amount: "1250.5", valueUsd: "1250.5" }, at({}))).toBe("1250.5");
});

test("a value is the server's own, to the cent, at the same price", () => {
  const cases: [string, number, string, string][] = [
    ["BTC", 8, "0.12345678", "67499.73"],
    ["BTC", 8, "21000000", "0.00000001"],
    ["ETH", 18, "1.000000000000000001", "3456.78901234"],
    ["ETH", 18, "0.000000000000000001", "3456.78"],
  ];
  for (const [asset, precision, amount, price] of cases) {
    const units = BigInt(amount.replace(".", "")) * 10n ** BigInt(precision - (amount.split(".")[1]?.length ?? 0));
    const server = formatUsdCents(usdCents(units, precision, price, "down"));
    expect(liveValueUsd(config, { asset, amount, valueUsd: "0" }, at({ [asset]: price }))).toBe(server);
  }
});

test("without a price here (or for an unknown asset), the server's value stands", () => {
  expect(liveValueUsd(config, { asset: "BTC", amount: "1", valueUsd: "67000.01" }, at({}))).toBe("67000.01");
  expect(liveValueUsd(config, { asset: "DOGE", amount: "1", valueUsd: "0.12" }, at({ DOGE: "0.2" }))).toBe("0.12");
  expect(liveValueUsd(config, { asset: "BTC", amount: "1", valueUsd: "5" }, at({ BTC: "not a price" }))).toBe("5");
});

test("a total is the sum of the values each rounded down, as the server's totalUsd", () => {
  const balances = [
    { asset: "USD", available: "100", held: "0.5", total: "100.5", valueUsd: "100.5" },
    { asset: "BTC", available: "0.00000005", held: "0.00000005", total: "0.0000001", valueUsd: "0" },
    { asset: "ETH", available: "0", held: "0", total: "0", valueUsd: "0" },
  ];
  // 0.0000001 BTC at 99,999.99 is 0.9999999 cent: 0, not a cent.
  expect(liveTotalUsd(config, balances.map(balanceValued), at({ BTC: "99999.99", ETH: "3000" }))).toBe("100.5");
  expect(liveTotalUsd(config, balances.map(balanceValued), at({ BTC: "100000", ETH: "3000" }))).toBe("100.51");
  expect(liveTotalUsd(config, [], at({}))).toBe("0");
});

test("unrealized P&L is the value of the units with a basis less their cost, at the live price", () => {
  const mixed = holding({ amount: "1", amountWithoutBasis: "0.4", costBasisUsd: "30000" });
  expect(liveUnrealizedPnlUsd(config, mixed, at({ BTC: "60000" }))).toBe("6000"); // 0.6 × 60,000 − 30,000
  expect(liveUnrealizedPnlUsd(config, mixed, at({ BTC: "40000.019" }))).toBe("-5999.99"); // 24,000.0114 rounds down
  const bought = holding({ amount: "0.001", costBasisUsd: "67.8" });
  expect(liveUnrealizedPnlUsd(config, bought, at({ BTC: "67800" }))).toBe("0");
  expect(liveUnrealizedPnlUsd(config, bought, at({}))).toBe("0"); // the server's figure while no price is here
});

test("a holding none of whose units has a basis has an unknown P&L, not zero", () => {
  const deposited = holding({ amount: "0.5", amountWithoutBasis: "0.5", costBasisUsd: "0", unrealizedPnlUsd: "0" });
  expect(hasBasis(config, deposited)).toBe(false);
  expect(liveUnrealizedPnlUsd(config, deposited, at({ BTC: "60000" }))).toBeUndefined();
  expect(hasBasis(config, holding({ amount: "0.5", amountWithoutBasis: "0.49999999" }))).toBe(true);
  expect(hasBasis(config, holding({ asset: "USD", amount: "10", amountWithoutBasis: "0", costBasisUsd: "10" }))).toBe(true);
  expect(liveUnrealizedPnlUsd(config, holding({ asset: "USD", amount: "10", costBasisUsd: "10" }), at({}))).toBe("0");
});

test("only a gain or a loss has a colour", () => {
  expect(pnlTone("12.5")).toBe("pnl-positive");
  expect(pnlTone("0.01")).toBe("pnl-positive");
  expect(pnlTone("-0.01")).toBe("pnl-negative");
  expect(pnlTone("0")).toBeUndefined();
  expect(pnlTone("0.00")).toBeUndefined();
});
