/**
 * The market's moving parts on one instance: the price lease, the provider it runs, the bus that carries
 * ticks to every instance, the price cache, candles and alert checks. Routes call the functions below it.
 */
import { randomInt } from "node:crypto";
import type { Config } from "../../config";
import type { Bus } from "../../platform/bus";
import type { Db } from "../../platform/db/client";
import { notFound } from "../../platform/http/errors";
import { holdLeadership, type Leadership, type LeaseOptions } from "../../platform/lease";
import type { Logger } from "../../platform/observability/logger";
import { ALERTS_PER_CHECK, fireAlerts, type PriceRange, rangeOf, widenRanges } from "./alerts";
import { CandleRecorder, lastCloses } from "./candles";
import { CoinCapProvider } from "./coincap";
import type { PriceTick } from "./model";
import { PriceCache, pricedSymbols, QUOTE_ASSET } from "./price-cache";
import type { PriceProvider } from "./provider";
import { SimulatedProvider } from "./simulated";

/** The bus channel every instance's price cache listens on. */
export const PRICES_CHANNEL = "prices";
/** A starting instance asks here for the latest prices; the leader answers on PRICES_CHANNEL. */
const PRICES_WANTED_CHANNEL = "prices:wanted";
/** A dead leader's lease runs out after ttl; the others try every renewMs: takeover within 8 s. */
export const DEFAULT_LEASE: LeaseOptions = { ttlMs: 6000, renewMs: 2000 };
const CANDLE_FLUSH_MS = 5000;

export type MarketDeps = { config: Config; db: Db; bus: Bus; logger: Logger };
export type MarketOptions = { provider?: PriceProvider; lease?: LeaseOptions; candleFlushMs?: number };
export type Market = { cache: PriceCache; isLeader(): boolean; stop(): Promise<void> };

function createProvider(config: Config, logger: Logger): PriceProvider {
  const symbols = pricedSymbols(config);
  if (config.priceSource === "coincap") {
    return new CoinCapProvider({
      restUrl: config.coincapRestUrl,
      wsUrl: config.coincapWsUrl,
      apiKey: config.coincapApiKey,
      symbols,
      logger,
    });
  }
  // A fresh seed each run: a fixed one would replay the same, publicly known path after every restart.
  return new SimulatedProvider(symbols, config.priceTickMs, randomInt(2 ** 32));
}

/**
 * Where a price walk resumes when no instance has a price yet (the first start): each symbol's last recorded
 * close, with its change from the close a day earlier. Empty when nothing was recorded or it cannot be read.
 */
async function lastRecordedTicks({ config, db, logger }: MarketDeps): Promise<PriceTick[]> {
  try {
    return await lastCloses(db, pricedSymbols(config), config.priceSource);
  } catch (error) {
    logger.warn("last recorded prices unavailable; prices start afresh", { error: (error as Error).message });
    return [];
  }
}

/** Starts following prices at once; `stop` gives up the lease and writes the last candles. */
export function startMarket({ config, db, bus, logger }: MarketDeps, options: MarketOptions = {}): Market {
  const cache = new PriceCache(pricedSymbols(config), config.priceSource);
  const provider = options.provider ?? createProvider(config, logger);
  const candles = new CandleRecorder(db, logger);
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  let checking: Promise<unknown> | undefined;
  /** Each symbol's prices since the last alert check began: a crossing during a check is still seen by the next. */
  let unchecked = new Map<string, PriceRange>();

  const publish = (ticks: PriceTick[]) =>
    bus.publish(PRICES_CHANNEL, ticks).catch((error) => logger.warn("price publish failed", { error: error.message }));

  /**
   * Ranges a check did not finish with (it failed, or there were more alerts due than one check fires) are checked
   * again with the next tick's: a database blip or a crowd of alerts misses no crossing. Older first, so a price seen
   * again later keeps its later time.
   */
  const checkAgain = (ranges: PriceRange[]) => {
    const again = new Map(ranges.map((range) => [range.symbol, { ...range }]));
    widenRanges(again, [...unchecked.values()]);
    unchecked = again;
  };

  /**
   * Runs on the leader only: publish, record, check alerts. One check at a time: the next tick's check takes in
   * the prices that came during one (`unchecked`), so a price that crossed an alert only meanwhile still fires it.
   */
  const onTicks = (ticks: PriceTick[]) => {
    void publish(ticks);
    candles.record(ticks);
    const seenAt = new Date();
    widenRanges(
      unchecked,
      ticks.map((tick) => rangeOf(tick, seenAt)),
    );
    if (checking) return;
    const ranges = [...unchecked.values()];
    unchecked = new Map();
    checking = fireAlerts(db, ranges)
      .then((fired) => {
        if (fired >= ALERTS_PER_CHECK) checkAgain(ranges);
      })
      .catch((error) => {
        checkAgain(ranges);
        logger.warn("alert check failed", { error: error.message });
      })
      .finally(() => {
        checking = undefined;
      });
  };

  const subscription = bus.subscribe(PRICES_CHANNEL, (message) => cache.update(message as PriceTick[]));
  let leadership: Leadership | undefined;
  const answering = bus.subscribe(PRICES_WANTED_CHANNEL, () => {
    const latest = cache.all().filter((tick) => tick.symbol !== QUOTE_ASSET);
    if (leadership?.isLeader() && latest.length > 0) void publish(latest);
  });
  // The lease is sought only once this instance listens: a leader's first tick reaches its own cache too,
  // instead of prices missing for a whole tick interval after a start. A follower asks the leader for the
  // latest prices rather than waiting for its next tick.
  const leading = Promise.all([subscription, answering, lastRecordedTicks({ config, db, bus, logger })]).then(
    ([, , recorded]) => {
      leadership = holdLeadership(
        bus,
        `${config.redisKeyPrefix}lease:prices`,
        options.lease ?? DEFAULT_LEASE,
        {
          onAcquire() {
            // The live prices (a takeover), and for a symbol without one its last recorded close (a first start).
            provider.start(onTicks, [...cache.all(), ...recorded]);
            flushTimer = setInterval(() => void candles.flush(), options.candleFlushMs ?? CANDLE_FLUSH_MS);
          },
          onRelease() {
            clearInterval(flushTimer);
            void provider.stop();
          },
        },
        logger,
      );
      void bus.publish(PRICES_WANTED_CHANNEL, {}).catch(() => {}); // without an answer, the next tick brings them
    },
  );
  // Never an unhandled rejection: a bus that cannot subscribe leaves this instance without prices, and says so.
  leading.catch((error) => logger.error("price feed not started: the bus refused the subscription", { error }));

  return {
    cache,
    isLeader: () => leadership?.isLeader() ?? false,
    async stop() {
      // A bus that failed to subscribe never led: there is no lease to give up.
      await leading.catch(() => {});
      await leadership?.stop();
      await provider.stop();
      await checking;
      await candles.flush();
      // The bus may already be closed (a dead connection, or shutdown order); there is nothing left to undo then.
      for (const listening of [subscription, answering]) await listening.then((unsubscribe) => unsubscribe()).catch(() => {});
    },
  };
}

export function assertKnownSymbol(config: Config, symbol: string): void {
  if (!config.assets.some((asset) => asset.symbol === symbol)) throw notFound("Asset");
}
