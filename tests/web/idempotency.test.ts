/**
 * The web app's idempotent money submissions (web/src/lib/idempotency.ts, api.ts postIdempotent): the same request
 * sent again keeps its key, a final answer (a replay too) frees it, and a replayed answer is told from a new one.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { ApiError, api } from "../../web/src/lib/api";
import { createIdempotentSubmission, replayedNote } from "../../web/src/lib/idempotency";

const realFetch = globalThis.fetch;
afterEach(() => {
  globalThis.fetch = realFetch;
});

/** Answers every request with `status`, `body` and `headers`; records what was sent. */
function answerWith(status: number, body: unknown, headers: Record<string, string> = {}) {
  const sent: Request[] = [];
  globalThis.fetch = (async (input: string, init?: RequestInit) => {
    sent.push(new Request(new URL(input, "http://127.0.0.1").href, init));
    return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
  }) as typeof fetch;
  return sent;
}
// api.ts reads the CSRF cookie for a POST; bun has no document, and the other suites of this process want none.
beforeAll(() => {
  Object.assign(globalThis, { document: { cookie: "csrf_token=t" } });
});
afterAll(() => {
  Reflect.deleteProperty(globalThis, "document");
});

test("a replayed answer says so, with its body; a first answer does not", async () => {
  const sent = answerWith(201, { transfer: { id: "t1" } }, { "Idempotent-Replayed": "true" });
  const replay = await api.postIdempotent<{ transfer: { id: string } }>(
    "/api/transfers/p2p",
    { amount: "7" },
    { idempotencyKey: "k1" },
  );
  expect(replay).toEqual({ body: { transfer: { id: "t1" } }, replayed: true });
  expect(sent[0]?.headers.get("idempotency-key")).toBe("k1");
  expect(sent[0]?.headers.get("x-csrf-token")).toBe("t");

  answerWith(201, { transfer: { id: "t2" } });
  const first = await api.postIdempotent<{ transfer: { id: string } }>(
    "/api/transfers/p2p",
    { amount: "7" },
    { idempotencyKey: "k2" },
  );
  expect(first).toEqual({ body: { transfer: { id: "t2" } }, replayed: false });
});

test("a refusal is thrown as from post, replayed or not", async () => {
  answerWith(422, { error: { code: "INSUFFICIENT_FUNDS", message: "Not enough" } }, { "Idempotent-Replayed": "true" });
  const refused = await api.postIdempotent("/api/wallet/withdraw", {}, { idempotencyKey: "k" }).catch((error) => error);
  expect(refused).toBeInstanceOf(ApiError);
  expect((refused as { code: string }).code).toBe("INSUFFICIENT_FUNDS");
});

test("the same request keeps its key after an unknown outcome; after its answer (a replay too) the same again is new", () => {
  const submission = createIdempotentSubmission(`test-${crypto.randomUUID()}`);
  const request = { recipientEmail: "bob@example.com", asset: "USD", amount: "7" };
  const first = submission.keyFor(request);
  submission.failed(new ApiError({ status: 0, code: "NETWORK_ERROR", message: "lost" }));
  expect(submission.keyFor({ ...request })).toBe(first);
  submission.failed(new ApiError({ status: 409, code: "IDEMPOTENCY_IN_PROGRESS", message: "running" }));
  expect(submission.keyFor(request)).toBe(first);
  // The retry was answered (the first answer replayed): a second, identical transfer on purpose is another request.
  submission.settle();
  const second = submission.keyFor(request);
  expect(second).not.toBe(first);
  // A refusal is final too.
  submission.failed(new ApiError({ status: 422, code: "LIMIT_EXCEEDED", message: "limit" }));
  expect(submission.keyFor(request)).not.toBe(second);
});

test("the replay note says it is the earlier one, when it was made if known, and that nothing was done twice", () => {
  const at = "2026-03-12T14:05:00.000Z";
  const note = replayedNote("transfer", at);
  expect(note).toStartWith("Your earlier request had already gone through: this is that transfer, sent ");
  expect(note).toContain(new Intl.DateTimeFormat(undefined, { dateStyle: "medium", timeStyle: "short" }).format(new Date(at)));
  expect(note).toEndWith(". Nothing was done twice.");
  expect(replayedNote("order")).toBe(
    "Your earlier request had already gone through: this is that order. Nothing was done twice.",
  );
  expect(replayedNote("deposit", at)).toContain("this is that deposit order, created ");
  expect(replayedNote("withdrawal", at)).toContain("this is that withdrawal, requested ");
});
