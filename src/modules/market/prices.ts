/**
 * Prices are decimal strings end to end. These helpers round and compare them exactly (bigint), so a
 * provider's "65012.3456789" becomes "65012.35" without a float ever touching it. A price goes out in
 * API.md's form for every decimal: trailing fractional zeros trimmed ("64912.80" → "64912.8").
 */
import { trimDecimal } from "../../platform/money";

const DECIMAL = /^(\d+)(?:\.(\d+))?$/;

/** Decimal places shown for a price: cents for most assets, more for cheap ones and stablecoins. */
export function placesFor(whole: bigint): number {
  if (whole >= 100n) return 2;
  if (whole >= 1n) return 4;
  return 8;
}

/** Rounds a plain non-negative decimal string half-up to `places`; undefined when it is not one. */
export function roundDecimal(text: string, places: number): string | undefined {
  const match = DECIMAL.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = ""] = match;
  const kept = BigInt(whole + fraction.slice(0, places).padEnd(places, "0"));
  const roundUp = (fraction[places] ?? "0") >= "5";
  const units = (kept + (roundUp ? 1n : 0n)).toString().padStart(places + 1, "0");
  return places === 0 ? units : `${units.slice(0, -places)}.${units.slice(-places)}`;
}

/** A provider's price as CryptoVault shows it, or undefined for anything that is not a positive decimal. */
export function normalizePrice(text: string): string | undefined {
  const match = DECIMAL.exec(text);
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

/** Compares two plain decimal strings exactly: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const [aWhole, aFraction = ""] = a.split(".");
  const [bWhole, bFraction = ""] = b.split(".");
  const places = Math.max(aFraction.length, bFraction.length);
  const x = BigInt(aWhole + aFraction.padEnd(places, "0"));
  const y = BigInt(bWhole + bFraction.padEnd(places, "0"));
  return x < y ? -1 : x > y ? 1 : 0;
}
