/**
 * 100 requests a minute (RATE_LIMIT_PER_MINUTE) per user when the request carries a valid access token of
 * a live session, per client IP otherwise (an IPv6 client's /64: ip-network.ts); counted in Redis when configured so all instances share one budget.
 * Platform endpoints and the web app's files are not limited; the API and the socket are.
 */

import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { CounterStore } from "../counters";
import {
  type AccessClaims,
  accessClaimsOf,
  accessJwtPlugin,
  accessTokenOf,
  liveSession,
  type SessionResolver,
  verifiedAccessClaims,
} from "./auth";
import { AppError } from "./errors";
import { budgetNetwork } from "./ip-network";
import { requestContext } from "./request-context";
import { requestPath } from "./uri";

const WINDOW_MS = 60_000;
const LIMITED = /^\/(api|ws)(\/|$)/;

/** The RateLimit-* headers of a budget of `limit` with `remaining` left, whose window resets in `resetMs`. */
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

/**
 * How long a session seen live may spend its user's budget on that word alone, once the user is past it: a
 * flood from a live session is then answered 429 without a query per request.
 */
const SESSION_ANSWER_MS = 1000;
const MAX_REMEMBERED = 10_000;

/** `until` times by key, bounded in size: expired entries go first, then all. */
function expiring() {
  const untils = new Map<string, number>();
  return {
    has: (key: string, now: number) => (untils.get(key) ?? 0) > now,
    set(key: string, until: number, now: number) {
      if (untils.size >= MAX_REMEMBERED) for (const [k, u] of untils) if (u <= now) untils.delete(k);
      if (untils.size >= MAX_REMEMBERED) untils.clear();
      untils.set(key, until);
    },
  };
}

/**
 * Whose budget a request spends. Below the user's budget, whether the token's session lives is asked on
 * every request (the auth check then reuses the answer), so a token revoked a moment ago never spends its
 * user's budget. Past it, a session seen live within the last second is taken at its word: the answer is 429
 * either way, and the flood costs no query.
 */
function budgetOwner(resolveSession: SessionResolver) {
  const seenLive = expiring();
  const overBudget = expiring();
  return {
    async isLive(request: Request, claims: AccessClaims): Promise<boolean> {
      const session = `${claims.sub}:${claims.sid}`;
      const now = Date.now();
      if (overBudget.has(claims.sub, now) && seenLive.has(session, now)) return true;
      const live = (await liveSession(request, claims, resolveSession)) !== null;
      if (live) seenLive.set(session, now + SESSION_ANSWER_MS, now);
      return live;
    },
    /** The user spent past the budget; their window resets in `resetMs`. */
    exhausted: (userId: string, resetMs: number) => overBudget.set(userId, Date.now() + resetMs, Date.now()),
  };
}

export function rateLimitPlugin(config: Config, counters: CounterStore, resolveSession: SessionResolver) {
  const limit = config.rateLimitPerMinute;
  const owner = budgetOwner(resolveSession);
  return new Elysia({ name: "rate-limit" }).use(accessJwtPlugin(config)).onRequest(async ({ request, set, accessJwt }) => {
    const path = requestPath(request.url);
    if (!LIMITED.test(path) || request.method === "OPTIONS") return;
    // A request spends its user's budget only with a valid token of a live session: otherwise a forged or a
    // revoked (leaked, then signed out) token could spend the user's budget and lock them out of the API.
    const presented = accessTokenOf(request);
    const claims = presented ? accessClaimsOf(await verifiedAccessClaims(request, presented.token, accessJwt.verify)) : null;
    const userId = claims && (await owner.isLive(request, claims)) ? claims.sub : undefined;
    const ip = requestContext(request).ip;
    const key = userId ? `user:${userId}` : `ip:${ip ? budgetNetwork(ip) : "unknown"}`;
    const { count, resetMs } = await counters.hit(key, WINDOW_MS);
    const headers = rateLimitHeaders(limit, limit - count, resetMs);
    Object.assign(set.headers, headers);
    if (count > limit && userId) owner.exhausted(userId, resetMs);
    if (count > limit) throw rateLimited(`More than ${limit} requests a minute; slow down`, resetMs, headers);
  });
}
