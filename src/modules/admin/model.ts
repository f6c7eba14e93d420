import { t } from "elysia";
import { validationFailed } from "../../platform/http/errors";
import { FreeText } from "../../platform/http/request-schemas";

/** GET /api/admin/ledger/reconcile: API.md's `{ok, assets, problems}`, sums as decimal strings of each asset. */
export const ReconcileReport = t.Object({
  ok: t.Boolean(),
  assets: t.Array(t.Object({ asset: t.String(), sumOfBalances: t.String(), accounts: t.Integer(), transfers: t.Integer() })),
  problems: t.Array(
    t.Object({
      invariant: t.Integer(),
      message: t.String(),
      accountId: t.Optional(t.Integer()),
      transferId: t.Optional(t.Integer()),
      asset: t.Optional(t.String()),
    }),
  ),
  /** Guards that could not be tried on this database (read-only, or a role that may not write). */
  untried: t.Array(t.String()),
});

/**
 * A rejection, with why if the admin says: words its owner reads (stored trimmed). The body itself is optional: a
 * reject sent with none, as before reasons were taken, still rejects, without one.
 */
export const RejectBody = t.Optional(t.Object({ reason: t.Optional(FreeText(500, { nonBlank: true })) }));

/**
 * The reason a reject's body gives, if any, trimmed. Elysia checks an optional body only when it is a non-empty object, so
 * any other JSON value (`"why"`, `7`, `[]`) would pass as no body: it is refused here, after every earlier check.
 */
export function rejectionReasonOf(body: unknown): string | undefined {
  if (body === null || body === undefined) return undefined;
  if (typeof body !== "object" || Array.isArray(body))
    throw validationFailed("body", 'A reject\'s body is a JSON object, such as {"reason": "…"}, or none');
  return (body as { reason?: string }).reason?.trim();
}
