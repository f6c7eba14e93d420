import { A, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import AlertsPanel from "../components/AlertsPanel";
import CandleChart from "../components/CandleChart";
import ConnectionIndicator from "../components/ConnectionIndicator";
import Loading from "../components/Loading";
import { useConfig } from "../lib/config";
import { formatPrice } from "../lib/money";
import { prices, useLivePrices } from "../lib/prices";
import { useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";
import NotFound from "./NotFound";

const INTERVALS = ["1m", "5m", "1h", "1d"] as const;

export default function MarketDetail() {
  const params = useParams<{ symbol: string }>();
  const symbol = () => params.symbol.toUpperCase();
  usePageTitle(() => `${symbol()} market`);
  useLivePrices();
  const config = useConfig();
  const user = useOptionalSessionUser();
  const [interval, setInterval] = createSignal<(typeof INTERVALS)[number]>("1m");
  const symbols = () => (config()?.assets ?? []).map((a) => a.symbol).filter((s) => s !== "USD");
  // A symbol the platform does not price (a typo, an old link) is a missing page, not an empty chart.
  const known = () => symbols().includes(symbol());
  return (
    <Show when={config() && known()} fallback={config() ? <NotFound /> : <Loading />}>
      <p>
        <A href="/markets">← Markets</A>
      </p>
      <h1>
        {symbol()}{" "}
        <span class="num" data-testid={`price-${symbol()}`}>
          {prices[symbol()] ? `$${formatPrice(prices[symbol()].priceUsd)}` : "…"}
        </span>
      </h1>
      <div class="price-source">
        <Show when={config()?.priceSource === "simulated"}>
          <span class="badge badge-warn">Simulated prices</span>
        </Show>
        <ConnectionIndicator />
      </div>
      <section class="panel" aria-label="Chart">
        <fieldset class="nav-list">
          <legend class="sr-only">Interval</legend>
          <For each={INTERVALS}>
            {(value) => (
              <button
                type="button"
                class="button button-small"
                aria-pressed={interval() === value}
                onClick={() => setInterval(value)}
              >
                {value}
              </button>
            )}
          </For>
        </fieldset>
        <CandleChart symbol={symbol()} interval={interval()} />
      </section>
      <Show when={user()}>
        <AlertsPanel symbols={symbols()} symbol={symbol()} />
      </Show>
    </Show>
  );
}
