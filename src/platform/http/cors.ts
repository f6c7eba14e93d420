/** CORS for the origins in CORS_ORIGINS (and PUBLIC_URL), with credentials, so cookies work cross-origin. */
import type { Config } from "../../config";

export const ALLOWED_HEADERS = "Content-Type, Authorization, X-CSRF-Token, Idempotency-Key, X-Request-Id";
export const EXPOSED_HEADERS =
  "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Idempotent-Replayed, Content-Disposition";

type OriginsConfig = Pick<Config, "publicUrl" | "corsOrigins">;
const originsOf = new WeakMap<OriginsConfig, { publicUrl: string; origins: ReadonlySet<string> }>();

/**
 * PUBLIC_URL's origin and CORS_ORIGINS. Looked up at each use, and built again when PUBLIC_URL changed: with
 * PORT=0 the default PUBLIC_URL names its port only once the server listens (followBoundPort).
 */
export function allowedOrigins(config: OriginsConfig): ReadonlySet<string> {
  const known = originsOf.get(config);
  if (known?.publicUrl === config.publicUrl) return known.origins;
  const origins = new Set([new URL(config.publicUrl).origin, ...config.corsOrigins]);
  originsOf.set(config, { publicUrl: config.publicUrl, origins });
  return origins;
}

/**
 * What an answer carries for the request's Origin. Every answer says `Vary: Origin`, grants or not: a cache that
 * kept an answer without them must not hand it to an allowed origin, nor one with them to another.
 */
export function corsHeaders(origin: string | null, allowed: ReadonlySet<string>): Record<string, string> {
  if (!origin || !allowed.has(origin)) return { vary: "Origin" };
  return {
    "access-control-allow-origin": origin,
    "access-control-allow-credentials": "true",
    "access-control-expose-headers": EXPOSED_HEADERS,
    vary: "Origin",
  };
}

/** The answer to a preflight: 204 with what may be sent, or 204 without grants for unknown origins. */
export function preflightHeaders(origin: string | null, allowed: ReadonlySet<string>): Record<string, string> {
  const base = corsHeaders(origin, allowed);
  if (!base["access-control-allow-origin"]) return base;
  return {
    ...base,
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": ALLOWED_HEADERS,
    "access-control-max-age": "600",
  };
}
