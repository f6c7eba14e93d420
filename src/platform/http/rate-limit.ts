/**
 * 100 requests a minute (RATE_LIMIT_PER_MINUTE) per user when the request carries a valid access token of
 * a live session, per client IP otherwise; counted in Redis when configured so all instances share one budget.
 * Platform endpoints and the web app's files are not limited; the API and the socket are.
 */
import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { CounterStore } from "../counters";
import { accessJwtPlugin, accessTokenOf, liveSession, type SessionResolver, verifiedAccessClaims } from "./auth";
import { AppError } from "./errors";
import { requestContext } from "./request-context";

const WINDOW_MS = 60_000;
const LIMITED = /^\/(api|ws)(\/|$)/;

export function rateLimitHeaders(limit: number, remaining: number, resetMs: number): Record<string, string> {
  return {
    "ratelimit-limit": String(limit),
    "ratelimit-remaining": String(Math.max(remaining, 0)),
    "ratelimit-reset": String(Math.ceil(resetMs / 1000)),
  };
}

export const rateLimited = (message: string, retryAfterMs: number, headers: Record<string, string> = {}) =>
  new AppError(
    429,
    "RATE_LIMITED",
    message,
    { retryAfterSeconds: Math.ceil(retryAfterMs / 1000) },
    {
      ...headers,
      "retry-after": String(Math.max(1, Math.ceil(retryAfterMs / 1000))),
    },
  );

export function rateLimitPlugin(config: Config, counters: CounterStore, resolveSession: SessionResolver) {
  const limit = config.rateLimitPerMinute;
  return new Elysia({ name: "rate-limit" }).use(accessJwtPlugin(config)).onRequest(async ({ request, set, accessJwt }) => {
    const path = new URL(request.url).pathname;
    if (!LIMITED.test(path) || request.method === "OPTIONS") return;
    // A request spends its user's budget only with a valid token of a live session: otherwise a forged or a
    // revoked (leaked, then signed out) token could spend the user's budget and lock them out of the API.
    // The session answer is kept for the auth check that follows.
    const presented = accessTokenOf(request);
    const claims = presented ? await verifiedAccessClaims(request, presented.token, accessJwt.verify) : false;
    const live =
      claims &&
      typeof claims.sub === "string" &&
      typeof claims.sid === "string" &&
      (await liveSession(request, { sub: claims.sub, sid: claims.sid }, resolveSession)) !== null;
    const key = live ? `user:${claims.sub}` : `ip:${requestContext(request).ip ?? "unknown"}`;
    const { count, resetMs } = await counters.hit(key, WINDOW_MS);
    const headers = rateLimitHeaders(limit, limit - count, resetMs);
    Object.assign(set.headers, headers);
    if (count > limit) throw rateLimited(`More than ${limit} requests a minute; slow down`, resetMs, headers);
  });
}
