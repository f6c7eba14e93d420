/** The error envelope of API.md and the one error type services throw. */

export type ErrorBody = {
  error: { code: string; message: string; details?: Record<string, unknown>; requestId: string };
};

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    /** Extra response headers, e.g. Retry-After on a 429. */
    readonly headers?: Record<string, string>,
  ) {
    super(message);
    this.name = "AppError";
  }
}

export const notFound = (what = "Resource") => new AppError(404, "NOT_FOUND", `${what} not found`);

/** 422 VALIDATION_FAILED naming the one field (or header, or query parameter) that is wrong, and why. */
export const validationFailed = (field: string, message: string) =>
  new AppError(422, "VALIDATION_FAILED", message, { fields: [field] });

/** 503 UNAVAILABLE: the same request succeeds later; `Retry-After` tells a client when to try again. */
export const unavailable = (message: string) => new AppError(503, "UNAVAILABLE", message, undefined, { "retry-after": "5" });

/** A dependency (database, Redis) is out of reach. */
export const dependencyUnavailable = () => unavailable("A service CryptoVault depends on is unavailable; try again shortly");

/** Network failures of a connection to Postgres or Redis (Node's codes, and postgres.js's own). */
const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "ETIMEDOUT",
  "EPIPE",
  "CONNECTION_CLOSED",
  "CONNECTION_ENDED",
  "CONNECTION_DESTROYED",
  "CONNECT_TIMEOUT",
]);
/**
 * SQLSTATEs of a server that cannot serve now: connection exceptions (08…), shutting down or starting, out of
 * slots, and a new connection refused because its database (3D000) or its role's sign-in (28000, 28P01) is gone:
 * an operator's mistake that no request of the client's caused, and that /ready reports as the database down.
 */
const UNAVAILABLE_SQLSTATE = /^(08...|57P01|57P02|57P03|53300|3D000|28000|28P01)$/;
/**
 * What the clients say when they no longer have a connection, or no answer on it: PGlite closed, ioredis gave up
 * on a command, or on its answer (commandTimeout, bus.ts).
 */
const UNAVAILABLE_MESSAGES = new Set(["PGlite is closed", "Connection is closed.", "Command timed out"]);

/**
 * True when `error` (or what it wraps: Drizzle wraps the driver's error as `cause`) says the database or
 * Redis is out of reach rather than that the request was wrong: API.md's 503 UNAVAILABLE, never a 500.
 */
export function isDependencyDown(error: unknown): boolean {
  let current = error as { name?: unknown; code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; current && depth < 8; depth++, current = current.cause as typeof current) {
    if (current.name === "MaxRetriesPerRequestError") return true;
    const code = typeof current.code === "string" ? current.code : "";
    if (CONNECTION_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) return true;
    // A new connection refused because the role lost CONNECT on the database: down as much as a dropped database.
    if (code === "42501" && typeof current.message === "string" && current.message.startsWith("permission denied for database"))
      return true;
    if (typeof current.message === "string" && UNAVAILABLE_MESSAGES.has(current.message)) return true;
  }
  return false;
}

export function errorBody(code: string, message: string, requestId: string, details?: Record<string, unknown>): ErrorBody {
  return { error: details ? { code, message, details, requestId } : { code, message, requestId } };
}
