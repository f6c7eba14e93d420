/**
 * GET /api/docs: Swagger UI over the OpenAPI document at /api/docs/json. The UI's files come from this
 * server (swagger-ui-dist), not a CDN, so the page works offline and under the app's own CSP ('self').
 * The document is @elysiajs/openapi's, with each JSON request body filled in (see `withJsonBodies`).
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { toOpenAPISchema } from "@elysiajs/openapi";
import { Elysia } from "elysia";
import { notFound } from "./errors";
import { jsonSchemaOf } from "./request-schemas";

type Documentation = { info: { title: string; version: string }; paths?: Record<string, unknown> };
type Operation = { requestBody?: { content?: Record<string, unknown> }; responses?: Record<string, unknown> };
type Document = { paths: Record<string, Record<string, Operation>> };
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
 */
function withJsonBodies(document: Document, routes: Route[]): Document {
  for (const route of routes) {
    const operation = document.paths[openApiPath(route.path)]?.[route.method.toLowerCase()];
    const body = route.hooks?.body;
    if (!operation?.requestBody || !body || typeof body !== "object") continue;
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
};

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
    for (const operation of Object.values(operations)) operation.responses = { ...operation.responses, default: ERROR_ENVELOPE };
  }
  return document;
}

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
      cached = { routes: routes.length, document: withErrorEnvelope(withJsonBodies(full as unknown as Document, routes)) };
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
      hidden,
    )
    .get(
      "/api/docs/init.js",
      ({ set }) => {
        set.headers["content-type"] = ASSETS["swagger-ui-bundle.js"];
        return INIT;
      },
      hidden,
    )
    .get("/api/docs/json", () => document(), hidden)
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
