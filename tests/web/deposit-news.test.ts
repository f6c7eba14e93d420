/** What screen readers are told of the deposit order the wallet shows (web/src/lib/deposit-news.ts): each change once. */
import { expect, test } from "bun:test";
import { createDepositNews, depositNewsText } from "../../web/src/lib/deposit-news";
import type { DepositOrder } from "../../web/src/lib/wallet";

const order = (status: string, amountReceived = "0", orderId = "o1"): DepositOrder => ({
  orderId,
  asset: "BTC",
  amount: "0.5",
  status,
  payAddress: "bc1q",
  expiresAt: "2026-03-12T15:00:00.000Z",
  amountReceived,
  createdAt: "2026-03-12T14:00:00.000Z",
});

test("each change of the order shown is said once: not when asked for again, nor for a frame delivered twice", () => {
  const news = createDepositNews();
  const said: (string | undefined)[] = [];
  for (const version of [
    order("pending"), // created: on screen, no news
    order("pending"), // polled
    order("partially_paid", "0.2"),
    order("partially_paid", "0.2"), // the credit's frame, and the poll, both reload it
    order("partially_paid", "0.3"), // another payment
    order("confirmed", "0.5"),
    order("confirmed", "0.5"),
  ])
    said.push(news(version));
  expect(said.filter(Boolean)).toEqual([
    "Deposit partly paid: 0.2 of 0.5 BTC arrived, and is credited to your balance.",
    "Deposit partly paid: 0.3 of 0.5 BTC arrived, and is credited to your balance.",
    "Deposit credited: 0.5 BTC arrived and is in your available balance.",
  ]);
});

test("an order coming into view is no news, nor a state said before when it is shown again", () => {
  const news = createDepositNews();
  expect(news(order("pending"))).toBeUndefined();
  expect(news(order("confirmed", "0.5"))).toBe("Deposit credited: 0.5 BTC arrived and is in your available balance.");
  // Done, then picked again from the list (with another order shown in between): on screen already.
  expect(news(undefined)).toBeUndefined();
  expect(news(order("confirmed", "0.5"))).toBeUndefined();
  expect(news(order("expired", "0", "o2"))).toBeUndefined();
  expect(news(order("confirmed", "0.5"))).toBeUndefined();
  // An order that changed while hidden (its credit was said as incoming money) is not said again on showing it.
  expect(news(order("pending", "0", "o3"))).toBeUndefined();
  expect(news(undefined)).toBeUndefined();
  expect(news(order("confirmed_late", "0.5", "o3"))).toBeUndefined();
});

test("every status after pending has its words; pending and unknown ones have none", () => {
  expect(depositNewsText(order("confirmed_late", "0.5"))).toBe(
    "Deposit credited: 0.5 BTC arrived after the order expired, and is in your available balance.",
  );
  expect(depositNewsText(order("expired"))).toBe("Deposit order expired: no payment arrived.");
  expect(depositNewsText(order("failed"))).toBe("Deposit payment failed: nothing was credited.");
  expect(depositNewsText(order("pending"))).toBeUndefined();
  expect(depositNewsText(order("refunded"))).toBeUndefined();
});
