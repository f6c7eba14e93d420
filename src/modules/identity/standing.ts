/** An account's standing, changed by admins: frozen or not (API.md's freeze), promoted to admin (the CLI). */
import { and, eq, isNotNull, isNull, ne, type SQL, sql } from "drizzle-orm";
import type { PgUpdateSetSource } from "drizzle-orm/pg-core";
import type { Db, DbTransaction } from "../../platform/db/client";
import { notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { type Actor, recordAudit } from "../audit/service";
import { assertNotOwnCase } from "./guards";
import type { User } from "./model";
import { users } from "./schema";
import { findUser, findUserByEmail, mailIfVerified, normalizeEmail, toUser } from "./service";

/**
 * Freezing stops money movement; the user can still sign in and read. Freezing a frozen user (or unfreezing
 * an unfrozen one) changes nothing and records nothing: the log keeps when the freeze began. `settle`, when
 * freezing, first waits out or turns back the user's money movements in flight (the caller's, from the modules
 * that move money), in the freeze's transaction and before its write, as they take their locks before the user's row.
 */
export async function setFrozen(
  db: Db,
  adminId: string,
  userId: string,
  frozen: boolean,
  actor: Actor,
  settle?: (tx: DbTransaction, userId: string) => Promise<void>,
): Promise<User> {
  return db.transaction(async (tx) => {
    if (!isUuid(userId)) throw notFound("User");
    assertNotOwnCase(adminId, [userId]);
    if (frozen && settle && (await findUser(tx, userId))) await settle(tx, userId);
    const [row] = await tx
      .update(users)
      .set({ frozenAt: frozen ? sql`now()` : null, updatedAt: sql`now()` })
      .where(and(eq(users.id, userId), frozen ? isNull(users.frozenAt) : isNotNull(users.frozenAt)))
      .returning();
    if (!row) {
      const [unchanged] = await tx.select().from(users).where(eq(users.id, userId));
      if (!unchanged) throw notFound("User");
      return toUser(unchanged);
    }
    const action = frozen ? "admin.user_frozen" : "admin.user_unfrozen";
    await recordAudit(tx, [
      { userId: adminId, action, metadata: { targetUserId: userId }, ...actor },
      // The user's own row says an admin did it; which admin is on the admin's row, not in the user's log.
      { userId, action },
    ]);
    await mailIfVerified(tx, row, { kind: frozen ? "account_frozen" : "account_unfrozen", at: new Date() });
    return toUser(row);
  });
}

/** An admin's lookup of an account by email (any spelling of it): 404 when no account has it. */
export async function userWithEmail(db: Db, email: string): Promise<User> {
  const row = await findUserByEmail(db, email);
  if (!row) throw notFound("User");
  return toUser(row);
}

/**
 * A change an operator makes from the CLI to the user with `email`, `set` where `needed` says it is not made yet, and
 * recorded in the user's log (by "cli"). Null when no user has the email; `already` when the change was made before:
 * then nothing changes and nothing is recorded, as a freeze of a frozen user, so the log keeps when it was made.
 */
async function changeByOperator(
  db: Db,
  email: string,
  change: { set: PgUpdateSetSource<typeof users>; needed: SQL | undefined; action: string },
): Promise<{ user: User; already: boolean } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ ...change.set, updatedAt: sql`now()` })
      .where(and(eq(users.email, normalizeEmail(email)), change.needed))
      .returning();
    if (!row) {
      const unchanged = await findUserByEmail(tx, email);
      return unchanged ? { user: toUser(unchanged), already: true } : null;
    }
    await recordAudit(tx, [{ userId: row.id, action: change.action, metadata: { by: "cli" } }]);
    return { user: toUser(row), already: false };
  });
}

/** `bun run cli user:promote <email>`. */
export const promoteToAdmin = (db: Db, email: string) =>
  changeByOperator(db, email, { set: { role: "admin" }, needed: ne(users.role, "admin"), action: "admin.user_promoted" });

/**
 * `bun run cli user:demote <email>`: an admin who left, or whose account is no longer trusted, is a user again. The
 * role is read at every request, so their next one is refused.
 */
export const demoteAdmin = (db: Db, email: string) =>
  changeByOperator(db, email, { set: { role: "user" }, needed: ne(users.role, "user"), action: "admin.user_demoted" });

/**
 * `bun run cli user:verify-email <email>`: support's way to verify an address whose mail cannot arrive (mail not set
 * up yet, a filter eating it), once its owner has proved it another way. Recorded as the link's verification is.
 */
export const verifyEmailByOperator = (db: Db, email: string) =>
  changeByOperator(db, email, {
    set: { emailVerifiedAt: sql`now()` },
    needed: isNull(users.emailVerifiedAt),
    action: "auth.email_verified",
  });
