/**
 * What screen readers are told of the deposit order the wallet shows (wallet/Deposit): each change of its status,
 * or of the amount received, once. The order's card shows its state without being a live region: as one, it said
 * the same news again whenever the order was shown again, and its credit was said twice, by the card and by the
 * wallet's incoming money (which leaves the order shown to this).
 */
import { formatAmount } from "./money";
import type { DepositOrder } from "./wallet";

/** What a deposit order's state says when it changes to it; undefined while it waits for payment. */
export function depositNewsText(order: DepositOrder): string | undefined {
  // Unpadded: read out, "5.00000000" is eight zeros of noise.
  const amount = (value: string) => `${formatAmount(value, 0)} ${order.asset}`;
  switch (order.status) {
    case "confirmed":
      return `Deposit credited: ${amount(order.amountReceived)} arrived and is in your available balance.`;
    case "confirmed_late":
      return `Deposit credited: ${amount(order.amountReceived)} arrived after the order expired, and is in your available balance.`;
    case "partially_paid":
      return `Deposit partly paid: ${formatAmount(order.amountReceived, 0)} of ${amount(order.amount)} arrived, and is credited to your balance.`;
    case "expired":
      return "Deposit order expired: no payment arrived.";
    case "failed":
      return "Deposit payment failed: nothing was credited.";
    default:
      return undefined;
  }
}

/**
 * Follows the deposit order shown (undefined while none is) and answers what to say of each version of it: its news
 * when it changed while shown, else nothing. An order coming into view (created, picked from the list) is no news,
 * its state is on screen; nor is a state of an order said or seen before (the same order asked for again, a frame
 * delivered twice, the card hidden and shown again).
 */
export function createDepositNews(): (order: DepositOrder | undefined) => string | undefined {
  let shownId: string | undefined;
  const seen = new Set<string>();
  return (order) => {
    const before = shownId;
    shownId = order?.orderId;
    if (!order) return undefined;
    const state = JSON.stringify([order.orderId, order.status, order.amountReceived]);
    if (seen.has(state)) return undefined;
    seen.add(state);
    return before === order.orderId ? depositNewsText(order) : undefined;
  };
}
