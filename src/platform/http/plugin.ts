/**
 * The HTTP platform every route runs inside: request ids, body limits and parsing, CORS, security
 * headers, the error envelope, an answer within the request deadline, one log line and metrics per request.
 */
import { Elysia, type ValidationError } from "elysia";
import type { Config } from "../../config";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { reportError } from "../observability/sentry";
import { parseJsonBody, queryFieldsWithNul, repeatedFieldsRefused, repeatedQueryFields, unusableTextRefused } from "./body";
import { allowedOrigins, corsHeaders, preflightHeaders } from "./cors";
import { requestDeadline } from "./deadline";
import { AppError, dependencyUnavailable, errorBody, isDependencyDown, notFound } from "./errors";
import { beginRequest, type RequestContext, requestContext } from "./request-context";
import { securityHeaders } from "./security-headers";
import { hasOrigin, isUsableHost, requestPath } from "./uri";
import { failedFieldNames, validationMessage } from "./validation-message";

type PlatformDeps = { config: Config; logger: Logger; metrics: Metrics };

/**
 * Field names of a schema failure: "/amount" → "amount", "/items/0/id" → "items.0.id". A failure of the
 * whole body or query (missing, or not an object) is named by what failed: "body", "query".
 */
function failedFields(error: Readonly<ValidationError>): string[] {
  const named = failedFieldNames(error);
  return named.length > 0 || !["body", "query", "params", "headers"].includes(error.type) ? named : [error.type];
}

/** A route that takes a JSON body got none: that is no JSON at all (API.md: 400), not a field's mistake. */
const missingBody = () =>
  new AppError(400, "MALFORMED_REQUEST", "Request body is missing: send a JSON object with Content-Type: application/json");

/**
 * The AppError that answers a failure, if any: ours; the one our body parser threw (Elysia wraps it in a
 * ParseError); or, when a body that was not JSON, or none at all, then failed the schema, the real reason.
 */
function answeringAppError(code: unknown, error: unknown, context: RequestContext): AppError | undefined {
  if (error instanceof AppError) return error;
  const cause = (error as { cause?: unknown } | null)?.cause;
  if (code === "PARSE" && cause instanceof AppError) return cause;
  if (code !== "VALIDATION") return undefined;
  const { type, value } = error as ValidationError;
  const noBody = type === "body" && (value === undefined || context.emptyBody);
  return context.malformedBody ?? (noBody ? missingBody() : undefined);
}

export function httpPlatform({ config, logger, metrics }: PlatformDeps) {
  let headers: { origins: ReadonlySet<string>; values: Record<string, string> } | undefined;
  /** What every answer carries: the security headers, and CORS for the request's origin. */
  const answerHeaders = (request: Request) => {
    const origins = allowedOrigins(config);
    // Made again when the origins change: with PORT=0, PUBLIC_URL follows the port bound, after this is built.
    if (headers?.origins !== origins) {
      headers = {
        origins,
        values: securityHeaders({ production: config.production, sentryDsn: config.sentryDsn, appOrigins: origins }),
      };
    }
    return { ...headers.values, ...corsHeaders(request.headers.get("origin"), origins) };
  };

  return (
    new Elysia({ name: "http-platform" })
      .use(requestDeadline(config.requestTimeoutSeconds, logger, answerHeaders))
      .onRequest(({ request, set, server }) => {
        const context = beginRequest(request, server?.requestIP(request)?.address ?? null, config.trustProxy);
        Object.assign(set.headers, answerHeaders(request), { "x-request-id": context.id });
        // RFC 9112 answers a missing or invalid Host with 400, which also keeps the route served and the path every
        // check reads (the rate limit first) one and the same (uri.ts). A Request made in process has no Host header.
        const host = request.headers.get("host");
        if (!hasOrigin(request.url) || (host !== null && !isUsableHost(host)))
          throw new AppError(400, "MALFORMED_REQUEST", "The Host header is missing or invalid");
        if (request.method === "OPTIONS" && request.headers.has("access-control-request-method")) {
          Object.assign(set.headers, preflightHeaders(request.headers.get("origin"), allowedOrigins(config)));
          set.status = 204;
          return new Response(null, { status: 204, headers: set.headers as Record<string, string> });
        }
        // No resource is named with U+0000 (Postgres stores no text with it); a query value is a field like any other.
        const query = request.url.indexOf("?");
        if (request.url.slice(0, query < 0 ? undefined : query).includes("%00")) throw notFound("Route");
        const inQuery = queryFieldsWithNul(request.url);
        if (inQuery.length > 0) context.unusableTextFields = inQuery;
        const repeated = repeatedQueryFields(request.url);
        if (repeated.length > 0) context.repeatedQueryFields = repeated;
      })
      // An empty query value is no value: API.md writes its filters as `?userId=&action=`, and a client that
      // sends them so asks for no filter, not for a user with an empty id.
      .onTransform({ as: "global" }, ({ query }) => {
        for (const [name, value] of Object.entries(query)) if (value === "") delete query[name];
      })
      .onParse({ as: "global" }, ({ request, contentType }) => parseJsonBody(request, contentType, config.maxBodyBytes))
      // Runs after authentication, CSRF, 428 and the schema, before any route's own checks: API.md's order.
      .onBeforeHandle({ as: "global" }, ({ request, route }) => {
        const { malformedBody, unusableTextFields, repeatedQueryFields } = requestContext(request);
        if (malformedBody) throw malformedBody;
        if (unusableTextFields?.length) throw unusableTextRefused(unusableTextFields);
        // The API's routes read their query; the web app's pages and files (and the docs) do not, and a path
        // no route serves answers 404 whatever its query.
        if (repeatedQueryFields?.length && route.startsWith("/api/") && !route.startsWith("/api/docs"))
          throw repeatedFieldsRefused(repeatedQueryFields);
      })
      .onError({ as: "global" }, ({ code, error, request, set, path }) => {
        const context = requestContext(request);
        const requestId = context.id;
        set.headers["x-request-id"] = requestId;
        let appError = answeringAppError(code, error, context);
        if (!appError && isDependencyDown(error)) {
          logger.error("dependency unavailable", { requestId, path, error });
          appError = dependencyUnavailable();
        }
        if (appError) {
          set.status = appError.status;
          if (appError.headers) Object.assign(set.headers, appError.headers);
          // A dependency failing (503) is ours to fix, not the client's: every 5xx reaches Sentry, as what was thrown.
          if (appError.status >= 500) reportError(error, { requestId, path, method: request.method });
          return errorBody(appError.code, appError.message, requestId, appError.details);
        }
        switch (code) {
          case "NOT_FOUND":
            set.status = 404;
            return errorBody("NOT_FOUND", "Route not found", requestId);
          case "PARSE":
            set.status = 400;
            return errorBody("MALFORMED_REQUEST", "Request body could not be parsed", requestId);
          case "VALIDATION": {
            set.status = 422;
            const fields = failedFields(error);
            return errorBody("VALIDATION_FAILED", validationMessage(error, fields), requestId, { fields });
          }
          case "INVALID_COOKIE_SIGNATURE":
            set.status = 401;
            return errorBody("UNAUTHENTICATED", "Cookie signature is invalid", requestId);
        }
        set.status = 500;
        logger.error("unhandled error", { requestId, path, error });
        reportError(error, { requestId, path, method: request.method });
        return errorBody("INTERNAL", "Something went wrong on our side; it has been reported", requestId);
      })
      .onAfterResponse({ as: "global" }, ({ request, set, route, responseValue }) => {
        const context = requestContext(request);
        // A handler that answers with a Response (idempotent replays, p2p, exports) sets its status there, not in `set`.
        const finished =
          responseValue instanceof Response ? responseValue.status : typeof set.status === "number" ? set.status : 200;
        // Past the deadline the client got 503 or 408 (deadline.ts): that is what is counted; the log adds how the work ended.
        const status = context.answeredAtDeadline ?? finished;
        const seconds = (performance.now() - context.startedAt) / 1000;
        const matched = route || "unmatched";
        metrics.httpRequests.inc({ method: request.method, route: matched, status });
        metrics.httpDuration.observe({ method: request.method, route: matched }, seconds);
        logger.info("request", {
          method: request.method,
          path: requestPath(request.url),
          status,
          ...(context.answeredAtDeadline ? { workFinishedAs: finished } : {}),
          ms: Math.round(seconds * 10000) / 10,
          requestId: context.id,
          userId: context.userId ?? null,
        });
      })
  );
}
