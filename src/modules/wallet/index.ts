import { Elysia } from "elysia";
import type { authPlugin } from "../../platform/http/auth";
import { actorOf, requestContext } from "../../platform/http/request-context";
import { documented, IdParams } from "../../platform/http/request-schemas";
import { idempotencyKeyOf, idempotencyPlugin, runIdempotent } from "../../platform/idempotency";
import type { Logger } from "../../platform/observability/logger";
import { assertWithdrawalsUnlocked, type moneyGuard } from "../identity/guards";
import { getUser } from "../identity/service";
import type { MoneyContext } from "../ledger/money-context";
import { addAddress, deleteAddress, listAddresses } from "./addresses";
import { applyDepositEvent, assertSignature, createDeposit, getDeposit, listDeposits, prepareDeposit } from "./deposits";
import {
  AddressAnswer,
  AddressBody,
  AddressList,
  BalanceAnswer,
  DepositBody,
  DepositEvent,
  ListQuery,
  OrderAnswer,
  OrderList,
  OrderParams,
  WebhookAnswer,
  WithdrawalAnswer,
  WithdrawalList,
  WithdrawBody,
} from "./model";
import { walletBalances } from "./service";
import { cancelWithdrawal } from "./withdrawal-review";
import { getWithdrawal, listWithdrawals, prepareWithdrawal, requestWithdrawal } from "./withdrawals";

/** /api/wallet: balances, deposits (and the provider's webhook), the address book and withdrawals. */
export function walletController(
  ctx: MoneyContext,
  auth: ReturnType<typeof authPlugin>,
  guard: ReturnType<typeof moneyGuard>,
  logger: Logger,
) {
  return new Elysia({ prefix: "/api/wallet", name: "wallet", detail: { tags: ["wallet"] } })
    .use(auth)
    .use(idempotencyPlugin)
    .use(guard)
    .get("/balance", ({ principal }) => walletBalances(ctx, principal.userId), { auth: true, response: BalanceAnswer })
    .post(
      "/deposit/create",
      ({ principal, body, request, headers }) =>
        runIdempotent(
          ctx.db,
          { userId: principal.userId, key: idempotencyKeyOf(headers), request, body },
          () => prepareDeposit(ctx, principal.userId, body),
          async (tx, prepared) => ({
            status: 201,
            body: { order: await createDeposit(ctx, tx, principal.userId, prepared, actorOf(request)) },
          }),
        ),
      { auth: true, idempotent: true, movesMoney: true, body: DepositBody, response: { 201: OrderAnswer } },
    )
    .get(
      "/deposit/:orderId",
      async ({ principal, params }) => ({ order: await getDeposit(ctx, principal.userId, params.orderId) }),
      {
        auth: true,
        params: OrderParams,
        response: OrderAnswer,
      },
    )
    .get("/deposits", ({ principal, query }) => listDeposits(ctx, principal.userId, query), {
      auth: true,
      query: ListQuery,
      response: OrderList,
    })
    .post(
      "/deposit/webhook",
      async ({ body }) => {
        // Still a 200 no-op (API.md), but a provider that reuses an id for another event is worth an operator's look.
        if ((await applyDepositEvent(ctx, body)) === "conflict") {
          logger.warn("deposit webhook: an event id came again with other contents; the first was kept", {
            eventId: body.eventId,
            orderId: body.orderId,
          });
        }
        return { received: true };
      },
      {
        // The signature is checked on the raw body before anything else: a forged event learns nothing.
        transform: ({ request }) =>
          assertSignature(ctx, requestContext(request).rawBody ?? "", request.headers.get("x-signature")),
        body: DepositEvent,
        detail: {
          description: "Provider events, signed with X-Signature: sha256=<hex HMAC-SHA256 of the raw body>",
          parameters: [
            {
              name: "X-Signature",
              in: "header",
              required: true,
              description: "sha256=<hex HMAC-SHA256 of the raw body with DEPOSIT_WEBHOOK_SECRET>",
              schema: { type: "string", pattern: "^sha256=[0-9a-fA-F]{64}$" },
            },
          ],
          ...documented(
            { 200: "Received; an event id seen before changes nothing", 401: "The signature is missing or wrong" },
            { 200: WebhookAnswer },
          ).detail,
        },
      },
    )
    .get("/addresses", ({ principal, query }) => listAddresses(ctx.db, principal.userId, query), {
      auth: true,
      query: ListQuery,
      response: AddressList,
    })
    .post(
      "/addresses",
      async ({ principal, body, request, set }) => {
        set.status = 201;
        return { address: await addAddress(ctx, principal, body, actorOf(request)) };
      },
      { auth: true, body: AddressBody, response: { 201: AddressAnswer } },
    )
    .delete(
      "/addresses/:id",
      async ({ principal, params, request, set }) => {
        await deleteAddress(ctx, principal.userId, params.id, actorOf(request));
        set.status = 204;
      },
      { auth: true, params: IdParams, ...documented({ 204: "The address is removed from the book" }) },
    )
    .post(
      "/withdraw",
      async ({ principal, body, request, headers }) => {
        // 403 WITHDRAWALS_LOCKED during the lock after a security change: checked before an idempotent replay.
        assertWithdrawalsUnlocked(await getUser(ctx.db, principal.userId));
        return runIdempotent(
          ctx.db,
          { userId: principal.userId, key: idempotencyKeyOf(headers), request, body },
          () => prepareWithdrawal(ctx, principal.userId, body),
          async (tx, prepared, ledgerKey) => ({
            status: 202,
            body: { withdrawal: await requestWithdrawal(ctx, tx, prepared, actorOf(request), ledgerKey) },
          }),
          (ledgerKey) => ctx.ledger.refuseSpentKey(ctx.db, ledgerKey),
        );
      },
      { auth: true, idempotent: true, movesMoney: true, body: WithdrawBody, response: { 202: WithdrawalAnswer } },
    )
    .get("/withdrawals", ({ principal, query }) => listWithdrawals(ctx, principal.userId, query), {
      auth: true,
      query: ListQuery,
      response: WithdrawalList,
    })
    .get(
      "/withdrawals/:id",
      async ({ principal, params }) => ({ withdrawal: await getWithdrawal(ctx, principal.userId, params.id) }),
      {
        auth: true,
        params: IdParams,
        response: WithdrawalAnswer,
      },
    )
    .post(
      "/withdrawals/:id/cancel",
      async ({ principal, params, request }) => ({
        withdrawal: await cancelWithdrawal(ctx, principal.userId, params.id, actorOf(request)),
      }),
      { auth: true, params: IdParams, response: WithdrawalAnswer },
    );
}
