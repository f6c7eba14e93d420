/** The AML flags' list for admins: each flag with the transfers its rule judged. */
import { and, desc, eq, gte, lte } from "drizzle-orm";
import { after, decodeCursor, pageOf } from "../../platform/pagination";
import { emailsOf } from "../identity/service";
import type { MoneyContext } from "../ledger/money-context";
import { AML_RULES } from "./aml";
import { amlFlags, p2pTransfers } from "./schema";

/** At most this many of a window's transfers are named on its flag: enough to investigate, never a flood. */
const MAX_WINDOW_TRANSFERS_SHOWN = 100;

type FlagRow = typeof amlFlags.$inferSelect;
/** What the flagged transfer was judged on: its time and its USD value. */
type Judged = { judgedAt: Date; amountUsdCents: bigint };

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

export async function listAmlFlags(ctx: MoneyContext, page: { limit?: number; cursor?: string }) {
  const limit = page.limit ?? 20;
  const rows = await ctx.db
    .select({ flag: amlFlags, judgedAt: p2pTransfers.createdAt, amountUsdCents: p2pTransfers.amountUsdCents })
    .from(amlFlags)
    .innerJoin(p2pTransfers, eq(p2pTransfers.id, amlFlags.transferId))
    .where(after(amlFlags.createdAt, amlFlags.id, decodeCursor(page.cursor)))
    .orderBy(desc(amlFlags.createdAt), desc(amlFlags.id))
    .limit(limit + 1);
  const flags = rows.map(({ flag, ...judged }) => ({ ...flag, ...judged }));
  const shown = flags.slice(0, limit);
  const [emails, windows] = await Promise.all([
    emailsOf(
      ctx.db,
      shown.map((flag) => flag.userId),
    ),
    Promise.all(shown.map(async (flag) => [flag.id, await windowTransferIds(ctx, flag)] as const)),
  ]);
  const windowOf = new Map(windows);
  return pageOf(flags, limit, ({ judgedAt, amountUsdCents, ...flag }) => ({
    ...flag,
    userEmail: emails.get(flag.userId) ?? "",
    windowTransferIds: windowOf.get(flag.id) ?? [flag.transferId],
    createdAt: flag.createdAt.toISOString(),
  }));
}
