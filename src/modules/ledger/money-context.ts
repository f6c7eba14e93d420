import type { Config } from "../../config";
import type { Db, DbOrTx } from "../../platform/db/client";
import { AppError } from "../../platform/http/errors";
import { formatAmount, usdCents } from "../../platform/money";
import type { IdentityContext } from "../identity/service";
import type { PriceLookup } from "./assets";
import { type Ledger, userBalances } from "./service";

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

/** USD cents of an amount at the current price; 503 when there is no price to value it with. */
export function valueInUsdCents(ctx: MoneyContext, asset: string, units: bigint): bigint {
  const precision = ctx.config.assets.find((a) => a.symbol === asset)?.precision ?? 0;
  const price = asset === "USD" ? "1" : ctx.prices(asset);
  if (!price) throw new AppError(503, "UNAVAILABLE", `No current price for ${asset}; try again shortly`);
  return usdCents(units, precision, price);
}

/** The `balance` frame of API.md for one asset, read inside the transaction that changed it. */
export async function balanceEvent(ctx: MoneyContext, tx: DbOrTx, userId: string, asset: string) {
  const [balance] = await userBalances(tx, userId, [asset]);
  const precision = ctx.config.assets.find((a) => a.symbol === asset)?.precision ?? 0;
  return {
    userId,
    type: "balance" as const,
    data: {
      asset,
      available: formatAmount(balance.available, precision),
      held: formatAmount(balance.held, precision),
      total: formatAmount(balance.available + balance.held, precision),
    },
  };
}
