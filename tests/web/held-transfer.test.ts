/** Which history rows offer Cancel (web/src/lib/wallet.ts): the sender's own transfer, while it is held for review. */
import { expect, test } from "bun:test";
import { heldTransferId, type Tx } from "../../web/src/lib/wallet";

const sent: Tx = {
  id: "tx-1",
  type: "transfer_out",
  asset: "USD",
  amount: "150.00",
  fee: "0",
  status: "pending_review",
  direction: "out",
  counterparty: "bob@example.com",
  reference: "transfer-1",
  note: null,
  createdAt: "2025-03-12T13:05:09.000Z",
};

test("the sender's transfer held for review is cancelled by its transfer id (the row's reference), not the row's id", () => {
  expect(heldTransferId(sent)).toBe("transfer-1");
});

test("once it is no longer held (approved, rejected or cancelled), there is nothing to cancel", () => {
  for (const status of ["completed", "rejected", "cancelled"]) expect(heldTransferId({ ...sent, status })).toBeUndefined();
});

test("the recipient's row of the same held transfer, or any other kind of row, offers no cancel", () => {
  expect(heldTransferId({ ...sent, type: "transfer_in", direction: "in", counterparty: "alice@example.com" })).toBeUndefined();
  expect(heldTransferId({ ...sent, type: "withdrawal" })).toBeUndefined();
});

test("a row without its transfer's id cannot be cancelled: there is nothing to post to", () => {
  expect(heldTransferId({ ...sent, reference: null })).toBeUndefined();
});
