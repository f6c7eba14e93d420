/**
 * Run by tests/sentry.test.ts in its own process (Sentry's global handlers must not leak into the other
 * suites): answers one 500 and one 404 through the real app with SENTRY_DSN set, runs a worker through two
 * outages (ticks 1-3 and 5-6 fail), flushes, prints the 500's request id.
 */
import { createLogger } from "../../src/platform/observability/logger";
import { flushSentry, initSentry } from "../../src/platform/observability/sentry";
import { startWorker } from "../../src/platform/worker";
import { createTestApp } from "./harness";

initSentry(process.env.SENTRY_DSN, "test", "0.0.0-test");
const fixture = await createTestApp();
fixture.app.get("/api/test/explode", () => {
  throw new Error("sentry-probe: the disk caught fire");
});
const failed = await fixture.request("/api/test/explode");
await fixture.request("/api/test/missing-route");
let ticks = 0;
const worker = startWorker(
  "probe",
  5,
  async () => {
    ticks++;
    if ([1, 2, 3, 5, 6].includes(ticks)) throw new Error(`sentry-probe: worker outage at tick ${ticks}`);
    return 0;
  },
  createLogger("silent"),
);
for (const deadline = Date.now() + 5000; ticks < 8 && Date.now() < deadline; ) await Bun.sleep(5);
await worker.stop();
await flushSentry();
await fixture.dispose();
console.log(JSON.stringify({ status: failed.status, requestId: failed.headers.get("x-request-id") }));
process.exit(0);
