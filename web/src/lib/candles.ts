/**
 * Price candles (GET /api/prices/:symbol/candles) as the market page shows them: the server's answer kept live by
 * the price frames, the way the server builds candles from the same ticks, and what they come to in words for those
 * who cannot see the chart. Prices stay decimal strings; they are compared as numbers, for display only.
 */
import { formatDateTime } from "./format";
import { formatPrice } from "./money";
import type { PriceTick } from "./prices";

export type CandleInterval = "1m" | "5m" | "1h" | "1d";
export type Candle = { t: string; o: string; h: string; l: string; c: string };

/** The length of a candle; buckets are aligned to UTC, as the server aligns them. */
const INTERVAL_MS: Record<CandleInterval, number> = { "1m": 60_000, "5m": 300_000, "1h": 3_600_000, "1d": 86_400_000 };

const higher = (a: string, b: string) => (Number(b) > Number(a) ? b : a);
const lower = (a: string, b: string) => (Number(b) < Number(a) ? b : a);

/**
 * The candles once `tick` is in them: a tick of the last candle's time moves its close (and high or low), a later one
 * opens the next candle at its price. Every other candle stays the object it was, so a list keyed by candle redraws
 * one row a tick. Undefined for a tick older than the last candle, or one that is no price at a time.
 */
export function withTick(candles: readonly Candle[], tick: PriceTick, interval: CandleInterval): Candle[] | undefined {
  const at = Date.parse(tick.updatedAt);
  const price = tick.priceUsd;
  if (Number.isNaN(at) || !Number.isFinite(Number(price))) return undefined;
  const start = Math.floor(at / INTERVAL_MS[interval]) * INTERVAL_MS[interval];
  const last = candles.at(-1);
  const lastStart = last ? Date.parse(last.t) : Number.NEGATIVE_INFINITY;
  if (start > lastStart) return [...candles, { t: new Date(start).toISOString(), o: price, h: price, l: price, c: price }];
  if (!last || start < lastStart) return undefined;
  return [...candles.slice(0, -1), { ...last, h: higher(last.h, price), l: lower(last.l, price), c: price }];
}

/** When a candle starts, as its table row names it: a day candle is a UTC day, others the user's clock. */
export const candleTime = (candle: Candle, interval: CandleInterval) =>
  formatDateTime(candle.t, interval === "1d" ? "utcDay" : "chartMinute");

/** "up 0.52%", "down 1.20%", "unchanged": from `open` to `close`. */
function change(open: string, close: string): string {
  const percent = ((Number(close) - Number(open)) / Number(open)) * 100;
  if (!Number.isFinite(percent)) return "unchanged";
  const shown = Math.abs(percent).toFixed(2);
  if (shown === "0.00") return "unchanged";
  return `${percent > 0 ? "up" : "down"} ${shown}%`;
}

/**
 * The chart in one sentence: the span its candles cover, their lowest and highest price, the last close and how far
 * it moved from the first open. Undefined without candles.
 */
export function candleSummary(candles: readonly Candle[], symbol: string, interval: CandleInterval): string | undefined {
  const first = candles[0];
  const last = candles.at(-1);
  if (!first || !last) return undefined;
  let low = first.l;
  let high = first.h;
  for (const candle of candles) {
    low = lower(low, candle.l);
    high = higher(high, candle.h);
  }
  const usd = (price: string) => `${formatPrice(price, symbol)} USD`;
  return (
    `${candles.length} ${interval} candle${candles.length === 1 ? "" : "s"}, ${candleTime(first, interval)} to ` +
    `${candleTime(last, interval)}: low ${usd(low)}, high ${usd(high)}; last close ${usd(last.c)}, ` +
    `${change(first.o, last.c)} from the first open.`
  );
}
