import { A, useParams } from "@solidjs/router";
import { createSignal, For, Show } from "solid-js";
import AlertsPanel from "../components/AlertsPanel";
import CandleChart from "../components/CandleChart";
import ConnectionIndicator from "../components/ConnectionIndicator";
import Loading from "../components/Loading";
import type { CandleInterval } from "../lib/candles";
import { type PublicConfig, useConfig } from "../lib/config";
import { formatPrice } from "../lib/money";
import { prices, useLivePrices } from "../lib/prices";
import { useOptionalSessionUser } from "../lib/session";
import { usePageTitle } from "../lib/title";
import NotFound from "./NotFound";

const INTERVALS: CandleInterval[] = ["1m", "5m", "1h", "1d"];

/** The page of a symbol the platform prices: live price, chart and the user's alerts. */
function Market(props: { config: PublicConfig; symbol: string; symbols: string[] }) {
  // Set here, not by the route: an unknown symbol's page is NotFound's, with its title.
  usePageTitle(() => `${props.symbol} market`);
  useLivePrices();
  const user = useOptionalSessionUser();
  const [interval, setInterval] = createSignal<CandleInterval>("1m");
  return (
    <>
      <p>
        <A href="/markets">← Markets</A>
      </p>
      <h1>
        {props.symbol}{" "}
        <span class="num" data-testid={`price-${props.symbol}`}>
          {prices[props.symbol] ? `$${formatPrice(prices[props.symbol].priceUsd, props.symbol)}` : "…"}
        </span>
      </h1>
      <div class="price-source">
        <Show when={props.config.priceSource === "simulated"}>
          <span class="badge badge-warn">Simulated prices</span>
        </Show>
        <ConnectionIndicator />
      </div>
      <section class="panel" aria-label="Chart">
        <fieldset class="nav-list chart-intervals">
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
        <CandleChart symbol={props.symbol} interval={interval()} />
      </section>
      <Show when={user()}>
        <AlertsPanel symbols={props.symbols} symbol={props.symbol} />
      </Show>
    </>
  );
}

export default function MarketDetail() {
  const params = useParams<{ symbol: string }>();
  const symbol = () => params.symbol.toUpperCase();
  const config = useConfig();
  const symbols = () => (config()?.assets ?? []).map((a) => a.symbol).filter((s) => s !== "USD");
  // A symbol the platform does not price (a typo, an old link) is a missing page, not an empty chart.
  const known = () => symbols().includes(symbol());
  return (
    <Show when={config()} fallback={<Loading pageHeading />}>
      {(c) => (
        <Show when={known()} fallback={<NotFound />}>
          <Market config={c()} symbol={symbol()} symbols={symbols()} />
        </Show>
      )}
    </Show>
  );
}
