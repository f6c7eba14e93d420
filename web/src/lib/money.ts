/**
 * Money in the web app stays a decimal string, as the API sends it (API.md "Money and prices"). It is
 * never turned into a JS number: display pads, rounds (prices) and groups the digits as text, and the one
 * sum the client shows (amount + withdrawal fee) is done in BigInt minor units. The server is the judge of
 * every amount. Minor units, rounding and USD values come from the server's own money module (src/platform/money.ts,
 * which imports nothing), so the page and the server count alike.
 */
import {
  AmountError,
  formatAmount as fromUnits,
  groupThousands,
  PLAIN_DECIMAL,
  parseAmount,
  roundDecimal,
  trimDecimal,
  usdCents,
} from "../../../src/platform/money";
import type { AssetInfo, PublicConfig } from "./config";
import { MINUS } from "./format";

/** Minor units back to a decimal string trimmed of trailing zeros ("1.5", "0"), as the API writes them. */
export { fromUnits };

/** A plain decimal: digits, optionally a dot and more digits (what the server accepts, sign aside). */
const DECIMAL = /^(-)?(\d+)(?:\.(\d+))?$/;

export function assetInfo(config: PublicConfig | undefined, symbol: string): AssetInfo | undefined {
  return config?.assets.find((asset) => asset.symbol === symbol);
}

/** Decimal places of an asset, from /api/config; undefined when the asset is not configured. */
export function precisionOf(config: PublicConfig | undefined, symbol: string): number | undefined {
  return assetInfo(config, symbol)?.precision;
}

/** Decimals an amount is padded to at most: an 18-decimal asset pads like an 8-decimal one. */
const PADDED_DECIMALS = 8;

/**
 * "1.5" with precision 8 → "1.50000000"; "12345.5" with 2 → "12,345.50". Padded to the asset's precision,
 * but to no more than 8 decimals, so a column of amounts lines up and a changing value never changes width
 * for that reason. Past the padding only digits that are not trailing zeros show: ETH's 18 decimals give
 * "1.50000000" for 1.5 ETH, and still "0.000000000000000001" for 1 wei.
 * Zero of such an asset (ETH 18, SOL 9) is "0": padded, "0.00000000" would read as an amount rounded to
 * 8 decimals, next to the same asset's 1 wei in full. Where the padding is the whole precision (USD "0.00",
 * BTC "0.00000000", USDT "0.000000") zero keeps it, as exact as every other amount of the asset.
 * `decimals` (sharedDecimals) pads to that many instead, zero included: amounts of one asset side by side line up.
 * A negative amount (a loss: "−0.83") takes the minus sign History's amounts carry, not a hyphen; zero takes none.
 * Text that is not a plain decimal (or an unknown precision) is shown as it came.
 */
export function formatAmount(value: string, precision: number | undefined, decimals?: number): string {
  const match = DECIMAL.exec(value.trim());
  if (!match || precision === undefined) return value;
  const [, sign = "", whole = "0", fraction = ""] = match;
  const wholeDigits = whole.replace(/^0+(?=\d)/, "");
  const digits = fraction.replace(/0+$/, "");
  if (decimals === undefined && precision > PADDED_DECIMALS && wholeDigits === "0" && digits === "") return "0";
  // More decimals than the precision (should not happen from the API) are shown, never cut.
  const shown = digits.padEnd(decimals ?? Math.min(precision, PADDED_DECIMALS), "0");
  const minus = sign && /[1-9]/.test(wholeDigits + digits) ? MINUS : "";
  return `${minus}${groupThousands(wholeDigits)}${shown ? `.${shown}` : ""}`;
}

/**
 * The decimals amounts of one asset shown side by side (a balance's available, held and total) are padded to, so
 * their figures line up: formatAmount's padding, or more where one of them has digits past it (1 wei beside 1.25 ETH
 * is never cut, the others pad to 18). Zero pads to it too: "0.00000000" beside "1.25000000", not a lone "0".
 * Undefined for an unknown precision (formatAmount then shows each as it came).
 */
export function sharedDecimals(values: readonly string[], precision: number | undefined): number | undefined {
  if (precision === undefined) return undefined;
  const significant = values.map((value) => (DECIMAL.exec(value.trim())?.[3] ?? "").replace(/0+$/, "").length);
  return Math.max(Math.min(precision, PADDED_DECIMALS), ...significant);
}

/** A USD value ("valueUsd", "totalUsd", limits) with grouping and at least two decimals; more show, never rounded. */
export function formatUsd(value: string): string {
  return formatAmount(value, 2);
}

/** Assets pegged to the US dollar: their price sits near 1 and moves in the fourth decimal. */
const DOLLAR_STABLECOINS = new Set(["USDT"]);

/**
 * How many decimals a USD price of `symbol` is rounded to: cents from 1 USD up; 6 below 1 USD, so a cheap
 * coin keeps its digits; 4 for a stablecoin on either side of 1, so its small moves show and it does not
 * jump between "1.00" and "0.99971288" as it crosses 1 (the feed sends 4 decimals above 1 and 8 below).
 */
export function priceDecimals(value: string, symbol: string): number {
  if (DOLLAR_STABLECOINS.has(symbol)) return 4;
  return /^0*(\.|$)/.test(value.trim()) ? 6 : 2;
}

/**
 * A USD price as every page shows it (price tiles, markets, trade): grouped, rounded half-up to
 * `priceDecimals`, trailing zeros trimmed but at least cents ("66,604.49", "1.0004", "1.00", "0.123457").
 * Display only: what the user types and what the API receives are never rounded.
 */
export function formatPrice(value: string, symbol: string): string {
  const rounded = roundHalfUp(value, priceDecimals(value, symbol));
  return rounded === undefined ? value : formatAmount(rounded, 2);
}

/** True when the decimal string is zero ("0", "0.000"). */
export function isZero(value: string): boolean {
  return /^-?0*(?:\.0*)?$/.test(value.trim()) && /\d/.test(value);
}

/**
 * Why `value` is not an amount the user can send in an asset with `precision` decimals, or undefined
 * when it is: a plain positive decimal ("12", "0.5", "1.50"), at most `precision` decimals.
 */
export function amountProblem(
  value: string,
  precision: number | undefined,
  symbol = "",
  /** What the field holds, as its messages name it: a price field's says "Enter a price.". */
  what: "amount" | "price" = "amount",
): string | undefined {
  const text = value;
  const some = what === "amount" ? "an amount" : "a price";
  if (text.trim() === "") return `Enter ${some}.`;
  if (text !== text.trim()) return `Remove the spaces around the ${what}.`;
  if (/,/.test(text)) return "Use a dot for decimals, without thousands separators (for example 1250.50).";
  const match = /^(\d+)(?:\.(\d*))?$/.exec(text);
  if (!match || match[2] === "") return "Enter a plain number such as 12.5 (no signs, letters or exponents).";
  const decimals = match[2]?.length ?? 0;
  if (precision !== undefined && decimals > precision) {
    return precision === 0
      ? `${symbol || "This asset"} has no decimals: enter a whole number.`
      : `${symbol || "This asset"} allows at most ${precision} decimal place${precision === 1 ? "" : "s"}.`;
  }
  if (/^[0.]+$/.test(text)) return `Enter ${some} greater than zero.`;
  return undefined;
}

/** The regex of valid amounts for an asset, for the input's `pattern` attribute (as source text). */
export function amountPattern(precision: number | undefined): string {
  if (precision === undefined) return "\\d+(\\.\\d+)?";
  return precision === 0 ? "\\d+" : `\\d+(\\.\\d{1,${precision}})?`;
}

/**
 * A plain non-negative decimal in minor units (BigInt, exact), zero included; undefined when it is not one within
 * `precision` decimals (the server's parseAmount, which says why; the page says it in its own words).
 */
export function toUnits(value: string, precision: number): bigint | undefined {
  try {
    return parseAmount(value.trim(), precision, { allowZero: true });
  } catch (error) {
    if (error instanceof AmountError) return undefined;
    throw error;
  }
}

/** A plain non-negative decimal rounded half-up to `places` decimals, trimmed as the API writes it ("1.5"). */
function roundHalfUp(value: string, places: number): string | undefined {
  const rounded = roundDecimal(value.trim(), places);
  return rounded === undefined ? undefined : trimDecimal(rounded);
}

/** a + b of two decimal strings in the same asset; undefined when either is not a valid amount. */
export function addAmounts(a: string, b: string, precision: number): string | undefined {
  const x = toUnits(a, precision);
  const y = toUnits(b, precision);
  return x === undefined || y === undefined ? undefined : fromUnits(x + y, precision);
}

/** a < b for two decimal strings in the same asset; undefined when either is not a valid amount. */
export function lessThan(a: string, b: string, precision: number): boolean | undefined {
  const x = toUnits(a, precision);
  const y = toUnits(b, precision);
  return x === undefined || y === undefined ? undefined : x < y;
}

/**
 * The largest amount a withdrawal can be when its `fee` is held on top of it (API.md: amount plus fee leave
 * `available`): available − fee, exact. Undefined when the balance covers no more than the fee, or either is not
 * an amount of the asset.
 */
export function largestBeforeFee(available: string, fee: string, precision: number): string | undefined {
  const have = toUnits(available, precision);
  const cost = toUnits(fee, precision);
  if (have === undefined || cost === undefined || cost < 0n || have <= cost) return undefined;
  return fromUnits(have - cost, precision);
}

/**
 * The smallest amount a withdrawal may be: one minor unit more than its `fee`, as the server has it (a withdrawal no
 * larger than its fee is not worth it, and refused). Undefined when the fee is not an amount of the asset.
 */
export function smallestWithdrawal(fee: string, precision: number): string | undefined {
  const cost = toUnits(fee, precision);
  return cost === undefined ? undefined : fromUnits(cost + 1n, precision);
}

/**
 * The USD value of `amount` (in an asset of `precision` decimals) at `priceUsd`, in cents rounded up, as the server
 * values an amount against its limits and review thresholds: compared with a threshold it says what the server
 * finds at the same price. Dollars as the API writes them ("1234.57"); undefined when either is not a plain
 * non-negative decimal.
 */
export function usdValue(amount: string, precision: number, priceUsd: string): string | undefined {
  const cents = centsAt(amount, precision, priceUsd, "up");
  return cents === undefined ? undefined : fromUnits(cents, 2);
}

/**
 * What `amount` (in an asset of `precision` decimals) is worth at `priceUsd`, in cents rounded down, as the server shows
 * a balance or holding ("Shown, not paid": never worth more than it is). Undefined when either is not a plain
 * non-negative decimal.
 */
export function shownUsdCents(amount: string, precision: number, priceUsd: string): bigint | undefined {
  return centsAt(amount, precision, priceUsd, "down");
}

function centsAt(amount: string, precision: number, priceUsd: string, rounding: "up" | "down"): bigint | undefined {
  const units = toUnits(amount, precision);
  const price = priceUsd.trim();
  if (units === undefined || !PLAIN_DECIMAL.test(price)) return undefined;
  return usdCents(units, precision, price, rounding);
}

/** Whether a USD value is more than a threshold (both decimal strings, as /api/config's limits): what is reviewed. */
export function overUsd(valueUsd: string, thresholdUsd: string): boolean {
  const value = toUnits(valueUsd, 2);
  const threshold = toUnits(thresholdUsd, 2);
  return value !== undefined && threshold !== undefined && value > threshold;
}
