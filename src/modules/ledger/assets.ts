import type { Asset, Config } from "../../config";
import { validationFailed } from "../../platform/http/errors";
import { AmountError, formatAmount, parseAmount } from "../../platform/money";

/** Decimal places of a configured asset (every asset stored anywhere is one). */
export function precisionOf(config: Config, symbol: string): number {
  const found = config.assets.find((a) => a.symbol === symbol);
  if (!found) throw new Error(`unknown asset ${symbol}`);
  return found.precision;
}

/** "0.01 USD" from 1n and "USD": how operators read an amount of minor units (CLI, reconcile). */
export const assetAmountText = (config: Config) => (units: bigint, asset: string) =>
  `${formatAmount(units, precisionOf(config, asset))} ${asset}`;

export function assetOf(config: Config, symbol: string, field = "asset"): Asset {
  const asset = config.assets.find((a) => a.symbol === symbol);
  if (!asset) throw validationFailed(field, `Unknown asset ${symbol}; see /api/config`);
  return asset;
}

/** A user's amount: a plain positive decimal within the asset's precision (API.md's rejection list). */
export function parseAssetAmount(
  config: Config,
  symbol: string,
  text: string,
  field = "amount",
): { asset: Asset; units: bigint } {
  const asset = assetOf(config, symbol);
  try {
    return { asset, units: parseAmount(text, asset.precision) };
  } catch (error) {
    if (error instanceof AmountError) throw validationFailed(field, `Amount ${error.message}`);
    throw error;
  }
}

/** A user's USD price (limit, stop, alert) may carry up to this many decimals. */
export const PRICE_PLACES = 18;

/** A user's USD price: a plain positive decimal, returned in canonical form ("65000.50" → "65000.5"). */
export function parsePrice(text: string, field: string): string {
  try {
    return formatAmount(parseAmount(text, PRICE_PLACES), PRICE_PLACES);
  } catch (error) {
    if (error instanceof AmountError) throw validationFailed(field, `${field} ${error.message}`);
    throw error;
  }
}

/**
 * The money fields of a request body (asset and amount; limit and stop prices when present), checked where
 * API.md puts validation: before the 403 guards, a security lock or an idempotent replay answer.
 * The services parse them again for their own use; this only makes a bad value fail first.
 */
export function assertMoneyFields(config: Config, body: unknown): void {
  if (!body || typeof body !== "object") return;
  const { asset, amount, limitPrice, stopPrice } = body as Record<string, unknown>;
  if (typeof asset === "string" && typeof amount === "string") parseAssetAmount(config, asset, amount);
  if (typeof limitPrice === "string") parsePrice(limitPrice, "limitPrice");
  if (typeof stopPrice === "string") parsePrice(stopPrice, "stopPrice");
}

/** Latest USD price of one whole unit as a decimal string; undefined when unknown. USD is always "1" (priceLookup). */
export type PriceLookup = (symbol: string) => string | undefined;
