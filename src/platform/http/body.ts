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
 */
export async function parseJsonBody(request: Request, contentType: string, limit: number): Promise<unknown> {
  const text = await readText(request, limit);
  if (text.length === 0) return undefined;
  if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
    throw new AppError(400, "MALFORMED_REQUEST", "Request body must be JSON sent with Content-Type: application/json");
  }
  requestContext(request).rawBody = text;
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new AppError(400, "MALFORMED_REQUEST", "Request body is not valid JSON");
  }
  // JSON can only carry U+0000 escaped; Postgres stores no text with it, so no field of ours accepts it.
  if (text.includes("\\u0000") && holdsNul(body)) throw nulRefused("Request body");
  return body;
}

export const nulRefused = (where: string) =>
  new AppError(400, "MALFORMED_REQUEST", `${where} contains a NUL character (U+0000), which no field accepts`);

function holdsNul(value: unknown): boolean {
  if (typeof value === "string") return value.includes("\0");
  if (Array.isArray(value)) return value.some(holdsNul);
  if (value && typeof value === "object") return Object.entries(value).some(([key, v]) => key.includes("\0") || holdsNul(v));
  return false;
}
