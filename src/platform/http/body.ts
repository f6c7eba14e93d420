import { Elysia } from "elysia";
import { AppError } from "./errors";
import { requestContext } from "./request-context";

/** The type of every JSON answer: Bun's own for a JSON body, which answers written as text (a stored one) say too. */
export const JSON_CONTENT_TYPE = "application/json;charset=utf-8";

const payloadTooLarge = (limit: number) =>
  new AppError(413, "PAYLOAD_TOO_LARGE", `Request body is larger than ${limit} bytes`, { limitBytes: limit });

/**
 * Refuses a declared length over the limit before a byte of the body is read, on any path. Used after the
 * rate limit, so such a request is counted too and its 413 carries the RateLimit headers.
 */
export const declaredLengthLimit = (limit: number) =>
  new Elysia({ name: "declared-length-limit" }).onRequest(({ request }) => {
    const declared = Number(request.headers.get("content-length") ?? 0);
    if (declared > limit) throw payloadTooLarge(limit);
  });

/** Reads at most `limit` bytes, so a chunked body without Content-Length cannot exhaust memory either. */
async function readText(request: Request, limit: number): Promise<string> {
  if (!request.body) return "";
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      throw payloadTooLarge(limit);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/**
 * The only body parser: JSON. An empty body is null, noted as empty: routes without a body schema accept
 * it, the others answer 400 MALFORMED_REQUEST (plugin.ts). Anything else must be valid JSON sent as
 * application/json. The raw text is kept for signature checks. A body that is not JSON parses as null and
 * is answered 400 MALFORMED_REQUEST later (see `malformed`).
 */
export async function parseJsonBody(request: Request, contentType: string, limit: number): Promise<unknown> {
  const context = requestContext(request);
  context.readingBody = true;
  const text = await readText(request, limit).finally(() => {
    context.readingBody = false;
  });
  // Not undefined, which would hand the body to Elysia's own parser, and that fails on an empty one.
  if (text.length === 0) {
    requestContext(request).emptyBody = true;
    return null;
  }
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    return malformed(request, "Request body must be JSON sent with Content-Type: application/json");
  }
  requestContext(request).rawBody = text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return malformed(request, "Request body is not valid JSON");
  }
  const found: BodyProblems = { tooDeep: false, unusableText: [] };
  inspectBody(body, "", 0, found);
  // No body of ours nests deeply, and judging one that does would cost the schema's error walk dearly.
  if (found.tooDeep) return malformed(request, `Request body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  // Refused at validation time (unusableTextRefused), in API.md's order after 401, CSRF and 428.
  if (found.unusableText.length > 0) {
    const context = requestContext(request);
    context.unusableTextFields = [...(context.unusableTextFields ?? []), ...found.unusableText];
  }
  return body;
}

/**
 * Keeps the 400 for when the request has been authenticated: API.md answers 401, CSRF_FAILED and 428 before
 * anything about the body, so a stranger learns nothing from a route by sending it junk. The platform's
 * hooks answer it in place of the schema failure (or, on a route without a body schema, before the handler).
 */
function malformed(request: Request, message: string): null {
  requestContext(request).malformedBody = new AppError(400, "MALFORMED_REQUEST", message);
  return null;
}

/** Deeper than any body of ours. */
const MAX_JSON_DEPTH = 32;

/**
 * Text no field accepts: U+0000, which JSON carries escaped and Postgres stores in no text; and an unpaired
 * surrogate (an escape like "\ud800"), which is no character at all and no UTF-8 can hold.
 */
const isUsableText = (text: string) => !text.includes("\0") && text.isWellFormed();

type BodyProblems = { tooDeep: boolean; unusableText: string[] };

/** Walks a parsed body down to MAX_JSON_DEPTH, noting the paths ("note", "items.0.label") of unusable text. */
function inspectBody(value: unknown, path: string, depth: number, found: BodyProblems): void {
  if (typeof value === "string") {
    if (!isUsableText(value)) found.unusableText.push(path || "body");
    return;
  }
  if (!value || typeof value !== "object") return;
  if (depth === MAX_JSON_DEPTH) {
    found.tooDeep = true;
    return;
  }
  for (const [key, v] of Object.entries(value)) {
    const at = path ? `${path}.${key}` : key;
    if (!isUsableText(key)) found.unusableText.push(at);
    else inspectBody(v, at, depth + 1, found);
    if (found.tooDeep) return;
  }
}

/** The query parameters whose name or value holds U+0000. */
export function queryFieldsWithNul(url: string): string[] {
  const query = url.indexOf("?");
  if (query < 0 || !url.includes("%00", query)) return [];
  const fields = [...new URLSearchParams(url.slice(query + 1))].filter(([k, v]) => `${k}${v}`.includes("\0")).map(([k]) => k);
  return [...new Set(fields)];
}

/** Query parameters given more than once (`?type=deposit&type=withdrawal`): only one would be used. */
export function repeatedQueryFields(url: string): string[] {
  const query = url.indexOf("?");
  if (query < 0) return [];
  const names = [...new URLSearchParams(url.slice(query + 1)).keys()];
  return [...new Set(names.filter((name, i) => names.indexOf(name) !== i))];
}

/** 422 naming the query parameters given more than once, rather than quietly using one of their values. */
export const repeatedFieldsRefused = (fields: string[]) =>
  new AppError(422, "VALIDATION_FAILED", `Give each of ${fields.join(", ")} at most once`, { fields });

/** 422 naming the fields that hold unusable text. */
export const unusableTextRefused = (fields: string[]) =>
  new AppError(
    422,
    "VALIDATION_FAILED",
    "Text may not hold a NUL character (U+0000) or an unpaired surrogate (an escape like \\ud800 alone)",
    { fields },
  );
