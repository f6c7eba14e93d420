/** With SENTRY_DSN set, every 5xx and every worker outage reaches Sentry: checked against a local ingestion endpoint. */
import { afterAll, describe, expect, setDefaultTimeout, test } from "bun:test";

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
afterAll(() => ingest.stop(true));

describe("Sentry", () => {
  test("an internal error is captured with its request id; a client error is not; a worker outage once", async () => {
    const probe = Bun.spawn(["bun", "--no-env-file", "tests/support/sentry-probe.ts"], {
      cwd: new URL("..", import.meta.url).pathname,
      env: { PATH: process.env.PATH ?? "", SENTRY_DSN: `http://publickey@127.0.0.1:${ingest.port}/42` },
      stdout: "pipe",
      stderr: "pipe",
    });
    expect(await probe.exited).toBe(0);
    const answer = JSON.parse((await new Response(probe.stdout).text()).trim().split("\n").at(-1) as string);
    expect(answer.status).toBe(500);
    const events = envelopes.filter((e) => e.includes('{"type":"event"}'));
    const requestEvents = events.filter((e) => !e.includes("worker outage"));
    // One event: the 500, carrying its request id. The 404 is the client's mistake and is not reported.
    expect(requestEvents).toHaveLength(1);
    expect(requestEvents[0]).toContain("sentry-probe: the disk caught fire");
    expect(requestEvents[0]).toContain(answer.requestId);
    // A failing background worker is reported once per outage: its first failure after a success.
    const outages = events.filter((e) => e.includes("worker outage")).map((e) => /worker outage at tick (\d+)/.exec(e)?.[1]);
    expect(outages.sort()).toEqual(["1", "5"]);
  });
});
