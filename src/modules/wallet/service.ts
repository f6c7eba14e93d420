import { formatAmount, formatUsdCents, usdCents } from "../../platform/money";
import { precisionOf } from "../ledger/assets";
import type { MoneyContext } from "../ledger/money-context";
import { userBalances } from "../ledger/service";

/**
 * Every configured asset with available, held and total, valued in USD at current prices (rounded down
 * to the cent: a holding is never shown as worth more than it is). An asset without a price yet is 0.
 */
export async function walletBalances(ctx: MoneyContext, userId: string) {
  const symbols = ctx.config.assets.map((a) => a.symbol);
  let totalCents = 0n;
  const balances = (await userBalances(ctx.db, userId, symbols)).map((balance) => {
    const precision = precisionOf(ctx.config, balance.asset);
    const total = balance.available + balance.held;
    const price = ctx.prices(balance.asset);
    const cents = price ? usdCents(total, precision, price, "down") : 0n;
    totalCents += cents;
    return {
      asset: balance.asset,
      available: formatAmount(balance.available, precision),
      held: formatAmount(balance.held, precision),
      total: formatAmount(total, precision),
      valueUsd: formatUsdCents(cents),
    };
  });
  return { balances, totalUsd: formatUsdCents(totalCents) };
}
