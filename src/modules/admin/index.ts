import { Elysia } from "elysia";
import type { Db } from "../../platform/db/client";
import type { authPlugin } from "../../platform/http/auth";
import { actorOf } from "../../platform/http/request-context";
import { IdParams } from "../../platform/http/request-schemas";
import { Page } from "../../platform/pagination";
import { AdminAuditPage, AdminAuditQuery } from "../audit/model";
import { searchAudit } from "../audit/service";
import { UserAnswer, UserLookupQuery } from "../identity/model";
import { setFrozen, userWithEmail } from "../identity/standing";
import type { MoneyContext } from "../ledger/money-context";
import { lastIntegrityChecks } from "../system/integrity";
import { IntegrityChecks } from "../system/model";
import { listAmlFlags, resolveAmlFlag } from "../transfers/flags";
import {
  AdminTransfer,
  AmlFlagAnswer,
  AmlFlagQuery,
  AmlFlagView,
  ResolveFlagBody,
  ReviewQuery,
  TransferAnswer,
} from "../transfers/model";
import { decideTransfer, listTransfersForReview } from "../transfers/review";
import { settleSendsInFlight } from "../transfers/service";
import { AdminWithdrawalList, StatusQuery, WithdrawalAnswer } from "../wallet/model";
import { reviewWithdrawal } from "../wallet/withdrawal-review";
import { listEveryonesWithdrawals } from "../wallet/withdrawals";
import { ReconcileReport, RejectBody, rejectionReasonOf } from "./model";
import { reconcileLedger } from "./service";

/**
 * /api/admin: back-office routes, role admin only (anyone else 403). `GET /users?email=` is not in API.md: without
 * it an admin could find the id to freeze only in a flag, a review or the audit log. Nor is `GET /integrity`, the
 * scheduled checks' last results, which an admin without the operators' metrics sees nowhere else.
 */
export function adminController(db: Db, money: MoneyContext, auth: ReturnType<typeof authPlugin>) {
  const admin = { auth: "admin" as const };
  return new Elysia({ prefix: "/api/admin", name: "admin", detail: { tags: ["admin"] } })
    .use(auth)
    .get("/users", async ({ query }) => ({ user: await userWithEmail(db, query.email) }), {
      ...admin,
      query: UserLookupQuery,
      response: UserAnswer,
    })
    .post(
      "/users/:id/freeze",
      async ({ principal, params, request }) => ({
        user: await setFrozen(db, principal.userId, params.id, true, actorOf(request), settleSendsInFlight),
      }),
      { ...admin, params: IdParams, response: UserAnswer },
    )
    .post(
      "/users/:id/unfreeze",
      async ({ principal, params, request }) => ({
        user: await setFrozen(db, principal.userId, params.id, false, actorOf(request)),
      }),
      { ...admin, params: IdParams, response: UserAnswer },
    )
    .get("/audit", ({ query }) => searchAudit(db, query), { ...admin, query: AdminAuditQuery, response: AdminAuditPage })
    .get("/withdrawals", ({ query }) => listEveryonesWithdrawals(money, query), {
      ...admin,
      query: StatusQuery,
      response: AdminWithdrawalList,
    })
    .post(
      "/withdrawals/:id/approve",
      async ({ principal, params, request }) => ({
        withdrawal: await reviewWithdrawal(money, principal.userId, params.id, true, actorOf(request)),
      }),
      { ...admin, params: IdParams, response: WithdrawalAnswer },
    )
    .post(
      "/withdrawals/:id/reject",
      async ({ principal, params, body, request }) => ({
        withdrawal: await reviewWithdrawal(money, principal.userId, params.id, false, actorOf(request), rejectionReasonOf(body)),
      }),
      { ...admin, params: IdParams, body: RejectBody, response: WithdrawalAnswer },
    )
    .get("/transfers", ({ query }) => listTransfersForReview(money, query), {
      ...admin,
      query: ReviewQuery,
      response: Page(AdminTransfer),
    })
    .post(
      "/transfers/:id/approve",
      async ({ principal, params, request }) => ({
        transfer: await decideTransfer(money, principal.userId, params.id, true, actorOf(request)),
      }),
      { ...admin, params: IdParams, response: TransferAnswer },
    )
    .post(
      "/transfers/:id/reject",
      async ({ principal, params, body, request }) => ({
        transfer: await decideTransfer(money, principal.userId, params.id, false, actorOf(request), rejectionReasonOf(body)),
      }),
      { ...admin, params: IdParams, body: RejectBody, response: TransferAnswer },
    )
    .get("/aml/flags", ({ query }) => listAmlFlags(money, query), {
      ...admin,
      query: AmlFlagQuery,
      response: Page(AmlFlagView),
    })
    .post(
      "/aml/flags/:id/resolve",
      async ({ principal, params, body, request }) => ({
        flag: await resolveAmlFlag(money, principal.userId, params.id, body.resolution, actorOf(request)),
      }),
      { ...admin, params: IdParams, body: ResolveFlagBody, response: AmlFlagAnswer },
    )
    .get("/integrity", () => lastIntegrityChecks(db, money.config), { ...admin, response: IntegrityChecks })
    .get("/ledger/reconcile", () => reconcileLedger(db, money.config), { ...admin, response: ReconcileReport });
}
