/** Who may move money, and when: the rules and the `movesMoney` route option that applies them. */
import { and, eq, isNull, type SQLWrapper, sql } from "drizzle-orm";
import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { DbTransaction } from "../../platform/db/client";
import type { Principal, Standing } from "../../platform/http/auth";
import { AppError } from "../../platform/http/errors";
import { requestContext } from "../../platform/http/request-context";
import { assertMoneyFields } from "../ledger/assets";
import { users } from "./schema";
import type { IdentityContext } from "./service";
import type { UserRow } from "./user-lock";

/**
 * The `movesMoney` route option: 403 EMAIL_NOT_VERIFIED or FORBIDDEN (frozen). A beforeHandle, so it
 * answers after 401, CSRF, 428 and the schema; the body's money values are judged first, since API.md
 * puts every 422 VALIDATION_FAILED before these 403s. `moneyValues` judges the values alone, for a route
 * that only reads (a quote): API.md lets an unverified or frozen user read.
 */
export function moneyGuard(ctx: IdentityContext) {
  return new Elysia({ name: "money-guard" }).macro({
    moneyValues: {
      beforeHandle({ body }) {
        assertMoneyFields(ctx.config, body);
      },
    },
    movesMoney: {
      beforeHandle({ request, body }) {
        assertMoneyFields(ctx.config, body);
        const principal = requestContext(request).principal as Principal;
        assertCanMoveMoney(ctx.config, principal);
      },
    },
  });
}

/**
 * Money moves only for verified emails (when REQUIRE_EMAIL_VERIFICATION) and unfrozen users. The standing
 * is read with the session on every request, so a freeze stops the very next request.
 */
function assertCanMoveMoney(config: Config, user: Pick<Standing, "emailVerified" | "frozen">): void {
  assertEmailVerified(config, user, "moving money");
  assertNotFrozen(user);
}

/** 403 FORBIDDEN while an admin has the account frozen. */
const accountFrozen = () => new AppError(403, "FORBIDDEN", "This account is frozen; contact support");

export function assertNotFrozen(user: Pick<Standing, "frozen">): void {
  if (user.frozen) throw accountFrozen();
}

/** 403 EMAIL_NOT_VERIFIED (when REQUIRE_EMAIL_VERIFICATION) before `doing` what only the address's owner may. */
export function assertEmailVerified(config: Config, user: Pick<Standing, "emailVerified">, doing: string): void {
  if (config.requireEmailVerification && !user.emailVerified) {
    throw new AppError(403, "EMAIL_NOT_VERIFIED", `Verify your email before ${doing}`);
  }
}

/** Four eyes: an admin never decides the review of a movement of their own money, nor freezes themselves. */
export function assertNotOwnCase(adminId: string, parties: string[]): void {
  if (parties.includes(adminId))
    throw new AppError(403, "FORBIDDEN", "This concerns your own account: another admin must decide it");
}

/**
 * During the lock after a security change (password, 2FA) money may not leave the account: withdrawals and
 * P2P sends are refused (receiving, trading and deposits go on).
 */
export function assertWithdrawalsUnlocked(user: Pick<UserRow, "withdrawalsLockedUntil">): void {
  if (user.withdrawalsLockedUntil && user.withdrawalsLockedUntil.getTime() > Date.now()) {
    throw new AppError(
      403,
      "WITHDRAWALS_LOCKED",
      `Withdrawals and transfers to other users are paused after a security change until ${user.withdrawalsLockedUntil.toISOString()}`,
      {
        until: user.withdrawalsLockedUntil.toISOString(),
      },
    );
  }
}

/**
 * SQL, true while the owner `userId` (a column) is not frozen. Background work that moves a user's money on
 * their behalf — resting orders filling, payouts leaving — waits while they are frozen, as their requests do.
 */
export const ownerNotFrozen = (userId: SQLWrapper) =>
  sql`not exists (select 1 from ${users} where ${users.id} = ${userId} and ${users.frozenAt} is not null)`;

/**
 * Whether the user is not frozen, with their row share-locked to the end of `tx`. A freeze updates that row, so
 * it waits for the work `tx` does (which then came before it), or the work waits for the freeze and sees it:
 * background work that moves a user's money never lands after a freeze has answered.
 */
export async function lockedUnfrozen(tx: DbTransaction, userId: string): Promise<boolean> {
  const rows = await tx
    .select({ id: users.id })
    .from(users)
    .where(and(eq(users.id, userId), isNull(users.frozenAt)))
    .for("share");
  return rows.length > 0;
}

/**
 * 403 for a frozen user, read under lockedUnfrozen's lock: a request that moves the user's money at once (a trade)
 * and began before a freeze either commits before the freeze answers, or waits for it and is refused. The standing
 * its session showed when the request began may predate the freeze.
 */
export async function assertUnfrozenToCommit(tx: DbTransaction, userId: string): Promise<void> {
  if (!(await lockedUnfrozen(tx, userId))) throw accountFrozen();
}
