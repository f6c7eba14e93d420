import type { Config } from "../../config";
import type { PriceTick } from "./model";

/** A price not refreshed for this long is stale: the page says so and trading should refuse it. */
export const STALE_AFTER_MS = 30_000;
/** The quote asset: always worth one dollar, never ticked. */
export const QUOTE_ASSET = "USD";

/** The assets that have a price: every configured one but the quote asset. */
export const pricedSymbols = (config: Config) => config.assets.map((a) => a.symbol).filter((s) => s !== QUOTE_ASSET);

type Listener = (ticks: PriceTick[]) => void;

/**
 * The latest price of every asset on this instance, fed from the bus. Other modules (wallet limits,
 * trading) read prices here and never from a provider.
 */
export class PriceCache {
  private readonly prices = new Map<string, PriceTick>();
  /** When each symbol's price arrived here, on the monotonic clock: a step of the wall clock does not move it. */
  private readonly arrived = new Map<string, number>();
  private readonly listeners = new Set<Listener>();

  constructor(
    /** Every configured asset except USD: what must have a fresh price for the cache to be fresh. */
    private readonly symbols: string[],
    private readonly source: PriceTick["source"],
    private readonly monotonicNow: () => number = () => performance.now(),
  ) {}

  update(ticks: PriceTick[]): void {
    const accepted = ticks.filter((tick) => {
      const known = this.prices.get(tick.symbol);
      // A late message from a previous leader never overwrites a newer price, and a price sent again (the
      // leader answering a starting instance) is no new tick. But a price that has not moved here for
      // STALE_AFTER_MS gives way to any tick: after the wall clock steps back (NTP), new ticks carry times
      // before the last one's, and would otherwise be refused until the clock caught up.
      if (!this.symbols.includes(tick.symbol)) return false;
      if (known && known.updatedAt >= tick.updatedAt && !this.arrivedLongAgo(tick.symbol)) return false;
      this.prices.set(tick.symbol, tick);
      this.arrived.set(tick.symbol, this.monotonicNow());
      return true;
    });
    if (!accepted.length) return;
    // USD is listed with the prices, so it ticks with them (at 1): every listed symbol gets a frame per tick.
    const newest = accepted.map((tick) => tick.updatedAt).sort()[accepted.length - 1];
    const batch = [this.quoteTick(newest), ...accepted];
    for (const listener of this.listeners) listener(batch);
  }

  /** Called with every batch of accepted ticks, the quote asset's first; returns the unsubscribe. */
  onUpdate(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The latest tick of a symbol the platform still trusts: none while it is stale (isStale). */
  fresh(symbol: string): PriceTick | undefined {
    return this.isStale(symbol) ? undefined : this.latest(symbol);
  }

  latest(symbol: string): PriceTick | undefined {
    if (symbol === QUOTE_ASSET) return this.quoteTick(new Date().toISOString());
    return this.prices.get(symbol);
  }

  private quoteTick(updatedAt: string): PriceTick {
    return { symbol: QUOTE_ASSET, priceUsd: "1", change24h: "0.00", updatedAt, source: this.source };
  }

  /** USD first, then every asset with a price, in configuration order. */
  all(): PriceTick[] {
    const ticks = this.symbols.map((symbol) => this.prices.get(symbol)).filter((tick) => tick !== undefined);
    return [this.latest(QUOTE_ASSET) as PriceTick, ...ticks];
  }

  /**
   * One symbol, or any of them when none is named, has no price or an old one: made over STALE_AFTER_MS ago
   * by the wall clock, or arrived here that long ago by the monotonic one (a wall clock stepped back would
   * otherwise keep a frozen price fresh for as long as the step).
   */
  isStale(symbol?: string, now = Date.now()): boolean {
    if (symbol === QUOTE_ASSET) return false;
    const names = symbol ? [symbol] : this.symbols;
    return names.some((name) => {
      const tick = this.prices.get(name);
      return !tick || now - Date.parse(tick.updatedAt) > STALE_AFTER_MS || this.arrivedLongAgo(name);
    });
  }

  private arrivedLongAgo(symbol: string): boolean {
    const arrived = this.arrived.get(symbol);
    return arrived !== undefined && this.monotonicNow() - arrived > STALE_AFTER_MS;
  }
}
