/**
 * Per-request facts every hook needs (id, start time, user), kept beside the Request object itself so
 * they exist even for requests that fail before routing (bad JSON, unknown route, oversized body).
 */
export type RequestContext = { id: string; startedAt: number; userId?: string; rawBody?: string };

const contexts = new WeakMap<Request, RequestContext>();

/** A client's X-Request-Id is kept when it is sane: short and free of anything that could forge a log line. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

export function beginRequest(request: Request): RequestContext {
  const given = request.headers.get("x-request-id");
  const context = {
    id: given && SANE_REQUEST_ID.test(given) ? given : crypto.randomUUID(),
    startedAt: performance.now(),
  };
  contexts.set(request, context);
  return context;
}

export function requestContext(request: Request): RequestContext {
  return contexts.get(request) ?? beginRequest(request);
}
