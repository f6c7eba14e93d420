/** Single-use tokens sent by mail, stored as SHA-256. */
import { and, eq, gt, isNull, sql } from "drizzle-orm";
import { randomToken, sha256Hex } from "../../platform/crypto";
import { type DbOrTx, type DbTransaction, queryRows } from "../../platform/db/client";
import { emailTokens } from "./schema";
import { lockUser } from "./user-lock";

export type EmailTokenPurpose = "verify_email" | "password_reset" | "two_factor_undo";
export const TOKEN_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * 3600 * 1000,
  password_reset: 3600 * 1000,
  // Long enough for an owner to read the mail, short enough that a mailbox taken over later cannot remove the
  // second factor the owner really turned on.
  two_factor_undo: 72 * 3600 * 1000,
};

export async function issueEmailToken(tx: DbTransaction, userId: string, purpose: EmailTokenPurpose): Promise<string> {
  const token = randomToken(32);
  await tx
    .insert(emailTokens)
    .values({ tokenHash: sha256Hex(token), userId, purpose, expiresAt: new Date(Date.now() + TOKEN_LIFETIME_MS[purpose]) });
  return token;
}

/**
 * Marks the token used and returns its user, or null when it is unknown, used, expired or of another purpose. The
 * user's row is locked first (`lock`: lockUser, or a security change's lockForSecurityChange), in the order every
 * security change takes its locks.
 */
export async function consumeEmailToken(
  tx: DbTransaction,
  token: string,
  purpose: EmailTokenPurpose,
  lock: (userId: string) => Promise<unknown> = (userId) => lockUser(tx, userId),
): Promise<string | null> {
  const [owner] = await tx
    .select({ userId: emailTokens.userId })
    .from(emailTokens)
    .where(eq(emailTokens.tokenHash, sha256Hex(token)));
  if (!owner) return null;
  await lock(owner.userId);
  const [row] = await tx
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(
      and(
        eq(emailTokens.tokenHash, sha256Hex(token)),
        eq(emailTokens.purpose, purpose),
        isNull(emailTokens.usedAt),
        gt(emailTokens.expiresAt, sql`now()`),
      ),
    )
    .returning({ userId: emailTokens.userId });
  return row?.userId ?? null;
}

/** Ends every unused token of a purpose for the user: a password once changed, an older reset link must not work. */
export async function discardEmailTokens(tx: DbTransaction, userId: string, purpose: EmailTokenPurpose): Promise<void> {
  await tx
    .update(emailTokens)
    .set({ usedAt: sql`now()` })
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
}

/** How many tokens one cleanup pass removes at most. */
export const EMAIL_TOKEN_CLEANUP_BATCH = 5000;

/**
 * Cleanup (hourly): a used or expired token is refused alike with its row or without it; the rows go a day later
 * (a day in which support can still see that a link was used, and when). Rows another instance's cleanup holds are
 * skipped.
 */
export async function deleteSpentEmailTokens(db: DbOrTx): Promise<number> {
  const gone = await queryRows(
    db,
    sql`delete from email_tokens where token_hash in (
          select token_hash from email_tokens
          where least(used_at, expires_at) < now() - interval '1 day'
          limit ${EMAIL_TOKEN_CLEANUP_BATCH} for update skip locked)
        returning purpose`,
  );
  return gone.length;
}
