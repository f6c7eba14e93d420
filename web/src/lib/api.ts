/**
 * The one HTTP client of the web app. Same origin, cookie auth (`credentials: "include"`), JSON both ways.
 * Unsafe methods echo the `csrf_token` cookie in `X-CSRF-Token` (double-submit CSRF, see API.md).
 * Any non-2xx answer becomes an ApiError built from the `{error:{code,message,details,requestId}}` envelope.
 *
 * Sessions: the access token lives 15 minutes. A 401 that means "no valid access token" (not a wrong password
 * or 2FA code) makes the client call POST /api/auth/refresh once and retry the request once. Every request
 * that fails while a refresh is running waits for that same refresh, and refreshes in other tabs are
 * serialized with the Web Locks API, so one refresh token is never presented twice (which would be
 * REFRESH_REUSED and revoke the session).
 */

export type ErrorDetails = Record<string, unknown>;

export type ErrorEnvelope = {
  error: { code: string; message: string; details?: ErrorDetails; requestId?: string };
};

export class ApiError extends Error {
  override readonly name = "ApiError";
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetails | undefined;
  readonly requestId: string | undefined;
  /** The parsed response body, for answers that carry more than the envelope (e.g. a 503 from /ready). */
  readonly body: unknown;
  /** The response headers (empty for a network failure). */
  readonly headers: Headers;
  /** Seconds to wait before trying again, from `Retry-After` (429, 503), when the server sent one. */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    message: string;
    details?: ErrorDetails;
    requestId?: string;
    body?: unknown;
    headers?: Headers;
  }) {
    super(init.message);
    this.status = init.status;
    this.code = init.code;
    this.details = init.details;
    this.requestId = init.requestId;
    this.body = init.body;
    this.headers = init.headers ?? new Headers();
    this.retryAfter = parseRetryAfter(this.headers.get("retry-after"));
  }
}

/** `Retry-After` is either delay-seconds or an HTTP date; both become whole seconds from now. */
function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, Math.ceil((at - now) / 1000));
}

export type RequestOptions = {
  headers?: Record<string, string>;
  /** Sent as `Idempotency-Key`; required by the money-moving POSTs. */
  idempotencyKey?: string;
  signal?: AbortSignal;
};

type Method = "GET" | "POST" | "PATCH" | "DELETE";

const UNSAFE_METHODS: ReadonlySet<Method> = new Set(["POST", "PATCH", "DELETE"]);

export function readCookie(name: string): string | undefined {
  for (const part of document.cookie.split(";")) {
    const eq = part.indexOf("=");
    if (eq === -1 || part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      return part.slice(eq + 1).trim();
    }
  }
  return undefined;
}

/** Whether this browser holds a session, by its script-readable csrf_token cookie (set and cleared with it). */
export const likelySignedIn = () => readCookie("csrf_token") !== undefined;

function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== "object" || value === null || !("error" in value)) return false;
  const error = (value as { error: unknown }).error;
  return (
    typeof error === "object" &&
    error !== null &&
    typeof (error as { code?: unknown }).code === "string" &&
    typeof (error as { message?: unknown }).message === "string"
  );
}

async function readBody(response: Response): Promise<unknown> {
  if (response.status === 204 || response.status === 205) return undefined;
  const text = await response.text();
  if (text === "") return undefined;
  if (!(response.headers.get("content-type") ?? "").includes("json")) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/**
 * Paths whose 401 is an answer about the credentials sent, never a reason to refresh the session. Logout takes
 * the refresh cookie itself: its 401 says that session is already over, which is what signing out asked for.
 */
const NO_REFRESH_PATHS: ReadonlySet<string> = new Set([
  "/api/auth/login",
  "/api/auth/register",
  "/api/auth/refresh",
  "/api/auth/logout",
]);

/** 401 codes that judge something the user typed (password, 2FA code) rather than the session. */
const NO_REFRESH_CODES: ReadonlySet<string> = new Set(["INVALID_CREDENTIALS", "TOTP_REQUIRED", "INVALID_TOTP"]);

/** Bumped after every successful refresh: a request sent before it can just be retried. */
let sessionEpoch = 0;
let refreshing: Promise<boolean> | undefined;
const expiredListeners = new Set<() => void>();
/**
 * Set when a session this browser held ended without it signing out: revoked from another device, or its refresh
 * refused. /login takes it to say why the user is there.
 */
let sessionEnded = false;

/** Called when a request ends in 401 because the session is gone and could not be refreshed. */
export function onSessionExpired(listener: () => void): () => void {
  expiredListeners.add(listener);
  return () => expiredListeners.delete(listener);
}

/** Whether a session ended (see `sessionEnded`) since the last call: said once, so a later visit is a plain one. */
export function takeSessionEnded(): boolean {
  const ended = sessionEnded;
  sessionEnded = false;
  return ended;
}

/** Nobody is signed in any more; `ended` when a live session was lost, not merely absent (never signed in, signed out). */
function sessionLost(ended: boolean) {
  if (ended) sessionEnded = true;
  for (const listener of expiredListeners) listener();
}

async function postRefresh(): Promise<boolean> {
  try {
    const response = await send("POST", "/api/auth/refresh");
    await response.body?.cancel();
    return response.ok;
  } catch {
    return false;
  }
}

/** One refresh at a time in this tab (shared promise) and across tabs (Web Lock, where available). */
function refreshSession(): Promise<boolean> {
  refreshing ??= (async () => {
    const locks = typeof navigator !== "undefined" ? navigator.locks : undefined;
    const ok = locks ? await locks.request("cryptovault-auth-refresh", postRefresh) : await postRefresh();
    if (ok) sessionEpoch++;
    return ok;
  })().finally(() => {
    refreshing = undefined;
  });
  return refreshing;
}

function send(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { Accept: "application/json", ...options.headers };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (options.idempotencyKey) headers["Idempotency-Key"] = options.idempotencyKey;
  if (UNSAFE_METHODS.has(method)) {
    // Read at send time: a refresh may have rotated the cookie since the first attempt.
    const csrf = readCookie("csrf_token");
    if (csrf) headers["X-CSRF-Token"] = csrf;
  }
  return fetch(path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "include",
    signal: options.signal,
  });
}

async function toError(response: Response): Promise<ApiError> {
  const parsed = await readBody(response);
  if (isEnvelope(parsed)) {
    const { code, message, details, requestId } = parsed.error;
    return new ApiError({ status: response.status, code, message, details, requestId, body: parsed, headers: response.headers });
  }
  return new ApiError({
    status: response.status,
    code: `HTTP_${response.status}`,
    message: response.statusText || `Request failed with status ${response.status}`,
    body: parsed,
    headers: response.headers,
  });
}

async function attempt(method: Method, path: string, body: unknown, options: RequestOptions): Promise<Response> {
  try {
    return await send(method, path, body, options);
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === "AbortError") throw cause;
    throw new ApiError({ status: 0, code: "NETWORK_ERROR", message: "The server could not be reached. Check your connection." });
  }
}

/** The successful response (the session refreshed once if needed); any other answer thrown as ApiError. */
async function respond(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<Response> {
  const epoch = sessionEpoch;
  let response = await attempt(method, path, body, options);

  if (response.status === 401 && !NO_REFRESH_PATHS.has(path.split("?")[0] ?? path)) {
    const error = await toError(response);
    if (NO_REFRESH_CODES.has(error.code)) throw error;
    // A refresh that finished after this request left makes the retry worth it on its own; otherwise
    // refresh, unless there is no csrf_token cookie at all (never signed in here, or signed out since: sign-out
    // clears it): refresh could only fail.
    const signedIn = likelySignedIn();
    const renewed = epoch !== sessionEpoch || (signedIn && (await refreshSession()));
    if (!renewed) {
      sessionLost(signedIn);
      throw error;
    }
    response = await attempt(method, path, body, options);
    if (response.status === 401) {
      const retryError = await toError(response);
      if (!NO_REFRESH_CODES.has(retryError.code)) sessionLost(true);
      throw retryError;
    }
  }

  if (response.ok) return response;
  throw await toError(response);
}

async function request<T>(method: Method, path: string, body?: unknown, options: RequestOptions = {}): Promise<T> {
  return (await readBody(await respond(method, path, body, options))) as T;
}

/** The answer of an idempotent POST (API.md "Idempotency"), and whether it is the first request's answer replayed. */
export type Replayable<T> = { body: T; replayed: boolean };

/** A file the server sent (e.g. `Content-Disposition: attachment`), with the name it suggested. */
export type Download = { blob: Blob; filename: string | undefined; contentType: string };

/** The file name of a `Content-Disposition` header: `filename*=UTF-8''…` first, then `filename="…"`. */
function dispositionFilename(header: string | null): string | undefined {
  if (!header) return undefined;
  const extended = /filename\*\s*=\s*([^']*)'[^']*'([^;]+)/i.exec(header);
  let name: string | undefined;
  if (extended?.[2]) {
    try {
      name = decodeURIComponent(extended[2].trim().replace(/^"|"$/g, ""));
    } catch {
      name = undefined;
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(header);
    name = plain?.[1]?.replace(/\\(.)/g, "$1") ?? plain?.[2]?.trim();
  }
  // Only a bare file name: no directories, no control characters.
  const base = name?.split(/[\\/]/).pop() ?? "";
  const safe = [...base]
    .filter((char) => char.charCodeAt(0) >= 0x20 && char !== "\u007f")
    .join("")
    .trim();
  return safe || undefined;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>("GET", path, undefined, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>("POST", path, body, options),
  patch: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>("PATCH", path, body, options),
  delete: <T>(path: string, options?: RequestOptions) => request<T>("DELETE", path, undefined, options),
  /**
   * POSTs like `post` a request sent with an `idempotencyKey`, and tells whether the answer is a replay
   * (`Idempotent-Replayed: true`): the same request had already gone through, and nothing was done again.
   */
  postIdempotent: async <T>(path: string, body: unknown, options: RequestOptions): Promise<Replayable<T>> => {
    const response = await respond("POST", path, body, options);
    return { body: (await readBody(response)) as T, replayed: response.headers.get("idempotent-replayed") === "true" };
  },
  /** POSTs like `post`, but answers the raw file (an export) instead of parsing it. */
  download: async (path: string, body?: unknown, options?: RequestOptions): Promise<Download> => {
    const response = await respond("POST", path, body, options);
    return {
      blob: await response.blob(),
      filename: dispositionFilename(response.headers.get("content-disposition")),
      contentType: response.headers.get("content-type") ?? "application/octet-stream",
    };
  },
};

/** Hands a file to the browser as a download (an object URL on a temporary link). */
export function saveFile(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.rel = "noopener";
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A message fit for the UI from anything thrown. */
export function errorMessage(error: unknown): string {
  if (error instanceof Error && error.message) return error.message;
  return "Something went wrong.";
}
