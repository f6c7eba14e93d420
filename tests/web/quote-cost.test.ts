/** The balance a market quote would overdraw, which keeps it from being offered (web/src/pages/trade/quote-cost.ts). */
import { expect, test } from "bun:test";
import type { PublicConfig } from "../../web/src/lib/config";
import type { Quote } from "../../web/src/lib/trading";
import type { Balance } from "../../web/src/lib/wallet";
import { shortfallOf } from "../../web/src/pages/trade/quote-cost";

const config = {
  assets: [
    { symbol: "USD", name: "US Dollar", precision: 2, withdrawalFee: "0" },
    { symbol: "BTC", name: "Bitcoin", precision: 8, withdrawalFee: "0.0005" },
  ],
} as PublicConfig;

const quote = (side: Quote["side"]): Quote => ({
  quoteId: "q-1",
  side,
  asset: "BTC",
  amount: "0.01",
  price: "60300",
  fee: "0.61",
  totalUsd: "603.61",
  expiresAt: "2030-01-01T00:00:00.000Z",
});

const balances = (usd: string, btc: string): Balance[] => [
  { asset: "USD", available: usd, held: "0", total: usd, valueUsd: usd },
  { asset: "BTC", available: btc, held: "0", total: btc, valueUsd: "0" },
];

test("a buy falls short of its total in USD, a sale of the asset it sells", () => {
  expect(shortfallOf(quote("buy"), balances("603.6", "1"), config)).toEqual({
    asset: "USD",
    amount: "603.61",
    available: "603.6",
    precision: 2,
  });
  expect(shortfallOf(quote("sell"), balances("0", "0.00999999"), config)).toEqual({
    asset: "BTC",
    amount: "0.01",
    available: "0.00999999",
    precision: 8,
  });
});

test("a quote the balance covers exactly is offered", () => {
  expect(shortfallOf(quote("buy"), balances("603.61", "0"), config)).toBeUndefined();
  expect(shortfallOf(quote("sell"), balances("0", "0.01"), config)).toBeUndefined();
});

test("while the balances are not known nothing is said short (the server still judges the order)", () => {
  expect(shortfallOf(quote("buy"), undefined, config)).toBeUndefined();
});
