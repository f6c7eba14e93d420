import { Elysia } from "elysia";
import type { authPlugin } from "../../platform/http/auth";
import { actorOf } from "../../platform/http/request-context";
import { IdParams } from "../../platform/http/request-schemas";
import { idempotencyKeyOf, idempotencyPlugin } from "../../platform/idempotency";
import type { moneyGuard } from "../identity/guards";
import type { MoneyContext } from "../ledger/money-context";
import { withdrawalLimit } from "../wallet/withdrawals";
import { Limits, P2pBody, TransferAnswer } from "./model";
import { cancelTransfer } from "./review";
import { p2pLimit, sendP2p } from "./service";

/**
 * /api/transfers: P2P transfers, the sender's cancel of a held one, and the user's daily limits. The cancel is beyond
 * API.md, as POST /api/wallet/withdrawals/:id/cancel is for a withdrawal; like that cancel it only returns the sender's
 * own money, so it takes no Idempotency-Key and a frozen sender may too.
 */
export function transfersController(
  ctx: MoneyContext,
  auth: ReturnType<typeof authPlugin>,
  guard: ReturnType<typeof moneyGuard>,
) {
  return new Elysia({ prefix: "/api/transfers", name: "transfers", detail: { tags: ["transfers"] } })
    .use(auth)
    .use(idempotencyPlugin)
    .use(guard)
    .post(
      "/p2p",
      ({ principal, body, request, headers }) =>
        sendP2p(ctx, { userId: principal.userId, key: idempotencyKeyOf(headers), request, body }, actorOf(request)),
      { auth: true, idempotent: true, movesMoney: true, body: P2pBody, response: { 201: TransferAnswer } },
    )
    .post(
      "/:id/cancel",
      async ({ principal, params, request }) => ({
        transfer: await cancelTransfer(ctx, principal.userId, params.id, actorOf(request)),
      }),
      { auth: true, params: IdParams, response: TransferAnswer },
    )
    .get(
      "/limits",
      async ({ principal }) => ({
        items: [await p2pLimit(ctx, principal.userId), await withdrawalLimit(ctx, principal.userId)],
      }),
      {
        auth: true,
        response: Limits,
      },
    );
}
