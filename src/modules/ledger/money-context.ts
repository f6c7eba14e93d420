import type { Config } from "../../config";
import type { Db, DbOrTx } from "../../platform/db/client";
import { unavailable } from "../../platform/http/errors";
import { formatAmount, usdCents } from "../../platform/money";
import type { IdentityContext } from "../identity/service";
import { QUOTE_ASSET } from "../market/price-cache";
import type { PriceLookup } from "./assets";
import { precisionOf } from "./assets";
import { type Balance, type Ledger, userBalances } from "./service";

/** What every money-moving module needs: the database, the ledger, prices and identity's rules. */
export type MoneyContext = {
  db: Db;
  config: Config;
  ledger: Ledger;
  prices: PriceLookup;
  identity: IdentityContext;
  /** Addresses from SANCTIONED_ADDRESSES_FILE, read once at start. */
  sanctioned: Set<string>;
};

/**
 * The platform's PriceLookup over the latest ticks: USD, the quote asset every value is counted in, is worth 1 and is
 * never ticked.
 */
export const priceLookup =
  (latest: (symbol: string) => string | undefined): PriceLookup =>
  (symbol) =>
    symbol === QUOTE_ASSET ? "1" : latest(symbol);

/** USD cents of an amount at the current price, or null when there is no price to value it with. */
export function valueInUsdCentsIfPriced(ctx: MoneyContext, asset: string, units: bigint): bigint | null {
  const price = ctx.prices(asset);
  return price ? usdCents(units, precisionOf(ctx.config, asset), price) : null;
}

/** 503 UNAVAILABLE: an amount that must be valued in USD while there is no current price. */
export const noCurrentPrice = (asset: string) => unavailable(`No current price for ${asset}; try again shortly`);

/** USD cents of an amount at the current price; 503 when there is no price to value it with. */
export function valueInUsdCents(ctx: MoneyContext, asset: string, units: bigint): bigint {
  const value = valueInUsdCentsIfPriced(ctx, asset, units);
  if (value === null) throw noCurrentPrice(asset);
  return value;
}

/** The `balance` frames of API.md for the balances a posting returned, one per user and asset. */
export function balanceEvents(ctx: MoneyContext, balances: Balance[]) {
  return balances.map((balance) => {
    const precision = precisionOf(ctx.config, balance.asset);
    return {
      userId: balance.ownerId as string,
      type: "balance" as const,
      data: {
        asset: balance.asset,
        available: formatAmount(balance.available, precision),
        held: formatAmount(balance.held, precision),
        total: formatAmount(balance.available + balance.held, precision),
      },
    };
  });
}

/** The `balance` frames of one user's assets as they stand now, for flows whose posting touched only some. */
export async function currentBalanceEvents(ctx: MoneyContext, tx: DbOrTx, userId: string, assets: string[]) {
  const balances = await userBalances(tx, userId, assets);
  return balanceEvents(
    ctx,
    balances.map((balance) => ({ ...balance, ownerId: userId })),
  );
}
