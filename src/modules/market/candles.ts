import { sql } from "drizzle-orm";
import { type DbOrTx, queryRows } from "../../platform/db/client";
import { validationFailed } from "../../platform/http/errors";
import { EARLIEST_STORABLE_MS, isCalendarDay, isStorableDate } from "../../platform/http/formats";
import { compareDecimal } from "../../platform/money";
import type { Logger } from "../../platform/observability/logger";
import type { Candle, CandleInterval, PriceTick } from "./model";
import { normalizeChange } from "./prices";
import { candles1m } from "./schema";

const MINUTE_MS = 60_000;
export const INTERVAL_MS: Record<CandleInterval, number> = {
  "1m": MINUTE_MS,
  "5m": 5 * MINUTE_MS,
  "1h": 3_600_000,
  "1d": 86_400_000,
};
/** At most this many candles per answer: a range longer than that is cut to its most recent part. */
export const MAX_CANDLES = 1000;
/** Without `from`, this many candles up to `to`'s. */
const DEFAULT_CANDLES = 300;

type OpenCandle = { symbol: string; t: Date; o: string; h: string; l: string; c: string };

/**
 * Builds one-minute candles from the leader's ticks in memory and writes them every few seconds, not on
 * every tick. The upsert keeps the first open and widens high/low, so a write from a former leader for the
 * same minute can only widen the candle, never lose it.
 */
export class CandleRecorder {
  private readonly open = new Map<string, OpenCandle>();
  private readonly dirty = new Set<OpenCandle>();

  constructor(
    private readonly db: DbOrTx,
    private readonly logger: Logger,
  ) {}

  record(ticks: PriceTick[]): void {
    for (const tick of ticks) {
      const minute = Math.floor(Date.parse(tick.updatedAt) / MINUTE_MS) * MINUTE_MS;
      let candle = this.open.get(tick.symbol);
      if (!candle || candle.t.getTime() !== minute) {
        candle = {
          symbol: tick.symbol,
          t: new Date(minute),
          o: tick.priceUsd,
          h: tick.priceUsd,
          l: tick.priceUsd,
          c: tick.priceUsd,
        };
        this.open.set(tick.symbol, candle);
      }
      if (compareDecimal(tick.priceUsd, candle.h) > 0) candle.h = tick.priceUsd;
      if (compareDecimal(tick.priceUsd, candle.l) < 0) candle.l = tick.priceUsd;
      candle.c = tick.priceUsd;
      this.dirty.add(candle);
    }
  }

  /** Writes every candle touched since the last flush. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const rows = [...this.dirty].map((candle) => ({ ...candle }));
    this.dirty.clear();
    try {
      await this.db
        .insert(candles1m)
        .values(rows)
        .onConflictDoUpdate({
          target: [candles1m.symbol, candles1m.t],
          set: {
            h: sql`greatest(${candles1m.h}, excluded.h)`,
            l: sql`least(${candles1m.l}, excluded.l)`,
            c: sql`excluded.c`,
          },
        });
    } catch (error) {
      this.logger.warn("candle write failed", { error: (error as Error).message });
    }
  }
}

/** An ISO 8601 instant or epoch milliseconds the database can hold; anything else is the client's mistake. */
function parseInstant(value: string | undefined, field: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = /^\d{1,15}$/.test(value) ? Number(value) : isCalendarDay(value) ? Date.parse(value) : Number.NaN;
  if (!isStorableDate(new Date(ms))) throw validationFailed(field, `Invalid ${field}: use ISO 8601 or epoch milliseconds`);
  return ms;
}

/**
 * Candles of one symbol, oldest first. 5m, 1h and 1d are aggregated from the minute rows: open of the
 * first minute, close of the last, extreme high and low. Buckets are aligned to UTC. Prices come out in
 * API.md's form, trailing fractional zeros trimmed, however they were stored.
 */
export async function queryCandles(
  db: DbOrTx,
  symbol: string,
  interval: CandleInterval,
  range: { from?: string; to?: string },
): Promise<Candle[]> {
  const step = INTERVAL_MS[interval];
  const asked = { from: parseInstant(range.from, "from"), to: parseInstant(range.to, "to") };
  if (asked.from !== undefined && asked.to !== undefined && asked.from > asked.to)
    throw validationFailed("from", "from must not be after to");
  // Nothing lies after now, so a range reaching into the future is cut there before it is capped.
  const to = Math.min(asked.to ?? Date.now(), Date.now());
  const from = asked.from;
  // Whole buckets only, as exchanges answer: the candles that start in [from, to), each built from all of its
  // minutes, so a candle labelled t always covers [t, t + interval). The most recent MAX_CANDLES at most.
  // Nothing was recorded before year 1, and the database holds no earlier instant to compare with.
  // Nor anything from now on: a `from` in the future takes in no candle (and its bucket, rounded up, could lie
  // past the last instant the database holds).
  if (to <= EARLIEST_STORABLE_MS || (from !== undefined && from >= to)) return [];
  const lastStart = Math.floor((to - 1) / step) * step;
  const firstStart = Math.max(
    from === undefined ? lastStart - (DEFAULT_CANDLES - 1) * step : Math.ceil(from / step) * step,
    lastStart - (MAX_CANDLES - 1) * step,
    EARLIEST_STORABLE_MS,
  );
  // The step comes from INTERVAL_MS, never from the client; inlined so GROUP BY matches the select.
  const bucket = sql.raw(`date_bin('${step / 1000} seconds'::interval, t, timestamptz '2000-01-01T00:00:00Z')`);
  return queryRows<Candle>(
    db,
    sql`select to_char(${bucket} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') as t,
          trim_scale((array_agg(o order by t))[1])::text as o, trim_scale(max(h))::text as h,
          trim_scale(min(l))::text as l, trim_scale((array_agg(c order by t desc))[1])::text as c
        from ${candles1m}
        where symbol = ${symbol} and t >= ${new Date(firstStart).toISOString()}::timestamptz
          and t < ${new Date(lastStart + step).toISOString()}::timestamptz
        group by 1 order by 1`,
  );
}

/**
 * Each symbol's last recorded close, as a tick at that candle's minute, with its change from the last close
 * a day or more before it ("0" when there is none): where a simulated price walk resumes after a restart.
 */
export async function lastCloses(db: DbOrTx, symbols: string[], source: PriceTick["source"]): Promise<PriceTick[]> {
  const rows = await queryRows<{ symbol: string; t: Date | string; c: string; change: string | null }>(
    db,
    sql`select s.symbol, last.t, last.c::text as c,
          round((last.c / nullif(before.c, 0) - 1) * 100, 6)::text as change
        from unnest(${`{${symbols.join(",")}}`}::text[]) as s(symbol)
        cross join lateral (
          select t, c from candles_1m where symbol = s.symbol order by t desc limit 1) last
        left join lateral (
          select c from candles_1m where symbol = s.symbol and t <= last.t - interval '1 day' order by t desc limit 1) before
          on true`,
  );
  return rows.map((row) => ({
    symbol: row.symbol,
    priceUsd: row.c,
    change24h: normalizeChange(row.change ?? "0"),
    updatedAt: new Date(row.t).toISOString(),
    source,
  }));
}
