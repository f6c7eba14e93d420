import { onCleanup } from "solid-js";
import { announce } from "./announce";
import { formatAmount } from "./money";
import type { Tx } from "./wallet";
import { onFrame } from "./ws";

/** Money that reaches the user from outside: a credited deposit, a transfer from another user. */
const INCOMING = new Set(["deposit", "transfer_in"]);

/**
 * "Received 0.5 ETH from alice@example.com." for a transaction of money that arrived; undefined for any other
 * (money out, a trade of the user's own, a transfer still held for review, which has not arrived).
 */
function incomingMoneyText(tx: Partial<Tx> | undefined): string | undefined {
  if (!tx?.amount || !tx.asset || tx.direction !== "in" || tx.status !== "completed" || !INCOMING.has(tx.type ?? "")) return;
  // Unpadded: read out, "0.50000000" is seven zeros of noise.
  const amount = `${formatAmount(tx.amount, 0)} ${tx.asset}`;
  return tx.counterparty ? `Received ${amount} from ${tx.counterparty}.` : `Received ${amount} by deposit.`;
}

/**
 * While the calling page is shown, says each arrival of money (a `transaction` frame) to screen readers, once
 * (ws.ts drops a frame seen before); the page's own lists and balances update by themselves, silently.
 * `saidElsewhere`: arrivals the page says in its own words (the credit of the deposit order it shows), not again here.
 */
export function announceIncomingMoney(saidElsewhere: (tx: Partial<Tx>) => boolean = () => false) {
  onCleanup(
    onFrame("transaction", (frame) => {
      const tx = frame.data as Partial<Tx> | undefined;
      const text = incomingMoneyText(tx);
      if (text && tx && !saidElsewhere(tx)) announce(text);
    }),
  );
}
