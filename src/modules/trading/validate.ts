/**
 * What a trading request says, judged on its own. These checks need nothing but the request and the
 * configuration, so the order route runs them as its validation step, before the money guard's 403s and
 * the idempotency key's replay (API.md's order of checks). What needs the market or the user's state (a
 * stop the price has reached, a quote's use, funds) is the service's.
 */
import type { Config } from "../../config";
import { validationFailed } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { assetOf, parseAssetAmount, parsePrice } from "../ledger/assets";
import { QUOTE_ASSET } from "../market/price-cache";
import type { OrderBody, Side } from "./model";
import { assertWorthTrading, termsAt } from "./pricing";

/** A non-USD asset with a followed price; USD is what everything trades against. */
export function tradable(config: Config, symbol: string) {
  const asset = assetOf(config, symbol);
  if (asset.symbol === QUOTE_ASSET) throw validationFailed("asset", "USD is what assets are bought with; pick another asset");
  return asset;
}

/** What a limit or stop order holds while open, and the fee reserved with it. */
export type Reserve = { held: bigint; fee: bigint };

/**
 * The hold of a limit or stop order: the asset for a sell; for a buy, the cost and fee at its own price (a
 * fill at a better price returns the difference). An order not worth more than its fee at its own price is refused.
 */
function reserve(
  config: Config,
  side: Side,
  units: bigint,
  asset: { symbol: string; precision: number },
  price: { field: "limitPrice" | "stopPrice"; value: string },
): Reserve {
  const { symbol, precision } = asset;
  const terms = termsAt(price.value, side, units, precision, config.tradingFeeBps);
  assertWorthTrading(side, terms, units, { asset: symbol, precision, feeBps: config.tradingFeeBps, priceField: price.field });
  return side === "buy" ? { held: terms.notional + terms.fee, fee: terms.fee } : { held: units, fee: terms.fee };
}

/**
 * An order's fields and their combination, its asset, amount and prices, expiresAt's form and the quote id's form;
 * 422 VALIDATION_FAILED naming the field. Returns them parsed, with a limit or stop order's hold.
 */
export function validateOrder(config: Config, body: OrderBody) {
  const asset = tradable(config, body.asset);
  const { units } = parseAssetAmount(config, asset.symbol, body.amount);
  const needs = { market: null, limit: "limitPrice", stop: "stopPrice" } as const;
  for (const field of ["limitPrice", "stopPrice"] as const) {
    if (body[field] !== undefined && needs[body.type] !== field)
      throw validationFailed(field, `A ${body.type} order has no ${field}`);
  }
  const needed = needs[body.type];
  if (needed && body[needed] === undefined) throw validationFailed(needed, `A ${body.type} order needs ${needed}`);
  if (body.type !== "market" && body.quoteId !== undefined)
    throw validationFailed("quoteId", "Only a market order executes at a quote");
  if (body.type === "market" && body.expiresAt !== undefined)
    throw validationFailed("expiresAt", "A market order executes at once");
  if (body.quoteId !== undefined && !isUuid(body.quoteId)) throw validationFailed("quoteId", "Unknown quote");
  // Whether it is still in the future is the clock's, not the request's: checked after a replay (prepareOrder).
  const expiresAt = body.expiresAt === undefined ? null : new Date(body.expiresAt);
  const triggerPrice = needed ? parsePrice(body[needed] as string, needed) : null;
  const reserved =
    needed && triggerPrice !== null ? reserve(config, body.side, units, asset, { field: needed, value: triggerPrice }) : null;
  return { asset, units, triggerPrice, expiresAt, reserved };
}
export type ValidOrder = ReturnType<typeof validateOrder>;
