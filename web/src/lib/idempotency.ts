/**
 * Idempotency-Key for one form (API.md "Idempotency"): a new key per submission, the same key again when
 * the user retries that same submission. So a request whose answer was lost (network failure, a 5xx,
 * 409 IDEMPOTENCY_IN_PROGRESS) can be sent again without moving the money twice: the server replays the
 * first answer instead of running it again.
 *
 * "The same submission" is judged on the request's identity, which the form gives: the body without
 * values that change on every try but do not change what is asked (a fresh 2FA code). With such a value
 * changed, the server sees another body under the same key: if the first try did go through it answers
 * 422 IDEMPOTENCY_KEY_REUSED, which tells the user the money already moved, instead of moving it twice.
 */
import { ApiError } from "./api";

export type IdempotentSubmission = {
  /** The key for a submission of `identity`: the pending one when it is the same request, else a new one. */
  keyFor(identity: unknown): string;
  /** The submission got a final answer (success): the next one, even with the same values, is new. */
  settle(): void;
  /**
   * The submission failed. A refusal (422: INSUFFICIENT_FUNDS, a limit, a bad value) is final too, and the
   * server keeps it under the key: a retry after topping up must be a new submission, not its replay. Any
   * other failure (network, 5xx, 409) keeps the key, so the retry is the same submission.
   */
  failed(error: unknown): void;
};

/**
 * Whether a failed submission may have been carried out all the same: its answer was lost (network), the server
 * failed or gave up waiting (5xx), or it is still running (409). Only sending it again, as it was, tells.
 */
export function outcomeUnknown(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status >= 500 || error.code === "IDEMPOTENCY_IN_PROGRESS");
}

export function newIdempotencyKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Older browsers: 128 random bits as hex.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export function createIdempotentSubmission(): IdempotentSubmission {
  let pending: { identity: string; key: string } | undefined;
  return {
    keyFor(identity) {
      const text = JSON.stringify(identity);
      if (pending?.identity !== text) pending = { identity: text, key: newIdempotencyKey() };
      return pending.key;
    },
    settle() {
      pending = undefined;
    },
    failed(error) {
      if (error instanceof ApiError && error.status === 422) pending = undefined;
    },
  };
}
