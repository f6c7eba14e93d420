/**
 * Every request answers within REQUEST_TIMEOUT_SECONDS: past it, 503 UNAVAILABLE with Retry-After, in the envelope
 * (or 408 REQUEST_TIMEOUT when the client had not finished sending its body: its slowness, not ours).
 *
 * Why: a database that stops answering on connections already open (a stalled host, a network partition)
 * raises no error. The driver's connect timeout covers new connections only, so requests waited for as long
 * as the database did. The work itself is not cancelled: its transaction commits or rolls back as the
 * database decides once it answers, and a money request retried with its Idempotency-Key gets that outcome
 * (or 409 IDEMPOTENCY_IN_PROGRESS while it still waits).
 */
import { Elysia } from "elysia";
import type { Logger } from "../observability/logger";
import { reportError } from "../observability/sentry";
import { errorBody } from "./errors";
import { requestContext } from "./request-context";
import { requestPath } from "./uri";

type Handle = (request: Request, ...rest: unknown[]) => Response | Promise<Response>;

/**
 * `headers`: what the platform puts on every answer (security headers, CORS for the request's origin), which
 * the late answer carries too.
 */
export function requestDeadline(seconds: number, logger: Logger, headers: (request: Request) => Record<string, string>) {
  const lateAnswer = (request: Request) => {
    const context = requestContext(request);
    const { id, startedAt } = context;
    const facts = { method: request.method, path: requestPath(request.url), requestId: id };
    if (context.readingBody) {
      context.answeredAtDeadline = 408;
      const body = errorBody("REQUEST_TIMEOUT", `The request body did not arrive within ${seconds} s`, id);
      return Response.json(body, { status: 408, headers: { ...headers(request), connection: "close", "x-request-id": id } });
    }
    context.answeredAtDeadline = 503;
    logger.warn("request deadline passed: answered 503, the work goes on", {
      ...facts,
      ms: Math.round(performance.now() - startedAt),
    });
    // A 5xx, as every other one: reported (README, Operations).
    reportError(new Error(`No answer within ${seconds} s`), facts);
    const body = errorBody("UNAVAILABLE", "The service did not answer in time; retry later", id);
    return Response.json(body, {
      status: 503,
      headers: { ...headers(request), "retry-after": "5", "x-request-id": id },
    });
  };
  // Elysia's one way to wrap the whole fetch handler (its `wrap`, marked internal): a hook cannot answer
  // while the handler it precedes is still running.
  return new Elysia({ name: "request-deadline" }).wrap((fetch) => (request: Request, ...rest: unknown[]) => {
    const answer = (fetch as unknown as Handle)(request, ...rest);
    if (!(answer instanceof Promise)) return answer;
    let timer: Timer | undefined;
    const late = new Promise<Response>((resolve) => {
      timer = setTimeout(() => resolve(lateAnswer(request)), seconds * 1000);
    });
    return Promise.race([answer, late]).finally(() => clearTimeout(timer));
  });
}
