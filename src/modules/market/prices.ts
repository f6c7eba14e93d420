/**
 * Prices are decimal strings end to end, rounded exactly with platform/money's helpers, so a provider's
 * "65012.3456789" becomes "65012.35" without a float ever touching it. A price goes out in
 * API.md's form for every decimal: trailing fractional zeros trimmed ("64912.80" → "64912.8").
 */
import { PLAIN_DECIMAL, roundDecimal, trimDecimal } from "../../platform/money";

/** Decimal places shown for a price: cents for most assets, more for cheap ones and stablecoins. */
function placesFor(whole: bigint): number {
  if (whole >= 100n) return 2;
  if (whole >= 1n) return 4;
  return 8;
}

/** A provider's price as CryptoVault shows it, or undefined for anything that is not a positive decimal. */
export function normalizePrice(text: string): string | undefined {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return undefined;
  const rounded = roundDecimal(text, placesFor(BigInt(match[1])));
  return rounded && /[1-9]/.test(rounded) ? trimDecimal(rounded) : undefined;
}

/** A signed percentage ("-1.2345", "0.5") rounded to two places; "0.00" when it is missing or malformed. */
export function normalizeChange(text: string | null | undefined): string {
  const match = /^(-?)(\d+(?:\.\d+)?)$/.exec(text ?? "");
  if (!match) return "0.00";
  const rounded = roundDecimal(match[2], 2) as string;
  return rounded === "0.00" ? rounded : `${match[1]}${rounded}`;
}

/** Formats a float produced by the random walk with the places its size calls for. */
export function formatPrice(value: number): string {
  return trimDecimal(value.toFixed(placesFor(BigInt(Math.floor(value)))));
}
