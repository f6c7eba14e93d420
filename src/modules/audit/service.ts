/**
 * The tamper-evident audit log. Rows are written inside the transaction of the action they record, and
 * chained per user: hash = SHA-256(previous hash + this row's content).
 */
import { and, asc, desc, eq, like, lt, sql } from "drizzle-orm";
import { canonicalJson, sha256Hex } from "../../platform/crypto";
import { type DbOrTx, type DbTransaction, queryRows } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
import { invalidCursor, pageLimit } from "../../platform/pagination";
import { accountsOf } from "../identity/accounts";
import type { AdminAuditEvent, AuditEvent } from "./model";
import { auditLog } from "./schema";

export const GENESIS_HASH = "0".repeat(64);

/**
 * Audit actions that also go to the user's open sockets as a `security` frame, so another tab or device
 * learns at once that the account's security changed.
 */
const SECURITY_ACTIONS = new Set([
  "auth.login",
  "auth.password_changed",
  "auth.password_reset",
  "auth.2fa_enabled",
  "auth.2fa_disabled",
  "auth.refresh_reused",
  "auth.logout",
  "session.revoked",
]);
/**
 * An admin's change to a user's standing, sent live to that user: the open app then shows the freeze, or the admin
 * pages, at once. Only the user's own row is sent; the admin's row of the same action names the user it changed.
 */
const STANDING_ACTIONS = new Set(["admin.user_frozen", "admin.user_unfrozen", "admin.user_promoted", "admin.user_demoted"]);
const sentLive = (entry: AuditEntry) =>
  SECURITY_ACTIONS.has(entry.action) || (STANDING_ACTIONS.has(entry.action) && entry.metadata?.targetUserId === undefined);
export const SYSTEM_CHAIN = "system";

/**
 * Who did it, from where. Only the row of the user who made the request carries it: a row written into
 * another user's log (a transfer received, an admin's decision) has none, since the IP and device are the
 * other party's.
 */
export type Actor = { ip?: string | null; userAgent?: string | null };
export type AuditEntry = { userId: string | null; action: string; metadata?: Record<string, unknown> } & Actor;

type HashedFields = {
  chain: string;
  seq: number;
  userId: string | null;
  action: string;
  ip: string | null;
  userAgent: string | null;
  metadata: Record<string, unknown>;
  createdAt: Date;
  prevHash: string;
};

/**
 * What a row's hash covers after its chain position: canonical JSON of [userId, action, ip, userAgent,
 * metadata, createdAt] without the opening bracket. The writer knows it before it holds the chain's head.
 */
function auditTail(row: Omit<HashedFields, "chain" | "seq" | "prevHash">): string {
  return canonicalJson([row.userId, row.action, row.ip, row.userAgent, row.metadata, row.createdAt.toISOString()]).slice(1);
}

/** SHA-256 of canonical [prevHash, chain, seq, ...tail]: the same text audit_append (SQL) hashes when it writes. */
export function auditHash(row: HashedFields): string {
  return sha256Hex(`[${canonicalJson(row.prevHash)},${canonicalJson(row.chain)},${row.seq},${auditTail(row)}`);
}

/**
 * The argument of audit_append (drizzle/0015): the entries with their chain and hash tail. Stamped with
 * one time at millisecond precision, so what is hashed is exactly what is stored.
 */
export function auditAppendArgument(entries: AuditEntry[], createdAt = new Date()): string {
  return JSON.stringify(
    entries.map((entry) => {
      const row = {
        userId: entry.userId,
        action: entry.action,
        ip: entry.ip ?? null,
        userAgent: entry.userAgent ?? null,
        metadata: entry.metadata ?? {},
        createdAt,
      };
      return { ...row, chain: entry.userId ?? SYSTEM_CHAIN, createdAt: createdAt.toISOString(), tail: auditTail(row) };
    }),
  );
}

/**
 * Appends entries to their users' chains in one statement (audit_append takes each chain's head row,
 * locked until commit, and computes the hashes), and sends security actions (and standing changes) to the user's sockets.
 */
export async function recordAudit(tx: DbTransaction, entries: AuditEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const createdAt = new Date();
  await tx.execute(sql`select audit_append(${auditAppendArgument(entries, createdAt)}::jsonb)`);
  const events = entries
    .filter((entry) => entry.userId && sentLive(entry))
    .map((entry) => ({
      userId: entry.userId as string,
      type: "security" as const,
      data: { action: entry.action, createdAt: createdAt.toISOString() },
    }));
  await enqueueEvents(tx, events);
}

const toEvent = (row: typeof auditLog.$inferSelect): AuditEvent => ({
  id: String(row.id),
  action: row.action,
  ip: row.ip,
  userAgent: row.userAgent,
  metadata: row.metadata,
  createdAt: row.createdAt.toISOString(),
});

/**
 * The audit list's cursor is the last id of the previous page, written as String(id) issues it: a positive
 * safe integer without leading zeros. Anything else is refused before it reaches SQL, where a number past
 * bigint would be an error and text would quietly mean "from the start".
 */
function decodeAuditCursor(cursor: string | undefined): number | undefined {
  if (cursor === undefined) return undefined;
  const id = /^[1-9][0-9]*$/.test(cursor) ? Number(cursor) : Number.NaN;
  if (!Number.isSafeInteger(id)) throw invalidCursor();
  return id;
}

/** Cursor pagination over ids, newest first: the cursor is the last id of the previous page. */
async function page<T>(
  db: DbOrTx,
  filters: ReturnType<typeof and>[],
  limit: number,
  cursor: string | undefined,
  map: (row: typeof auditLog.$inferSelect) => T,
) {
  const before = decodeAuditCursor(cursor);
  const rows = await db
    .select()
    .from(auditLog)
    .where(and(...filters, before === undefined ? undefined : lt(auditLog.id, before)))
    .orderBy(desc(auditLog.id))
    .limit(limit + 1);
  const items = rows.slice(0, limit).map(map);
  return { items, nextCursor: rows.length > limit ? String(rows[limit - 1].id) : null };
}

export function listUserAudit(db: DbOrTx, userId: string, limit = 20, cursor?: string) {
  return page(db, [eq(auditLog.userId, userId)], limit, cursor, toEvent);
}

/** One action, or a family written as API.md writes it (`admin.*`: every action starting `admin.`). */
function actionIs(action: string) {
  if (!action.endsWith(".*")) return eq(auditLog.action, action);
  const prefix = action.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`);
  return like(auditLog.action, `${prefix}%`);
}

/**
 * Every user's events for an admin, filtered. Each names its user by email too (`userEmail`, the account's email
 * now; null for the platform's own rows), so an admin reads who without looking ids up.
 */
export async function searchAudit(db: DbOrTx, query: { userId?: string; action?: string; limit?: number; cursor?: string }) {
  const filters = [
    query.userId ? eq(auditLog.userId, query.userId) : undefined,
    query.action ? actionIs(query.action) : undefined,
  ];
  const found = await page(db, filters, pageLimit(query.limit), query.cursor, (row) => row);
  const accounts = await accountsOf(
    db,
    found.items.flatMap((row) => (row.userId ? [row.userId] : [])),
  );
  return {
    nextCursor: found.nextCursor,
    items: found.items.map(
      (row): AdminAuditEvent => ({
        ...toEvent(row),
        userId: row.userId,
        userEmail: row.userId ? (accounts.get(row.userId)?.email ?? null) : null,
        chain: row.chain,
        seq: row.seq,
        prevHash: row.prevHash,
        hash: row.hash,
      }),
    ),
  };
}

/**
 * One break in a chain: the first wrong row (`id`, `seq`), or, where the chain's newest rows are gone, the
 * first missing `seq` with no row (`id` null).
 */
export type ChainProblem = { chain: string; id: number | null; seq: number; problem: string };

/**
 * Walks every chain in order and names the first broken row of each: a gap in the sequence, a link
 * that does not match the previous hash, or a hash that does not match the row's content. Then holds
 * each chain's newest row against its audit_heads entry, since a deleted newest row leaves no gap to walk into.
 */
export async function verifyAuditChains(
  db: DbOrTx,
  {
    batch = 1000,
    signal,
    pace,
  }: {
    batch?: number;
    /** Stops the walk between batches (the check is then thrown away: AbortError). */
    signal?: AbortSignal;
    /** Awaited after each batch with the ms it took: a server's background check gives its requests room. */
    pace?: (batchMs: number) => Promise<void>;
  } = {},
): Promise<{ rows: number; chains: number; problems: ChainProblem[] }> {
  const problems: ChainProblem[] = [];
  const chains = new Set<string>();
  let rows = 0;
  let state: { chain: string; seq: number; hash: string; broken: boolean } | undefined;
  let after: { chain: string; seq: number } | undefined;
  for (;;) {
    signal?.throwIfAborted();
    const started = performance.now();
    const chunk = await db
      .select()
      .from(auditLog)
      .where(after ? sql`(${auditLog.chain}, ${auditLog.seq}) > (${after.chain}, ${after.seq})` : undefined)
      .orderBy(asc(auditLog.chain), asc(auditLog.seq))
      .limit(batch);
    for (const row of chunk) {
      rows += 1;
      chains.add(row.chain);
      if (!state || state.chain !== row.chain) state = { chain: row.chain, seq: 0, hash: GENESIS_HASH, broken: false };
      if (!state.broken) {
        const problem =
          row.seq !== state.seq + 1
            ? `sequence jumps from ${state.seq} to ${row.seq} (a row is missing)`
            : row.prevHash !== state.hash
              ? "prev_hash does not match the previous row's hash"
              : auditHash(row) !== row.hash
                ? "hash does not match the row's content (the row was changed)"
                : undefined;
        if (problem) {
          problems.push({ chain: row.chain, id: row.id, seq: row.seq, problem });
          state.broken = true;
        }
      }
      state.seq = row.seq;
      state.hash = row.hash;
    }
    if (chunk.length < batch) break;
    const last = chunk[chunk.length - 1];
    after = { chain: last.chain, seq: last.seq };
    await pace?.(performance.now() - started);
  }
  problems.push(...(await headProblems(db)));
  return { rows, chains: chains.size, problems };
}

/** Each broken chain's first break, a line each, as `audit:verify` prints them. */
export const auditFindings = (report: { problems: ChainProblem[] }) =>
  report.problems.map(
    ({ chain, id, seq, problem }) => `BROKEN chain=${chain}${id === null ? "" : ` row id=${id}`} seq=${seq}: ${problem}`,
  );

type HeadMismatch = {
  chain: string;
  head_seq: number | null;
  head_hash: string | null;
  id: string | null;
  seq: number | null;
  hash: string | null;
};

/**
 * Chains whose newest row is not the one audit_heads records (audit_append moves both in one transaction),
 * read in one statement so that a concurrent append is seen on both sides or on neither.
 */
async function headProblems(db: DbOrTx): Promise<ChainProblem[]> {
  const mismatches = await queryRows<HeadMismatch>(
    db,
    sql`select coalesce(h.chain, l.chain) as chain, h.seq as head_seq, h.hash as head_hash,
               l.id::text as id, l.seq, l.hash
          from audit_heads h
          full join (select distinct on (chain) chain, id, seq, hash from audit_log order by chain, seq desc) l
            on l.chain = h.chain
         where h.seq is distinct from l.seq or h.hash is distinct from l.hash
         order by 1`,
  );
  return mismatches.map(headProblem);
}

/** What a mismatch means: newest rows deleted, rows written around audit_append, or the newest row replaced. */
function headProblem(m: HeadMismatch): ChainProblem {
  if (m.head_seq === null)
    return {
      chain: m.chain,
      id: Number(m.id),
      seq: Number(m.seq),
      problem: `audit_heads has no entry for this chain, whose rows go on to seq ${m.seq}: rows beyond the head`,
    };
  const recorded = `audit_heads records seq ${m.head_seq} (hash ${m.head_hash})`;
  if (m.id === null || m.seq === null)
    return { chain: m.chain, id: null, seq: 1, problem: `${recorded}, but the chain has no rows: ${missingRows(1, m.head_seq)}` };
  const newest = { chain: m.chain, id: Number(m.id), seq: m.seq };
  if (m.seq < m.head_seq)
    return {
      chain: m.chain,
      id: null,
      seq: m.seq + 1,
      problem: `${recorded}, but the newest row is seq ${m.seq}: ${missingRows(m.seq + 1, m.head_seq)}`,
    };
  if (m.seq > m.head_seq) return { ...newest, problem: `${recorded}, but rows go on to seq ${m.seq}: rows beyond the head` };
  return { ...newest, problem: `${recorded}, but the newest row's hash is ${m.hash} (the row was replaced)` };
}

const missingRows = (from: number, to: number) => (from === to ? `row ${from} is missing` : `rows ${from} to ${to} are missing`);
