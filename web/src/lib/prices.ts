/** Live prices: the first answer of GET /api/prices, then every price frame from the socket. */
import { onCleanup } from "solid-js";
import { createStore, reconcile } from "solid-js/store";
import { api } from "./api";
import type { PublicConfig } from "./config";
import { amountProblem, precisionOf, usdValue } from "./money";
import { onFrame, useTopic } from "./ws";

export type PriceTick = { symbol: string; priceUsd: string; change24h: string; updatedAt: string; source: string };

const [prices, setPrices] = createStore<Record<string, PriceTick>>({});
const [meta, setMeta] = createStore({ stale: false, loaded: false });
/** The last prices of each symbol seen in this tab, oldest first, for sparklines. */
const [recent, setRecent] = createStore<Record<string, string[]>>({});
const SPARK_POINTS = 60;

export { meta as priceMeta, prices, recent as recentPrices };

let users = 0;
let stopFrames: (() => void) | undefined;

/** Keeps prices live while the calling component is mounted. */
export function useLivePrices() {
  users += 1;
  const release = useTopic("prices");
  if (users === 1) {
    stopFrames = onFrame("price", (frame) => {
      const tick = frame.data as PriceTick;
      setPrices(tick.symbol, tick);
      setRecent(tick.symbol, (points = []) => [...points.slice(-(SPARK_POINTS - 1)), tick.priceUsd]);
    });
    void api
      .get<{ items: PriceTick[]; stale: boolean }>("/api/prices")
      .then((answer) => {
        for (const tick of answer.items)
          if (!prices[tick.symbol] || prices[tick.symbol].updatedAt < tick.updatedAt) setPrices(tick.symbol, reconcile(tick));
        setMeta({ stale: answer.stale, loaded: true });
      })
      .catch(() => setMeta({ loaded: true }));
  }
  onCleanup(() => {
    release();
    users -= 1;
    if (users === 0) stopFrames?.();
  });
}

/**
 * The USD value of `amount` of `asset` at its live price, as the server values it (USD at 1); undefined while the
 * asset has no price here, or the amount is not a valid one. Needs useLivePrices() mounted to follow the market.
 */
export function liveUsdValue(config: PublicConfig, asset: string, amount: string): string | undefined {
  const precision = precisionOf(config, asset);
  const price = asset === "USD" ? "1" : prices[asset]?.priceUsd;
  if (precision === undefined || price === undefined || amountProblem(amount, precision) !== undefined) return undefined;
  return usdValue(amount, precision, price);
}
