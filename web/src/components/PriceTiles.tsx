import { A } from "@solidjs/router";
import { For, Show } from "solid-js";
import { useConfig } from "../lib/config";
import { changeTrend, formatChange } from "../lib/format";
import { formatPrice } from "../lib/money";
import { priceMeta, prices, recentPrices, useLivePrices } from "../lib/prices";
import ConnectionIndicator from "./ConnectionIndicator";
import Sparkline from "./Sparkline";

/** One tile per priced asset, updated live. Each price sits in `data-testid="price-<SYMBOL>"` (API.md). */
export default function PriceTiles() {
  useLivePrices();
  const config = useConfig();
  const symbols = () => (config()?.assets ?? []).map((asset) => asset.symbol).filter((symbol) => symbol !== "USD");
  return (
    <section class="panel" aria-labelledby="prices-title">
      <div class="panel-head">
        <h2 id="prices-title">Prices</h2>
        <div class="price-source">
          <Show when={config()?.priceSource === "simulated"}>
            <span class="badge badge-warn" title="Prices come from a random walk, not a market">
              Simulated prices
            </span>
          </Show>
          <Show when={priceMeta.stale}>
            <span class="badge badge-bad">Prices are stale</span>
          </Show>
          <ConnectionIndicator />
        </div>
      </div>
      <div class="tile-grid">
        <For each={symbols()}>
          {(symbol) => {
            const trend = () => changeTrend(prices[symbol]?.change24h ?? "");
            return (
              <A href={`/markets/${symbol}`} class="card price-tile">
                <span class="symbol">{symbol}</span>
                <span class="num price" data-testid={`price-${symbol}`}>
                  {prices[symbol] ? `$${formatPrice(prices[symbol].priceUsd, symbol)}` : "…"}
                </span>
                <span
                  class="small num"
                  classList={{ "up-text": trend() === "up", "warn-text": trend() === "down", muted: trend() === "flat" }}
                >
                  {prices[symbol] ? `${formatChange(prices[symbol].change24h)} 24h` : ""}
                </span>
                {/* Coloured by the 24h change beside it, not by its own few minutes, so the two never disagree. */}
                <Sparkline points={recentPrices[symbol] ?? []} trend={trend()} label={`${symbol} price since this page opened`} />
              </A>
            );
          }}
        </For>
      </div>
    </section>
  );
}
