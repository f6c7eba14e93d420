/** The market page's candles (web/src/lib/candles.ts): kept live by price frames as the server builds them, said in words. */
import { expect, test } from "bun:test";
import { type Candle, candleSummary, withTick } from "../../web/src/lib/candles";

const candle = (t: string, o: string, h: string, l: string, c: string): Candle => ({ t, o, h, l, c });
const tick = (priceUsd: string, updatedAt: string) => ({
  symbol: "BTC",
  priceUsd,
  change24h: "0",
  updatedAt,
  source: "simulated",
});

const answer = [
  candle("2026-03-12T14:00:00.000Z", "60000", "60100", "59900", "60050"),
  candle("2026-03-12T14:01:00.000Z", "60050", "60200", "60000", "60150"),
];

test("a tick of the last candle's minute moves its close, high or low; only that candle is a new object", () => {
  const higher = withTick(answer, tick("60300.5", "2026-03-12T14:01:30.000Z"), "1m");
  expect(higher?.at(-1)).toEqual(candle("2026-03-12T14:01:00.000Z", "60050", "60300.5", "60000", "60300.5"));
  expect(higher?.[0]).toBe(answer[0] as Candle);
  const lower = withTick(higher ?? [], tick("59950", "2026-03-12T14:01:59.999Z"), "1m");
  expect(lower?.at(-1)).toEqual(candle("2026-03-12T14:01:00.000Z", "60050", "60300.5", "59950", "59950"));
});

test("a later tick opens the next candle at its price, in the interval's UTC bucket; an older one is dropped", () => {
  const next = withTick(answer, tick("60400", "2026-03-12T14:07:10.000Z"), "5m");
  expect(next?.length).toBe(3);
  expect(next?.at(-1)).toEqual(candle("2026-03-12T14:05:00.000Z", "60400", "60400", "60400", "60400"));
  expect(withTick(answer, tick("1", "2026-03-12T13:59:59.000Z"), "1m")).toBeUndefined();
  expect(withTick(answer, tick("n/a", "2026-03-12T14:01:10.000Z"), "1m")).toBeUndefined();
  expect(withTick([], tick("5", "2026-03-12T00:10:00.000Z"), "1d")).toEqual([
    candle("2026-03-12T00:00:00.000Z", "5", "5", "5", "5"),
  ]);
});

test("the summary gives the span, the range, the last close and its change from the first open, at the price rule", () => {
  const minute = (iso: string) =>
    new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(iso));
  expect(candleSummary(answer, "BTC", "1m")).toBe(
    `2 1m candles, ${minute("2026-03-12T14:00:00.000Z")} to ${minute("2026-03-12T14:01:00.000Z")}: ` +
      "low 59,900.00 USD, high 60,200.00 USD; last close 60,150.00 USD, up 0.25% from the first open.",
  );
  const day = new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeZone: "UTC" }).format(
    new Date("2026-03-12T00:00:00.000Z"),
  );
  expect(candleSummary([candle("2026-03-12T00:00:00.000Z", "1.0002", "1.0004", "0.99971288", "0.9999")], "USDT", "1d")).toBe(
    `1 1d candle, ${day} to ${day}: low 0.9997 USD, high 1.0004 USD; last close 0.9999 USD, down 0.03% from the first open.`,
  );
  expect(candleSummary([], "BTC", "1m")).toBeUndefined();
});
