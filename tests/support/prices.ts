/**
 * Prices under a test's control: a provider that never ticks by itself, and ticks injected into an
 * instance's price cache (the same update path the bus feeds).
 */
import type { PriceTick } from "../../src/modules/market/model";
import type { PriceProvider } from "../../src/modules/market/provider";
import type { createTestApp } from "./harness";

export const quietProvider = (): PriceProvider => ({ source: "simulated", start() {}, async stop() {} });

/** Sets the live price of each symbol at `at` (now by default) on the given instances. */
export function setPrices(
  fixtures: Awaited<ReturnType<typeof createTestApp>>[],
  prices: Record<string, string>,
  at = new Date(),
): void {
  const ticks: PriceTick[] = Object.entries(prices).map(([symbol, priceUsd]) => ({
    symbol,
    priceUsd,
    change24h: "0.00",
    updatedAt: at.toISOString(),
    source: "simulated",
  }));
  for (const fixture of fixtures) fixture.services.market.cache.update(ticks);
}
