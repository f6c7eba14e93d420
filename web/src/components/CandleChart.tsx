import type { CandlestickData, IChartApi, ISeriesApi, Time, UTCTimestamp } from "lightweight-charts";
import {
  createEffect,
  createMemo,
  createResource,
  createSignal,
  createUniqueId,
  getOwner,
  on,
  onCleanup,
  onMount,
  runWithOwner,
  Show,
} from "solid-js";
import { api } from "../lib/api";
import { type Candle, type CandleInterval, candleSummary, candleTime, withTick } from "../lib/candles";
import { formatPrice, priceDecimals } from "../lib/money";
import { prices, useLivePrices } from "../lib/prices";
import { settled } from "../lib/resource";
import { connectionState } from "../lib/ws";
import { ScrollTable } from "./DataTable";

type Bar = CandlestickData<UTCTimestamp>;
/** One answer of the candles API with what it was asked for, so a chart never labels it as another interval. */
type CandleSet = { symbol: string; interval: CandleInterval; items: Candle[] };
/** A set as shown: the answer `from` with every price frame since applied to it. */
type LiveSet = CandleSet & { from: CandleSet };

/** How many of the newest candles the table of the chart's data lists. */
const TABLE_ROWS = 30;

/**
 * Seconds the chart draws a candle at. The chart has no time zones: it reads every time as UTC. So an intraday
 * candle is moved by the browser's UTC offset at its instant, and the axis reads the user's clock, like every
 * other time in the app. A day candle is a UTC day (buckets are aligned to UTC) and stays as it is.
 */
function chartTime(iso: string, interval: CandleInterval): UTCTimestamp {
  const date = new Date(iso);
  const offsetSeconds = interval === "1d" ? 0 : date.getTimezoneOffset() * 60;
  return (date.getTime() / 1000 - offsetSeconds) as UTCTimestamp;
}

/**
 * The candles as the chart takes them, oldest first. When the clocks go back an hour of local times repeats,
 * and the chart needs strictly rising times: a candle that does not come after the one before joins it.
 */
function toBars(candles: Candle[], interval: CandleInterval): Bar[] {
  const bars: Bar[] = [];
  for (const candle of candles) {
    const time = chartTime(candle.t, interval);
    const [open, high, low, close] = [candle.o, candle.h, candle.l, candle.c].map(Number);
    const last = bars.at(-1);
    if (last && time <= last.time) {
      last.high = Math.max(last.high, high);
      last.low = Math.min(last.low, low);
      last.close = close;
    } else {
      bars.push({ time, open, high, low, close });
    }
  }
  return bars;
}

/** Chart times already read the user's clock in UTC (chartTime), so they are formatted in UTC. */
const dayAndMonth = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short", timeZone: "UTC" });

/** "26 Nov" for the mark where a day starts: an hourly chart spans days, and a bare "26" on the axis says little. */
function dayMark(time: Time): string | null {
  return typeof time === "number" ? dayAndMonth.format(time * 1000) : null;
}

/** A value of the app's theme (styles.css :root): the chart draws on a canvas, which cannot use CSS variables. */
function themeValue(element: Element, name: string): string {
  return getComputedStyle(element).getPropertyValue(name).trim();
}

/** Chart colours from the theme, so grid and scales sit quietly on the dark panel. */
function themedOptions(host: HTMLElement) {
  const border = themeValue(host, "--border");
  const scaleBorder = { borderColor: themeValue(host, "--border-strong") };
  return {
    // Follows the host's width (a phone turned sideways, a resized window); its height is the host's (360 px, styles.css).
    autoSize: true,
    layout: {
      // The library would put its attribution link inside the host, an image to assistive technology (a link
      // nested in role="img" is unreachable): CandleChart shows that link next to the chart instead.
      attributionLogo: false,
      background: { color: "transparent" },
      textColor: themeValue(host, "--text-muted"),
      fontFamily: themeValue(host, "--font-sans"),
    },
    grid: { vertLines: { color: border }, horzLines: { color: border } },
    rightPriceScale: scaleBorder,
    timeScale: { ...scaleBorder, secondsVisible: false },
  };
}

/** Rising and falling candles in the app's own up and down colours. */
function themedCandles(host: HTMLElement) {
  const up = themeValue(host, "--ok");
  const down = themeValue(host, "--bad");
  return { upColor: up, downColor: down, wickUpColor: up, wickDownColor: down, borderVisible: false };
}

/**
 * The price scale and labels in the app's price rule (money.ts formatPrice), at the decimals the latest price
 * calls for: a stablecoin's scale steps in its fourth decimal instead of reading "1.00" on every line.
 */
function priceFormatOf(latest: string, symbol: string) {
  const decimals = priceDecimals(latest, symbol);
  return {
    type: "custom" as const,
    minMove: 10 ** -decimals,
    formatter: (price: number) => formatPrice(price.toFixed(decimals), symbol),
  };
}

/**
 * The chart's data in text, for whoever cannot see the chart: a disclosure that opens to a table of the newest
 * candles, newest first. Rows are keyed by candle, and a price frame changes only the newest candle (lib/candles
 * withTick): a tick redraws that row, not the table. `of` is the answer the candles come from, the same object from
 * tick to tick, so the rows that read it are not redrawn either. Closed, there is no table to keep up.
 */
function CandleTable(props: { of: CandleSet; candles: readonly Candle[] }) {
  const [open, setOpen] = createSignal(false);
  const titleId = `candles-${createUniqueId()}`;
  const rows = () => props.candles.slice(-TABLE_ROWS).reverse();
  const price = (value: string) => formatPrice(value, props.of.symbol);
  return (
    <details class="chart-data" onToggle={(event) => setOpen(event.currentTarget.open)}>
      <summary id={titleId}>Chart data as a table</summary>
      <Show when={open()}>
        <ScrollTable
          label={`${props.of.symbol} ${props.of.interval} candles table (scrollable)`}
          labelledBy={titleId}
          class="section-gap"
          columns={[
            { label: "Time" },
            { label: "Open (USD)", num: true },
            { label: "High (USD)", num: true },
            { label: "Low (USD)", num: true },
            { label: "Close (USD)", num: true },
          ]}
          items={rows()}
          row={(candle) => (
            <tr>
              <th scope="row">{candleTime(candle, props.of.interval)}</th>
              <td class="num">{price(candle.o)}</td>
              <td class="num">{price(candle.h)}</td>
              <td class="num">{price(candle.l)}</td>
              <td class="num">{price(candle.c)}</td>
            </tr>
          )}
        />
      </Show>
    </details>
  );
}

/**
 * Candles of one symbol, kept live by the price frames; lightweight-charts is loaded only when a chart is shown.
 */
export default function CandleChart(props: { symbol: string; interval: CandleInterval }) {
  let host!: HTMLDivElement;
  useLivePrices();
  const [candles, { refetch }] = createResource(
    () => [props.symbol, props.interval] as const,
    async ([symbol, interval]): Promise<CandleSet> => {
      const path = `/api/prices/${encodeURIComponent(symbol)}/candles?interval=${interval}`;
      return { symbol, interval, items: (await api.get<{ items: Candle[] }>(path)).items };
    },
  );

  // Ticks missed while the socket was down are in the server's candles: asked for again once it is back.
  let wasOpen = false;
  createEffect(
    on(connectionState, (state) => {
      if (state !== "open") return;
      if (wasOpen) void refetch();
      wasOpen = true;
    }),
  );

  /** The candles shown: the last answer, with every price frame of the symbol since (a new answer starts again). */
  const live = createMemo<LiveSet | undefined>((before) => {
    // The candles shown stay until the next interval's have arrived.
    const fetched = settled(candles);
    if (!fetched) return undefined;
    const base = before?.from === fetched ? before : { ...fetched, from: fetched };
    const tick = prices[props.symbol];
    if (!tick || tick.symbol !== fetched.symbol) return base;
    const items = withTick(base.items, tick, fetched.interval);
    return items ? { ...base, items } : base;
  });
  /** The answer the candles shown come from: unlike `live`, unchanged by a tick. */
  const answer = createMemo(() => live()?.from);
  const summary = () => {
    const shown = live();
    return shown && candleSummary(shown.items, shown.symbol, shown.interval);
  };
  const summaryId = `chart-summary-${createUniqueId()}`;

  const draw = (chart: IChartApi, series: ISeriesApi<"Candlestick">) => {
    /** The answer drawn whole; the ticks after it only move or add the last candle. */
    let drawn: CandleSet | undefined;
    createEffect(() => {
      const shown = live();
      if (!shown) return;
      const bars = toBars(shown.items, shown.interval);
      if (shown.from === drawn) {
        // Live: a price frame moved the last candle, or opened the next one. Its bar is the last of the bars, which
        // may have joined candles (toBars).
        const last = bars.at(-1);
        if (last) series.update(last);
        return;
      }
      drawn = shown.from;
      // Intraday candles are labelled with hours and minutes, day candles with dates.
      chart.applyOptions({ timeScale: { timeVisible: shown.interval !== "1d" } });
      const latest = shown.items.at(-1);
      if (latest) series.applyOptions({ priceFormat: priceFormatOf(latest.c, shown.symbol) });
      series.setData(bars);
      chart.timeScale().fitContent();
    });
  };

  // The library arrives after an await, where Solid no longer knows this component: the chart is built in its
  // owner, so the effect and the cleanup belong to it, and not at all when the component is already gone.
  const owner = getOwner();
  let gone = false;
  onCleanup(() => {
    gone = true;
  });
  onMount(async () => {
    const { createChart, CandlestickSeries, TickMarkType } = await import("lightweight-charts");
    if (gone) return;
    runWithOwner(owner, () => {
      const chart = createChart(host, themedOptions(host));
      // Other marks keep the library's labels: "14:05" for times, "Nov" and "2026" where months and years start.
      chart.applyOptions({
        timeScale: { tickMarkFormatter: (time: Time, type: number) => (type === TickMarkType.DayOfMonth ? dayMark(time) : null) },
      });
      onCleanup(() => chart.remove());
      draw(chart, chart.addSeries(CandlestickSeries, themedCandles(host)));
    });
  });
  // "TradingView Lightweight Charts™, Copyright (c) TradingView, Inc. https://www.tradingview.com/": the licence
  // asks for this attribution and for a link to tradingview.com on the page, here outside the image.
  return (
    <>
      <div
        ref={host}
        class="chart"
        role="img"
        aria-label={`${props.symbol} price candles, ${props.interval}`}
        aria-describedby={answer() ? summaryId : undefined}
      />
      <Show when={answer()}>
        {(of) => (
          <>
            <p id={summaryId} class="small muted chart-summary">
              {summary()}
            </p>
            <CandleTable of={of()} candles={live()?.items ?? []} />
          </>
        )}
      </Show>
      <p class="chart-attribution small muted">
        <a href="https://www.tradingview.com/" target="_blank" rel="noopener">
          Charts by TradingView
        </a>
      </p>
    </>
  );
}
