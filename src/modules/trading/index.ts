import { Elysia } from "elysia";
import type { authPlugin } from "../../platform/http/auth";
import { actorOf } from "../../platform/http/request-context";
import { IdParams } from "../../platform/http/request-schemas";
import { idempotencyKeyOf, idempotencyPlugin, runIdempotent } from "../../platform/idempotency";
import type { moneyGuard } from "../identity/guards";
import { OrderAnswer, OrderBody, OrderListQuery, OrderPage, Portfolio, Quote, QuoteBody } from "./model";
import { portfolio } from "./portfolio";
import { cancelOrder, createQuote, getOrder, listOrders, placeOrder, prepareOrder, type TradingContext } from "./service";
import { validateOrder } from "./validate";

/** /api/trading: quotes and orders; /api/portfolio: holdings and P&L. */
export function tradingController(
  ctx: TradingContext,
  auth: ReturnType<typeof authPlugin>,
  guard: ReturnType<typeof moneyGuard>,
) {
  const trading = new Elysia({ prefix: "/api/trading", name: "trading", detail: { tags: ["trading"] } })
    .use(auth)
    .use(idempotencyPlugin)
    .use(guard)
    .macro({
      /**
       * The order's own checks (validate.ts) as its validation step. A resolve runs after the schema and
       * before the route's beforeHandles (Elysia puts them first), so a malformed order is 422 before
       * movesMoney's 403s and before its idempotency key is looked up: API.md's order of checks.
       */
      validOrder: {
        // The schema has passed: the body is an OrderBody.
        resolve: ({ body }) => ({ validOrder: validateOrder(ctx.config, body as OrderBody) }),
      },
    })
    .post("/quote", ({ principal, body }) => createQuote(ctx, principal.userId, body), {
      auth: true,
      moneyValues: true,
      body: QuoteBody,
      response: Quote,
    })
    .post(
      "/orders",
      ({ principal, body, validOrder, request, headers }) =>
        runIdempotent(
          ctx.db,
          { userId: principal.userId, key: idempotencyKeyOf(headers), request, body },
          () => prepareOrder(ctx, principal.userId, body, validOrder),
          async (tx, prepared, ledgerKey) => ({
            status: 201,
            body: { order: await placeOrder(ctx, tx, principal.userId, body, prepared, actorOf(request), ledgerKey) },
          }),
          (ledgerKey) => ctx.ledger.refuseSpentKey(ctx.db, ledgerKey),
        ),
      {
        auth: true,
        idempotent: true,
        movesMoney: true,
        validOrder: true,
        body: OrderBody,
        response: { 201: OrderAnswer },
      },
    )
    .get("/orders", ({ principal, query }) => listOrders(ctx, principal.userId, query), {
      auth: true,
      query: OrderListQuery,
      response: OrderPage,
    })
    .get("/orders/:id", async ({ principal, params }) => ({ order: await getOrder(ctx, principal.userId, params.id) }), {
      auth: true,
      params: IdParams,
      response: OrderAnswer,
    })
    .delete(
      "/orders/:id",
      async ({ principal, params, request }) => ({
        order: await cancelOrder(ctx, principal.userId, params.id, actorOf(request)),
      }),
      { auth: true, params: IdParams, response: OrderAnswer },
    );
  return new Elysia({ name: "portfolio", detail: { tags: ["trading"] } })
    .use(auth)
    .use(trading)
    .get("/api/portfolio", ({ principal }) => portfolio(ctx, principal.userId), { auth: true, response: Portfolio });
}
