/**
 * What API.md makes true of every route and the generated OpenAPI document cannot know: the X-CSRF-Token a
 * cookie-signed change needs, the error statuses the rules answer with (each in the envelope), and request bodies
 * that refuse a field they do not name. A client generated from /api/docs/json relies on all three.
 */

type Schema = { type?: string; additionalProperties?: unknown };
type Response = { description?: string; content?: unknown; headers?: Record<string, unknown> };
export type Operation = {
  requestBody?: { content?: Record<string, { schema?: Schema }>; required?: boolean };
  responses?: Record<string, Response>;
  parameters?: { name: string; in: string }[];
  security?: Record<string, string[]>[];
};
export type Document = { paths: Record<string, Record<string, Operation>> };

const UNSAFE = new Set(["post", "put", "patch", "delete"]);

/** Whether a cookie may sign the operation: then an unsafe one needs X-CSRF-Token (API.md: CSRF). */
const cookieSigned = (operation: Operation) =>
  operation.security?.some((scheme) => "accessCookie" in scheme || "refreshCookie" in scheme) ?? false;

const CSRF_HEADER = {
  name: "X-CSRF-Token",
  in: "header",
  // Not with a Bearer token, which a cookie-less client sends instead.
  required: false,
  description:
    "Equal to the csrf_token cookie. Required when a cookie signs the request (access_token; refresh_token for " +
    "refresh and logout), else 403 CSRF_FAILED; not needed with Authorization: Bearer",
  schema: { type: "string" },
};

/** API.md's table: what each error status means, with the codes it carries. */
const ERRORS: Record<string, string> = {
  "400": "MALFORMED_REQUEST: the body is not valid JSON, or not sent as application/json",
  "401":
    "UNAUTHENTICATED: no valid access token; sign-in, refresh and 2FA routes also INVALID_CREDENTIALS, TOTP_REQUIRED, " +
    "INVALID_TOTP, REFRESH_REUSED",
  "403": "CSRF_FAILED, FORBIDDEN (role or frozen account), EMAIL_NOT_VERIFIED or WITHDRAWALS_LOCKED",
  "404": "NOT_FOUND: no such resource, or it belongs to someone else",
  "409":
    "INVALID_STATE when the resource's state does not allow it (e.g. cancel a completed withdrawal), EMAIL_TAKEN on " +
    "register, IDEMPOTENCY_IN_PROGRESS (with Retry-After) while the same Idempotency-Key still runs",
  "413": "PAYLOAD_TOO_LARGE: the body is over MAX_BODY_BYTES",
  "422": "VALIDATION_FAILED naming the fields in details.fields, or a business rule's code",
  "428": "IDEMPOTENCY_KEY_REQUIRED: no Idempotency-Key header",
  "429": "RATE_LIMITED, with Retry-After",
  "503": "UNAVAILABLE: a dependency (the database) is down; retry after Retry-After",
};

/** Statuses a route's own rules answer that the general ones below do not give it: a lookup by query, an unknown order. */
const OWN_STATUSES: Record<string, string[]> = {
  "/api/admin/users": ["404"],
  "/api/wallet/deposit/webhook": ["404"],
};

/**
 * The error statuses an operation may answer by API.md's rules: a body on any change (malformed, too large), a state
 * that forbids a change (409), a sign-in route's own 401s. Over-listing one is harmless to a client; missing one is not.
 */
function errorStatuses(path: string, method: string, operation: Operation): string[] {
  const statuses = new Set(["429", "503"]);
  const unsafe = UNSAFE.has(method);
  const hasInput =
    operation.requestBody !== undefined || (operation.parameters?.some((p) => p.in === "query" || p.in === "path") ?? false);
  if (unsafe) for (const status of ["400", "409", "413"]) statuses.add(status);
  if (hasInput) statuses.add("422");
  if (operation.security?.length || (unsafe && path.startsWith("/api/auth/"))) statuses.add("401");
  if (operation.security?.length) statuses.add("403");
  if (path.includes("{")) statuses.add("404");
  if (operation.parameters?.some((p) => p.name === "Idempotency-Key")) statuses.add("428");
  for (const status of OWN_STATUSES[path] ?? []) statuses.add(status);
  return [...statuses];
}

/**
 * Adds X-CSRF-Token to every unsafe operation a cookie may sign, each error status the general rules give to the
 * operation's responses, the envelope to every error response that lacks a body, and closes request bodies.
 */
export function withContract(document: Document, envelope: Response): Document {
  for (const [path, operations] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      const responses = operation.responses ?? {};
      if (path.startsWith("/api/")) {
        if (UNSAFE.has(method) && cookieSigned(operation)) {
          operation.parameters = [...(operation.parameters ?? []), CSRF_HEADER];
          // A cookie is not enough on its own: each way of signing with one pairs it with the header.
          operation.security = operation.security?.map((scheme) =>
            "accessCookie" in scheme || "refreshCookie" in scheme ? { ...scheme, csrfToken: [] } : scheme,
          );
        }
        for (const status of errorStatuses(path, method, operation)) responses[status] ??= { description: ERRORS[status] };
        closeBody(operation);
      }
      // Every error of the server has the envelope (API.md), /ws's refused upgrades included.
      for (const [status, response] of Object.entries(responses)) {
        if (/^[45]/.test(status) && response.content === undefined) response.content = envelope.content;
      }
      operation.responses = responses;
    }
  }
  return document;
}

/**
 * A JSON body names every field it takes: the server refuses another (422) unless its schema says otherwise (the
 * deposit webhook takes a provider's new fields), so the document says `additionalProperties: false` too.
 */
function closeBody(operation: Operation): void {
  const schema = operation.requestBody?.content?.["application/json"]?.schema;
  if (schema?.type === "object" && schema.additionalProperties === undefined) schema.additionalProperties = false;
}
