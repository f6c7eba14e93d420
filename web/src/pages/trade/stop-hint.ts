import { formatUsd } from "../../lib/money";
import { stopBound, stopReached } from "../../lib/order-hold";
import type { Side } from "../../lib/trading";

/**
 * Which side of the market a stop price belongs on: the server refuses a stop that would trigger at once, one at
 * or above the sell price for a sell, at or below the buy price for a buy. Those are the market price less or
 * plus the trading spread, not the market price shown above, so the one compared is named (while it is known).
 */
export function stopHint(side: Side, livePriceUsd: string | undefined, spreadBps: number): string {
  const bound = livePriceUsd === undefined ? undefined : stopBound(side, livePriceUsd, spreadBps);
  const now = bound === undefined ? "" : ` (${formatUsd(bound)} USD)`;
  return side === "sell"
    ? `A stop sell triggers once the sell price falls to it: set it below the sell price now${now}, which is the market price less the trading spread.`
    : `A stop buy triggers once the buy price rises to it: set it above the buy price now${now}, which is the market price plus the trading spread.`;
}

/**
 * Why the server would refuse the stop price typed, said beside it before it is sent: the market has already reached
 * it (stopReached), named by the bound the refusal names. Undefined while the stop is ahead of the market, or the live
 * price is not known (the server still judges it).
 */
export function stopReachedNote(side: Side, stopPrice: string, livePriceUsd: string | undefined, spreadBps: number) {
  if (livePriceUsd === undefined || !stopReached(side, stopPrice, livePriceUsd, spreadBps)) return;
  // A price, since stopReached read it as one.
  const bound = stopBound(side, livePriceUsd, spreadBps) ?? livePriceUsd;
  return side === "sell"
    ? `This stop would trigger at once, and is refused: a stop sell must be below the sell price now (${formatUsd(bound)} USD).`
    : `This stop would trigger at once, and is refused: a stop buy must be above the buy price now (${formatUsd(bound)} USD).`;
}
