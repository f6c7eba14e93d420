/**
 * The market's moving parts on one instance: the price lease, the provider it runs, the bus that carries
 * ticks to every instance, the price cache, candles and alert checks. Routes call the functions below it.
 */
import type { Config } from "../../config";
import type { Bus } from "../../platform/bus";
import type { Db } from "../../platform/db/client";
import { AppError, notFound } from "../../platform/http/errors";
import { holdLeadership, type LeaseOptions } from "../../platform/lease";
import type { Logger } from "../../platform/observability/logger";
import { parsePrice } from "../ledger/assets";
import { countAlerts, createAlert, fireAlerts, MAX_ALERTS_PER_USER, toAlert } from "./alerts";
import { CandleRecorder } from "./candles";
import { CoinCapProvider } from "./coincap";
import type { Alert, AlertBody, PriceTick } from "./model";
import { PriceCache, QUOTE_ASSET } from "./price-cache";
import type { PriceProvider } from "./provider";
import { SimulatedProvider } from "./simulated";

/** The bus channel every instance's price cache listens on. */
export const PRICES_CHANNEL = "prices";
/** A dead leader's lease runs out after ttl; the others try every renewMs: takeover within 8 s. */
export const DEFAULT_LEASE: LeaseOptions = { ttlMs: 6000, renewMs: 2000 };
const CANDLE_FLUSH_MS = 5000;

export type MarketDeps = { config: Config; db: Db; bus: Bus; logger: Logger };
export type MarketOptions = { provider?: PriceProvider; lease?: LeaseOptions; candleFlushMs?: number };
export type Market = { cache: PriceCache; isLeader(): boolean; stop(): Promise<void> };

/** Every configured asset but the quote asset has a price to follow. */
export const pricedSymbols = (config: Config) => config.assets.map((a) => a.symbol).filter((s) => s !== QUOTE_ASSET);

export function createProvider(config: Config, logger: Logger): PriceProvider {
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
  return new SimulatedProvider(symbols, config.priceTickMs);
}

/** Starts following prices at once; `stop` gives up the lease and writes the last candles. */
export function startMarket({ config, db, bus, logger }: MarketDeps, options: MarketOptions = {}): Market {
  const cache = new PriceCache(pricedSymbols(config), config.priceSource);
  const provider = options.provider ?? createProvider(config, logger);
  const candles = new CandleRecorder(db, logger);
  let flushTimer: ReturnType<typeof setInterval> | undefined;
  let checking: Promise<unknown> | undefined;

  /** Runs on the leader only: publish, record, check alerts (one check at a time; the next tick catches up). */
  const onTicks = (ticks: PriceTick[]) => {
    bus.publish(PRICES_CHANNEL, ticks).catch((error) => logger.warn("price publish failed", { error: error.message }));
    candles.record(ticks);
    if (checking) return;
    checking = fireAlerts(db, ticks)
      .catch((error) => logger.warn("alert check failed", { error: error.message }))
      .finally(() => {
        checking = undefined;
      });
  };

  const subscription = bus.subscribe(PRICES_CHANNEL, (message) => cache.update(message as PriceTick[]));
  const leadership = holdLeadership(
    bus,
    `${config.redisKeyPrefix}lease:prices`,
    options.lease ?? DEFAULT_LEASE,
    {
      onAcquire() {
        provider.start(onTicks, cache.all());
        flushTimer = setInterval(() => void candles.flush(), options.candleFlushMs ?? CANDLE_FLUSH_MS);
      },
      onRelease() {
        clearInterval(flushTimer);
        void provider.stop();
      },
    },
    logger,
  );

  return {
    cache,
    isLeader: () => leadership.isLeader(),
    async stop() {
      await leadership.stop();
      await provider.stop();
      await checking;
      await candles.flush();
      // The bus may already be closed (a dead connection, or shutdown order); there is nothing left to undo then.
      await subscription.then((unsubscribe) => unsubscribe()).catch(() => {});
    },
  };
}

export function assertKnownSymbol(config: Config, symbol: string): void {
  if (!config.assets.some((asset) => asset.symbol === symbol)) throw notFound("Asset");
}

export async function addAlert(db: Db, config: Config, userId: string, input: AlertBody): Promise<Alert> {
  if (!pricedSymbols(config).includes(input.symbol)) {
    throw new AppError(422, "VALIDATION_FAILED", `No price is followed for ${input.symbol}`, { fields: ["symbol"] });
  }
  const price = parsePrice(input.price, "price");
  if ((await countAlerts(db, userId)) >= MAX_ALERTS_PER_USER) {
    throw new AppError(422, "LIMIT_EXCEEDED", `At most ${MAX_ALERTS_PER_USER} alerts; delete some first`, {
      limit: MAX_ALERTS_PER_USER,
    });
  }
  return toAlert(await createAlert(db, userId, { ...input, price }));
}
