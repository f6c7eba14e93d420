/**
 * Trade arithmetic, exact in bigint. The rule of ARCHITECTURE.md: what the user pays rounds up, what
 * the user receives rounds down, so the platform never creates value.
 */
import { AppError } from "../../platform/http/errors";
import { compareDecimal, formatAmount, usdCents } from "../../platform/money";
import type { Side } from "./model";

const BPS = 10_000n;
/** The smaller of two amounts (Math.min takes no bigint). */
export const minUnits = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/**
 * The price a side trades at: the live price plus the spread for a buy, minus it for a sell. Exact: a
 * price with f decimals times (10000 ± bps) / 10000 has at most f + 4 decimals.
 */
export function sidePrice(priceUsd: string, side: Side, spreadBps: number): string {
  const [whole, fraction = ""] = priceUsd.split(".");
  const factor = side === "buy" ? BPS + BigInt(spreadBps) : BPS - BigInt(spreadBps);
  return formatAmount(BigInt(whole + fraction) * factor, fraction.length + 4);
}

/** `notional`: USD cents paid (buy, rounded up) or received before the fee (sell, rounded down). Fee rounds up. */
export type Terms = { price: string; notional: bigint; fee: bigint };

export function termsAt(price: string, side: Side, units: bigint, precision: number, feeBps: number): Terms {
  const notional = usdCents(units, precision, price, side === "buy" ? "up" : "down");
  const fee = (notional * BigInt(feeBps) + BPS - 1n) / BPS;
  return { price, notional, fee };
}

/** What the user pays in total (buy) or receives in total (sell), in USD cents. */
export const totalCents = (side: Side, terms: Pick<Terms, "notional" | "fee">) =>
  side === "buy" ? terms.notional + terms.fee : terms.notional - terms.fee;

/**
 * Whether an order is worth more than its fee: a sale gives the user something after it, and a buy does not
 * charge a cent and a fee for a fraction of a cent's worth (its cost rounds up). Worth: the exact value, rounded down.
 */
export function isWorthItsFee(side: Side, terms: Terms, units: bigint, precision: number): boolean {
  const worth = side === "buy" ? usdCents(units, precision, terms.price, "down") : terms.notional;
  return worth > terms.fee;
}

/**
 * A price told to a user as a bound an order's price must pass ("above" it, or "below"): to the cent (to 0.0001 USD
 * under 10 USD), rounded away from the price it is judged against, so that every price past the bound is allowed.
 */
export function priceBound(price: string, direction: "up" | "down"): string {
  const places = compareDecimal(price, "10") < 0 ? 4 : 2;
  const [whole, fraction = ""] = price.split(".");
  const kept = BigInt(whole + fraction.slice(0, places).padEnd(places, "0"));
  const cut = /[1-9]/.test(fraction.slice(places));
  return formatAmount(direction === "up" && cut ? kept + 1n : kept, places);
}

/** Past any amount in minor units: a numeric(78,0) column holds less than 10^78, which is less than 2^260. */
const NO_AMOUNT_IS_THIS_LARGE = 2n ** 260n;

/**
 * The smallest amount (in minor units) worth more than its fee at `price` (isWorthItsFee), told to a user whose
 * amount is not. Found by doubling, then halving the gap: worth grows with the amount faster than the fee does, as
 * long as the fee is under 100 % and the price above 0 (config holds the one, order validation the other). Were
 * either broken, the doubling would never end and hold the whole server: it stops past any amount that can exist.
 */
export function smallestWorthTrading(side: Side, price: string, precision: number, feeBps: number): bigint {
  const worthIt = (units: bigint) => isWorthItsFee(side, termsAt(price, side, units, precision, feeBps), units, precision);
  let high = 1n;
  while (!worthIt(high)) {
    high *= 2n;
    if (high > NO_AMOUNT_IS_THIS_LARGE) throw new Error(`no amount is worth its fee at ${price} (fee ${feeBps} bps)`);
  }
  let low = high / 2n; // not worth it (or 0)
  while (high - low > 1n) {
    const middle = (low + high) / 2n;
    if (worthIt(middle)) high = middle;
    else low = middle;
  }
  return high;
}

/**
 * 422 for an order not worth more than its fee (isWorthItsFee): refused rather than executed, saying the smallest
 * amount that is (also as details.minimumAmount). A limit or stop order is judged at its own price, so that field is
 * named beside the amount: either may be what the user meant to change.
 */
export function assertWorthTrading(
  side: Side,
  terms: Terms,
  units: bigint,
  order: { asset: string; precision: number; feeBps: number; priceField?: "limitPrice" | "stopPrice" },
): void {
  const { asset, precision, feeBps, priceField } = order;
  if (!isWorthItsFee(side, terms, units, precision)) {
    const at = priceField ? ` at this ${priceField === "limitPrice" ? "limit" : "stop"} price` : "";
    const minimumAmount = formatAmount(smallestWorthTrading(side, terms.price, precision, feeBps), precision);
    throw new AppError(
      422,
      "VALIDATION_FAILED",
      `Amount is too small to ${side}${at}: it is not worth more than the fee; the smallest amount that is, is ${minimumAmount} ${asset}`,
      { fields: priceField ? ["amount", priceField] : ["amount"], minimumAmount },
    );
  }
}
