/**
 * P2P transfers: recipient by email, no fee, daily USD limit, AML screening. Small transfers complete at
 * once; flagged ones wait with the sender's funds held until an admin approves or rejects them (review.ts).
 */
import { sql, TransactionRollbackError } from "drizzle-orm";
import { type DbOrTx, type DbTransaction, queryRows } from "../../platform/db/client";
import { AppError, notFound } from "../../platform/http/errors";
import {
  type IdempotentRequest,
  idempotencyInProgress,
  keepRefusal,
  ledgerKeyOf,
  replayStored,
  requestFingerprint,
  type StoredAnswer,
  storedResponse,
} from "../../platform/idempotency";
import { formatAmount } from "../../platform/money";
import { type Actor, auditAppendArgument } from "../audit/service";
import { assertNotFrozen, assertWithdrawalsUnlocked } from "../identity/guards";
import { normalizeEmail } from "../identity/service";
import { assertSecondFactorGiven, spendSecondFactor } from "../identity/two-factor";
import { parseAssetAmount, precisionOf } from "../ledger/assets";
import { type MoneyContext, noCurrentPrice, valueInUsdCentsIfPriced } from "../ledger/money-context";
import { assertAvailable, availableBalanceSql, keyMovedMoneyBefore, movedMoneyUnderSql, userAccount } from "../ledger/service";
import { type HistoryRow, toTx } from "../transactions/service";
import { amlWindows, type RuleWindow, screenTransfer } from "./aml";
import { assertWithinLimit, limitView, utcDayStart } from "./limits";
import type { Limit, P2pRequest, Transfer } from "./model";
import { p2pSenders, type p2pTransfers } from "./schema";

export type TransferRow = typeof p2pTransfers.$inferSelect;

export function toTransfer(ctx: MoneyContext, row: TransferRow, recipientEmail: string): Transfer {
  const precision = precisionOf(ctx.config, row.asset);
  return {
    id: row.id,
    asset: row.asset,
    amount: formatAmount(row.amount, precision),
    recipientEmail,
    note: row.note,
    status: row.status,
    // Only where an admin gave one: the objects of API.md keep their documented fields otherwise.
    ...(row.rejectionReason === null ? {} : { rejectionReason: row.rejectionReason }),
    createdAt: row.createdAt.toISOString(),
  };
}

export async function p2pLimit(ctx: MoneyContext, userId: string): Promise<Limit> {
  const [row] = await queryRows<{ used: string }>(ctx.db, sql`select ${usedTodaySql(userId, utcDayStart())} as used`);
  return limitView("p2p", ctx.config.p2pDailyLimitUsdCents, BigInt(row.used));
}

type SenderFacts = {
  recipient: { id: string; email: string } | null;
  /**
   * `lockedUntil`: the end of the pause after a security change (JSON time), or null. `frozen` as read with the
   * facts: the session's standing, read before, may predate a freeze (settleSendsInFlight).
   */
  sender: { email: string; lockedUntil: string | null; twoFactor: boolean; frozen: boolean } | null;
  previous: StoredAnswer | null;
  /** Whether the key moved money before: its answer, kept a day, is gone, and it may not move money again. */
  spent: boolean;
  /** The sender's available balance of the asset sent, minor units as text. */
  available: string;
  /** The sender's p2p_senders version the facts were read at (0 before the first transfer). */
  version: number;
  /** USD cents of the sender's transfers today (UTC) that count against the daily limit, as text. */
  usedToday: string;
  /** How many earlier transfers of the sender each AML window holds, in the windows' order. */
  earlier: number[];
  /** Whether the sender has an unresolved flag of each window's rule raised within it, in the windows' order. */
  openFlags: boolean[];
};

/** The sender's running total for the daily limit (kept by p2p_send), as text: "0" when it is of an earlier day. */
const usedTodaySql = (senderId: string, dayStart: Date) =>
  sql`coalesce((select day_total_usd_cents from p2p_senders
    where sender_id = ${senderId} and day = ${dayStart.toISOString().slice(0, 10)}::date), 0)::text`;

/** How many earlier transfers of the sender each window holds, as one SQL JSON array; each count stops at its `upTo`. */
function earlierCountsSql(senderId: string, windows: RuleWindow[]) {
  const counts = windows.map(
    ({ window: w }) =>
      sql`(select count(*) from (select from p2p_transfers t where t.sender_id = ${senderId}
        and t.created_at >= ${w.since.toISOString()}::timestamptz${w.minUsdCents === undefined ? sql`` : sql` and t.amount_usd_cents >= ${w.minUsdCents.toString()}::numeric`}${w.maxUsdCents === undefined ? sql`` : sql` and t.amount_usd_cents <= ${w.maxUsdCents.toString()}::numeric`}${w.upTo === undefined ? sql`` : sql` limit ${w.upTo}`}) w)`,
  );
  return sql`json_build_array(${sql.join(counts, sql`, `)})`;
}

/**
 * Per window, whether the sender has an unresolved flag of its rule raised since the window's start and judged
 * against the same review threshold (another threshold draws another pattern; a flag from before thresholds were
 * kept counts as the same), as one SQL JSON array.
 */
function openFlagsSql(senderId: string, windows: RuleWindow[], reviewThresholdUsdCents: bigint) {
  const open = windows.map(
    ({ rule, window }) =>
      sql`exists (select from aml_flags f where f.user_id = ${senderId} and f.rule = ${rule}
        and f.resolved_at is null and f.created_at >= ${window.since.toISOString()}::timestamptz
        and (f.review_threshold_usd_cents = ${reviewThresholdUsdCents.toString()}::numeric or f.review_threshold_usd_cents is null))`,
  );
  return sql`json_build_array(${sql.join(open, sql`, `)})`;
}

/** What the counting rules judge a transfer on, from the facts read for their windows (in the windows' order). */
function screeningFacts(windows: RuleWindow[], facts: { earlier: number[]; openFlags: boolean[] }) {
  return {
    earlier: Object.fromEntries(windows.map(({ rule }, i) => [rule, facts.earlier[i]])),
    openFlags: windows.filter((_, i) => facts.openFlags[i]).map(({ rule }) => rule),
  };
}

/**
 * The sender's earlier transfers and open flags in each rule's window, read as the transfer path reads them: the seam
 * through which tests/aml.test.ts checks the windows' SQL.
 */
export async function readScreeningFacts(db: DbOrTx, senderId: string, windows: RuleWindow[], reviewThresholdUsdCents: bigint) {
  const [row] = await queryRows<{ earlier: number[]; openFlags: boolean[] }>(
    db,
    sql`select ${earlierCountsSql(senderId, windows)} as earlier,
      ${openFlagsSql(senderId, windows, reviewThresholdUsdCents)} as "openFlags"`,
  );
  return screeningFacts(windows, row);
}

/** Everything a transfer is judged on, in one statement. */
async function readFacts(
  db: DbOrTx,
  senderId: string,
  request: { email: string; key: string; asset: string; dayStart: Date; windows: RuleWindow[]; reviewThresholdUsdCents: bigint },
): Promise<SenderFacts> {
  const { email, key, asset } = request;
  const [row] = await queryRows<{ facts: SenderFacts }>(
    db,
    sql`select json_build_object(
      'recipient', (select json_build_object('id', id, 'email', email) from users where email = ${email}),
      'sender', (select json_build_object('email', email, 'lockedUntil', withdrawals_locked_until, 'twoFactor', totp_secret is not null,
                                          'frozen', frozen_at is not null)
                 from users where id = ${senderId}),
      'previous', (select json_build_object('request_hash', request_hash, 'response_status', response_status, 'response_body', response_body)
                   from idempotency_keys where user_id = ${senderId} and key = ${key}),
      'spent', ${movedMoneyUnderSql(ledgerKeyOf({ userId: senderId, key }))},
      'available', ${availableBalanceSql(senderId, asset)},
      'version', coalesce((select version from p2p_senders where sender_id = ${senderId}), 0),
      'usedToday', ${usedTodaySql(senderId, request.dayStart)},
      'earlier', ${earlierCountsSql(senderId, request.windows)},
      'openFlags', ${openFlagsSql(senderId, request.windows, request.reviewThresholdUsdCents)}
    ) as facts`,
  );
  return row.facts;
}

/** The lock p2p_send takes too: one sender's transfers are judged against the limit one at a time. */
const senderLock = (senderId: string) => sql`select p2p_sender_lock(${senderId}::uuid)`;

/**
 * For a freeze, in its transaction before it writes: a send of `userId` already writing (holding the sender's row)
 * commits before the freeze does, and one judged earlier but not yet written finds the sender's version moved on,
 * is judged again under the sender's lock, and sees the freeze (403). No send of a frozen user commits after the
 * freeze has answered. The row is made for a sender who never sent, whose first send would otherwise not notice.
 */
export async function settleSendsInFlight(tx: DbTransaction, userId: string): Promise<void> {
  await tx
    .insert(p2pSenders)
    .values({ senderId: userId, version: 1 })
    .onConflictDoUpdate({ target: p2pSenders.senderId, set: { version: sql`${p2pSenders.version} + 1` } });
}

const STALE = Symbol("stale");

/**
 * POST /api/transfers/p2p, idempotent, in two round trips — the platform's hottest write path. The facts
 * are read, limits and AML judged here, and p2p_send (drizzle/0029, first written in 0015) writes everything under the key's and
 * the sender's locks. If another transfer of the sender landed in between, p2p_send declines ('stale') and
 * the transfer is judged again in a transaction that takes the sender's lock before reading. A rule's
 * refusal (INSUFFICIENT_FUNDS, a limit, …) is kept as the key's answer, as a success is.
 */
export async function sendP2p(ctx: MoneyContext, req: IdempotentRequest & { body: P2pRequest }, actor: Actor): Promise<Response> {
  const hash = requestFingerprint(req.request, req.body);
  try {
    const first = await attemptP2p(ctx, ctx.db, req, hash, actor);
    if (first !== STALE) return first;
    return await ctx.db.transaction(async (tx) => {
      await tx.execute(senderLock(req.userId));
      const locked = await attemptP2p(ctx, tx, req, hash, actor);
      if (locked === STALE) throw new Error("p2p_send: the sender's transfers changed under the sender's lock");
      return locked;
    });
  } catch (error) {
    await keepRefusal(ctx.db, req, hash, error);
    throw error;
  }
}

type P2pOutcome = {
  outcome: "done" | "replay" | "busy" | "stale";
  stored_hash: string;
  stored_status: number;
  stored_body: string;
};

async function attemptP2p(
  ctx: MoneyContext,
  db: DbOrTx,
  req: IdempotentRequest & { body: P2pRequest },
  hash: string,
  actor: Actor,
): Promise<Response | typeof STALE> {
  const { body } = req;
  const now = new Date();
  const { asset, units } = parseAssetAmount(ctx.config, body.asset, body.amount);
  // Valued before the facts are read, since only a near-threshold amount has its AML band counted. Without
  // a price nothing is counted: the transfer answers 503 after the replay and recipient checks, as ever.
  const amountUsdCents = valueInUsdCentsIfPriced(ctx, asset.symbol, units);
  const reviewThresholdUsdCents = ctx.config.amlReviewThresholdUsdCents;
  const aml = amountUsdCents === null ? [] : amlWindows({ amountUsdCents, now, reviewThresholdUsdCents });
  const email = normalizeEmail(body.recipientEmail);
  const facts = await readFacts(db, req.userId, {
    email,
    key: req.key,
    asset: asset.symbol,
    dayStart: utcDayStart(now),
    windows: aml,
    reviewThresholdUsdCents,
  });
  const { recipient, sender } = facts;
  if (!sender) throw notFound("User");
  assertNotFrozen(sender);
  // Money sent to another user leaves the account as a withdrawal does: paused after a security change
  // (someone who took the account over could otherwise empty it at once), and refused before a replay.
  assertWithdrawalsUnlocked({ withdrawalsLockedUntil: sender.lockedUntil ? new Date(sender.lockedUntil) : null });
  if (facts.previous) return replayStored(facts.previous, hash);
  if (facts.spent) throw keyMovedMoneyBefore();
  // API.md asks a code only of withdrawals; with 2FA on, a transfer to another user takes one too, or a stolen
  // session could send everything to an accomplice, who withdraws it. After the replay: a retry is answered as first.
  // Asked for here; spent with the transfer, after its rules (writeSpendingSecondFactor).
  assertSecondFactorGiven(sender, body.code, "send");

  if (!recipient) throw new AppError(422, "RECIPIENT_NOT_FOUND", "No CryptoVault account has this email");
  if (recipient.id === req.userId) throw new AppError(422, "SELF_TRANSFER", "You cannot send to yourself");
  assertAvailable(asset.symbol, BigInt(facts.available), units);
  await ctx.ledger.openAccounts(ctx.db, [
    userAccount(req.userId, asset.symbol, "available"),
    userAccount(req.userId, asset.symbol, "held"),
    userAccount(recipient.id, asset.symbol, "available"),
  ]);
  if (amountUsdCents === null) throw noCurrentPrice(asset.symbol);
  assertWithinLimit("p2p", ctx.config.p2pDailyLimitUsdCents, BigInt(facts.usedToday), amountUsdCents);
  const screening = screenTransfer({
    amountUsdCents,
    now,
    reviewThresholdUsdCents,
    ...screeningFacts(aml, facts),
  });
  const review = screening.decision === "review";
  // Each flag keeps the threshold it was judged with: its window is drawn with it when an admin looks.
  const flags = screening.flags.map((flag) => ({ ...flag, reviewThresholdUsdCents: reviewThresholdUsdCents.toString() }));

  const row: TransferRow = {
    id: crypto.randomUUID(),
    senderId: req.userId,
    recipientId: recipient.id,
    asset: asset.symbol,
    amount: units,
    amountUsdCents,
    // A blank note is no note, as null is; any other is kept as written (the export guards what it starts with).
    note: body.note?.trim() ? body.note : null,
    status: review ? "pending_review" : "completed",
    reviewedBy: null,
    reviewedAt: null,
    rejectionReason: null,
    createdAt: now,
  };
  // API.md: both users see the transfer live, a held one too: the recipient's row waits with its status.
  const history = [
    historyRow({ ...sentRow(row, recipient.email), id: crypto.randomUUID(), createdAt: now }),
    historyRow({ ...receivedRow(row, sender.email), id: crypto.randomUUID(), createdAt: now }),
  ];
  const events = history.map((h) => ({ userId: h.userId, type: "transaction" as const, data: toTx(ctx.config, h) }));
  const meta = { transferId: row.id, asset: asset.symbol, amount: formatAmount(units, asset.precision), status: row.status };
  const audit = auditAppendArgument(
    [
      { userId: row.senderId, action: "transfer.sent", metadata: { ...meta, to: recipient.email }, ...actor },
      ...(review ? [] : [{ userId: recipient.id, action: "transfer.received", metadata: { ...meta, from: sender.email } }]),
    ],
    now,
  );
  const answer = JSON.stringify({ transfer: toTransfer(ctx, row, recipient.email) });
  const posting = {
    kind: review ? "p2p_hold" : "p2p",
    idempotencyKey: ledgerKeyOf(req),
    legs: [
      {
        from: userAccount(row.senderId, asset.symbol, "available"),
        to: review ? userAccount(row.senderId, asset.symbol, "held") : userAccount(recipient.id, asset.symbol, "available"),
        amount: units,
      },
    ],
  };
  const made = ([result]: P2pOutcome[]) => result.outcome === "done";
  const write = (on: DbOrTx) =>
    ctx.ledger.postWithin(
      on,
      posting,
      (ledgerPostArgs) =>
        queryRows<P2pOutcome>(
          on,
          sql`select * from p2p_send(${req.userId}::uuid, ${req.key}, ${hash}, 201, ${answer},
          ${facts.version}::bigint,
          ${toJson(row)}::jsonb, ${JSON.stringify(flags)}::jsonb, ${toJson(history)}::jsonb, ${JSON.stringify(events)}::jsonb,
          ${audit}::jsonb, ${asset.precision}::int, ${ledgerPostArgs})`,
        ),
      made,
    );
  const { rows } = sender.twoFactor
    ? await writeSpendingSecondFactor(
        db,
        async (tx) => {
          // The sender's lock before the user's row (the code's), as the locked retry and p2p_send take them: a
          // send holding the row while it waits for the lock would deadlock with the retry, which holds the lock.
          await tx.execute(senderLock(req.userId));
          await spendSecondFactor(ctx.identity, tx, { id: req.userId, twoFactor: true }, body.code);
        },
        write,
        (written) => made(written.rows),
      )
    : await write(db);
  const [result] = rows;
  if (result.outcome === "done") return storedResponse(201, answer, false);
  if (result.outcome === "replay")
    return replayStored(
      { request_hash: result.stored_hash, response_status: result.stored_status, response_body: result.stored_body },
      hash,
    );
  if (result.outcome === "busy") throw idempotencyInProgress();
  return STALE;
}

/**
 * Spends the sender's second factor and writes the transfer in one transaction (a savepoint in the locked retry's),
 * kept only when the transfer was `made`: a replay, a busy key or a stale judgement leaves the code unspent, for the
 * retry or the request that answers it.
 */
async function writeSpendingSecondFactor<T>(
  db: DbOrTx,
  spend: (tx: DbTransaction) => Promise<void>,
  write: (tx: DbTransaction) => Promise<T>,
  made: (written: T) => boolean,
): Promise<T> {
  let written: T | undefined;
  try {
    await db.transaction(async (tx) => {
      await spend(tx);
      written = await write(tx);
      if (!made(written)) tx.rollback();
    });
  } catch (error) {
    if (!(error instanceof TransactionRollbackError) || written === undefined) throw error;
  }
  return written as T;
}

/** JSON for the database: bigints as decimal strings. */
const toJson = (value: unknown) => JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v));

const historyRow = (row: Omit<HistoryRow, "createdAt" | "id"> & { id: string; createdAt: Date }): HistoryRow => row;

const sentRow = (row: TransferRow, recipientEmail: string) => ({
  userId: row.senderId,
  type: "transfer_out" as const,
  asset: row.asset,
  amount: row.amount,
  fee: 0n,
  status: row.status,
  direction: "out" as const,
  counterparty: recipientEmail,
  reference: row.id,
  note: row.note,
  rejectionReason: null,
});

/** The recipient's history row of a transfer. */
export const receivedRow = (row: TransferRow, senderEmail: string) => ({
  userId: row.recipientId,
  type: "transfer_in" as const,
  asset: row.asset,
  amount: row.amount,
  fee: 0n,
  status: row.status,
  direction: "in" as const,
  counterparty: senderEmail,
  reference: row.id,
  note: row.note,
  // A rejection's reason is told to the sender, never to the recipient (followTransfer).
  rejectionReason: null,
});
