/**
 * Headers every response carries. The CSP is the one the SPA runs under: its own scripts only, inline
 * styles (Solid sets style attributes), images from itself and data: URLs, API and WebSocket on its origin.
 * Answers are private and kept by no cache (a TOTP secret, recovery codes, balances); the app's files and
 * the API docs' assets say otherwise where they are served.
 */
export function securityHeaders(options: {
  production: boolean;
  sentryDsn?: string;
  /** The origins the app is served at (PUBLIC_URL's and CORS_ORIGINS). */
  appOrigins: Iterable<string>;
}): Record<string, string> {
  // 'self' covers the page's own WebSocket in CSP 3 browsers; the app origins' ws: and wss: forms cover older ones,
  // and an injected script may open a socket to nowhere else.
  const connect = ["'self'", ...[...options.appOrigins].map((origin) => origin.replace(/^http/, "ws"))];
  if (options.sentryDsn) connect.push(new URL(options.sentryDsn).origin);
  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src ${connect.join(" ")}`,
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join("; ");
  const headers: Record<string, string> = {
    "content-security-policy": csp,
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "strict-origin-when-cross-origin",
    "cross-origin-opener-policy": "same-origin",
    "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    "cache-control": "no-store",
  };
  if (options.production) headers["strict-transport-security"] = "max-age=63072000; includeSubDomains";
  return headers;
}
