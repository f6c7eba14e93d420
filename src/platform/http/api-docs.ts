/**
 * GET /api/docs: Swagger UI over the OpenAPI document at /api/docs/json. The UI's files come from this
 * server (swagger-ui-dist), not a CDN, so the page works offline and under the app's own CSP ('self').
 * The document is @elysiajs/openapi's, with each JSON request body filled in (see `withJsonBodies`).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toOpenAPISchema } from "@elysiajs/openapi";
import { OptionalKind } from "@sinclair/typebox";
import { Elysia } from "elysia";
import { type Document, withContract } from "./api-docs-contract";
import { notFound } from "./errors";
import { jsonSchemaOf } from "./request-schemas";

type Documentation = { info: { title: string; version: string }; paths?: Record<string, unknown> };
type Route = Elysia["routes"][number];

const SWAGGER_UI = dirname(fileURLToPath(import.meta.resolve("swagger-ui-dist/package.json")));
const ASSETS: Record<string, string> = {
  "swagger-ui.css": "text/css; charset=utf-8",
  "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
};
const INIT = 'window.ui = SwaggerUIBundle({ url: "/api/docs/json", dom_id: "#swagger-ui", deepLinking: true });\n';
const page = (title: string) => `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${title}</title>
    <link rel="icon" href="data:," />
    <link rel="stylesheet" href="/api/docs/swagger-ui.css" />
  </head>
  <body>
    <div id="swagger-ui"></div>
    <script src="/api/docs/swagger-ui-bundle.js"></script>
    <script src="/api/docs/init.js"></script>
  </body>
</html>
`;

/** "/api/wallet/deposit/:orderId" → "/api/wallet/deposit/{orderId}", as the document names it. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/**
 * The generator leaves a request body's content empty when a route has a parse hook it cannot name, and
 * every route has ours (the one JSON parser, platform/http/body.ts): so each gets its schema as JSON here.
 * It also calls every body required: one declared optional (an admin's reject) is said to be optional.
 */
function withJsonBodies(document: Document, routes: Route[]): Document {
  for (const route of routes) {
    const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    const body = route.hooks?.body;
    if (!operation?.requestBody || !body || typeof body !== "object") continue;
    if (OptionalKind in body) operation.requestBody.required = false;
    if (Object.keys(operation.requestBody.content ?? {}).length > 0) continue;
    operation.requestBody.content = { "application/json": { schema: jsonSchemaOf(body) } };
  }
  return document;
}

/** How a client presents its access token: routes with the auth option list both as their `security`. */
const SECURITY_SCHEMES = {
  accessCookie: {
    type: "apiKey",
    in: "cookie",
    name: "access_token",
    description: "Set by login and refresh. Unsafe methods with it also need X-CSRF-Token equal to the csrf_token cookie.",
  },
  bearerToken: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "The access token as a Bearer token" },
  csrfToken: {
    type: "apiKey",
    in: "header",
    name: "X-CSRF-Token",
    description: "Equal to the csrf_token cookie: with a cookie, every unsafe request sends it too (else 403 CSRF_FAILED)",
  },
  refreshCookie: {
    type: "apiKey",
    in: "cookie",
    name: "refresh_token",
    description: "Set by login and refresh (Path=/api/auth). Sent with X-CSRF-Token equal to the csrf_token cookie.",
  },
};

/** Routes that take the refresh cookie instead of (logout: as well as) the access token. */
const SESSION_SECURITY: Record<string, Record<string, string[]>[]> = {
  "/api/auth/refresh": [{ refreshCookie: [] }],
  "/api/auth/logout": [{ accessCookie: [] }, { bearerToken: [] }, { refreshCookie: [] }],
};

const header = (description: string, type = "string") => ({ description, schema: { type } });
/** What every answer of /api carries (API.md: request ids in errors, rate-limit headers under a limit). */
const API_HEADERS = {
  "X-Request-Id": header("This request's id, as the error envelope's requestId gives it"),
  "RateLimit-Limit": header("Requests allowed per minute", "integer"),
  "RateLimit-Remaining": header("Requests left in the window", "integer"),
  "RateLimit-Reset": header("Seconds until the window resets", "integer"),
};
const RETRY_AFTER = header("With 429 and 503 (and 409 IDEMPOTENCY_IN_PROGRESS): seconds to wait before trying again", "integer");
const REPLAYED = header('"true" when this is the stored answer of an earlier request with the same Idempotency-Key');
const SET_COOKIE = header("access_token, refresh_token and csrf_token (API.md: Authentication and sessions)");
const CLEARS_COOKIES = header("The three session cookies, cleared (Max-Age=0)");
const ATTACHMENT = header('attachment; filename="cryptovault-history-<date>.csv" (or .json)');
/** The statuses that tell a client when to try again. */
const RETRYABLE = new Set(["default", "409", "429", "503"]);

/** Set-Cookie by route and status: sign-in and refresh set the cookies; logout, and a refresh that failed, clear them. */
function cookiesOf(path: string, status: string): Record<string, unknown> {
  const success = status.startsWith("2");
  if (success && (path === "/api/auth/login" || path === "/api/auth/refresh")) return { "Set-Cookie": SET_COOKIE };
  if ((success && path === "/api/auth/logout") || (status === "401" && path === "/api/auth/refresh"))
    return { "Set-Cookie": CLEARS_COOKIES };
  return {};
}

/** The security of the two routes that take the refresh cookie, which the auth option does not describe. */
function withSessionSecurity(document: Document): Document {
  for (const [path, security] of Object.entries(SESSION_SECURITY)) {
    for (const operation of Object.values(document.paths[path] ?? {})) operation.security = security;
  }
  return document;
}

/** The response headers a client relies on, said on each operation: the generator knows only bodies. */
function withHeaders(document: Document): Document {
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith("/api/")) continue;
    for (const operation of Object.values(operations)) {
      const idempotent = operation.parameters?.some((parameter) => parameter.name === "Idempotency-Key");
      for (const [status, response] of Object.entries(operation.responses ?? {})) {
        const success = status.startsWith("2");
        response.headers = {
          ...response.headers,
          ...API_HEADERS,
          ...(RETRYABLE.has(status) ? { "Retry-After": RETRY_AFTER } : {}),
          // A refusal by the rules is replayed too (a 422); a 409 or a 428 never is.
          ...(idempotent && (success || status === "default" || status === "422") ? { "Idempotent-Replayed": REPLAYED } : {}),
          ...cookiesOf(path, status),
          ...(path === "/api/transactions/export" && success ? { "Content-Disposition": ATTACHMENT } : {}),
        };
      }
    }
  }
  return document;
}

/** Calls `visit` on every object of a JSON tree (a schema and its parts), each before what it holds. */
function eachObject(node: unknown, visit: (object: Record<string, unknown>) => void): void {
  if (Array.isArray(node)) {
    for (const item of node) eachObject(item, visit);
    return;
  }
  if (!node || typeof node !== "object") return;
  visit(node as Record<string, unknown>);
  for (const value of Object.values(node)) eachObject(value, visit);
}

/**
 * The generator writes an integer of a response as "an integer, or a string of one" (the form it gives query
 * values), with a number as the string's default, which OpenAPI validators refuse. A response's integer is a
 * JSON number: the string branch goes.
 */
function plainInteger(schema: Record<string, unknown>): void {
  const branches = schema.anyOf as { type?: string; format?: string }[] | undefined;
  if (
    branches?.length === 2 &&
    branches.some((b) => b.type === "string" && b.format === "integer") &&
    branches.some((b) => b.type === "integer")
  ) {
    delete schema.anyOf;
    Object.assign(
      schema,
      branches.find((b) => b.type === "integer"),
    );
  }
}

function withPlainIntegerResponses(document: Document): Document {
  for (const operations of Object.values(document.paths))
    for (const operation of Object.values(operations)) eachObject(operation.responses, plainInteger);
  return document;
}

/**
 * A date-time a request takes (filters, an order's expiresAt) may be a bare day too (README: UTC midnight), which the
 * server's `date-time` check accepts and JSON Schema's does not: the document offers both, so a client may send either.
 */
function dayAccepted(schema: Record<string, unknown>): void {
  for (const [key, value] of Object.entries(schema)) {
    const child = value as Record<string, unknown> | null;
    if (child && typeof child === "object" && child.type === "string" && child.format === "date-time") {
      const { format: _, ...rest } = child;
      schema[key] = {
        anyOf: [
          { ...rest, format: "date-time" },
          { ...rest, format: "date" },
        ],
      };
    }
  }
}

function withDaysAcceptedInRequests(document: Document): Document {
  for (const operations of Object.values(document.paths))
    for (const operation of Object.values(operations)) eachObject([operation.parameters, operation.requestBody], dayAccepted);
  return document;
}

/** API.md's error envelope: every error of the API, 4xx or 5xx, has this body. */
const ERROR_ENVELOPE = {
  description: "An error in API.md's envelope: its code, a message for people, optional details, the request id",
  content: {
    "application/json": {
      schema: {
        type: "object",
        required: ["error"],
        properties: {
          error: {
            type: "object",
            required: ["code", "message", "requestId"],
            properties: {
              code: { type: "string", examples: ["VALIDATION_FAILED"] },
              message: { type: "string" },
              details: { type: "object" },
              requestId: { type: "string" },
            },
          },
        },
      },
    },
  },
};

/** Every operation of the API answers its errors in the envelope: said once per operation as its `default`. */
function withErrorEnvelope(document: Document): Document {
  for (const [path, operations] of Object.entries(document.paths)) {
    if (!path.startsWith("/api/")) continue;
    for (const operation of Object.values(operations))
      operation.responses = { ...operation.responses, default: { ...ERROR_ENVELOPE } };
  }
  return document;
}

/**
 * The two routes of the docs themselves, in the document as API.md lists them (their UI's files are not: parts
 * of the page, not of the API).
 */
const describedAs = (summary: string, type: "text/html" | "application/json") => ({
  detail: {
    tags: ["platform"],
    summary,
    responses: {
      200: {
        description: summary,
        content: { [type]: { schema: { type: type === "text/html" ? ("string" as const) : ("object" as const) } } },
      },
    },
  },
});

/** The version toOpenAPISchema writes its schemas for, and @elysiajs/openapi's default. */
const OPENAPI_VERSION = "3.1.2";

export function apiDocs(documentation: Documentation, exclude: { paths: string[] }) {
  let cached: { routes: number; document: Document } | undefined;
  const hidden = { detail: { hide: true } };
  const docs = new Elysia({ name: "api-docs" });
  /** Built at the first request, once every route is registered (again only if a route is added later). */
  const document = () => {
    // Once used, a plugin answers getGlobalRoutes with the whole app's routes (what toOpenAPISchema reads too).
    const routes = (docs as unknown as { getGlobalRoutes(): Route[] }).getGlobalRoutes();
    if (cached?.routes !== routes.length) {
      const generated = toOpenAPISchema(docs, exclude, undefined, undefined, OPENAPI_VERSION);
      const full = {
        openapi: OPENAPI_VERSION,
        info: documentation.info,
        paths: { ...generated.paths, ...documentation.paths },
        components: { ...generated.components, securitySchemes: SECURITY_SCHEMES },
      };
      const withBodies = withJsonBodies(full as unknown as Document, routes);
      const withErrors = withContract(withSessionSecurity(withErrorEnvelope(withBodies)), ERROR_ENVELOPE);
      cached = {
        routes: routes.length,
        document: withHeaders(withDaysAcceptedInRequests(withPlainIntegerResponses(withErrors))),
      };
    }
    return cached.document;
  };
  return docs
    .get(
      "/api/docs",
      ({ set }) => {
        set.headers["content-type"] = "text/html; charset=utf-8";
        return page(documentation.info.title);
      },
      describedAs("This document, to read and try in a browser (Swagger UI)", "text/html"),
    )
    .get(
      "/api/docs/init.js",
      ({ set }) => {
        set.headers["content-type"] = ASSETS["swagger-ui-bundle.js"];
        return INIT;
      },
      hidden,
    )
    .get("/api/docs/json", () => document(), describedAs("This document: OpenAPI 3.1, covering every route", "application/json"))
    .get(
      "/api/docs/:asset",
      ({ params, set }) => {
        const type = ASSETS[params.asset];
        if (!type) throw notFound("Route");
        set.headers["content-type"] = type;
        set.headers["cache-control"] = "public, max-age=86400";
        return Bun.file(join(SWAGGER_UI, params.asset));
      },
      hidden,
    );
}
