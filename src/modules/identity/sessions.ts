/**
 * Sessions and their tokens. A session row is the thing that lives; access tokens name it, and the
 * refresh token (256 random bits, stored as SHA-256) is rotated on every use. A rotated token presented
 * again means it was stolen: the whole session is revoked.
 */
import { and, desc, eq, gt, inArray, isNull, ne, sql } from "drizzle-orm";
import { randomToken, sha256Hex } from "../../platform/crypto";
import { type Db, type DbOrTx, type DbTransaction, queryRows } from "../../platform/db/client";
import {
  accessClaimsOf,
  type PresentedToken,
  REFRESH_TOKEN_SECONDS,
  type Role,
  type Standing,
  unauthenticated,
} from "../../platform/http/auth";
import { AppError, notFound } from "../../platform/http/errors";
import { type VerifyToken, verifyOnce } from "../../platform/http/verified-tokens";
import { isUuid } from "../../platform/ids";
import { type Actor, recordAudit } from "../audit/service";
import type { Session } from "./model";
import { refreshTokens, sessions, users } from "./schema";
import { lockUser } from "./user-lock";

/** A session unused this long is over (a Postgres interval: every check reads the database's clock). */
const IDLE_LIMIT = "7 days";
/** last_seen_at is written at most this often per session, not on every request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;

/** SQL: the session is neither revoked nor past its absolute or idle limit. */
const sessionIsLive = () =>
  and(
    isNull(sessions.revokedAt),
    gt(sessions.expiresAt, sql`now()`),
    gt(sessions.lastSeenAt, sql`now() - ${IDLE_LIMIT}::interval`),
  );

/** `sessionEndsAt`: the session's absolute end (REFRESH_TOKEN_SECONDS from sign-in), whatever refreshes it sees. */
export type NewSession = { sessionId: string; refreshToken: string; sessionEndsAt: Date };

export async function createSession(
  tx: DbTransaction,
  userId: string,
  ip: string | null,
  userAgent: string | null,
): Promise<NewSession> {
  const [session] = await tx
    .insert(sessions)
    .values({ userId, ip, userAgent, expiresAt: new Date(Date.now() + REFRESH_TOKEN_SECONDS * 1000) })
    .returning({ id: sessions.id, expiresAt: sessions.expiresAt });
  const refreshToken = randomToken(32);
  await tx.insert(refreshTokens).values({ tokenHash: sha256Hex(refreshToken), sessionId: session.id });
  return { sessionId: session.id, refreshToken, sessionEndsAt: session.expiresAt };
}

/** Whether this user has signed in before from this IP and browser (for the new-sign-in mail). */
export async function isKnownDevice(db: DbOrTx, userId: string, ip: string | null, userAgent: string | null): Promise<boolean> {
  // One query: any earlier session at all, and one from the same place. The very first sign-in is not news.
  const [row] = await queryRows<{ earlier: boolean; same: boolean }>(
    db,
    sql`select exists (select 1 from sessions where user_id = ${userId}) as earlier,
               exists (select 1 from sessions where user_id = ${userId}
                       and ip is not distinct from ${ip} and user_agent is not distinct from ${userAgent}) as same`,
  );
  return !row.earlier || row.same;
}

/**
 * The check behind every authenticated request: the session exists, belongs to the token's user, is
 * neither revoked nor past its absolute or idle limit. One indexed query; a rare write for last-seen.
 */
export async function resolveSession(db: Db, userId: string, sessionId: string): Promise<Standing | null> {
  if (!isUuid(sessionId) || !isUuid(userId)) return null;
  // Raw SQL: this runs on every authenticated request, and the query builder costs more than the query.
  const [row] = await queryRows<{ role: Role; verified: boolean; frozen: boolean; last_seen_at: Date | string }>(
    db,
    sql`select u.role, u.email_verified_at is not null as verified, u.frozen_at is not null as frozen, s.last_seen_at
        from sessions s join users u on u.id = s.user_id
        where s.id = ${sessionId} and s.user_id = ${userId} and s.revoked_at is null and s.expires_at > now()
          and s.last_seen_at > now() - ${IDLE_LIMIT}::interval`,
  );
  if (!row) return null;
  if (Date.now() - new Date(row.last_seen_at).getTime() > LAST_SEEN_RESOLUTION_MS) {
    await db.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.id, sessionId));
  }
  return { role: row.role, emailVerified: row.verified, frozen: row.frozen };
}

export type RefreshOutcome =
  | ({ kind: "rotated"; userId: string } & NewSession)
  | { kind: "reused"; userId: string; sessionId: string }
  | { kind: "invalid" };

/**
 * Rotates a refresh token. The old token is marked rotated with a conditional update, so of two
 * concurrent uses only one rotates; the other is treated as reuse, as a replayed token would be.
 */
async function rotateRefreshToken(tx: DbTransaction, presented: string): Promise<RefreshOutcome> {
  const [row] = await tx
    .select({ sessionId: refreshTokens.sessionId, rotatedAt: refreshTokens.rotatedAt, userId: sessions.userId })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(eq(refreshTokens.tokenHash, sha256Hex(presented)))
    .limit(1);
  if (!row) return { kind: "invalid" };
  const [live] = await tx
    .select({ id: sessions.id, expiresAt: sessions.expiresAt })
    .from(sessions)
    .where(and(eq(sessions.id, row.sessionId), sessionIsLive()));
  if (!live) return { kind: "invalid" };
  if (row.rotatedAt) return { kind: "reused", userId: row.userId, sessionId: row.sessionId };
  const claimed = await tx
    .update(refreshTokens)
    .set({ rotatedAt: sql`now()` })
    .where(and(eq(refreshTokens.tokenHash, sha256Hex(presented)), isNull(refreshTokens.rotatedAt)))
    .returning({ sessionId: refreshTokens.sessionId });
  if (claimed.length === 0) {
    // Rotated meanwhile by another use of it (theft), or removed with its session's end since it was read (the
    // cleanup): only the first is reuse.
    const [still] = await tx
      .select({ sessionId: refreshTokens.sessionId })
      .from(refreshTokens)
      .where(eq(refreshTokens.tokenHash, sha256Hex(presented)));
    return still ? { kind: "reused", userId: row.userId, sessionId: row.sessionId } : { kind: "invalid" };
  }
  const refreshToken = randomToken(32);
  await tx.insert(refreshTokens).values({ tokenHash: sha256Hex(refreshToken), sessionId: row.sessionId });
  await tx.update(sessions).set({ lastSeenAt: sql`now()` }).where(eq(sessions.id, row.sessionId));
  return { kind: "rotated", userId: row.userId, sessionId: row.sessionId, refreshToken, sessionEndsAt: live.expiresAt };
}

/**
 * POST /refresh after its cookie and CSRF checks: rotates the token. A rotated token presented again means it was
 * copied (API.md): its whole session ends, with an audit row, and the caller answers `refreshRefusal`.
 */
export async function refreshSession(db: Db, presented: string, actor: Actor): Promise<RefreshOutcome> {
  return db.transaction(async (tx) => {
    const outcome = await rotateRefreshToken(tx, presented);
    if (outcome.kind === "reused") {
      await revokeSession(tx, outcome.userId, outcome.sessionId, "refresh_reused");
      await recordAudit(tx, [
        { userId: outcome.userId, action: "auth.refresh_reused", metadata: { sessionId: outcome.sessionId }, ...actor },
      ]);
    }
    return outcome;
  });
}

/**
 * A refresh token rotated already and presented again is a copy: its session ends at once (refreshSession does
 * it, with the audit row), whatever else the request holds. The outcome for the caller to refuse with
 * (`refreshRefusal`); undefined for a token not rotated yet, which the refresh itself rotates.
 */
export async function endSessionIfTokenReused(
  db: Db,
  presented: string,
  session: { rotated: boolean },
  actor: Actor,
): Promise<Exclude<RefreshOutcome, { kind: "rotated" }> | undefined> {
  if (!session.rotated) return undefined;
  // Never rotated here: a rotated token is not rotated again (rotateRefreshToken), so this ends the session.
  const outcome = await refreshSession(db, presented, actor);
  return outcome.kind === "rotated" ? undefined : outcome;
}

/** The answer to a refresh that did not rotate: `REFRESH_REUSED` for a copied token, else sign in again. */
export function refreshRefusal(outcome: Exclude<RefreshOutcome, { kind: "rotated" }>): AppError {
  return outcome.kind === "reused"
    ? new AppError(401, "REFRESH_REUSED", "This refresh token was already used; the session has been ended for safety")
    : unauthenticated("Session has ended; sign in again");
}

/**
 * Logout: ends the session, with its audit row. False when it had already ended: its access token is then
 * refused (API.md: at once after logout or a revoke), as on every other route.
 */
export async function signOut(db: Db, session: { userId: string; sessionId: string }, actor: Actor): Promise<boolean> {
  return db.transaction(async (tx) => {
    if (!(await revokeSession(tx, session.userId, session.sessionId, "logout"))) return false;
    await recordAudit(tx, [
      { userId: session.userId, action: "auth.logout", metadata: { sessionId: session.sessionId }, ...actor },
    ]);
    return true;
  });
}

/**
 * The session a logout ends and what named it: the access token presented (bearer or cookie) or, when that has
 * expired or fails, the refresh cookie. Null when neither names one. Only a session a valid bearer token named is
 * spared the CSRF check: a bearer header that fails verification proves nothing, and the session then comes from
 * a cookie.
 */
export async function sessionToEnd(
  db: Db,
  presented: PresentedToken | undefined,
  refreshToken: string | undefined,
  verify: VerifyToken,
): Promise<{ userId: string; sessionId: string; via: PresentedToken["via"] } | null> {
  const claims = presented ? accessClaimsOf(await verifyOnce(verify, presented.token)) : null;
  if (presented && claims) return { userId: claims.sub, sessionId: claims.sid, via: presented.via };
  const session = refreshToken ? await sessionOfRefreshToken(db, refreshToken) : null;
  return session && { userId: session.userId, sessionId: session.sessionId, via: "cookie" };
}

/** DELETE /sessions/:id: one of the user's own live sessions ends at once; anyone else's id is 404. */
export async function revokeOwnSession(db: Db, userId: string, sessionId: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    // Only a session the list shows: one over by itself (idle, or past its end) is not there to end.
    if (!isUuid(sessionId) || !(await lockLiveSession(tx, userId, sessionId))) throw notFound("Session");
    await revokeSession(tx, userId, sessionId, "revoked_by_user");
    await recordAudit(tx, [{ userId, action: "session.revoked", metadata: { sessionId }, ...actor }]);
  });
}

/** POST /sessions/revoke-others: every live session of the user but the one asking ends. */
export async function revokeOwnOtherSessions(db: Db, userId: string, keep: string, actor: Actor): Promise<void> {
  await db.transaction(async (tx) => {
    // As a password change does: a change that ended this session meanwhile (it came first) refuses this request.
    await lockUser(tx, userId);
    if (!(await lockLiveSession(tx, userId, keep))) throw unauthenticated("Session has ended; sign in again");
    const count = await revokeOtherSessions(tx, userId, keep, "revoked_by_user");
    await recordAudit(tx, [{ userId, action: "session.revoked", metadata: { others: count }, ...actor }]);
  });
}

/**
 * `bun run cli sessions:revoke-all`: every live session ends at once, so everyone signs in again (after a leaked
 * secret, database or backup: a new JWT_SECRET alone ends no session, as refresh tokens do not depend on it).
 * Each user whose sessions ended finds it in their audit log. Returns how many sessions and users.
 */
export async function revokeAllSessions(db: Db): Promise<{ sessions: number; users: number }> {
  return db.transaction(async (tx) => {
    // Their users' rows first, in one order (see lockUser), as a user's own security change takes them.
    await tx
      .select({ id: users.id })
      .from(users)
      .where(inArray(users.id, tx.select({ userId: sessions.userId }).from(sessions).where(isNull(sessions.revokedAt))))
      .orderBy(users.id)
      .for("update");
    const revoked = await tx
      .update(sessions)
      .set({ revokedAt: sql`now()`, revokedReason: "revoked_by_operator" })
      .where(and(isNull(sessions.revokedAt), sql`${sessions.expiresAt} > now()`))
      .returning({ userId: sessions.userId });
    const perUser = new Map<string, number>();
    for (const { userId } of revoked) perUser.set(userId, (perUser.get(userId) ?? 0) + 1);
    await recordAudit(
      tx,
      [...perUser].map(([userId, count]) => ({
        userId,
        action: "session.revoked",
        metadata: { byOperator: true, sessions: count },
      })),
    );
    return { sessions: revoked.length, users: perUser.size };
  });
}

/**
 * The live session a refresh token belongs to (for logout with only the refresh cookie, and the checks of a
 * refresh), and whether the token was rotated already: presented again, it is a copy.
 */
export async function sessionOfRefreshToken(
  db: DbOrTx,
  presented: string,
): Promise<{ userId: string; sessionId: string; rotated: boolean } | null> {
  const [row] = await db
    .select({ userId: sessions.userId, sessionId: sessions.id, rotated: sql<boolean>`${refreshTokens.rotatedAt} is not null` })
    .from(refreshTokens)
    .innerJoin(sessions, eq(sessions.id, refreshTokens.sessionId))
    .where(and(eq(refreshTokens.tokenHash, sha256Hex(presented)), sessionIsLive()))
    .limit(1);
  return row ?? null;
}

async function revokeSession(tx: DbOrTx, userId: string, sessionId: string, reason: string): Promise<boolean> {
  if (!isUuid(sessionId)) return false;
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), isNull(sessions.revokedAt)))
    .returning({ id: sessions.id });
  return revoked.length > 0;
}

/**
 * Whether the session is live, its row locked until commit: a revoke committing meanwhile is waited for and seen,
 * and none can begin until this transaction ends.
 */
export async function lockLiveSession(tx: DbTransaction, userId: string, sessionId: string): Promise<boolean> {
  const rows = await tx
    .select({ id: sessions.id })
    .from(sessions)
    .where(and(eq(sessions.id, sessionId), eq(sessions.userId, userId), sessionIsLive()))
    .for("update");
  return rows.length > 0;
}

/** Ends every session of the user except `keep` (all of them when `keep` is null). Returns how many. */
export async function revokeOtherSessions(tx: DbOrTx, userId: string, keep: string | null, reason: string): Promise<number> {
  const revoked = await tx
    .update(sessions)
    .set({ revokedAt: sql`now()`, revokedReason: reason })
    .where(and(eq(sessions.userId, userId), isNull(sessions.revokedAt), keep ? ne(sessions.id, keep) : undefined))
    .returning({ id: sessions.id });
  return revoked.length;
}

export async function listLiveSessions(db: DbOrTx, userId: string, currentSessionId: string): Promise<Session[]> {
  const rows = await db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), sessionIsLive()))
    .orderBy(desc(sessions.lastSeenAt));
  return rows.map((row) => ({
    id: row.id,
    current: row.id === currentSessionId,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    ip: row.ip,
    userAgent: row.userAgent,
  }));
}

/** How many refresh tokens one cleanup pass removes at most. */
export const TOKEN_CLEANUP_BATCH = 5000;

/**
 * Cleanup (hourly): a refresh rotates the token every 15 minutes, so a session gathers thousands of token rows over
 * its 30 days. Once it has ended, every one of its tokens is refused alike, with its row or without it: the rows go.
 * The session's own row stays, as the account's sign-in history: a sign-in is compared with it to tell a new device
 * (isKnownDevice), however long the account lay unused. Rows another instance's cleanup holds are skipped.
 */
export async function deleteTokensOfEndedSessions(db: DbOrTx): Promise<number> {
  const gone = await queryRows(
    db,
    sql`delete from refresh_tokens where token_hash in (
          select r.token_hash from refresh_tokens r join sessions s on s.id = r.session_id
          where s.revoked_at is not null or s.expires_at <= now() or s.last_seen_at <= now() - ${IDLE_LIMIT}::interval
          limit ${TOKEN_CLEANUP_BATCH}
          for update of r skip locked)
        returning session_id`,
  );
  return gone.length;
}
