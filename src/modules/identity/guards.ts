import { Elysia } from "elysia";
import type { Principal } from "../../platform/http/auth";
import { requestContext } from "../../platform/http/request-context";
import { assertMoneyFields } from "../ledger/assets";
import { assertCanMoveMoney, type IdentityContext } from "./service";

/**
 * The `movesMoney` route option: 403 EMAIL_NOT_VERIFIED or FORBIDDEN (frozen). A beforeHandle, so it
 * answers after 401, CSRF, 428 and the schema; the body's money values are judged first, since API.md
 * puts every 422 VALIDATION_FAILED before these 403s. `moneyValues` judges the values alone, for a route
 * that only reads (a quote): API.md lets an unverified or frozen user read.
 */
export function moneyGuard(ctx: IdentityContext) {
  return new Elysia({ name: "money-guard" }).macro({
    moneyValues: {
      beforeHandle({ body }) {
        assertMoneyFields(ctx.config, body);
      },
    },
    movesMoney: {
      beforeHandle({ request, body }) {
        assertMoneyFields(ctx.config, body);
        const principal = requestContext(request).principal as Principal;
        assertCanMoveMoney(ctx.config, principal);
      },
    },
  });
}
