import type { PriceTick } from "./model";
import { formatPrice, normalizeChange } from "./prices";
import type { PriceProvider } from "./provider";

/** Realistic starting points; an asset without one starts at 100. */
const BASE_PRICES: Record<string, number> = { BTC: 65_000, ETH: 3_200, SOL: 150, USDT: 1 };
const STABLECOINS = new Set(["USDT"]);
/** Standard deviation of one tick's relative move. */
const STEP_VOLATILITY = 0.0006;

/** mulberry32: small, fast and seeded, so a run can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let x = Math.imul(state ^ (state >>> 15), 1 | state);
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x;
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296;
  };
}

type Walk = { price: number; reference: number };

/**
 * A seeded random walk around realistic prices for every configured asset except USD (the quote asset).
 * Every symbol moves on every tick. Floats live only here; what leaves is a fixed-decimal string.
 */
export class SimulatedProvider implements PriceProvider {
  readonly source = "simulated";
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly random: () => number;

  constructor(
    private readonly symbols: string[],
    private readonly tickMs: number,
    seed = 20_240_101,
  ) {
    this.random = seededRandom(seed);
  }

  /** Box–Muller: a standard normal sample. */
  private gaussian(): number {
    const u = 1 - this.random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.random());
  }

  start(emit: (ticks: PriceTick[]) => void, last: PriceTick[]): void {
    const walks = new Map<string, Walk>();
    for (const symbol of this.symbols) {
      const known = last.find((tick) => tick.symbol === symbol);
      const price = known ? Number(known.priceUsd) : (BASE_PRICES[symbol] ?? 100);
      // Up to ±3 % over the day; a stablecoin's day stays within a few hundredths of a percent.
      const spread = STABLECOINS.has(symbol) ? 0.06 : 6;
      const change = known ? Number(known.change24h) : (this.random() - 0.5) * spread;
      walks.set(symbol, { price, reference: price / (1 + change / 100) });
    }
    const tick = () => {
      const updatedAt = new Date().toISOString();
      const ticks: PriceTick[] = [];
      for (const [symbol, walk] of walks) {
        walk.price = STABLECOINS.has(symbol)
          ? 1 + (walk.price - 1) * 0.8 + this.gaussian() * 0.0002
          : walk.price * Math.exp(this.gaussian() * STEP_VOLATILITY);
        const change = (walk.price / walk.reference - 1) * 100;
        ticks.push({
          symbol,
          priceUsd: formatPrice(walk.price),
          change24h: normalizeChange(change.toFixed(6)),
          updatedAt,
          source: this.source,
        });
      }
      emit(ticks);
    };
    tick();
    this.timer = setInterval(tick, this.tickMs);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
