import { t } from "elysia";
import { oneOf } from "../../platform/http/schema";
import { PageQuery } from "../../platform/pagination";

export const TX_TYPES = ["deposit", "withdrawal", "transfer_in", "transfer_out", "trade_buy", "trade_sell", "fee"] as const;

export const Tx = t.Object({
  id: t.String(),
  type: oneOf(TX_TYPES),
  asset: t.String(),
  amount: t.String(),
  fee: t.String(),
  status: t.String(),
  direction: oneOf(["in", "out"]),
  counterparty: t.Union([t.String(), t.Null()]),
  reference: t.Union([t.String(), t.Null()]),
  note: t.Union([t.String(), t.Null()]),
  createdAt: t.String(),
});
export type Tx = typeof Tx.static;

const Filters = {
  type: t.Optional(oneOf(TX_TYPES)),
  asset: t.Optional(t.String({ maxLength: 10 })),
  status: t.Optional(t.String({ maxLength: 32 })),
  from: t.Optional(t.String({ format: "date-time" })),
  to: t.Optional(t.String({ format: "date-time" })),
};
export type TxFilters = { type?: Tx["type"]; asset?: string; status?: string; from?: string; to?: string };

export const TxListQuery = t.Object({ ...Filters, ...PageQuery });
export const TxPage = t.Object({ items: t.Array(Tx), nextCursor: t.Union([t.String(), t.Null()]) });
export const TxAnswer = t.Object({ tx: Tx });
export const TxParams = t.Object({ id: t.String({ maxLength: 64 }) });
export const ExportBody = t.Object({ format: oneOf(["csv", "json"]), ...Filters });
