/** The AML flags for admins: each with the transfers its rule judged, listed, and resolved once looked into. */
import { and, desc, eq, gte, inArray, isNotNull, isNull, lte, not, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { AppError, notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { formatUsdCents } from "../../platform/money";
import { after, decodeCursor, pageLimit, pageOf } from "../../platform/pagination";
import { type Actor, recordAudit } from "../audit/service";
import { accountsOf } from "../identity/accounts";
import { assertNotOwnCase } from "../identity/guards";
import type { MoneyContext } from "../ledger/money-context";
import { AML_RULES, holdsForReview } from "./aml";
import type { AmlFlag } from "./model";
import { amlFlags, p2pTransfers } from "./schema";
import { settleSendsInFlight, type TransferRow } from "./service";

/** At most this many of the transfers a flag covers are named on it (the newest): enough to investigate, never a flood. */
const MAX_WINDOW_TRANSFERS_SHOWN = 100;

type FlagRow = typeof amlFlags.$inferSelect;
/** What the flagged transfer was judged on (its time and its USD value), to whom it went, and where it stands. */
type Judged = { judgedAt: Date; amountUsdCents: bigint; recipientId: string; transferStatus: TransferRow["status"] };

/** The transfers a flag covers: how many, their USD total, and the ids of the newest of them, oldest first. */
type Covered = { ids: string[]; count: number; totalUsdCents: bigint };

/**
 * The transfers a flag covers. For a counting rule: its window as the rule draws it for the flagged transfer (at
 * the time, the USD value and the review threshold it was judged with), and after that transfer every one of the
 * same pattern while the flag stood for it: while it was open and younger than its window, later transfers of the
 * pattern raised no flag of their own (screenTransfer), so they are this flag's to show. For over_threshold: the
 * transfer alone.
 */
async function coveredTransfers(ctx: MoneyContext, flag: FlagRow & Judged): Promise<Covered> {
  const window = AML_RULES.find((r) => r.name === flag.rule)?.window?.({
    amountUsdCents: flag.amountUsdCents,
    now: flag.judgedAt,
    reviewThresholdUsdCents: flag.reviewThresholdUsdCents ?? ctx.config.amlReviewThresholdUsdCents,
  });
  if (!window) return { ids: [flag.transferId], count: 1, totalUsdCents: flag.amountUsdCents };
  const windowEnds = 2 * flag.judgedAt.getTime() - window.since.getTime();
  const until = Math.max(flag.judgedAt.getTime(), Math.min(windowEnds, flag.resolvedAt?.getTime() ?? Date.now()));
  // A later flag of the same rule and threshold on the sender takes the pattern over from its own transfer on (one
  // raised by an instance from before flags stood for their pattern, whose flags keep no threshold, or after this
  // one was resolved or ran out).
  const threshold = flag.reviewThresholdUsdCents?.toString() ?? null;
  const taken = sql`exists (select from ${amlFlags} n where n.user_id = ${flag.userId} and n.rule = ${flag.rule}
    and n.created_at > ${flag.createdAt.toISOString()}::timestamptz and n.created_at <= ${p2pTransfers.createdAt}
    and (n.review_threshold_usd_cents is null or ${threshold}::numeric is null or n.review_threshold_usd_cents = ${threshold}::numeric)
    and ${p2pTransfers.createdAt} > ${flag.judgedAt.toISOString()}::timestamptz)`;
  const covered = and(
    eq(p2pTransfers.senderId, flag.userId),
    gte(p2pTransfers.createdAt, window.since),
    lte(p2pTransfers.createdAt, new Date(until)),
    not(taken),
    window.minUsdCents === undefined ? undefined : gte(p2pTransfers.amountUsdCents, window.minUsdCents),
    window.maxUsdCents === undefined ? undefined : lte(p2pTransfers.amountUsdCents, window.maxUsdCents),
  );
  // Count and total over every covered transfer are window aggregates, taken before the limit cuts the ids.
  const rows = await ctx.db
    .select({
      id: p2pTransfers.id,
      count: sql<number>`(count(*) over ())::int`,
      total: sql<string>`(sum(${p2pTransfers.amountUsdCents}) over ())::text`,
    })
    .from(p2pTransfers)
    .where(covered)
    .orderBy(desc(p2pTransfers.createdAt), desc(p2pTransfers.id))
    .limit(MAX_WINDOW_TRANSFERS_SHOWN);
  return {
    ids: rows.map((row) => row.id).reverse(),
    count: rows[0]?.count ?? 0,
    totalUsdCents: BigInt(rows[0]?.total ?? "0"),
  };
}

/** A page of flags, newest first; `status` open or resolved narrows it. */
export async function listAmlFlags(ctx: MoneyContext, page: { status?: "open" | "resolved"; limit?: number; cursor?: string }) {
  const limit = pageLimit(page.limit);
  const status =
    page.status === undefined ? undefined : page.status === "open" ? isNull(amlFlags.resolvedAt) : isNotNull(amlFlags.resolvedAt);
  const rows = await ctx.db
    .select({
      flag: amlFlags,
      judgedAt: p2pTransfers.createdAt,
      amountUsdCents: p2pTransfers.amountUsdCents,
      recipientId: p2pTransfers.recipientId,
      transferStatus: p2pTransfers.status,
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

/**
 * The admin's view of each flag, by id: the sender's and the resolver's emails, whether the sender is frozen, and the
 * transfers the flag covers.
 */
async function flagViews(ctx: MoneyContext, flags: (FlagRow & Judged)[]): Promise<Map<string, AmlFlag>> {
  const [accounts, covered] = await Promise.all([
    accountsOf(
      ctx.db,
      flags.flatMap((flag) => (flag.resolvedBy ? [flag.userId, flag.resolvedBy] : [flag.userId])),
    ),
    Promise.all(flags.map(async (flag) => [flag.id, await coveredTransfers(ctx, flag)] as const)),
  ]);
  const coveredBy = new Map(covered);
  return new Map(
    flags.map(({ judgedAt, amountUsdCents, transferStatus, reviewThresholdUsdCents, ...flag }) => {
      const { ids, count, totalUsdCents } = coveredBy.get(flag.id) as Covered;
      const view: AmlFlag = {
        ...flag,
        transferStatus,
        reviewThresholdUsd: reviewThresholdUsdCents === null ? null : formatUsdCents(reviewThresholdUsdCents),
        userEmail: accounts.get(flag.userId)?.email ?? "",
        userFrozen: accounts.get(flag.userId)?.frozen ?? false,
        resolvedByEmail: flag.resolvedBy ? (accounts.get(flag.resolvedBy)?.email ?? "") : null,
        windowTransferIds: ids,
        windowTransferCount: count,
        windowTotalUsd: formatUsdCents(totalUsdCents),
        createdAt: flag.createdAt.toISOString(),
        resolvedAt: flag.resolvedAt?.toISOString() ?? null,
      };
      return [flag.id, view];
    }),
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
    // A flag that holds its transfer is resolved by the decision on the transfer, never apart from it.
    if (row.transfer.status === "pending_review" && holdsForReview(row.flag.rule)) {
      throw new AppError(409, "INVALID_STATE", "This flag holds its transfer: approve or reject the transfer, which resolves it");
    }
    // The sender's transfers in flight were judged with this flag open, so raised no flag of their own: moving the
    // sender's version makes each judge again (p2p_send answers 'stale') and flag anew. Waiting for the sender's row
    // lets one that commits first land before the resolution's time, inside what the flag covers.
    await settleSendsInFlight(tx, row.flag.userId);
    const [flag] = await tx
      .update(amlFlags)
      .set({ resolvedAt: sql`clock_timestamp()`, resolvedBy: adminId, resolution: resolution.trim() })
      .where(eq(amlFlags.id, flagId))
      .returning();
    const metadata = { flagId, transferId: flag.transferId, userId: flag.userId, rule: flag.rule, resolution: flag.resolution };
    await recordAudit(tx, [{ userId: adminId, action: "admin.aml_flag_resolved", metadata, ...actor }]);
    const { createdAt: judgedAt, amountUsdCents, recipientId, status: transferStatus } = row.transfer;
    return { ...flag, judgedAt, amountUsdCents, recipientId, transferStatus };
  });
  return (await flagViews(ctx, [resolved])).get(resolved.id) as AmlFlag;
}

/**
 * Resolves the flags that held a transfer once an admin decided it: the decision is what they found. Inside the
 * decision's transaction.
 */
export async function resolveHoldingFlags(tx: DbOrTx, transferId: string, adminId: string, decision: "approved" | "rejected") {
  const holding = AML_RULES.filter((rule) => rule.holdsForReview).map((rule) => rule.name);
  await tx
    .update(amlFlags)
    .set({ resolvedAt: sql`now()`, resolvedBy: adminId, resolution: `Transfer ${decision} in review` })
    .where(and(eq(amlFlags.transferId, transferId), inArray(amlFlags.rule, holding), isNull(amlFlags.resolvedAt)));
}
