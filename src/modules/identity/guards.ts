import { Elysia } from "elysia";
import type { Principal } from "../../platform/http/auth";
import { requestContext } from "../../platform/http/request-context";
import { assertCanMoveMoney, type IdentityContext } from "./service";

/**
 * The `movesMoney` route option: 403 EMAIL_NOT_VERIFIED or FORBIDDEN (frozen). A beforeHandle, so it
 * answers after 401, CSRF, 428 and 422, in the order API.md gives.
 */
export function moneyGuard(ctx: IdentityContext) {
  return new Elysia({ name: "money-guard" }).macro({
    movesMoney: {
      beforeHandle({ request }) {
        const principal = requestContext(request).principal as Principal;
        assertCanMoveMoney(ctx.config, principal);
      },
    },
  });
}
