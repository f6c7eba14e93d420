import { Elysia } from "elysia";
import { randomToken } from "../../platform/crypto";
import {
  accessClaims,
  accessTokenOf,
  assertCsrf,
  type authPlugin,
  COOKIE,
  type Cookies,
  cookieValue,
  unauthenticated,
} from "../../platform/http/auth";
import { actorOf, requestContext } from "../../platform/http/request-context";
import { documented, IdParams } from "../../platform/http/request-schemas";
import {
  AcceptedAnswer,
  ChangePasswordBody,
  CodeBody,
  ForgotBody,
  LoginBody,
  Ok,
  ProfileBody,
  RecoveryCodes,
  RecoveryCodesLeft,
  RegisterBody,
  ResetBody,
  SessionList,
  TokenBody,
  TwoFactorSetup,
  UserAnswer,
} from "./model";
import {
  changePassword,
  forgotPassword,
  getUser,
  type IdentityContext,
  login,
  register,
  resendVerification,
  resetPassword,
  toUser,
  updateProfile,
  verifyEmail,
} from "./service";
import {
  endSessionIfTokenReused,
  listLiveSessions,
  type NewSession,
  type RefreshOutcome,
  refreshRefusal,
  refreshSession,
  revokeOwnOtherSessions,
  revokeOwnSession,
  sessionOfRefreshToken,
  sessionToEnd,
  signOut,
} from "./sessions";
import {
  disableTwoFactor,
  enableTwoFactor,
  recoveryCodesLeft,
  regenerateRecoveryCodes,
  setupTwoFactor,
  undoTwoFactor,
} from "./two-factor";

/** What the auth plugin puts in every route's context: `accessJwt` signs access tokens, `sessionCookies` sets the cookies. */
type AuthDecorators = ReturnType<typeof authPlugin>["decorator"];
type SessionCookies = AuthDecorators["sessionCookies"];

/**
 * Login and refresh hand the browser a session the same way: a new access token for it, the refresh token, and a
 * new CSRF token, as the three cookies.
 */
async function issueSessionCookies(
  { cookie, accessJwt, sessionCookies }: Pick<AuthDecorators, "accessJwt" | "sessionCookies"> & { cookie: Cookies },
  userId: string,
  session: NewSession,
): Promise<void> {
  const access = await accessJwt.sign(accessClaims(userId, session.sessionId));
  sessionCookies.issue(cookie, {
    access,
    refresh: session.refreshToken,
    csrf: randomToken(32),
    sessionEndsAt: session.sessionEndsAt,
  });
}

/** A refresh that did not rotate the token: the cookies go, and the refusal answers (REFRESH_REUSED for a copy). */
function refuseRefresh(
  outcome: Exclude<RefreshOutcome, { kind: "rotated" }>,
  cookie: Cookies,
  sessionCookies: SessionCookies,
): never {
  sessionCookies.clear(cookie);
  throw refreshRefusal(outcome);
}

/** /api/auth: accounts, sessions and 2FA, as API.md lists them, and POST /2fa/undo (the link of the mail an enable sends). */
export function identityController(ctx: IdentityContext, auth: ReturnType<typeof authPlugin>) {
  return new Elysia({ prefix: "/api/auth", name: "identity", detail: { tags: ["identity"] } })
    .use(auth)
    .post(
      "/register",
      async ({ body, request, set }) => {
        set.status = 201;
        return { user: await register(ctx, body, actorOf(request)) };
      },
      { body: RegisterBody, response: { 201: UserAnswer } },
    )
    .post("/verify-email", async ({ body, request }) => ({ user: await verifyEmail(ctx, body.token, actorOf(request)) }), {
      body: TokenBody,
      response: UserAnswer,
    })
    .post(
      "/resend-verification",
      async ({ principal, set }) => {
        await resendVerification(ctx, principal.userId);
        set.status = 202;
        return { accepted: true };
      },
      { auth: true, ...documented({ 202: "A new verification mail is on its way" }, { 202: AcceptedAnswer }) },
    )
    .post(
      "/login",
      async ({ body, request, cookie, accessJwt, sessionCookies }) => {
        const result = await login(ctx, body, actorOf(request));
        requestContext(request).userId = result.user.id;
        await issueSessionCookies({ cookie, accessJwt, sessionCookies }, result.user.id, result);
        return { user: result.user };
      },
      { body: LoginBody, response: UserAnswer },
    )
    .post(
      "/refresh",
      async ({ request, cookie, accessJwt, sessionCookies }) => {
        const outcome = await refreshSession(ctx.db, cookieValue(cookie, COOKIE.refresh) as string, actorOf(request));
        if (outcome.kind !== "rotated") refuseRefresh(outcome, cookie, sessionCookies);
        requestContext(request).userId = outcome.userId;
        await issueSessionCookies({ cookie, accessJwt, sessionCookies }, outcome.userId, outcome);
        return { user: toUser(await getUser(ctx.db, outcome.userId)) };
      },
      {
        response: UserAnswer,
        // 401 before 403 (API.md): without a refresh token of a live session there is nothing to protect from a
        // forged request. A known token (even a rotated one) is checked for CSRF before anything is done with it.
        // In transform, as the auth macro: these come before any judgement of a body, which this route ignores;
        // so does REFRESH_REUSED, the theft signal, which ends the session whatever else the request holds.
        async transform({ request, cookie, sessionCookies }) {
          const presented = cookieValue(cookie, COOKIE.refresh);
          if (!presented) throw unauthenticated("No refresh token");
          const session = await sessionOfRefreshToken(ctx.db, presented);
          if (!session) {
            sessionCookies.clear(cookie);
            throw unauthenticated("Session has ended; sign in again");
          }
          assertCsrf(request, cookie);
          const reused = await endSessionIfTokenReused(ctx.db, presented, session, actorOf(request));
          if (reused) refuseRefresh(reused, cookie, sessionCookies);
        },
      },
    )
    .post(
      "/logout",
      async ({ request, cookie, accessJwt, sessionCookies, set }) => {
        const session = await sessionToEnd(ctx.db, accessTokenOf(request), cookieValue(cookie, COOKIE.refresh), accessJwt.verify);
        const ended = session ? await signOut(ctx.db, session, actorOf(request)) : false;
        sessionCookies.clear(cookie);
        if (!ended) throw unauthenticated("Session has ended; sign in again");
        set.status = 204;
      },
      {
        ...documented({ 204: "Signed out: the session is revoked and the cookies cleared" }),
        // In transform, as the auth macro: 401 and 403 come before any judgement of a body, which this route ignores.
        async transform({ request, cookie, accessJwt }) {
          const session = await sessionToEnd(
            ctx.db,
            accessTokenOf(request),
            cookieValue(cookie, COOKIE.refresh),
            accessJwt.verify,
          );
          if (!session) throw unauthenticated();
          if (session.via !== "bearer") assertCsrf(request, cookie);
        },
      },
    )
    .get("/me", async ({ principal }) => ({ user: toUser(await getUser(ctx.db, principal.userId)) }), {
      auth: true,
      response: UserAnswer,
    })
    .patch(
      "/profile",
      async ({ principal, body, request }) => ({ user: await updateProfile(ctx, principal.userId, body, actorOf(request)) }),
      {
        auth: true,
        body: ProfileBody,
        response: UserAnswer,
      },
    )
    .post(
      "/password/forgot",
      async ({ body, set, request }) => {
        await forgotPassword(ctx, body.email, actorOf(request));
        set.status = 202;
        return { accepted: true };
      },
      { body: ForgotBody, ...documented({ 202: "Accepted, whether or not the email has an account" }, { 202: AcceptedAnswer }) },
    )
    .post(
      "/password/reset",
      async ({ body, request }) => {
        await resetPassword(ctx, body.token, body.password, actorOf(request));
        return { ok: true as const };
      },
      { body: ResetBody, response: Ok },
    )
    .post(
      "/password/change",
      async ({ principal, body, request }) => {
        await changePassword(ctx, principal, body, actorOf(request));
        return { ok: true as const };
      },
      { auth: true, body: ChangePasswordBody, response: Ok },
    )
    .get(
      "/sessions",
      async ({ principal }) => ({ items: await listLiveSessions(ctx.db, principal.userId, principal.sessionId) }),
      {
        auth: true,
        response: SessionList,
      },
    )
    .delete(
      "/sessions/:id",
      async ({ principal, params, request, cookie, sessionCookies, set }) => {
        await revokeOwnSession(ctx.db, principal.userId, params.id, actorOf(request));
        // Ending the session this browser is signed in with signs it out, as logout does.
        if (params.id === principal.sessionId) sessionCookies.clear(cookie);
        set.status = 204;
      },
      { auth: true, params: IdParams, ...documented({ 204: "The session is revoked; its tokens die at once" }) },
    )
    .post(
      "/sessions/revoke-others",
      async ({ principal, request, set }) => {
        await revokeOwnOtherSessions(ctx.db, principal.userId, principal.sessionId, actorOf(request));
        set.status = 204;
      },
      { auth: true, ...documented({ 204: "Every other session is revoked" }) },
    )
    .post("/2fa/setup", ({ principal }) => setupTwoFactor(ctx, principal.userId), { auth: true, response: TwoFactorSetup })
    .post(
      "/2fa/enable",
      async ({ principal, body, request }) => ({
        recoveryCodes: await enableTwoFactor(ctx, principal.userId, body.code, actorOf(request)),
      }),
      { auth: true, body: CodeBody, response: RecoveryCodes },
    )
    .post(
      "/2fa/disable",
      async ({ principal, body, request }) => {
        await disableTwoFactor(ctx, principal, body.code, actorOf(request));
        return { ok: true as const };
      },
      { auth: true, body: CodeBody, response: Ok },
    )
    .post(
      "/2fa/undo",
      async ({ body, request }) => {
        await undoTwoFactor(ctx, body.token, actorOf(request));
        return { ok: true as const };
      },
      {
        body: TokenBody,
        response: Ok,
        detail: { summary: "Undo a 2FA enable with the link of its mail (72 h): 2FA off, every session ended" },
      },
    )
    .get("/2fa/recovery-codes", async ({ principal }) => ({ remaining: await recoveryCodesLeft(ctx.db, principal.userId) }), {
      auth: true,
      response: RecoveryCodesLeft,
      detail: { summary: "How many recovery codes are unused (beyond API.md); the codes themselves are shown only once" },
    })
    .post(
      "/2fa/recovery-codes",
      async ({ principal, body, request }) => ({
        recoveryCodes: await regenerateRecoveryCodes(ctx, principal.userId, body.code, actorOf(request)),
      }),
      { auth: true, body: CodeBody, response: RecoveryCodes },
    );
}
