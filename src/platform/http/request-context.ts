import { isIP } from "node:net";
import type { Principal, Standing } from "./auth";
import type { AppError } from "./errors";

/**
 * Per-request facts every hook needs (id, start time, user), kept beside the Request object itself so
 * they exist even for requests that fail before routing (bad JSON, unknown route, oversized body).
 */
export type RequestContext = {
  id: string;
  startedAt: number;
  /** The client's address, for rate limits and the audit log. */
  ip: string | null;
  userAgent: string | null;
  userId?: string;
  /** Set by the auth macro for authenticated routes. */
  principal?: Principal;
  /** The access token's verified claims (false: invalid), so the rate limiter and auth check its signature once. */
  accessClaims?: { token: string; claims: Record<string, unknown> | false };
  /** The access token's session as identity answered for it (null: revoked or expired), asked once per request. */
  session?: { of: string; standing: Standing | null };
  rawBody?: string;
  /** A body that is not JSON: 400 MALFORMED_REQUEST, answered once the request is authenticated. */
  malformedBody?: AppError;
  /** The request came with a body stream of no bytes (no stream at all leaves the body undefined). */
  emptyBody?: boolean;
  /** Body fields and query parameters holding U+0000 or an unpaired surrogate: 422 once authenticated. */
  unusableTextFields?: string[];
  /** Query parameters given more than once: 422 once authenticated. */
  repeatedQueryFields?: string[];
  /** The body is being read from the client (body.ts): a deadline then is the client's slowness, not ours. */
  readingBody?: boolean;
  /** The status answered at the request deadline while the work went on (deadline.ts): 503, or 408. */
  answeredAtDeadline?: 503 | 408;
};

const contexts = new WeakMap<Request, RequestContext>();

/** A client's X-Request-Id is kept when it is sane: short and free of anything that could forge a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * The rightmost X-Forwarded-For entry is the one our own proxy added; earlier ones are the client's word. One
 * that is no IP address (a proxy chain that passes the header on untouched) is not taken for the client's.
 */
function clientIp(request: Request, socketIp: string | null, trustProxy: boolean): string | null {
  if (!trustProxy) return socketIp;
  const lastHop = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
  return lastHop && isIP(lastHop) ? lastHop : socketIp;
}

export function beginRequest(request: Request, socketIp: string | null = null, trustProxy = false): RequestContext {
  const given = request.headers.get("x-request-id");
  const context = {
    id: given && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID(),
    startedAt: performance.now(),
    ip: clientIp(request, socketIp, trustProxy),
    userAgent: request.headers.get("user-agent")?.slice(0, 512) ?? null,
  };
  contexts.set(request, context);
  return context;
}

export function requestContext(request: Request): RequestContext {
  return contexts.get(request) ?? beginRequest(request);
}

/** Who is acting and from where, for the audit log. */
export function actorOf(request: Request): { ip: string | null; userAgent: string | null } {
  const { ip, userAgent } = requestContext(request);
  return { ip, userAgent };
}
