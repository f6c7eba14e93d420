/**
 * 100 requests a minute (RATE_LIMIT_PER_MINUTE) per user when the request carries a valid access token of
 * a live session, per client IP otherwise; counted in Redis when configured so all instances share one budget.
 * Platform endpoints and the web app's files are not limited; the API and the socket are.
 */
import { Elysia } from "elysia";
import type { Config } from "../../config";
import type { CounterStore } from "../counters";
import {
  type AccessClaims,
  accessJwtPlugin,
  accessTokenOf,
  liveSession,
  type SessionResolver,
  verifiedAccessClaims,
} from "./auth";
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

/**
 * How long the limiter trusts what it last learnt of a session. Past its budget a request is answered 429
 * without asking the database again, so a flood costs no query per request; a token revoked within this
 * time may still spend its user's budget for that long.
 */
const SESSION_ANSWER_MS = 1000;

/** Recent answers to "is this token's session live?", per session, bounded in size. */
function sessionAnswers(resolveSession: SessionResolver) {
  const answers = new Map<string, { live: boolean; until: number }>();
  return async (request: Request, claims: AccessClaims): Promise<boolean> => {
    const key = `${claims.sub}:${claims.sid}`;
    const now = Date.now();
    const known = answers.get(key);
    if (known && known.until > now) return known.live;
    const live = (await liveSession(request, claims, resolveSession)) !== null;
    if (answers.size >= 10_000) for (const [k, answer] of answers) if (answer.until <= now) answers.delete(k);
    if (answers.size >= 10_000) answers.clear();
    answers.set(key, { live, until: now + SESSION_ANSWER_MS });
    return live;
  };
}

export function rateLimitPlugin(config: Config, counters: CounterStore, resolveSession: SessionResolver) {
  const limit = config.rateLimitPerMinute;
  const isLive = sessionAnswers(resolveSession);
  return new Elysia({ name: "rate-limit" }).use(accessJwtPlugin(config)).onRequest(async ({ request, set, accessJwt }) => {
    const path = new URL(request.url).pathname;
    if (!LIMITED.test(path) || request.method === "OPTIONS") return;
    // A request spends its user's budget only with a valid token of a live session: otherwise a forged or a
    // revoked (leaked, then signed out) token could spend the user's budget and lock them out of the API.
    const presented = accessTokenOf(request);
    const claims = presented ? await verifiedAccessClaims(request, presented.token, accessJwt.verify) : false;
    const live =
      claims &&
      typeof claims.sub === "string" &&
      typeof claims.sid === "string" &&
      (await isLive(request, { sub: claims.sub, sid: claims.sid }));
    const key = live ? `user:${claims.sub}` : `ip:${requestContext(request).ip ?? "unknown"}`;
    const { count, resetMs } = await counters.hit(key, WINDOW_MS);
    const headers = rateLimitHeaders(limit, limit - count, resetMs);
    Object.assign(set.headers, headers);
    if (count > limit) throw rateLimited(`More than ${limit} requests a minute; slow down`, resetMs, headers);
  });
}
