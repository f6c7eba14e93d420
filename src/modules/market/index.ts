import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { Db } from "../../platform/db/client";
import type { authPlugin } from "../../platform/http/auth";
import { documented, IdParams } from "../../platform/http/request-schemas";
import { addAlert, deleteAlert, listAlerts } from "./alerts";
import { queryCandles } from "./candles";
import { AlertAnswer, AlertBody, AlertList, AlertListQuery, CandleList, CandleQuery, PriceList, SymbolParams } from "./model";
import type { PriceCache } from "./price-cache";
import { assertKnownSymbol } from "./service";

/** /api/prices and /api/alerts (API.md, Market). Prices are public; alerts belong to their user. */
export function marketController(db: Db, config: Config, cache: PriceCache, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ name: "market", detail: { tags: ["market"] } })
    .use(auth)
    .get("/api/prices", () => ({ items: cache.all(), stale: cache.isStale() }), { response: PriceList })
    .get(
      "/api/prices/:symbol/candles",
      async ({ params, query }) => {
        assertKnownSymbol(config, params.symbol);
        return { items: await queryCandles(db, params.symbol, query.interval ?? "1m", query) };
      },
      { params: SymbolParams, query: CandleQuery, response: CandleList },
    )
    .get("/api/alerts", ({ principal, query }) => listAlerts(db, principal.userId, query), {
      auth: true,
      query: AlertListQuery,
      response: AlertList,
    })
    .post(
      "/api/alerts",
      async ({ principal, body, set }) => {
        set.status = 201;
        return { alert: await addAlert(db, config, principal.userId, body) };
      },
      { auth: true, body: AlertBody, response: { 201: AlertAnswer } },
    )
    .delete(
      "/api/alerts/:id",
      async ({ principal, params, set }) => {
        await deleteAlert(db, principal.userId, params.id);
        set.status = 204;
      },
      { auth: true, params: IdParams, ...documented({ 204: "The alert is deleted" }) },
    );
}
