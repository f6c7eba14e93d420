import { Elysia, t } from "elysia";
import type { Config } from "../../config";
import type { CounterStore } from "../../platform/counters";
import type { Db } from "../../platform/db/client";
import type { authPlugin } from "../../platform/http/auth";
import { IdParams, jsonSchemaOf } from "../../platform/http/request-schemas";
import { EXPORT_COLUMNS, exportContentType, exportFileName, exportStream } from "./export";
import { ExportBody, Tx, TxAnswer, TxListQuery, TxPage } from "./model";
import { assertFilters, claimExportSlot, getTransaction, historyRows, listTransactions } from "./service";

/** /api/transactions: the user's history, filtered and paginated, and its export as a streamed file. */
export function transactionsController(db: Db, config: Config, auth: ReturnType<typeof authPlugin>, counters: CounterStore) {
  return new Elysia({ prefix: "/api/transactions", name: "transactions", detail: { tags: ["transactions"] } })
    .use(auth)
    .get("", ({ principal, query }) => listTransactions(db, config, principal.userId, query), {
      auth: true,
      query: TxListQuery,
      response: TxPage,
    })
    .get("/:id", async ({ principal, params }) => ({ tx: await getTransaction(db, config, principal.userId, params.id) }), {
      auth: true,
      params: IdParams,
      response: TxAnswer,
    })
    .post(
      "/export",
      async ({ principal, body }) => {
        const { format, ...filters } = body;
        // Checked before streaming: once the file starts, its 200 has been sent.
        assertFilters(config, filters);
        const release = await claimExportSlot(counters, principal.userId);
        return new Response(exportStream(format, historyRows(db, config, principal.userId, filters), release), {
          headers: {
            "content-type": exportContentType(format),
            "content-disposition": `attachment; filename="${exportFileName(format, new Date())}"`,
          },
        });
      },
      {
        auth: true,
        body: ExportBody,
        detail: {
          responses: {
            200: {
              description: "The history as a CSV or JSON file (Content-Disposition: attachment), streamed",
              content: {
                "text/csv": { schema: { type: "string", description: `Columns: ${EXPORT_COLUMNS.join(", ")}` } },
                "application/json": { schema: jsonSchemaOf(t.Array(Tx)) },
              },
            },
          },
        },
      },
    );
}
