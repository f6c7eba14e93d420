/**
 * What a limit or stop order holds, costs and brings before it is placed (web/src/lib/order-hold.ts): the figures the
 * server holds (src/modules/trading/validate.ts), exact.
 */
import { expect, test } from "bun:test";
import type { Config } from "../../src/config";
import { validateOrder } from "../../src/modules/trading/validate";
import {
  fillsNowAt,
  heldBy,
  orderPrice,
  orderTerms,
  shortfallMessage,
  stopBound,
  stopReached,
} from "../../web/src/lib/order-hold";
import type { Order } from "../../web/src/lib/trading";

const btc = { side: "buy" as const, asset: "BTC", amount: "0.02" };

test("a limit buy holds its cost at its price rounded up to the cent, plus the fee rounded up", () => {
  // The walk-through's order: 0.02 BTC at 30,000 held 600.60 USD.
  expect(orderTerms(btc, "30000", 8, 10)).toEqual({
    notionalUsd: "600",
    feeUsd: "0.6",
    totalUsd: "600.6",
    held: { asset: "USD", amount: "600.6" },
  });
  // 1 satoshi at 30,000.005 is 0.00030000005 USD: a cent, and a cent of fee.
  expect(orderTerms({ ...btc, amount: "0.00000001" }, "30000.005", 8, 10)?.held).toEqual({ asset: "USD", amount: "0.02" });
  // 0.1234 BTC at 12,345.67: 1,523.455678 USD rounds up to 1,523.46; the fee, 1.52346, up to 1.53.
  expect(orderTerms({ ...btc, amount: "0.1234" }, "12345.67", 8, 10)).toMatchObject({
    notionalUsd: "1523.46",
    feeUsd: "1.53",
    held: { asset: "USD", amount: "1524.99" },
  });
});

test("a sell holds the asset, and brings its proceeds rounded down less the fee rounded up", () => {
  // 0.123 ETH at 3,203.04: 393.97392 USD rounds down to 393.97; the fee, 0.39397, up to 0.40.
  expect(orderTerms({ side: "sell", asset: "ETH", amount: "0.123" }, "3203.04", 18, 10)).toEqual({
    notionalUsd: "393.97",
    feeUsd: "0.4",
    totalUsd: "393.57",
    held: { asset: "ETH", amount: "0.123" },
  });
});

test("the hold is the server's own, for buys and sells, limits and stops", () => {
  const config = {
    assets: [
      { symbol: "USD", precision: 2 },
      { symbol: "BTC", precision: 8 },
      { symbol: "ETH", precision: 18 },
    ],
    tradingFeeBps: 25,
  } as unknown as Config;
  const cases = [
    { type: "limit", side: "buy", asset: "BTC", amount: "0.00123457", price: "64999.99" },
    { type: "stop", side: "buy", asset: "ETH", amount: "1.000000000000000001", price: "3333.333333" },
    { type: "limit", side: "sell", asset: "BTC", amount: "0.5", price: "70000.125" },
    { type: "stop", side: "sell", asset: "ETH", amount: "0.75", price: "2999.99" },
  ] as const;
  for (const { price, ...order } of cases) {
    const field = order.type === "limit" ? "limitPrice" : "stopPrice";
    const server = validateOrder(config, { ...order, [field]: price }).reserved;
    const precision = order.asset === "BTC" ? 8 : 18;
    const terms = orderTerms(order, price, precision, 25);
    const heldPrecision = order.side === "buy" ? 2 : precision;
    expect(terms?.held.amount).toBe(formatUnits(server?.held, heldPrecision));
    expect(terms?.feeUsd).toBe(formatUnits(server?.fee, 2));
  }
});

/** Minor units as a decimal trimmed of trailing zeros, as the helpers give amounts. */
function formatUnits(units: bigint | undefined, precision: number): string | undefined {
  if (units === undefined) return undefined;
  const digits = units.toString().padStart(precision + 1, "0");
  const fraction = digits.slice(-precision).replace(/0+$/, "");
  return `${digits.slice(0, -precision)}${fraction ? `.${fraction}` : ""}`;
}

test("an amount or a price the server would refuse has no terms", () => {
  expect(orderTerms({ ...btc, amount: "0" }, "30000", 8, 10)).toBeUndefined();
  expect(orderTerms({ ...btc, amount: "0.000000001" }, "30000", 8, 10)).toBeUndefined();
  expect(orderTerms({ ...btc, amount: "" }, "30000", 8, 10)).toBeUndefined();
  expect(orderTerms(btc, "0", 8, 10)).toBeUndefined();
  expect(orderTerms(btc, "30,000", 8, 10)).toBeUndefined();
  expect(orderTerms(btc, "1e5", 8, 10)).toBeUndefined();
  expect(orderTerms(btc, `1.${"1".repeat(19)}`, 8, 10)).toBeUndefined();
});

test("a price is read as the server keeps it", () => {
  expect(orderPrice("030000.500")).toBe("30000.5");
  expect(orderPrice("0.000000000000000001")).toBe("0.000000000000000001");
  expect(orderPrice("0.00")).toBeUndefined();
  expect(orderPrice("-1")).toBeUndefined();
});

test("a limit the market already meets fills now, at the buy or sell price (live ± spread)", () => {
  // Live 60,000 with 50 bps: buy price 60,300, sell price 59,700.
  expect(fillsNowAt("buy", "60300", "60000", 50)).toBe("60300");
  expect(fillsNowAt("buy", "70000", "60000", 50)).toBe("60300");
  expect(fillsNowAt("buy", "60299.99", "60000", 50)).toBeUndefined();
  expect(fillsNowAt("sell", "59700", "60000", 50)).toBe("59700");
  expect(fillsNowAt("sell", "100", "60000", 50)).toBe("59700");
  expect(fillsNowAt("sell", "59700.01", "60000", 50)).toBeUndefined();
  // The spread's 4 more decimals count: 1.0004 × 1.005 is 1.005402.
  expect(fillsNowAt("buy", "1.005402", "1.0004", 50)).toBe("1.005402");
  expect(fillsNowAt("buy", "1.0054", "1.0004", 50)).toBeUndefined();
  expect(fillsNowAt("buy", "abc", "60000", 50)).toBeUndefined();
});

const open = (over: Partial<Order>): Order => ({
  id: "1",
  type: "limit",
  side: "buy",
  asset: "BTC",
  amount: "0.02",
  filledAmount: "0",
  price: null,
  limitPrice: "30000",
  stopPrice: null,
  fee: "0.6",
  status: "open",
  reason: null,
  expiresAt: null,
  createdAt: "2025-03-12T13:05:09.000Z",
  ...over,
});

test("an open buy holds its cost at its own price plus its fee; a sell, the asset", () => {
  expect(heldBy(open({}), 8)).toEqual({ asset: "USD", amount: "600.6" });
  // A stop buy's price is its stop; the cost rounds up: 0.00012345 × 65,000.5 = 8.02431…
  expect(heldBy(open({ type: "stop", amount: "0.00012345", limitPrice: null, stopPrice: "65000.5", fee: "0.01" }), 8)).toEqual({
    asset: "USD",
    amount: "8.04",
  });
  expect(heldBy(open({ side: "sell", amount: "0.5", limitPrice: "90000", fee: "45" }), 8)).toEqual({
    asset: "BTC",
    amount: "0.5",
  });
});

test("not enough says how much is needed, how much is available, and what to do", () => {
  const need = { asset: "USD", amount: "600.6" };
  expect(shortfallMessage({ type: "limit", side: "buy" }, need, "500", 2)).toBe(
    "This buy needs 600.60 USD, but only 500.00 USD is available. Lower the amount or the limit price, or deposit USD first.",
  );
  expect(shortfallMessage({ type: "stop", side: "buy" }, need, "0", 2, true)).toBe(
    "This buy needs 600.60 USD, but only 0.00 USD is available, so it would be refused. Lower the amount or the stop price, or deposit USD first.",
  );
  expect(shortfallMessage({ type: "market", side: "sell" }, { asset: "BTC", amount: "0.5" }, "0.1", 8)).toBe(
    "This sell needs 0.50000000 BTC, but only 0.10000000 BTC is available. Lower the amount, or deposit BTC first.",
  );
});

test("a stop's hint names the bound the server's refusal names: past the buy or sell price, rounded away from it", () => {
  // 65000.01 ± 0.5 %: buy at 65325.01005, sell at 64675.00995 (tests/trading-api.test.ts has the refusals).
  expect(stopBound("buy", "65000.01", 50)).toBe("65325.02");
  expect(stopBound("sell", "65000.01", 50)).toBe("64675");
  expect(stopBound("buy", "5.123456", 50)).toBe("5.1491");
  expect(stopBound("sell", "5.123456", 50)).toBe("5.0978");
  expect(stopBound("buy", "not a price", 50)).toBeUndefined();
});

test("a stop the market has reached is one the server refuses: at or past the buy or sell price, not the market price", () => {
  // Live 60,000 with 50 bps: buy price 60,300, sell price 59,700 (service.ts assertStopAhead).
  expect(stopReached("buy", "60300", "60000", 50)).toBe(true);
  expect(stopReached("buy", "60000", "60000", 50)).toBe(true);
  expect(stopReached("buy", "60300.01", "60000", 50)).toBe(false);
  expect(stopReached("sell", "59700", "60000", 50)).toBe(true);
  expect(stopReached("sell", "60000", "60000", 50)).toBe(true);
  expect(stopReached("sell", "59699.99", "60000", 50)).toBe(false);
  // The spread's 4 more decimals count: 1.0004 × 0.995 is 0.995398.
  expect(stopReached("sell", "0.995398", "1.0004", 50)).toBe(true);
  expect(stopReached("sell", "0.995397", "1.0004", 50)).toBe(false);
  // What is not a price is the field's own check to tell.
  expect(stopReached("buy", "abc", "60000", 50)).toBe(false);
  expect(stopReached("buy", "0", "60000", 50)).toBe(false);
});
