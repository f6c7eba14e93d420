import { Elysia } from "elysia";
import type { Db } from "../../platform/db/client";
import type { authPlugin } from "../../platform/http/auth";
import { actorOf } from "../../platform/http/request-context";
import { AdminAuditPage, AdminAuditQuery } from "../audit/model";
import { searchAudit } from "../audit/service";
import { UserAnswer, UserParams } from "../identity/model";
import { setFrozen } from "../identity/service";

/** /api/admin: back-office routes, role admin only (anyone else 403). */
export function adminController(db: Db, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ prefix: "/api/admin", name: "admin", detail: { tags: ["admin"] } })
    .use(auth)
    .post(
      "/users/:id/freeze",
      async ({ principal, params, request }) => ({
        user: await setFrozen(db, principal.userId, params.id, true, actorOf(request)),
      }),
      { auth: "admin", params: UserParams, response: UserAnswer },
    )
    .post(
      "/users/:id/unfreeze",
      async ({ principal, params, request }) => ({
        user: await setFrozen(db, principal.userId, params.id, false, actorOf(request)),
      }),
      { auth: "admin", params: UserParams, response: UserAnswer },
    )
    .get("/audit", ({ query }) => searchAudit(db, query), { auth: "admin", query: AdminAuditQuery, response: AdminAuditPage });
}
