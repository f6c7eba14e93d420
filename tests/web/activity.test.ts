/** The dashboard's recent activity (web/src/lib/activity.ts): the rows of one trade read as one line. */
import { expect, test } from "bun:test";
import { activityLines, type TradeLine, tradeUsd } from "../../web/src/lib/activity";
import { withTxFrame } from "../../web/src/lib/live-rows";
import type { Tx } from "../../web/src/lib/wallet";

let ids = 0;
const row = (fields: Partial<Tx> & Pick<Tx, "type" | "asset" | "amount" | "direction" | "createdAt">): Tx => ({
  id: `tx-${++ids}`,
  fee: "0",
  status: "completed",
  counterparty: null,
  reference: null,
  note: null,
  ...fields,
});

/** The rows a market buy writes (modules/trading/settle.ts), in the order the API may list them. */
const buy = (reference: string, createdAt: string, fee = true) => [
  row({ type: "trade_buy", asset: "USD", amount: "650", direction: "out", reference, createdAt }),
  ...(fee ? [row({ type: "fee", asset: "USD", amount: "1.3", direction: "out", reference, createdAt })] : []),
  row({ type: "trade_buy", asset: "BTC", amount: "0.01", direction: "in", reference, createdAt }),
];
const sell = (reference: string, createdAt: string) => [
  row({ type: "fee", asset: "USD", amount: "0.65", direction: "out", reference, createdAt }),
  row({ type: "trade_sell", asset: "ETH", amount: "0.1", direction: "out", reference, createdAt }),
  row({ type: "trade_sell", asset: "USD", amount: "325", direction: "in", reference, createdAt }),
];
const deposit = (createdAt: string) =>
  row({ type: "deposit", asset: "USD", amount: "1000", direction: "in", reference: "dep-1", createdAt });

test("a trade's rows are one line, with each leg in its place", () => {
  const rows = buy("order-1", "2026-03-12T14:00:00.000Z");
  const [line, ...rest] = activityLines(rows);
  expect(rest).toEqual([]);
  expect(line).toEqual({
    kind: "trade",
    id: "order-1",
    side: "buy",
    status: "completed",
    createdAt: "2026-03-12T14:00:00.000Z",
    asset: rows[2],
    usd: rows[0],
    fee: rows[1],
  });
  expect(activityLines(sell("order-2", "2026-03-12T14:00:00.000Z"))[0]).toMatchObject({ kind: "trade", side: "sell" });
});

test("lines stay newest first, a trade in the place of its newest row, other rows untouched", () => {
  const newest = row({
    type: "transfer_in",
    asset: "BTC",
    amount: "0.5",
    direction: "in",
    createdAt: "2026-03-12T15:00:00.000Z",
  });
  const oldest = deposit("2026-03-12T12:00:00.000Z");
  const rows = [newest, ...buy("order-1", "2026-03-12T14:00:00.000Z"), ...sell("order-2", "2026-03-12T13:00:00.000Z"), oldest];
  const lines = activityLines(rows);
  expect(lines.map((line) => line.id)).toEqual([newest.id, "order-1", "order-2", oldest.id]);
  expect(lines[0]).toEqual({ kind: "tx", id: newest.id, tx: newest });
  // A deposit has a reference too (its order id): only trade and fee rows are grouped.
  expect(lines[3]).toEqual({ kind: "tx", id: oldest.id, tx: oldest });
});

test("a trade row without its partners (the rest past the rows fetched, or its frames still on the way) shows as itself", () => {
  const [, fee] = buy("order-1", "2026-03-12T14:00:00.000Z");
  expect(activityLines([fee])).toEqual([{ kind: "tx", id: fee.id, tx: fee }]);
  const withoutReference = row({
    type: "fee",
    asset: "USD",
    amount: "1",
    direction: "out",
    createdAt: "2026-03-12T14:00:00.000Z",
  });
  expect(activityLines([withoutReference, { ...withoutReference, id: "other" }]).map((line) => line.kind)).toEqual(["tx", "tx"]);
  const [usd, , asset] = buy("order-3", "2026-03-12T14:00:00.000Z");
  expect(activityLines([usd, asset])[0]).toMatchObject({ kind: "trade", asset, usd, fee: undefined });
});

test("a trade is completed when all its rows are, else it has the status of the row that is not", () => {
  const rows = buy("order-1", "2026-03-12T14:00:00.000Z");
  expect(activityLines(rows)[0]).toMatchObject({ status: "completed" });
  rows[1] = { ...rows[1], status: "pending" };
  expect(activityLines(rows)[0]).toMatchObject({ status: "pending" });
});

test("what a trade came to in USD is exact, the fee on top of a buy and taken off a sale", () => {
  const trade = (rows: Tx[]) => activityLines(rows)[0] as TradeLine;
  expect(tradeUsd(trade(buy("order-1", "2026-03-12T14:00:00.000Z")), 2)).toEqual({ amount: "651.3", direction: "out" });
  expect(tradeUsd(trade(sell("order-2", "2026-03-12T14:00:00.000Z")), 2)).toEqual({ amount: "324.35", direction: "in" });
  expect(tradeUsd(trade(buy("order-3", "2026-03-12T14:00:00.000Z", false)), 2)).toEqual({ amount: "650", direction: "out" });
  // 0.1 + 0.2 is 0.30000000000000004 in floats.
  const [usd, fee, asset] = buy("order-4", "2026-03-12T14:00:00.000Z");
  const cents = trade([{ ...usd, amount: "0.1" }, { ...fee, amount: "0.2" }, asset]);
  expect(tradeUsd(cents, 2)).toEqual({ amount: "0.3", direction: "out" });
  expect(tradeUsd({ ...cents, usd: undefined }, 2)).toBeUndefined();
});

test("live frames (withTxFrame) update the line of the trade they belong to", () => {
  const shown = [...buy("order-1", "2026-03-12T14:00:00.000Z"), deposit("2026-03-12T12:00:00.000Z")];
  // A new trade's three frames arrive one by one: one line on top from its second row on, never three.
  let rows = shown;
  for (const frame of sell("order-2", "2026-03-12T15:00:00.000Z")) rows = withTxFrame(rows, frame, { keep: 15 });
  expect(activityLines(rows).map((line) => line.id)).toEqual(["order-2", "order-1", shown[3].id]);
  // A changed row of a trade changes that trade's line.
  const changed = { ...shown[1], status: "failed" };
  expect(activityLines(withTxFrame(rows, changed))[1]).toMatchObject({ id: "order-1", status: "failed", fee: changed });
});
