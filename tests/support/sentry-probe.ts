/**
 * Run by tests/sentry.test.ts in its own process (Sentry's global handlers must not leak into the other
 * suites): answers one 500 and one 404 through the real app with SENTRY_DSN set, flushes, prints the
 * 500's request id.
 */
import { flushSentry, initSentry } from "../../src/platform/observability/sentry";
import { createTestApp } from "./harness";

initSentry(process.env.SENTRY_DSN, "test", "0.0.0-test");
const fixture = await createTestApp();
fixture.app.get("/api/test/explode", () => {
  throw new Error("sentry-probe: the disk caught fire");
});
const failed = await fixture.request("/api/test/explode");
await fixture.request("/api/test/missing-route");
await flushSentry();
await fixture.dispose();
console.log(JSON.stringify({ status: failed.status, requestId: failed.headers.get("x-request-id") }));
process.exit(0);
