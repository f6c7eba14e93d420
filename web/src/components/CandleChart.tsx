import { createEffect, createResource, onCleanup, onMount } from "solid-js";
import { api } from "../lib/api";

type Candle = { t: string; o: string; h: string; l: string; c: string };

/** Candles of one symbol; lightweight-charts is loaded only when a chart is shown. */
export default function CandleChart(props: { symbol: string; interval: "1m" | "5m" | "1h" | "1d" }) {
  let host!: HTMLDivElement;
  const [candles] = createResource(
    () => [props.symbol, props.interval] as const,
    ([symbol, interval]) =>
      api.get<{ items: Candle[] }>(`/api/prices/${encodeURIComponent(symbol)}/candles?interval=${interval}`).then((a) => a.items),
  );
  onMount(async () => {
    const { createChart, CandlestickSeries } = await import("lightweight-charts");
    const chart = createChart(host, { height: 360, layout: { background: { color: "transparent" }, textColor: "#9aa4b2" } });
    const series = chart.addSeries(CandlestickSeries);
    onCleanup(() => chart.remove());
    createEffect(() => {
      series.setData(
        (candles() ?? []).map((candle) => ({
          time: (Date.parse(candle.t) / 1000) as never,
          open: Number(candle.o),
          high: Number(candle.h),
          low: Number(candle.l),
          close: Number(candle.c),
        })),
      );
      chart.timeScale().fitContent();
    });
  });
  return <div ref={host} class="chart" role="img" aria-label={`${props.symbol} price candles, ${props.interval}`} />;
}
