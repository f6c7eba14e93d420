/** The web app's live updates of lists and balances (web/src/lib/live-rows.ts): rows land where the API lists them. */
import { expect, test } from "bun:test";
import { keepUnchanged, withBalanceFrame, withTxFrame } from "../web/src/lib/live-rows";

type Tx = { id: string; type: string; asset: string; amount: string; status: string; createdAt: string };
const tx = (id: string, createdAt: string, status = "completed"): Tx => ({
  id,
  type: "trade_buy",
  asset: "BTC",
  amount: "1",
  status,
  createdAt,
});
const ids = (rows: Tx[]) => rows.map((row) => row.id);

test("a new row takes its place by time, ties by id, as the API orders them (newest first)", () => {
  const shown = [tx("b", "2026-11-27T10:00:02.000Z"), tx("a", "2026-11-27T10:00:01.000Z")];
  // One trade's rows arrive in any order, all stamped alike.
  let rows = shown;
  for (const id of ["c1", "c3", "c2"]) rows = withTxFrame(rows, tx(id, "2026-11-27T10:00:03.000Z"), { keep: 5 });
  expect(ids(rows)).toEqual(["c3", "c2", "c1", "b", "a"]);
  expect(ids(withTxFrame(rows, tx("d", "2026-11-27T10:00:04.000Z"), { keep: 5 }))).toEqual(["d", "c3", "c2", "c1", "b"]);
});

test("a known row is replaced in place; an older row not shown stays out, unless the list is the whole history", () => {
  const shown = [tx("b", "2026-11-27T10:00:02.000Z"), tx("a", "2026-11-27T10:00:01.000Z", "pending_review")];
  const approved = withTxFrame(shown, tx("a", "2026-11-27T10:00:01.000Z", "completed"));
  expect(approved.map((row) => [row.id, row.status])).toEqual([
    ["b", "completed"],
    ["a", "completed"],
  ]);
  // A status change of a row older than the oldest shown (a withdrawal approved a day later) does not jump in.
  const old = tx("old", "2026-11-26T09:00:00.000Z", "completed");
  expect(ids(withTxFrame(shown, old))).toEqual(["b", "a"]);
  expect(ids(withTxFrame(shown, old, { complete: true }))).toEqual(["b", "a", "old"]);
});

test("a balance frame changes its asset's amounts and nothing else", () => {
  const answer = {
    totalUsd: "100",
    balances: [
      { asset: "USD", available: "100", held: "0", total: "100", valueUsd: "100" },
      { asset: "BTC", available: "0", held: "0", total: "0", valueUsd: "0" },
    ],
  };
  const moved = withBalanceFrame(answer, { asset: "USD", available: "60", held: "40", total: "100" });
  expect(moved?.balances).toEqual([
    { asset: "USD", available: "60", held: "40", total: "100", valueUsd: "100" },
    { asset: "BTC", available: "0", held: "0", total: "0", valueUsd: "0" },
  ]);
  expect(withBalanceFrame(undefined, { asset: "USD" })).toBeUndefined();
});

test("a reloaded list keeps each unchanged row as the object it was (its row stays on screen), changed ones are new", () => {
  const [a, b] = [tx("a", "2026-01-01T00:00:02.000Z", "pending_review"), tx("b", "2026-01-01T00:00:01.000Z")];
  const reloaded = [tx("c", "2026-01-01T00:00:03.000Z"), { ...a }, { ...b, status: "failed" }];
  const kept = keepUnchanged([a, b], reloaded);
  expect(kept).toEqual(reloaded);
  expect(kept[1]).toBe(a);
  expect(kept[2]).not.toBe(b);
  expect(keepUnchanged(undefined, reloaded)).toEqual(reloaded);
});
