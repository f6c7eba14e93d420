import { eq } from "drizzle-orm";
import type { DbTransaction } from "../../platform/db/client";
import { users } from "./schema";

export type UserRow = typeof users.$inferSelect;

/**
 * Locks the user's row for the rest of the transaction, so two requests cannot both act on what it said. Every
 * change to a user's security takes it first, before the user's mail tokens and sessions: taken the other way
 * round, two changes of one user (two resets, a password change and signing out the other sessions) would each
 * wait for the other.
 */
export async function lockUser(tx: DbTransaction, userId: string): Promise<UserRow> {
  const [row] = await tx.select().from(users).where(eq(users.id, userId)).for("update");
  return row;
}
