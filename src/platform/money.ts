/**
 * Exact money: amounts are bigint counts of an asset's smallest unit. This is the one place that turns
 * decimal strings into minor units and back, and that rounds and compares decimal strings (prices);
 * floats never touch an amount.
 */

/** A plain positive-or-zero decimal: digits, optionally a dot and more digits. No sign, exponent or spaces. */
export const PLAIN_DECIMAL = /^(\d+)(?:\.(\d+))?$/;

export class AmountError extends Error {}

/**
 * At most this many digits before the decimal point (10^20 whole units of any asset is far beyond what
 * exists). Every amount and its minor units then fit the numeric(78,0) columns with room to add them up,
 * so an absurd amount is a 422, never an overflow deep in a write. A USD value derived from one is stored
 * in bigint cents only after a limit no larger than MAX_USD_SETTING_CENTS (config.ts) has let it through.
 */
export const MAX_WHOLE_DIGITS = 20;

/**
 * Parses a decimal string into minor units with `precision` decimals.
 * Refuses anything that is not a plain decimal, or has more decimals than the precision allows.
 * `allowZero` is for configuration values such as a zero fee; user amounts must be positive.
 */
export function parseAmount(text: string, precision: number, { allowZero = false } = {}): bigint {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) throw new AmountError("must be a plain decimal number such as 12.5");
  const [, whole, fraction = ""] = match;
  if (fraction.length > precision) throw new AmountError(`has more than ${precision} decimal places`);
  if (whole.replace(/^0+/, "").length > MAX_WHOLE_DIGITS)
    throw new AmountError(`is too large: at most ${MAX_WHOLE_DIGITS} digits before the decimal point`);
  const units = BigInt(whole + fraction.padEnd(precision, "0"));
  if (units === 0n && !allowZero) throw new AmountError("must be greater than zero");
  return units;
}

/** Formats minor units as a decimal string trimmed of trailing zeros, at least one digit ("0", "1.5"). */
export function formatAmount(units: bigint, precision: number): string {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(precision + 1, "0");
  const whole = digits.slice(0, digits.length - precision);
  const fraction = digits.slice(digits.length - precision).replace(/0+$/, "");
  return `${negative ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/** USD cents as a USD decimal string ("1250.5"): how every USD value, total and limit crosses the API. */
export const formatUsdCents = (cents: bigint): string => formatAmount(cents, 2);

/** A decimal string from the database (numeric's text) in API.md's form: trailing fractional zeros trimmed. */
export const trimDecimal = (text: string): string => (text.includes(".") ? text.replace(/\.?0+$/, "") : text);

/**
 * USD cents for `units` of an asset with `precision` decimals at `priceUsd` (a decimal string per
 * whole unit). Rounded up by default, so limits and thresholds never undercount what a user moves;
 * rounded down to show what a holding is worth.
 */
export function usdCents(units: bigint, precision: number, priceUsd: string, rounding: "up" | "down" = "up"): bigint {
  const match = PLAIN_DECIMAL.exec(priceUsd);
  if (!match) throw new AmountError(`price ${priceUsd} is not a plain decimal`);
  const [, whole, fraction = ""] = match;
  const priceScaled = BigInt(whole + fraction); // price × 10^fraction.length
  const numerator = units * priceScaled * 100n;
  const denominator = 10n ** BigInt(precision + fraction.length);
  return rounding === "up" ? (numerator + denominator - 1n) / denominator : numerator / denominator;
}

/** Rounds a plain non-negative decimal string half-up to `places`; undefined when it is not one. */
export function roundDecimal(text: string, places: number): string | undefined {
  const match = PLAIN_DECIMAL.exec(text);
  if (!match) return undefined;
  const [, whole, fraction = ""] = match;
  const kept = BigInt(whole + fraction.slice(0, places).padEnd(places, "0"));
  const roundUp = (fraction[places] ?? "0") >= "5";
  const units = (kept + (roundUp ? 1n : 0n)).toString().padStart(places + 1, "0");
  return places === 0 ? units : `${units.slice(0, -places)}.${units.slice(-places)}`;
}

/** A decimal as people read it, its thousands grouped: "66472.73" → "66,472.73" (its decimals kept exactly). */
export function groupThousands(decimal: string): string {
  const [whole, fraction] = decimal.split(".");
  const grouped = whole.replace(/\B(?=(\d{3})+$)/g, ",");
  return fraction === undefined ? grouped : `${grouped}.${fraction}`;
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
