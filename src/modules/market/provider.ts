import type { PriceTick } from "./model";

/**
 * A source of prices. Only the instance holding the price lease runs one; it hands each batch of ticks
 * to `emit`, which publishes them on the bus for every instance.
 */
export interface PriceProvider {
  readonly source: PriceTick["source"];
  /** `last` are the latest known prices (from the cache), so a new leader continues where the old one was. */
  start(emit: (ticks: PriceTick[]) => void, last: PriceTick[]): void;
  stop(): Promise<void>;
}
