/**
 * History rows as the dashboard's recent activity lists them: a trade writes several rows under its order id (the
 * asset in or out, the USD out or in, and the fee: modules/trading/settle.ts), which read as one line, so that one
 * trade does not push everything else off a five-line list.
 */
import { fromUnits, toUnits } from "./money";
import type { Side } from "./trading";
import type { Tx } from "./wallet";

/** The rows of one trade, by leg; a leg is missing while its row is not here (its live frame not yet arrived). */
export type TradeLine = {
  kind: "trade";
  /** The trading order's id, the rows' shared `reference`. */
  id: string;
  side: Side;
  status: string;
  createdAt: string;
  /** The asset bought (in) or sold (out). */
  asset?: Tx;
  /** The USD paid (buy) or received (sell), before the fee. */
  usd?: Tx;
  fee?: Tx;
};
export type ActivityLine = { kind: "tx"; id: string; tx: Tx } | TradeLine;

const TRADE_TYPES = new Set(["trade_buy", "trade_sell", "fee"]);

/** The status of a trade's rows: completed when every row is, else the first that is not. */
const statusOf = (rows: Tx[]) => rows.find((row) => row.status !== "completed")?.status ?? "completed";

function tradeLine(id: string, rows: Tx[]): TradeLine {
  const legs = rows.filter((row) => row.type !== "fee");
  return {
    kind: "trade",
    id,
    side: legs.some((row) => row.type === "trade_sell") ? "sell" : "buy",
    status: statusOf(rows),
    createdAt: rows[0].createdAt,
    asset: legs.find((row) => row.asset !== "USD"),
    usd: legs.find((row) => row.asset === "USD"),
    fee: rows.find((row) => row.type === "fee"),
  };
}

/**
 * `rows` (newest first, as the API lists them) as lines: the trade and fee rows of one `reference` become one line in
 * the place of the newest of them; every other row is a line of its own. So is a trade's row whose partners are not
 * here (a lone fee row): it still shows, as the row it is.
 */
export function activityLines(rows: readonly Tx[]): ActivityLine[] {
  const trades = new Map<string, Tx[]>();
  const tradeOf = (row: Tx) => (row.reference && TRADE_TYPES.has(row.type) ? row.reference : undefined);
  for (const row of rows) {
    const reference = tradeOf(row);
    if (reference) trades.set(reference, [...(trades.get(reference) ?? []), row]);
  }
  const lines: ActivityLine[] = [];
  for (const row of rows) {
    const reference = tradeOf(row);
    const group = reference ? trades.get(reference) : undefined;
    if (!group || group.length === 1) lines.push({ kind: "tx", id: row.id, tx: row });
    else if (group[0] === row) lines.push(tradeLine(reference as string, group));
  }
  return lines;
}

/**
 * What a trade came to in USD, fee included: paid for a buy (the price plus the fee), received for a sell (the price
 * less the fee). Exact, in minor units of USD's `precision`; undefined while the USD row is not here.
 */
export function tradeUsd(line: TradeLine, precision: number): { amount: string; direction: "in" | "out" } | undefined {
  if (!line.usd) return undefined;
  const usd = toUnits(line.usd.amount, precision);
  const fee = line.fee ? toUnits(line.fee.amount, precision) : 0n;
  if (usd === undefined || fee === undefined) return undefined;
  return { amount: fromUnits(line.usd.direction === "out" ? usd + fee : usd - fee, precision), direction: line.usd.direction };
}
