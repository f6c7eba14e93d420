/**
 * Users named by id as other modules show them (the admin queues, the audit search): a read of the users table
 * alone, importing no other module, so any module may use it.
 */
import { inArray, sql } from "drizzle-orm";
import type { DbOrTx } from "../../platform/db/client";
import { users } from "./schema";

/** Several users' emails and whether each is frozen, in one query, by id (ids that name nobody are absent). */
export async function accountsOf(db: DbOrTx, ids: string[]): Promise<Map<string, { email: string; frozen: boolean }>> {
  const wanted = [...new Set(ids)];
  if (wanted.length === 0) return new Map();
  const rows = await db
    .select({ id: users.id, email: users.email, frozen: sql<boolean>`${users.frozenAt} is not null` })
    .from(users)
    .where(inArray(users.id, wanted));
  return new Map(rows.map(({ id, email, frozen }) => [id, { email, frozen }]));
}
