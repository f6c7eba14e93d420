import { t } from "elysia";
import { PlainDecimal } from "../../platform/http/request-schemas";
import { Page, PageQuery } from "../../platform/pagination";

export const PriceSource = t.Union([t.Literal("simulated"), t.Literal("coincap")]);
export type PriceSource = typeof PriceSource.static;

/** One price of one asset in USD; the same shape in /api/prices, the bus and every price frame. */
export const PriceTick = t.Object({
  symbol: t.String(),
  /** Decimal string, never a JSON number. */
  priceUsd: t.String(),
  /** Percentage over the last 24 hours, as a decimal string ("-1.25"). */
  change24h: t.String(),
  /** ISO 8601 with milliseconds: when the platform received (or, simulated, produced) the tick. */
  updatedAt: t.String(),
  source: PriceSource,
});
export type PriceTick = typeof PriceTick.static;

export const PriceList = t.Object({ items: t.Array(PriceTick), stale: t.Boolean() });

export const CandleInterval = t.Union([t.Literal("1m"), t.Literal("5m"), t.Literal("1h"), t.Literal("1d")]);
export type CandleInterval = typeof CandleInterval.static;

/**
 * `from`/`to` are ISO 8601 instants or epoch milliseconds. Their form is checked here, with `interval`, so
 * one answer names every bad parameter; the service parses them (and refuses a date that is no date).
 */
const Instant = t.String({
  maxLength: 40,
  pattern: "^([0-9]{1,15}|[0-9]{4}-[0-9]{2}-[0-9]{2}.*)$",
  description: "a date-time in ISO 8601 or epoch milliseconds",
});
export const CandleQuery = t.Object({
  interval: t.Optional(CandleInterval),
  from: t.Optional(Instant),
  to: t.Optional(Instant),
});
export const Candle = t.Object({ t: t.String(), o: t.String(), h: t.String(), l: t.String(), c: t.String() });
export type Candle = typeof Candle.static;
export const CandleList = t.Object({ items: t.Array(Candle) });
export const SymbolParams = t.Object({ symbol: t.String({ maxLength: 16 }) });

export const AlertDirection = t.Union([t.Literal("above"), t.Literal("below")]);
/** `price`: a plain positive decimal as amounts and limit prices are (API.md); the service's parsePrice judges its places. */
export const AlertBody = t.Object({
  symbol: t.String({ minLength: 1, maxLength: 16 }),
  direction: AlertDirection,
  price: PlainDecimal,
});
export type AlertBody = typeof AlertBody.static;
export const Alert = t.Object({
  id: t.String(),
  symbol: t.String(),
  direction: AlertDirection,
  price: t.String(),
  active: t.Boolean(),
  createdAt: t.String(),
  triggeredAt: t.Union([t.String(), t.Null()]),
  triggeredPrice: t.Union([t.String(), t.Null()]),
});
export type Alert = typeof Alert.static;
export const AlertAnswer = t.Object({ alert: Alert });
export const AlertListQuery = t.Object(PageQuery);
export const AlertList = Page(Alert);
