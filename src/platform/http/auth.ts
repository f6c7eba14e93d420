/**
 * Authentication for every module: the access JWT (cookie or Bearer) is honoured only while its session
 * lives, cookie-authenticated unsafe requests must carry the CSRF token, and `auth: "admin"` adds the role.
 * Runs in `transform`, before body validation, so the order of API.md holds: 401 → 403 CSRF → 422.
 */
import { jwt } from "@elysiajs/jwt";
import { type Cookie, Elysia } from "elysia";
import type { Config } from "../../config";
import { randomToken, safeEqual } from "../crypto";
import { AppError } from "./errors";
import { requestContext } from "./request-context";
import { decodeUriComponent } from "./uri";
import { type VerifyToken, verifyOnce } from "./verified-tokens";

export const ACCESS_TOKEN_SECONDS = 15 * 60;
export const REFRESH_TOKEN_SECONDS = 30 * 24 * 3600;
export const COOKIE = { access: "access_token", refresh: "refresh_token", csrf: "csrf_token" } as const;

export type Role = "user" | "admin";
export type AccessClaims = { sub: string; sid: string };

/** The user and session a verified token names; null for a payload that is no access token's (or a failed check). */
export function accessClaimsOf(payload: unknown): AccessClaims | null {
  if (!payload || typeof payload !== "object") return null;
  const { sub, sid } = payload as Record<string, unknown>;
  return typeof sub === "string" && typeof sid === "string" ? { sub, sid } : null;
}
/** What the session check reads about the user with it: the role, and what decides whether money may move. */
export type Standing = { role: Role; emailVerified: boolean; frozen: boolean };
/** What a route knows about its caller. Modules load more through identity's services when they need it. */
export type Principal = Standing & { userId: string; sessionId: string; via: "cookie" | "bearer" };
/** Identity answers whether a session is live and whose it is; null when it is revoked or expired. */
export type SessionResolver = (claims: AccessClaims) => Promise<Standing | null>;

export type Cookies = Record<string, Cookie<unknown>>;

/** A cookie's value when it is a non-empty string (Elysia may parse JSON-looking values into objects). */
export function cookieValue(cookie: Cookies, name: string): string | undefined {
  const value = cookie[name]?.value;
  return typeof value === "string" && value !== "" ? value : undefined;
}
const UNSAFE = new Set(["POST", "PUT", "PATCH", "DELETE"]);

export const unauthenticated = (message = "Sign in to continue") => new AppError(401, "UNAUTHENTICATED", message);

/** The double-submit check: the X-CSRF-Token header must equal the csrf_token cookie. */
export function assertCsrf(request: Request, cookie: Cookies): void {
  const header = request.headers.get("x-csrf-token");
  const expected = cookieValue(cookie, COOKIE.csrf);
  if (!header || !expected || !safeEqual(header, expected)) {
    throw new AppError(403, "CSRF_FAILED", "Missing or wrong X-CSRF-Token header");
  }
}

export function bearerToken(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  // The scheme's name is case-insensitive (RFC 9110): "bearer" and "BEARER" are Bearer too.
  return header && /^bearer /i.test(header) ? header.slice(7).trim() : undefined;
}

/** An access token as a request presents it, and how. */
export type PresentedToken = { token: string; via: Principal["via"] };

/** The access token from the Authorization header or, failing that, the cookie (read from the raw header). */
export function accessTokenOf(request: Request): PresentedToken | undefined {
  const bearer = bearerToken(request);
  if (bearer) return { token: bearer, via: "bearer" };
  const match = /(?:^|;\s*)access_token=([^;]+)/.exec(request.headers.get("cookie") ?? "");
  // A token with a malformed escape is kept as sent: it then fails verification like any bad token (401).
  return match ? { token: decodeUriComponent(match[1]) ?? match[1], via: "cookie" } : undefined;
}

/**
 * The token's claims (false when its signature or expiry fails), asked once per request however many ask;
 * a signature that passed is not checked again while the token lives (verified-tokens.ts).
 */
export async function verifiedAccessClaims(request: Request, token: string, verify: VerifyToken) {
  const context = requestContext(request);
  if (context.accessClaims?.token !== token) context.accessClaims = { token, claims: await verifyOnce(verify, token) };
  return context.accessClaims.claims;
}

/** The claims' session standing (null when it is revoked or expired), asked once per request however many ask. */
export async function liveSession(request: Request, claims: AccessClaims, resolveSession: SessionResolver) {
  const context = requestContext(request);
  const of = `${claims.sub}:${claims.sid}`;
  if (context.session?.of !== of) context.session = { of, standing: await resolveSession(claims) };
  return context.session.standing;
}

/**
 * An access token's claims. The random `jti` makes every token its own: without it, one issued in the same second
 * as the token it replaces (a refresh just after sign-in) is the same token, and rotation hands back what it took.
 */
export const accessClaims = (userId: string, sessionId: string) => ({ sub: userId, sid: sessionId, jti: randomToken(12) });

/** Signs and verifies access tokens (HS256, 15 minutes) as `accessJwt` in the context. */
export const accessJwtPlugin = (config: Config) =>
  jwt({ name: "accessJwt", secret: config.jwtSecret, alg: "HS256", exp: `${ACCESS_TOKEN_SECONDS}s` });

export function authPlugin(config: Config, resolveSession: SessionResolver) {
  const secure = config.cookieSecure;
  return new Elysia({ name: "auth" })
    .use(accessJwtPlugin(config))
    .decorate("sessionCookies", {
      /**
       * Sets the three cookies of API.md after login or refresh. The refresh and CSRF cookies live as long as
       * the session (30 days from sign-in, `sessionEndsAt`), not 30 days from each refresh.
       */
      issue(cookie: Cookies, tokens: { access: string; refresh: string; csrf: string; sessionEndsAt: Date }) {
        const sessionSeconds = Math.max(0, Math.round((tokens.sessionEndsAt.getTime() - Date.now()) / 1000));
        cookie[COOKIE.access].set({
          value: tokens.access,
          httpOnly: true,
          sameSite: "lax",
          path: "/",
          maxAge: ACCESS_TOKEN_SECONDS,
          secure,
        });
        cookie[COOKIE.refresh].set({
          value: tokens.refresh,
          httpOnly: true,
          sameSite: "strict",
          path: "/api/auth",
          maxAge: sessionSeconds,
          secure,
        });
        cookie[COOKIE.csrf].set({
          value: tokens.csrf,
          httpOnly: false,
          sameSite: "strict",
          path: "/",
          maxAge: sessionSeconds,
          secure,
        });
      },
      clear(cookie: Cookies) {
        cookie[COOKIE.access].set({ value: "", httpOnly: true, sameSite: "lax", path: "/", maxAge: 0, secure });
        cookie[COOKIE.refresh].set({ value: "", httpOnly: true, sameSite: "strict", path: "/api/auth", maxAge: 0, secure });
        cookie[COOKIE.csrf].set({ value: "", httpOnly: false, sameSite: "strict", path: "/", maxAge: 0, secure });
      },
    })
    .macro({
      auth: (requirement: true | "admin") => ({
        // In the OpenAPI document: the access token, as the cookie or as a Bearer token (api-docs.ts names both).
        detail: { security: [{ accessCookie: [] }, { bearerToken: [] }] },
        async transform({ request, cookie, accessJwt }) {
          const presented = accessTokenOf(request);
          if (!presented) throw unauthenticated();
          const claims = accessClaimsOf(await verifiedAccessClaims(request, presented.token, accessJwt.verify));
          if (!claims) throw unauthenticated("Access token is invalid or expired");
          const session = await liveSession(request, claims, resolveSession);
          if (!session) throw unauthenticated("Session has ended; sign in again");
          if (presented.via === "cookie" && UNSAFE.has(request.method)) assertCsrf(request, cookie);
          if (requirement === "admin" && session.role !== "admin") throw new AppError(403, "FORBIDDEN", "Administrators only");
          // A frozen admin keeps no back-office powers: freezing is how a compromised admin account is stopped.
          if (requirement === "admin" && session.frozen) throw new AppError(403, "FORBIDDEN", "This account is frozen");
          const context = requestContext(request);
          context.userId = claims.sub;
          context.principal = { ...session, userId: claims.sub, sessionId: claims.sid, via: presented.via };
        },
        resolve: ({ request }) => ({ principal: requestContext(request).principal as Principal }),
      }),
    });
}
