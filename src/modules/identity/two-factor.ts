/**
 * Two-factor authentication: set up (secret sealed at rest, not yet active), enable with a first code,
 * disable and regenerate recovery codes with a valid code. A code is accepted once. Enabling needs only the
 * session (API.md), so someone holding a stolen session could lock the owner out with a second factor of their
 * own: the mail that tells the owner carries a link that undoes it (undoTwoFactor).
 */
import { and, count, eq, isNotNull, isNull, sql } from "drizzle-orm";
import { decrypt, encrypt } from "../../platform/crypto";
import type { DbOrTx, DbTransaction } from "../../platform/db/client";
import { AppError } from "../../platform/http/errors";
import { type Actor, recordAudit } from "../audit/service";
import { consumeEmailToken, discardEmailTokens, issueEmailToken } from "./email-tokens";
import { assertWithdrawalsUnlocked } from "./guards";
import { recoveryCodes, users } from "./schema";
import {
  applySecurityLock,
  assertOwnsAddress,
  getUser,
  type IdentityContext,
  invalidToken,
  link,
  lockForSecurityChange,
  mailUser,
} from "./service";
import {
  hashRecoveryCode,
  isTotpFormat,
  newRecoveryCodes,
  newTotpSecret,
  otpauthUrl,
  qrSvg,
  verifyTotp,
} from "./two-factor-codes";
import { lockUser, type UserRow } from "./user-lock";

export const invalidTotp = () => new AppError(401, "INVALID_TOTP", "The code is wrong, expired or already used");

/** Why a sealed two-factor secret does not open, when it does not: the key it was sealed with is another. */
const SEALED_UNDER_ANOTHER_SECRET =
  "a two-factor secret could not be unsealed: COOKIE_SECRET is not the one it was sealed with (README: Backups)";

/** A sealed two-factor secret, or undefined when this COOKIE_SECRET does not open it (a restore without its secret). */
function unseal(sealed: string, key: Buffer): string | undefined {
  try {
    return decrypt(sealed, key);
  } catch {
    return undefined;
  }
}

/**
 * At start: of up to `sample` users with 2FA on, how many secrets this COOKIE_SECRET does not open. Any means the
 * database was sealed under another COOKIE_SECRET, and those users can sign in only with a recovery code.
 */
export async function unreadableTwoFactorSecrets(ctx: Pick<IdentityContext, "db" | "totpKey">, sample = 20) {
  const rows = await ctx.db.select({ secret: users.totpSecret }).from(users).where(isNotNull(users.totpSecret)).limit(sample);
  return {
    checked: rows.length,
    unreadable: rows.filter((row) => unseal(row.secret as string, ctx.totpKey) === undefined).length,
  };
}

const invalidState = (message: string) => new AppError(409, "INVALID_STATE", message);

async function acceptTotp(
  tx: DbTransaction,
  userId: string,
  sealedSecret: string,
  lastStep: number | null,
  code: string,
  key: Buffer,
) {
  const secret = unseal(sealedSecret, key);
  // The operator's to fix (a 500 names it in the log); the user's recovery codes still work meanwhile.
  if (secret === undefined) throw new Error(SEALED_UNDER_ANOTHER_SECRET);
  const step = await verifyTotp(secret, code, lastStep);
  if (step === null) return false;
  await tx.update(users).set({ totpLastStep: step }).where(eq(users.id, userId));
  return true;
}

/**
 * Whether `code` is the user's second factor: a TOTP from the active secret, or an unused recovery code (then
 * spent). Checked in a transaction of its own, which `then` shares when the code is right, so what the code
 * allows commits with the code spent; an accepted code is spent even if what follows fails. Past the user's
 * budget of wrong codes (login-throttle.ts), 429 before the code is looked at. The budget is claimed before
 * the transaction opens: an attempt waiting for it holds no database connection (spendSecondFactor, inside the
 * money's transaction, does not wait for it).
 */
export function checkSecondFactor(
  ctx: IdentityContext,
  user: Pick<UserRow, "id">,
  code: string,
  then: (tx: DbTransaction) => Promise<void> = async () => {},
): Promise<boolean> {
  // Each caller is a security change (2FA off, new recovery codes): its locks first (lockForSecurityChange).
  return ctx.throttle.judgeSecret(user.id, () =>
    secondFactorAccepted(ctx, user, code, then, (tx) => ctx.settleSendsInFlight(tx, user.id)),
  );
}

/** checkSecondFactor without the signed-in user's budget, for a caller whose own budget counts the attempt. */
export function secondFactorAccepted(
  ctx: IdentityContext,
  user: Pick<UserRow, "id">,
  code: string,
  then: (tx: DbTransaction) => Promise<void> = async () => {},
  /** Locks to take before the user's row, which the code's check takes. */
  first: (tx: DbTransaction) => Promise<void> = async () => {},
): Promise<boolean> {
  return ctx.db.transaction(async (tx) => {
    await first(tx);
    if (!(await acceptSecondFactor(ctx, tx, await lockUser(tx, user.id), code))) return false;
    await then(tx);
    return true;
  });
}

/**
 * Money leaving the account (a withdrawal, a transfer to another user) takes a second factor when 2FA is on. Asked
 * first: 401 TOTP_REQUIRED without a code, before the request's own rules, which a caller without one learns nothing
 * of. The code itself is spent later, with the money (spendSecondFactor).
 */
export function assertSecondFactorGiven(
  user: { twoFactor: boolean },
  code: string | null | undefined,
  action: "withdraw" | "send",
): void {
  if (user.twoFactor && !code)
    throw new AppError(401, "TOTP_REQUIRED", `Enter the code from your authenticator app to ${action}`);
}

/**
 * Spends the second factor (assertSecondFactorGiven came first) in `tx`, the transaction that moves the money, once
 * the request's own rules have passed: a request refused by one (an unknown recipient, too little money) or rolled
 * back leaves the code good for the corrected one, and an accepted code is spent exactly when the money moves.
 * 401 INVALID_TOTP for a wrong or used code, within the user's budget of wrong codes (429 past it).
 */
export async function spendSecondFactor(
  ctx: IdentityContext,
  tx: DbTransaction,
  user: { id: string; twoFactor: boolean },
  code: string | null | undefined,
): Promise<void> {
  if (!user.twoFactor) return;
  // 2FA turned off since the request was judged paused the money (WITHDRAWALS_LOCKED): said so, not "wrong code".
  const locked = await lockUser(tx, user.id);
  assertWithdrawalsUnlocked(locked);
  if (!code) throw invalidTotp();
  const check = () => acceptSecondFactor(ctx, tx, locked, code);
  if (!(await ctx.throttle.judgeSecret(user.id, check, { holdingLocks: true }))) throw invalidTotp();
}

/** Whether `code` is the user's second factor now, spending it; `locked`: the user's row, under lockUser. */
async function acceptSecondFactor(ctx: IdentityContext, tx: DbTransaction, locked: UserRow, code: string): Promise<boolean> {
  if (!locked.totpSecret) return false;
  if (isTotpFormat(code)) return acceptTotp(tx, locked.id, locked.totpSecret, locked.totpLastStep, code, ctx.totpKey);
  const spent = await tx
    .update(recoveryCodes)
    .set({ usedAt: sql`now()` })
    .where(
      and(eq(recoveryCodes.userId, locked.id), eq(recoveryCodes.codeHash, hashRecoveryCode(code)), isNull(recoveryCodes.usedAt)),
    )
    .returning({ id: recoveryCodes.id });
  return spent.length > 0;
}

/**
 * How many of the user's recovery codes are still unused: each signs in once, so a user who has spent most should make
 * new ones before the last is gone. 0 with 2FA off, which deletes them.
 */
export async function recoveryCodesLeft(db: DbOrTx, userId: string): Promise<number> {
  const [row] = await db
    .select({ left: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)));
  return row?.left ?? 0;
}

async function replaceRecoveryCodes(tx: DbTransaction, userId: string): Promise<string[]> {
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  const codes = newRecoveryCodes();
  await tx.insert(recoveryCodes).values(codes.map((code) => ({ userId, codeHash: hashRecoveryCode(code) })));
  return codes;
}

export async function setupTwoFactor(ctx: IdentityContext, userId: string) {
  const secret = newTotpSecret();
  const user = await ctx.db.transaction(async (tx) => {
    const row = await lockUser(tx, userId);
    assertOwnsAddress(ctx, row, "turning on two-factor authentication");
    if (row.totpSecret) throw invalidState("Two-factor authentication is already on; disable it first");
    await tx
      .update(users)
      .set({ totpPendingSecret: encrypt(secret, ctx.totpKey), updatedAt: sql`now()` })
      .where(eq(users.id, userId));
    return row;
  });
  const url = otpauthUrl(secret, user.email);
  return { secret, otpauthUrl: url, qrSvg: await qrSvg(url) };
}

export async function enableTwoFactor(ctx: IdentityContext, userId: string, code: string, actor: Actor): Promise<string[]> {
  return ctx.db.transaction(async (tx) => {
    const row = await lockUser(tx, userId);
    assertOwnsAddress(ctx, row, "turning on two-factor authentication");
    if (row.totpSecret) throw invalidState("Two-factor authentication is already on");
    if (!row.totpPendingSecret) throw invalidState("Start with /api/auth/2fa/setup");
    const pending = unseal(row.totpPendingSecret, ctx.totpKey);
    // Set up under another COOKIE_SECRET: nothing is on yet, so the setup is simply made again.
    if (pending === undefined) throw invalidState("This setup can no longer be used: start again with /api/auth/2fa/setup");
    const step = await verifyTotp(pending, code, null);
    if (step === null) throw invalidTotp();
    await tx
      .update(users)
      .set({ totpSecret: row.totpPendingSecret, totpPendingSecret: null, totpLastStep: step, updatedAt: sql`now()` })
      .where(eq(users.id, userId));
    const codes = await replaceRecoveryCodes(tx, userId);
    const undo = await issueEmailToken(tx, userId, "two_factor_undo");
    await mailUser(tx, row, {
      kind: "two_factor_changed",
      enabled: true,
      at: new Date(),
      undoLink: link(ctx.config, "/undo-two-factor", undo),
    });
    await recordAudit(tx, [{ userId, action: "auth.2fa_enabled", ...actor }]);
    return codes;
  });
}

/** Turns 2FA off for the user: secret and recovery codes gone, and no older undo link left to use. */
export async function removeTwoFactor(tx: DbTransaction, userId: string) {
  await tx
    .update(users)
    .set({ totpSecret: null, totpPendingSecret: null, totpLastStep: null, updatedAt: sql`now()` })
    .where(eq(users.id, userId));
  await tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
  await discardEmailTokens(tx, userId, "two_factor_undo");
}

/**
 * POST /api/auth/2fa/undo: the link in the mail that announced an enable, for an owner who did not turn it on.
 * It turns 2FA off, ends every session (the one that turned it on too) and pauses withdrawals, as a password
 * reset does. 400 INVALID_TOKEN when the link is unknown, used, older than 72 h, or of an enable since undone.
 */
export async function undoTwoFactor(ctx: IdentityContext, token: string, actor: Actor): Promise<void> {
  await ctx.db.transaction(async (tx) => {
    const userId = await consumeEmailToken(tx, token, "two_factor_undo", (id) => lockForSecurityChange(ctx, tx, id));
    if (!userId) throw invalidToken();
    const row = await lockUser(tx, userId);
    await removeTwoFactor(tx, userId);
    const locked = await applySecurityLock(ctx, tx, userId, null, "2fa_undone");
    await mailUser(tx, row, { kind: "two_factor_changed", enabled: false, sessionsEnded: "all", at: new Date() });
    await recordAudit(tx, [{ userId, action: "auth.2fa_disabled", metadata: { via: "mail link", ...locked }, ...actor }]);
  });
}

/** Turning 2FA off is a security change: withdrawals pause and the other sessions end. */
export async function disableTwoFactor(
  ctx: IdentityContext,
  session: { userId: string; sessionId: string },
  code: string,
  actor: Actor,
) {
  const row = await getUser(ctx.db, session.userId);
  if (!row.totpSecret) throw invalidState("Two-factor authentication is not on");
  const disabled = await checkSecondFactor(ctx, row, code, async (tx) => {
    await removeTwoFactor(tx, row.id);
    const metadata = await applySecurityLock(ctx, tx, row.id, session.sessionId, "2fa_disabled");
    await mailUser(tx, row, { kind: "two_factor_changed", enabled: false, sessionsEnded: "others", at: new Date() });
    await recordAudit(tx, [{ userId: row.id, action: "auth.2fa_disabled", metadata, ...actor }]);
  });
  if (!disabled) throw invalidTotp();
}

export async function regenerateRecoveryCodes(
  ctx: IdentityContext,
  userId: string,
  code: string,
  actor: Actor,
): Promise<string[]> {
  const row = await getUser(ctx.db, userId);
  if (!row.totpSecret) throw invalidState("Two-factor authentication is not on");
  let codes: string[] = [];
  const replaced = await checkSecondFactor(ctx, row, code, async (tx) => {
    codes = await replaceRecoveryCodes(tx, userId);
    await mailUser(tx, row, { kind: "two_factor_changed", recoveryCodesReplaced: true, at: new Date() });
    await recordAudit(tx, [{ userId, action: "auth.2fa_recovery_codes_regenerated", ...actor }]);
  });
  if (!replaced) throw invalidTotp();
  return codes;
}
