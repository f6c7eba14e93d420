/**
 * The tamper-evident audit log. Rows are written inside the transaction of the action they record, and
 * chained per user: hash = SHA-256(previous hash + this row's content).
 */
import { and, asc, desc, eq, lt, sql } from "drizzle-orm";
import { sha256Hex } from "../../platform/crypto";
import { type DbOrTx, queryRows, type Tx } from "../../platform/db/client";
import { enqueueEvents } from "../../platform/events/outbox";
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
export const SYSTEM_CHAIN = "system";

/** Who did it, from where. */
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

/** JSON with object keys sorted at every depth, so Postgres' jsonb key order cannot change a hash. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

export function auditHash(row: HashedFields): string {
  return sha256Hex(
    canonical([
      row.prevHash,
      row.chain,
      row.seq,
      row.userId,
      row.action,
      row.ip,
      row.userAgent,
      row.metadata,
      row.createdAt.toISOString(),
    ]),
  );
}

/**
 * Appends entries to their users' chains in two statements, however many chains: the first takes each
 * chain's head row (locked until commit, in chain order so two transactions never deadlock) and hands
 * back its sequence and hash; the second writes the rows and moves the heads. A call with several
 * entries for one chain does them in rounds, one entry per chain per round.
 */
export async function recordAudit(tx: Tx, entries: AuditEntry[]): Promise<void> {
  const rounds: AuditEntry[][] = [];
  const seen = new Map<string, number>();
  for (const entry of entries) {
    const chain = entry.userId ?? SYSTEM_CHAIN;
    const round = seen.get(chain) ?? 0;
    seen.set(chain, round + 1);
    if (!rounds[round]) rounds[round] = [];
    rounds[round].push(entry);
  }
  for (const round of rounds) await appendRound(tx, round);
}

async function appendRound(tx: Tx, entries: AuditEntry[]): Promise<void> {
  const chains = entries.map((e) => e.userId ?? SYSTEM_CHAIN).sort();
  const heads = await queryRows<{ chain: string; seq: number; prev: string }>(
    tx,
    sql`insert into audit_heads (chain, seq, hash)
        select chain, 1, ${GENESIS_HASH} from unnest(${`{${chains.join(",")}}`}::text[]) with ordinality as c(chain, n) order by n
        on conflict (chain) do update set seq = audit_heads.seq + 1
        returning chain, seq, hash as prev`,
  );
  // Millisecond precision: what is hashed is exactly what is stored.
  const createdAt = new Date();
  const rows = entries.map((entry) => {
    const chain = entry.userId ?? SYSTEM_CHAIN;
    const head = heads.find((h) => h.chain === chain) as { seq: number; prev: string };
    const row: HashedFields = {
      chain,
      seq: head.seq,
      userId: entry.userId,
      action: entry.action,
      ip: entry.ip ?? null,
      userAgent: entry.userAgent ?? null,
      metadata: entry.metadata ?? {},
      createdAt,
      prevHash: head.prev,
    };
    return { ...row, createdAt: createdAt.toISOString(), hash: auditHash(row) };
  });
  await tx.execute(sql`
    with appended as (
      insert into audit_log (chain, seq, user_id, action, ip, user_agent, metadata, created_at, prev_hash, hash)
      select r.chain, r.seq, r."userId", r.action, r.ip, r."userAgent", r.metadata, r."createdAt", r."prevHash", r.hash
      from jsonb_to_recordset(${JSON.stringify(rows)}::jsonb) as r(chain text, seq int, "userId" uuid, action text, ip text, "userAgent" text,
        metadata jsonb, "createdAt" timestamptz, "prevHash" text, hash text)
      returning chain, hash
    )
    update audit_heads set hash = appended.hash from appended where audit_heads.chain = appended.chain`);
  const events = rows
    .filter((row) => row.userId && SECURITY_ACTIONS.has(row.action))
    .map((row) => ({
      userId: row.userId as string,
      type: "security" as const,
      data: { action: row.action, createdAt: row.createdAt },
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

/** Cursor pagination over ids, newest first: the cursor is the last id of the previous page. */
async function page<T>(
  db: DbOrTx,
  filters: ReturnType<typeof and>[],
  limit: number,
  cursor: string | undefined,
  map: (row: typeof auditLog.$inferSelect) => T,
) {
  const before = cursor && /^\d+$/.test(cursor) ? Number(cursor) : undefined;
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

export function searchAudit(db: DbOrTx, query: { userId?: string; action?: string; limit?: number; cursor?: string }) {
  const filters = [
    query.userId ? eq(auditLog.userId, query.userId) : undefined,
    query.action ? eq(auditLog.action, query.action) : undefined,
  ];
  return page(
    db,
    filters,
    query.limit ?? 20,
    query.cursor,
    (row): AdminAuditEvent => ({
      ...toEvent(row),
      userId: row.userId,
      chain: row.chain,
      seq: row.seq,
      prevHash: row.prevHash,
      hash: row.hash,
    }),
  );
}

export type ChainProblem = { chain: string; id: number; seq: number; problem: string };

/**
 * Walks every chain in order and names the first broken row of each: a gap in the sequence, a link
 * that does not match the previous hash, or a hash that does not match the row's content.
 */
export async function verifyAuditChains(
  db: DbOrTx,
  batch = 1000,
): Promise<{ rows: number; chains: number; problems: ChainProblem[] }> {
  const problems: ChainProblem[] = [];
  const chains = new Set<string>();
  let rows = 0;
  let state: { chain: string; seq: number; hash: string; broken: boolean } | undefined;
  let after: { chain: string; seq: number } | undefined;
  for (;;) {
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
  }
  return { rows, chains: chains.size, problems };
}
