/**
 * Identity rules: accounts, sign-in, password changes and profile. Beside it: sessions.ts (sessions), two-factor.ts
 * (2FA), guards.ts (who may move money), standing.ts (an admin's or operator's change to an account: freeze,
 * promotion, email verification; the lookup by email), accounts.ts (users by id, for other modules). Every action
 * writes its audit row and its mail in the same transaction as the change itself.
 */
import { and, eq, sql } from "drizzle-orm";
import type { Config } from "../../config";
import type { CounterStore } from "../../platform/counters";
import { deriveKey } from "../../platform/crypto";
import type { Db, DbOrTx, DbTransaction } from "../../platform/db/client";
import { unauthenticated } from "../../platform/http/auth";
import { AppError, notFound, validationFailed } from "../../platform/http/errors";
import { isUuid } from "../../platform/ids";
import { enqueueMail } from "../../platform/mail/outbox";
import { type MailKind, renderMail } from "../../platform/mail/templates";
import { type Actor, recordAudit } from "../audit/service";
import { consumeEmailToken, discardEmailTokens, issueEmailToken } from "./email-tokens";
import { assertEmailVerified } from "./guards";
import { createLoginThrottle, type LoginThrottle } from "./login-throttle";
import { createMailBudget, type MailBudget } from "./mail-budget";
import type { User } from "./model";
import { assertAcceptablePassword, createPasswordHasher, type PasswordHasher, samePassword } from "./passwords";
import { users } from "./schema";
import { createSession, isKnownDevice, lockLiveSession, type NewSession, revokeOtherSessions } from "./sessions";
import { invalidTotp, recoveryCodesLeft, removeTwoFactor, secondFactorAccepted } from "./two-factor";
import { isTotpFormat } from "./two-factor-codes";
import { lockUser, type UserRow } from "./user-lock";

export type IdentityContext = {
  db: Db;
  config: Config;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  mailBudget: MailBudget;
  /** Seals TOTP secrets at rest; derived from COOKIE_SECRET for this one purpose. */
  totpKey: Buffer;
  /**
   * Waits out or turns back the user's transfers in flight, in a security change's transaction before it locks the
   * user's row (lockForSecurityChange): from the module that moves money (transfers' settleSendsInFlight).
   */
  settleSendsInFlight: (tx: DbTransaction, userId: string) => Promise<void>;
};

export function createIdentityContext(
  db: Db,
  config: Config,
  counters: CounterStore,
  settleSendsInFlight: IdentityContext["settleSendsInFlight"],
): IdentityContext {
  return {
    db,
    config,
    settleSendsInFlight,
    hasher: createPasswordHasher(config.argon2MemoryKib),
    throttle: createLoginThrottle(counters, config.loginFailuresPer15Min),
    mailBudget: createMailBudget(counters),
    totpKey: deriveKey(config.cookieSecret, "totp-secret"),
  };
}

export const normalizeEmail = (email: string) => email.trim().toLowerCase();

export function toUser(row: UserRow): User {
  return {
    id: row.id,
    email: row.email,
    name: row.name,
    role: row.role,
    emailVerified: row.emailVerifiedAt !== null,
    twoFactorEnabled: row.totpSecret !== null,
    antiPhishingCode: row.antiPhishingCode,
    frozen: row.frozenAt !== null,
    withdrawalsLockedUntil:
      row.withdrawalsLockedUntil && row.withdrawalsLockedUntil.getTime() > Date.now()
        ? row.withdrawalsLockedUntil.toISOString()
        : null,
    createdAt: row.createdAt.toISOString(),
  };
}

export async function findUser(db: DbOrTx, id: string): Promise<UserRow | undefined> {
  if (!isUuid(id)) return undefined;
  const [row] = await db.select().from(users).where(eq(users.id, id));
  return row;
}

export async function findUserByEmail(db: DbOrTx, email: string): Promise<UserRow | undefined> {
  const [row] = await db
    .select()
    .from(users)
    .where(eq(users.email, normalizeEmail(email)));
  return row;
}

export async function getUser(db: DbOrTx, id: string): Promise<UserRow> {
  const row = await findUser(db, id);
  if (!row) throw notFound("User");
  return row;
}

/**
 * Queues one of the platform's mails to this user, inside the caller's transaction. The greeting names the
 * user, and the mail shows the anti-phishing code, only once the address is verified: until then both are
 * whatever someone who typed this address chose. Their words (a link, say) must not reach the address's owner
 * in our mail, nor a code they know, which would make their own mails look like ours.
 */
export function mailUser(tx: DbOrTx, user: UserRow, mail: MailKind): Promise<void> {
  const verified = user.emailVerifiedAt !== null;
  const recipient = {
    email: user.email,
    name: verified ? user.name : null,
    antiPhishingCode: verified ? user.antiPhishingCode : null,
  };
  return enqueueMail(tx, renderMail(recipient, mail));
}

/**
 * mailUser for news of the account (its money, its settings, its standing), to a verified address only. Until an
 * address is verified its account is whoever typed it: what they do there is no news for the address's owner,
 * their words (a label, a code) would reach the owner in our mail, and a mail apiece would let them fill a
 * stranger's inbox through us. Such an account still sees all of it in the app.
 */
export async function mailIfVerified(tx: DbOrTx, user: UserRow, mail: MailKind): Promise<void> {
  if (user.emailVerifiedAt) await mailUser(tx, user, mail);
}

export const link = (config: Config, path: string, token: string) =>
  `${config.publicUrl}${path}?token=${encodeURIComponent(token)}`;

export async function register(
  ctx: IdentityContext,
  input: { email: string; password: string; name: string },
  actor: Actor,
): Promise<User> {
  assertAcceptablePassword(input.password, { email: input.email });
  const passwordHash = await ctx.hasher.hash(input.password);
  return ctx.db.transaction(async (tx) => {
    const [row] = await tx
      .insert(users)
      .values({ email: normalizeEmail(input.email), name: input.name.trim(), passwordHash })
      .onConflictDoNothing()
      .returning();
    if (!row) throw new AppError(409, "EMAIL_TAKEN", "An account with this email already exists");
    const token = await issueEmailToken(tx, row.id, "verify_email");
    await mailUser(tx, row, { kind: "verify_email", link: link(ctx.config, "/verify-email", token) });
    await recordAudit(tx, [{ userId: row.id, action: "auth.register", ...actor }]);
    return toUser(row);
  });
}

export const invalidToken = () => new AppError(400, "INVALID_TOKEN", "This link is invalid, already used or expired");

export async function verifyEmail(ctx: IdentityContext, token: string, actor: Actor): Promise<User> {
  return ctx.db.transaction(async (tx) => {
    const userId = await consumeEmailToken(tx, token, "verify_email");
    if (!userId) throw invalidToken();
    // The links of earlier and later resends verified the same address: spent with this one, as a reused link is.
    await discardEmailTokens(tx, userId, "verify_email");
    const [row] = await tx
      .update(users)
      .set({ emailVerifiedAt: sql`coalesce(${users.emailVerifiedAt}, now())`, updatedAt: sql`now()` })
      .where(eq(users.id, userId))
      .returning();
    await recordAudit(tx, [{ userId, action: "auth.email_verified", ...actor }]);
    return toUser(row);
  });
}

export async function resendVerification(ctx: IdentityContext, userId: string): Promise<void> {
  const user = await getUser(ctx.db, userId);
  if (user.emailVerifiedAt) return;
  // Counted before the transaction: no database connection waits on the counter store.
  if (!(await ctx.mailBudget.verification(user.email))) return;
  await ctx.db.transaction(async (tx) => {
    const token = await issueEmailToken(tx, user.id, "verify_email");
    await mailUser(tx, user, { kind: "verify_email", link: link(ctx.config, "/verify-email", token) });
  });
}

/**
 * 403 EMAIL_NOT_VERIFIED (when REQUIRE_EMAIL_VERIFICATION) before what only the address's owner should set up:
 * until the address is verified the account may be a stranger's, made under someone else's address for its owner
 * to inherit, and a second factor or an anti-phishing code of theirs would lock the owner out or vouch for their
 * mails. API.md lets an unverified user sign in and read.
 */
export function assertOwnsAddress(ctx: IdentityContext, user: Pick<UserRow, "emailVerifiedAt">, doing: string): void {
  assertEmailVerified(ctx.config, { emailVerified: user.emailVerifiedAt !== null }, doing);
}

export async function updateProfile(
  ctx: IdentityContext,
  userId: string,
  patch: { name?: string; antiPhishingCode?: string | null },
  actor: Actor,
): Promise<User> {
  return ctx.db.transaction(async (tx) => {
    // Locked: the code this change replaces is the one its mail is compared with.
    const before = await lockUser(tx, userId);
    if (!before) throw notFound("User");
    if (patch.antiPhishingCode) assertOwnsAddress(ctx, before, "setting an anti-phishing code");
    const [row] = await tx
      .update(users)
      .set({
        ...(patch.name === undefined ? {} : { name: patch.name.trim() }),
        ...(patch.antiPhishingCode === undefined ? {} : { antiPhishingCode: patch.antiPhishingCode }),
        updatedAt: sql`now()`,
      })
      .where(eq(users.id, userId))
      .returning();
    // Whoever holds a session could swap the code for one of theirs, to vouch for their own mails: the owner hears.
    if (row.antiPhishingCode !== before.antiPhishingCode)
      await mailIfVerified(tx, row, { kind: "anti_phishing_code_changed", code: row.antiPhishingCode, at: new Date() });
    await recordAudit(tx, [
      { userId, action: "auth.profile_updated", metadata: { fields: Object.keys(patch).sort() }, ...actor },
    ]);
    return toUser(row);
  });
}

export type LoginResult = { user: User } & NewSession;

/** What a sign-in's secrets proved: the account, or the 401 that refuses them and the audit row of the refusal. */
type SignInCheck =
  | { accepted: true; row: UserRow; recoveryCode: boolean; rehash: boolean }
  | { accepted: false; refusal: AppError; failure: { userId: string | null; metadata: Record<string, unknown> } };

/**
 * Sign-in. Unknown emails spend the same argon2 work and get the same answer as a wrong password.
 * Past the failure budget every attempt is 429, the right password included, until the window decays.
 */
export async function login(
  ctx: IdentityContext,
  input: { email: string; password: string; code?: string | null },
  actor: Actor,
): Promise<LoginResult> {
  const email = normalizeEmail(input.email);
  const checked = await ctx.throttle.judgeSignIn(email, actor.ip ?? null, () => checkSignIn(ctx, email, input));
  if (!checked.accepted) {
    await ctx.db.transaction((tx) => recordAudit(tx, [{ ...checked.failure, action: "auth.login_failed", ...actor }]));
    throw checked.refusal;
  }
  const row = checked.row;
  // A hash made with other settings (ARGON2_MEMORY_KIB changed since), or before passwords were normalized, is made
  // again while the password is at hand.
  const rehashed = checked.rehash ? await ctx.hasher.hash(input.password) : undefined;
  return ctx.db.transaction(async (tx) => {
    // Only over the hash this sign-in checked: a password changed meanwhile stands.
    if (rehashed)
      await tx
        .update(users)
        .set({ passwordHash: rehashed })
        .where(and(eq(users.id, row.id), eq(users.passwordHash, row.passwordHash)));
    const known = await isKnownDevice(tx, row.id, actor.ip ?? null, actor.userAgent ?? null);
    const session = await createSession(tx, row.id, actor.ip ?? null, actor.userAgent ?? null);
    // Only to a verified address: until then whoever typed the address signs in and would mail its owner their
    // own words (a User-Agent is any text). And capped, as every mail a request can make us send.
    if (!known && row.emailVerifiedAt && (await ctx.mailBudget.newSignIn(row.email)))
      await mailUser(tx, row, { kind: "new_sign_in", ip: actor.ip ?? null, userAgent: actor.userAgent ?? null, at: new Date() });
    // A recovery code is the owner's last way in (or a thief's): the log says one was spent, and how many are left.
    const metadata = checked.recoveryCode
      ? { sessionId: session.sessionId, signedInWith: "recovery_code", recoveryCodesLeft: await recoveryCodesLeft(tx, row.id) }
      : { sessionId: session.sessionId };
    await recordAudit(tx, [{ userId: row.id, action: "auth.login", metadata, ...actor }]);
    return { user: toUser(row), ...session };
  });
}

/**
 * The password, then the second factor when it is on. A wrong one is answered, not thrown, so the throttle
 * counts it as a failure; no code at all throws TOTP_REQUIRED, which is no failure (login-throttle.ts).
 */
async function checkSignIn(
  ctx: IdentityContext,
  email: string,
  input: { password: string; code?: string | null },
): Promise<SignInCheck> {
  const row = await findUserByEmail(ctx.db, email);
  const password = row
    ? await ctx.hasher.verify(input.password, row.passwordHash)
    : await ctx.hasher.verifyNothing(input.password);
  if (!row || !password.matches) {
    const refusal = new AppError(401, "INVALID_CREDENTIALS", "Email or password is incorrect");
    return { accepted: false, refusal, failure: { userId: row?.id ?? null, metadata: row ? {} : { email } } };
  }
  const { rehash } = password;
  if (!row.totpSecret) return { accepted: true, row, recoveryCode: false, rehash };
  if (!input.code) throw new AppError(401, "TOTP_REQUIRED", "Enter the code from your authenticator app or a recovery code");
  const code = input.code;
  // The sign-in's own budgets count a wrong code: the signed-in user's (checkSecondFactor's) is not spent, or
  // whoever knows the password could keep the owner, signed in elsewhere, from sending money or turning 2FA off.
  if (await secondFactorAccepted(ctx, row, code)) return { accepted: true, row, recoveryCode: !isTotpFormat(code), rehash };
  const refusal = invalidTotp();
  return { accepted: false, refusal, failure: { userId: row.id, metadata: { reason: "totp" } } };
}

/**
 * The locks of a security change (a password change or reset, 2FA turned off), taken first in its transaction: the
 * user's transfers in flight, then the user's row (lockUser), the order a transfer spending a 2FA code takes them
 * in. A transfer judged before the change then either commits before it or is judged again after it, and refused
 * (WITHDRAWALS_LOCKED); a withdrawal takes the user's row, and waits for the change likewise.
 */
export async function lockForSecurityChange(ctx: IdentityContext, tx: DbTransaction, userId: string): Promise<UserRow> {
  await ctx.settleSendsInFlight(tx, userId);
  return lockUser(tx, userId);
}

/**
 * What every security change does, under lockForSecurityChange: withdrawals pause for WITHDRAWAL_LOCK_HOURS and
 * the user's other sessions end (all of them when `keepSessionId` is null). Returns what its audit row records.
 */
export async function applySecurityLock(
  ctx: IdentityContext,
  tx: DbTransaction,
  userId: string,
  keepSessionId: string | null,
  reason: string,
): Promise<{ sessionsEnded: number }> {
  const until = new Date(Date.now() + ctx.config.withdrawalLockHours * 3600 * 1000);
  await tx.update(users).set({ withdrawalsLockedUntil: until, updatedAt: sql`now()` }).where(eq(users.id, userId));
  return { sessionsEnded: await revokeOtherSessions(tx, userId, keepSessionId, reason) };
}

export async function forgotPassword(ctx: IdentityContext, email: string, actor: Actor): Promise<void> {
  if (!(await ctx.mailBudget.passwordReset(normalizeEmail(email), actor.ip ?? null))) return;
  await ctx.db.transaction(async (tx) => {
    const user = await findUserByEmail(tx, email);
    if (!user) return;
    const token = await issueEmailToken(tx, user.id, "password_reset");
    await mailUser(tx, user, { kind: "password_reset", link: link(ctx.config, "/reset-password", token) });
  });
}

export async function resetPassword(ctx: IdentityContext, token: string, password: string, actor: Actor): Promise<void> {
  assertAcceptablePassword(password);
  const passwordHash = await ctx.hasher.hash(password);
  await ctx.db.transaction(async (tx) => {
    const userId = await consumeEmailToken(tx, token, "password_reset", (id) => lockForSecurityChange(ctx, tx, id));
    if (!userId) throw invalidToken();
    const [before] = await tx.update(users).set({ passwordHash, updatedAt: sql`now()` }).where(eq(users.id, userId)).returning();
    // Only the token tells whose account this is; a refusal rolls back, and the link still works.
    assertAcceptablePassword(password, { email: before.email });
    const user = await reclaimUnverifiedAccount(tx, before);
    await discardEmailTokens(tx, userId, "password_reset");
    const locked = await applySecurityLock(ctx, tx, userId, null, "password_reset");
    await mailUser(tx, user, { kind: "password_changed", at: new Date() });
    const metadata = user === before ? locked : { ...locked, reclaimed: true };
    await recordAudit(tx, [{ userId, action: "auth.password_reset", metadata, ...actor }]);
  });
}

/**
 * A reset link opened proves the mailbox. Until an address is verified, its account is whoever typed the
 * address, perhaps not its owner: a squatter's authenticator would lock the owner out after this very reset,
 * their anti-phishing code would vouch for their mails, and their name (any words) would greet the owner in
 * ours. So on a never-verified account the reset removes 2FA and the anti-phishing code, names the account by
 * its address, and the address counts as verified from now (it was just proved). Accounts made since unverified
 * users were refused 2FA and a code have neither; older ones may.
 */
async function reclaimUnverifiedAccount(tx: DbTransaction, user: UserRow): Promise<UserRow> {
  if (user.emailVerifiedAt) return user;
  await removeTwoFactor(tx, user.id);
  const [reclaimed] = await tx
    .update(users)
    .set({ emailVerifiedAt: sql`now()`, antiPhishingCode: null, name: user.email.split("@")[0], updatedAt: sql`now()` })
    .where(eq(users.id, user.id))
    .returning();
  return reclaimed;
}

const currentPasswordIncorrect = () =>
  new AppError(401, "INVALID_CREDENTIALS", "Current password is incorrect", { fields: ["currentPassword"] });

export async function changePassword(
  ctx: IdentityContext,
  session: { userId: string; sessionId: string },
  input: { currentPassword: string; newPassword: string },
  actor: Actor,
): Promise<void> {
  const user = await getUser(ctx.db, session.userId);
  const currentPasswordMatches = async () => (await ctx.hasher.verify(input.currentPassword, user.passwordHash)).matches;
  if (!(await ctx.throttle.judgeCurrentPassword(user, currentPasswordMatches))) {
    await ctx.db.transaction((tx) => recordAudit(tx, [{ userId: user.id, action: "auth.password_change_failed", ...actor }]));
    throw currentPasswordIncorrect();
  }
  assertAcceptablePassword(input.newPassword, { email: user.email, field: "newPassword" });
  if (samePassword(input.newPassword, input.currentPassword)) {
    throw validationFailed("newPassword", "The new password must differ from the current one");
  }
  const passwordHash = await ctx.hasher.hash(input.newPassword);
  await ctx.db.transaction(async (tx) => {
    // Judged again as it commits, under a security change's locks (lockForSecurityChange), then its session's: the
    // hashing took a second, in which a reset or another change may have replaced the password that was checked,
    // or ended this session. Either refuses this change, as if it had come after.
    if ((await lockForSecurityChange(ctx, tx, user.id)).passwordHash !== user.passwordHash) throw currentPasswordIncorrect();
    if (!(await lockLiveSession(tx, user.id, session.sessionId))) throw unauthenticated("Session has ended; sign in again");
    await tx.update(users).set({ passwordHash, updatedAt: sql`now()` }).where(eq(users.id, user.id));
    await discardEmailTokens(tx, user.id, "password_reset");
    const metadata = await applySecurityLock(ctx, tx, user.id, session.sessionId, "password_changed");
    await mailUser(tx, user, { kind: "password_changed", at: new Date() });
    await recordAudit(tx, [{ userId: user.id, action: "auth.password_changed", metadata, ...actor }]);
  });
}
