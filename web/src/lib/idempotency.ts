/**
 * Idempotency-Key for one form (API.md "Idempotency"): a new key per submission, the same key again when
 * the user retries that same submission, in this page or after a reload. So a request whose answer was lost (network failure, a 5xx,
 * 409 IDEMPOTENCY_IN_PROGRESS) can be sent again without moving the money twice: the server replays the
 * first answer instead of running it again.
 *
 * "The same submission" is judged on the request's identity, which the form gives: the body without
 * values that change on every try but do not change what is asked (a fresh 2FA code). With such a value
 * changed, the server sees another body under the same key: if the first try did go through it answers
 * 422 IDEMPOTENCY_KEY_REUSED, which tells the user the money already moved, instead of moving it twice.
 */
import { ApiError } from "./api";
import { formatDateTime } from "./format";

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

function newIdempotencyKey(): string {
  if (typeof crypto !== "undefined" && typeof crypto.randomUUID === "function") return crypto.randomUUID();
  // Older browsers: 128 random bits as hex.
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

type Pending = { identity: string; key: string; at: number };

/**
 * How long a pending submission is kept: long enough to reload and try again, not so long that the same details
 * sent again on purpose later (another 7 USD to the same friend) are taken for the retry and only replayed.
 */
const PENDING_KEPT_MS = 15 * 60 * 1000;

/**
 * The pending submission of form `name` is kept in localStorage, not only in the page: a user whose answer was lost
 * often reloads, or opens another tab, and sends the same again; that must be the same submission too, or the money
 * moves twice. In memory alone where storage is refused (a private window's quota, a policy).
 */
function pendingStore(name: string) {
  const item = `cryptovault:pending:${name}`;
  let memory: Pending | undefined;
  return {
    read(): Pending | undefined {
      try {
        const stored = JSON.parse(localStorage.getItem(item) ?? "null") as Pending | null;
        memory = stored && typeof stored.identity === "string" && typeof stored.key === "string" ? stored : undefined;
      } catch {
        // Storage refused or its value garbled: what this page remembers stands.
      }
      return memory && Date.now() - memory.at < PENDING_KEPT_MS ? memory : undefined;
    },
    write(pending: Pending | undefined) {
      memory = pending;
      try {
        if (pending) localStorage.setItem(item, JSON.stringify(pending));
        else localStorage.removeItem(item);
      } catch {
        // As above: kept in memory only.
      }
    },
  };
}

/** `name`: the form's, one pending submission per form (send, withdraw, deposit, trade). */
export function createIdempotentSubmission(name: string): IdempotentSubmission {
  const store = pendingStore(name);
  return {
    keyFor(identity) {
      const text = JSON.stringify(identity);
      const pending = store.read();
      if (pending?.identity === text) return pending.key;
      const key = newIdempotencyKey();
      store.write({ identity: text, key, at: Date.now() });
      return key;
    },
    settle() {
      store.write(undefined);
    },
    failed(error) {
      if (error instanceof ApiError && error.status === 422) store.write(undefined);
    },
  };
}

/** What each money form makes, and what making it is called: "transfer", "sent". */
const MADE = {
  transfer: ["transfer", "sent"],
  withdrawal: ["withdrawal", "requested"],
  deposit: ["deposit order", "created"],
  order: ["order", "placed"],
} as const;

/**
 * Said on a result the server replayed (`Idempotent-Replayed`, api.postIdempotent): the same request sent again
 * after an answer of unknown outcome had already gone through the first time. Without it "Transfer sent" reads
 * as a new transfer, and a user who meant to send a second, identical one believes it went out. `at`: when the
 * first was made, from the answer.
 */
export function replayedNote(kind: keyof typeof MADE, at?: string): string {
  const [what, made] = MADE[kind];
  return `Your earlier request had already gone through: this is that ${what}${at ? `, ${made} ${formatDateTime(at)}` : ""}. Nothing was done twice.`;
}
