import { t } from "elysia";
import { oneOf } from "../../platform/http/request-schemas";
import { Page, PageQuery } from "../../platform/pagination";

import { TX_STATUSES, TX_TYPES } from "./schema";

export const Tx = t.Object({
  id: t.String(),
  type: oneOf(TX_TYPES),
  asset: t.String(),
  amount: t.String(),
  fee: t.String(),
  status: oneOf(TX_STATUSES),
  direction: oneOf(["in", "out"]),
  counterparty: t.Union([t.String(), t.Null()]),
  reference: t.Union([t.String(), t.Null()]),
  note: t.Union([t.String(), t.Null()]),
  /** Why an admin rejected it, on the owner's withdrawal or sent transfer; absent otherwise (the recipient's row too). */
  rejectionReason: t.Optional(t.String()),
  createdAt: t.String(),
});
export type Tx = typeof Tx.static;

/** Unknown values are a 422 naming the field, not a filter that quietly matches nothing. */
const Filters = {
  type: t.Optional(oneOf(TX_TYPES)),
  /** A configured asset (GET /api/config); checked in the service, where the configuration is. */
  asset: t.Optional(t.String({ maxLength: 10 })),
  status: t.Optional(oneOf(TX_STATUSES)),
  from: t.Optional(t.String({ format: "date-time" })),
  to: t.Optional(t.String({ format: "date-time" })),
};
const TxFilterSchema = t.Object(Filters);
export type TxFilters = typeof TxFilterSchema.static;

export const TxListQuery = t.Object({ ...Filters, ...PageQuery });
export const TxPage = Page(Tx);
export const TxAnswer = t.Object({ tx: Tx });
export const ExportBody = t.Object({ format: oneOf(["csv", "json"]), ...Filters });
