/** The AML flags for admins: each with the transfers its rule judged, listed, and resolved once looked into. */
import { and, desc, eq, gte, isNotNull, isNull, lte, sql } from "drizzle-orm";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { after, decodeCursor, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { assertNotOwnCase } from "../identity/guards";
import { emailsOf } from "../identity/service";
import type { MoneyContext } from "../ledger/money-context";
import { AML_RULES } from "./aml";
import type { AmlFlag } from "./model";
import { amlFlags, p2pTransfers } from "./schema";

/** At most this many of a window's transfers are named on its flag: enough to investigate, never a flood. */
const MAX_WINDOW_TRANSFERS_SHOWN = 100;

type FlagRow = typeof amlFlags.$inferSelect;
/** What the flagged transfer was judged on (its time and its USD value), and to whom it went. */
type Judged = { judgedAt: Date; amountUsdCents: bigint; recipientId: string };

/**
 * The transfers a flag's rule judged: its window as the rule draws it for the flagged transfer (at the time and
 * the USD value it was judged on, with today's threshold), up to and including that transfer.
 */
async function windowTransferIds(ctx: MoneyContext, flag: FlagRow & Judged): Promise<string[]> {
  const window = AML_RULES.find((r) => r.name === flag.rule)?.window?.({
    amountUsdCents: flag.amountUsdCents,
    now: flag.judgedAt,
    reviewThresholdUsdCents: ctx.config.amlReviewThresholdUsdCents,
  });
  if (!window) return [flag.transferId];
  const rows = await ctx.db
    .select({ id: p2pTransfers.id })
    .from(p2pTransfers)
    .where(
      and(
        eq(p2pTransfers.senderId, flag.userId),
        gte(p2pTransfers.createdAt, window.since),
        lte(p2pTransfers.createdAt, flag.judgedAt),
        window.minUsdCents === undefined ? undefined : gte(p2pTransfers.amountUsdCents, window.minUsdCents),
        window.maxUsdCents === undefined ? undefined : lte(p2pTransfers.amountUsdCents, window.maxUsdCents),
      ),
    )
    .orderBy(desc(p2pTransfers.createdAt), desc(p2pTransfers.id))
    .limit(MAX_WINDOW_TRANSFERS_SHOWN);
  const ids = rows.map((row) => row.id).reverse();
  // Stamped in the same millisecond as a later one, the flagged transfer still ends the list.
  return [...ids.filter((id) => id !== flag.transferId), flag.transferId];
}

/** A page of flags, newest first; `status` open or resolved narrows it. */
export async function listAmlFlags(ctx: MoneyContext, page: { status?: "open" | "resolved"; limit?: number; cursor?: string }) {
  const limit = page.limit ?? 20;
  const status =
    page.status === undefined ? undefined : page.status === "open" ? isNull(amlFlags.resolvedAt) : isNotNull(amlFlags.resolvedAt);
  const rows = await ctx.db
    .select({
      flag: amlFlags,
      judgedAt: p2pTransfers.createdAt,
      amountUsdCents: p2pTransfers.amountUsdCents,
      recipientId: p2pTransfers.recipientId,
    })
    .from(amlFlags)
    .innerJoin(p2pTransfers, eq(p2pTransfers.id, amlFlags.transferId))
    .where(and(status, after(amlFlags.createdAt, amlFlags.id, decodeCursor(page.cursor))))
    .orderBy(desc(amlFlags.createdAt), desc(amlFlags.id))
    .limit(limit + 1);
  const flags = rows.map(({ flag, ...judged }) => ({ ...flag, ...judged }));
  const views = await flagViews(ctx, flags.slice(0, limit));
  return pageOf(flags, limit, (flag) => views.get(flag.id) as AmlFlag);
}

/** The admin's view of each flag, by id: the sender's email and the window its rule judged. */
async function flagViews(ctx: MoneyContext, flags: (FlagRow & Judged)[]): Promise<Map<string, AmlFlag>> {
  const [emails, windows] = await Promise.all([
    emailsOf(
      ctx.db,
      flags.map((flag) => flag.userId),
    ),
    Promise.all(flags.map(async (flag) => [flag.id, await windowTransferIds(ctx, flag)] as const)),
  ]);
  const windowOf = new Map(windows);
  return new Map(
    flags.map(({ judgedAt, amountUsdCents, ...flag }) => [
      flag.id,
      {
        ...flag,
        userEmail: emails.get(flag.userId) ?? "",
        windowTransferIds: windowOf.get(flag.id) ?? [flag.transferId],
        createdAt: flag.createdAt.toISOString(),
        resolvedAt: flag.resolvedAt?.toISOString() ?? null,
      },
    ]),
  );
}

/**
 * POST /api/admin/aml/flags/:id/resolve: an admin records what they found. Once only (409 INVALID_STATE after),
 * never on a transfer they sent or received (four eyes), and audited. The flag stays listed, resolved.
 */
export async function resolveAmlFlag(ctx: MoneyContext, adminId: string, flagId: string, resolution: string, actor: Actor) {
  if (!isUuid(flagId)) throw notFound("Flag");
  const resolved = await ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .select({ flag: amlFlags, transfer: p2pTransfers })
      .from(amlFlags)
      .innerJoin(p2pTransfers, eq(p2pTransfers.id, amlFlags.transferId))
      .where(eq(amlFlags.id, flagId))
      .for("update", { of: amlFlags });
    if (!row) throw notFound("Flag");
    assertNotOwnCase(adminId, [row.transfer.senderId, row.transfer.recipientId]);
    if (row.flag.resolvedAt) throw new AppError(409, "INVALID_STATE", "This flag is already resolved");
    const [flag] = await tx
      .update(amlFlags)
      .set({ resolvedAt: sql`now()`, resolvedBy: adminId, resolution: resolution.trim() })
      .where(eq(amlFlags.id, flagId))
      .returning();
    const metadata = { flagId, transferId: flag.transferId, userId: flag.userId, rule: flag.rule, resolution: flag.resolution };
    await recordAudit(tx, [{ userId: adminId, action: "admin.aml_flag_resolved", metadata, ...actor }]);
    const { createdAt: judgedAt, amountUsdCents, recipientId } = row.transfer;
    return { ...flag, judgedAt, amountUsdCents, recipientId };
  });
  return (await flagViews(ctx, [resolved])).get(resolved.id) as AmlFlag;
}
