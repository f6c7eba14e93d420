/** An account's standing, changed by admins: frozen or not (API.md's freeze), promoted to admin (the CLI). */
import { and, eq, isNotNull, isNull, ne, sql } from "drizzle-orm";
import type { Db } from "../../platform/db/client";
import { notFound } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { type Actor, recordAudit } from "../audit/service";
import { assertNotOwnCase } from "./guards";
import type { User } from "./model";
import { users } from "./schema";
import { findUserByEmail, normalizeEmail, toUser } from "./service";

/**
 * Freezing stops money movement; the user can still sign in and read. Freezing a frozen user (or unfreezing
 * an unfrozen one) changes nothing and records nothing: the log keeps when the freeze began.
 */
export async function setFrozen(db: Db, adminId: string, userId: string, frozen: boolean, actor: Actor): Promise<User> {
  return db.transaction(async (tx) => {
    if (!isUuid(userId)) throw notFound("User");
    assertNotOwnCase(adminId, [userId]);
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
 * `bun run cli user:promote <email>`: null when no user has the email. Promoting an admin changes nothing and
 * records nothing (`already`), as a freeze of a frozen user: the log keeps when the role was given.
 */
export async function promoteToAdmin(db: Db, email: string): Promise<{ user: User; already: boolean } | null> {
  return db.transaction(async (tx) => {
    const [row] = await tx
      .update(users)
      .set({ role: "admin", updatedAt: sql`now()` })
      .where(and(eq(users.email, normalizeEmail(email)), ne(users.role, "admin")))
      .returning();
    if (!row) {
      const admin = await findUserByEmail(tx, email);
      return admin ? { user: toUser(admin), already: true } : null;
    }
    await recordAudit(tx, [{ userId: row.id, action: "admin.user_promoted", metadata: { by: "cli" } }]);
    return { user: toUser(row), already: false };
  });
}
