/** With SENTRY_DSN set, every 5xx reaches Sentry: checked against a local ingestion endpoint. */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";
import * as Sentry from "@sentry/bun";
import { flushSentry, initSentry } from "../src/platform/observability/sentry";
import { createTestApp } from "./support/harness";

setDefaultTimeout(30_000);

const envelopes: string[] = [];
const ingest = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  async fetch(request) {
    envelopes.push(await request.text());
    return new Response("{}");
  },
});
afterAll(async () => {
  await Sentry.close(2000);
  ingest.stop(true);
});

describe("Sentry", () => {
  test("an internal error is captured with its request id; a client error is not", async () => {
    initSentry(`http://publickey@127.0.0.1:${ingest.port}/42`, "test", "0.0.0-test");
    const fixture = await createTestApp();
    fixture.app.get("/api/test/explode", () => {
      throw new Error("sentry-probe: the disk caught fire");
    });
    const failed = await fixture.request("/api/test/explode");
    expect(failed.status).toBe(500);
    const notFound = await fixture.request("/api/test/nothing-here");
    expect(notFound.status).toBe(404);
    await flushSentry();
    const sent = envelopes.join("\n");
    expect(sent).toContain("sentry-probe: the disk caught fire");
    expect(sent).toContain(failed.headers.get("x-request-id") as string);
    // One event: the 500. The 404 is the client's mistake and is not reported.
    expect(envelopes.filter((e) => e.includes('{"type":"event"}'))).toHaveLength(1);
    await fixture.dispose();
  });
});
