/** CORS for the origins in CORS_ORIGINS (and PUBLIC_URL), with credentials, so cookies work cross-origin. */
export const ALLOWED_HEADERS = "Content-Type, Authorization, X-CSRF-Token, Idempotency-Key, X-Request-Id";
export const EXPOSED_HEADERS =
  "X-Request-Id, RateLimit-Limit, RateLimit-Remaining, RateLimit-Reset, Retry-After, Idempotent-Replayed, Content-Disposition";

export function corsHeaders(origin: string | null, allowed: ReadonlySet<string>): Record<string, string> {
  if (!origin || !allowed.has(origin)) return {};
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
  if (!base["access-control-allow-origin"]) return { vary: "Origin" };
  return {
    ...base,
    "access-control-allow-methods": "GET, POST, PUT, PATCH, DELETE, OPTIONS",
    "access-control-allow-headers": ALLOWED_HEADERS,
    "access-control-max-age": "600",
  };
}
