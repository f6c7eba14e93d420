import { Elysia } from "elysia";
import type { Db } from "../../platform/db/client";
import type { authPlugin } from "../../platform/http/auth";
import { AuditPage, AuditQuery } from "./model";
import { listUserAudit } from "./service";

/** GET /api/audit: the signed-in user's own security and money events, newest first. */
export function auditController(db: Db, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ prefix: "/api/audit", name: "audit", detail: { tags: ["audit"] } })
    .use(auth)
    .get("", ({ principal, query }) => listUserAudit(db, principal.userId, query.limit, query.cursor), {
      auth: true,
      query: AuditQuery,
      response: AuditPage,
    });
}
