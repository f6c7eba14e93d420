/**
 * USD values that follow the live prices. The server values balances (GET /api/wallet/balance) and holdings
 * (GET /api/portfolio) at the price of the moment it answers, and a page reloads those only when a balance moves;
 * between reloads, each price tick revalues them here, exactly as the server does (src/modules/wallet/service.ts,
 * src/modules/trading/portfolio.ts), from the amounts it sent and the latest price this page has.
 */
import type { PublicConfig } from "./config";
import { fromUnits, precisionOf, shownUsdCents, toUnits } from "./money";
import { prices } from "./prices";
import type { Holding } from "./trading";
import type { Balance } from "./wallet";

/** The USD price of a symbol, or undefined while none is known. */
export type PriceOf = (symbol: string) => string | undefined;

/** The latest price this page has of `symbol` (USD is the unit: 1). Needs useLivePrices() mounted to follow the market. */
export const livePrice: PriceOf = (symbol) => (symbol === "USD" ? "1" : prices[symbol]?.priceUsd);

/** An amount of an asset with the USD value the server gave it. */
export type Valued = { asset: string; amount: string; valueUsd: string };

/** A wallet balance as valued: the whole of it, held funds included (the server values `total`). */
export const balanceValued = (balance: Balance): Valued => ({
  asset: balance.asset,
  amount: balance.total,
  valueUsd: balance.valueUsd,
});

const centsOf = (usd: string) => toUnits(usd, 2) ?? 0n;

/**
 * What `item` is worth at the live price of its asset, in cents rounded down as the server shows it; the server's own
 * value while no price of the asset has reached this page.
 */
function liveCents(config: PublicConfig | undefined, item: Valued, priceOf: PriceOf): bigint {
  const precision = precisionOf(config, item.asset);
  const price = priceOf(item.asset);
  const live = precision === undefined || price === undefined ? undefined : shownUsdCents(item.amount, precision, price);
  return live ?? centsOf(item.valueUsd);
}

/** The USD value of `item` at the live price, as the API writes one ("1234.5"). */
export function liveValueUsd(config: PublicConfig | undefined, item: Valued, priceOf: PriceOf = livePrice): string {
  return fromUnits(liveCents(config, item, priceOf), 2);
}

/** The sum of the items' values at live prices, each rounded down first, as the server's `totalUsd`. */
export function liveTotalUsd(config: PublicConfig | undefined, items: readonly Valued[], priceOf: PriceOf = livePrice): string {
  return fromUnits(
    items.reduce((sum, item) => sum + liveCents(config, item, priceOf), 0n),
    2,
  );
}

/** Units of the holding that have a cost basis (bought here), in minor units; undefined for an unconfigured asset. */
function basedUnits(config: PublicConfig | undefined, holding: Holding): { units: bigint; precision: number } | undefined {
  const precision = precisionOf(config, holding.asset);
  if (precision === undefined) return undefined;
  const amount = toUnits(holding.amount, precision);
  const withoutBasis = toUnits(holding.amountWithoutBasis, precision);
  return amount === undefined || withoutBasis === undefined ? undefined : { units: amount - withoutBasis, precision };
}

/** Whether any unit of the holding has a known cost: none has when every unit was deposited or received. */
export function hasBasis(config: PublicConfig | undefined, holding: Holding): boolean {
  const based = basedUnits(config, holding);
  // Not known here (an asset missing from the configuration): the server's figures are shown as they came.
  return based === undefined || based.units > 0n;
}

/**
 * The unrealized P&L of a holding at the live price: what its units with a basis are worth (rounded down) less their
 * cost basis, as the server counts it. Undefined when no unit has a basis (the gain is unknown, not zero); the server's
 * figure while no price of the asset has reached this page.
 */
export function liveUnrealizedPnlUsd(
  config: PublicConfig | undefined,
  holding: Holding,
  priceOf: PriceOf = livePrice,
): string | undefined {
  const based = basedUnits(config, holding);
  if (based && based.units <= 0n) return undefined;
  const price = priceOf(holding.asset);
  const value =
    based && price !== undefined ? shownUsdCents(fromUnits(based.units, based.precision), based.precision, price) : undefined;
  return value === undefined ? holding.unrealizedPnlUsd : fromUnits(value - centsOf(holding.costBasisUsd), 2);
}

/** The colour of a profit or loss: none for zero, which is neither. */
export function pnlTone(value: string): "pnl-positive" | "pnl-negative" | undefined {
  if (value.trim().startsWith("-")) return "pnl-negative";
  return /[1-9]/.test(value) ? "pnl-positive" : undefined;
}
