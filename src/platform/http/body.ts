import { AppError } from "./errors";
import { requestContext } from "./request-context";

export const payloadTooLarge = (limit: number) =>
  new AppError(413, "PAYLOAD_TOO_LARGE", `Request body is larger than ${limit} bytes`, { limitBytes: limit });

/** Refuses early when the declared length is over the limit, before a byte of the body is read. */
export function checkDeclaredLength(request: Request, limit: number): void {
  const declared = Number(request.headers.get("content-length") ?? 0);
  if (declared > limit) throw payloadTooLarge(limit);
}

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
 * The only body parser: JSON. An empty body is `undefined` (routes without a body schema accept it),
 * anything else must be valid JSON sent as application/json. The raw text is kept for signature checks.
 * A body that is not JSON parses as null and is answered 400 MALFORMED_REQUEST later (see `malformed`).
 */
export async function parseJsonBody(request: Request, contentType: string, limit: number): Promise<unknown> {
  const text = await readText(request, limit);
  if (text.length === 0) return undefined;
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
  // JSON can only carry U+0000 escaped; Postgres stores no text with it, so no field of ours accepts it.
  // The fields are refused at validation time (fieldsWithNul), in API.md's order after 401, CSRF and 428.
  if (text.includes("\\u0000")) {
    const context = requestContext(request);
    context.nulFields = [...(context.nulFields ?? []), ...fieldsWithNul(body)];
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

/** The paths ("note", "items.0.label") of every string or key in `value` that holds U+0000. */
function fieldsWithNul(value: unknown, path = ""): string[] {
  if (typeof value === "string") return value.includes("\0") ? [path || "body"] : [];
  if (!value || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) => {
    const at = path ? `${path}.${key}` : key;
    return key.includes("\0") ? [at] : fieldsWithNul(v, at);
  });
}

/** The query parameters whose name or value holds U+0000. */
export function queryFieldsWithNul(url: string): string[] {
  const query = url.indexOf("?");
  if (query < 0 || !url.includes("%00", query)) return [];
  const fields = [...new URLSearchParams(url.slice(query + 1))].filter(([k, v]) => `${k}${v}`.includes("\0")).map(([k]) => k);
  return [...new Set(fields)];
}

/** 422 naming the fields that hold U+0000. */
export const nulRefused = (fields: string[]) =>
  new AppError(422, "VALIDATION_FAILED", "A NUL character (U+0000) is not accepted in any field", { fields });
