/**
 * Idempotency-Key for money-moving POSTs (API.md): required (428), replayed byte for byte with
 * `Idempotent-Replayed: true`, 422 when reused for another request, 409 while the first still runs.
 */
import { lt, sql } from "drizzle-orm";
import { Elysia } from "elysia";
import { canonicalJson, sha256Hex } from "../crypto";
import type { Db, DbOrTx, DbTransaction } from "../db/client";
import { queryRows } from "../db/client";
import { JSON_CONTENT_TYPE } from "../http/body";
import { AppError, errorBody, validationFailed } from "../http/errors";
import { requestContext } from "../http/request-context";
import { requestPath } from "../http/uri";
import { idempotencyKeys } from "./schema";

/** Keys are kept at least this long (API.md: 24 hours), then removed by the cleanup worker. */
const KEEP_KEYS_MS = 25 * 3600 * 1000;

/** API.md: an Idempotency-Key is 1–255 characters. */
const MAX_KEY_LENGTH = 255;

/** The `idempotent` route option: refuses a request without a key (428) or with too long a one (422) before the body is validated. */
export const idempotencyPlugin = new Elysia({ name: "idempotency" }).macro({
  idempotent: {
    detail: {
      parameters: [
        {
          name: "Idempotency-Key",
          in: "header",
          required: true,
          description: "The same key with the same request replays the first answer (Idempotent-Replayed: true)",
          schema: { type: "string", minLength: 1, maxLength: MAX_KEY_LENGTH },
        },
      ],
    },
    transform({ request }) {
      const key = request.headers.get("idempotency-key");
      // An empty header is no key; a key that is there but too long fails validation, naming the header.
      if (!key) {
        throw new AppError(
          428,
          "IDEMPOTENCY_KEY_REQUIRED",
          "This request moves money: send an Idempotency-Key header (1–255 characters)",
        );
      }
      if (key.length > MAX_KEY_LENGTH) {
        throw validationFailed("Idempotency-Key", `Idempotency-Key is at most ${MAX_KEY_LENGTH} characters`);
      }
    },
  },
});

export type IdempotentRequest = { userId: string; key: string; request: Request; body: unknown };

/** The Idempotency-Key of a request of an `idempotent` route, which the macro has made sure is there. */
export const idempotencyKeyOf = (headers: Record<string, string | undefined>) => headers["idempotency-key"] as string;

/** The key as the ledger keeps it on the posting it made: one user's key is not another's. */
export const ledgerKeyOf = (req: Pick<IdempotentRequest, "userId" | "key">) => `${req.userId}:${req.key}`;
export type Answer = { status: number; body: unknown };

/**
 * The request's fingerprint: same key with a different method, path or body is a different request. The
 * body is hashed as canonical JSON, so a retry that orders its keys or spaces its JSON differently is the
 * same request. A 2FA `code` is left out: it proves who asks, not what is asked, and a retry after a lost
 * answer comes with a fresh code (the first is used up) yet asks for the same withdrawal or transfer.
 */
export function requestFingerprint(request: Request, body: unknown): string {
  const asked = body !== null && typeof body === "object" && "code" in body ? { ...body, code: undefined } : body;
  return sha256Hex(`${request.method} ${requestPath(request.url)}\n${canonicalJson(asked ?? null)}`);
}

/** The answer as first given (`replayed` adds Idempotent-Replayed: true). */
export const storedResponse = (status: number, text: string, replayed: boolean) =>
  new Response(text, {
    status,
    headers: { "content-type": JSON_CONTENT_TYPE, ...(replayed ? { "idempotent-replayed": "true" } : {}) },
  });

export type StoredAnswer = { request_hash: string; response_status: number; response_body: string };

/** A finished key's answer, replayed; 422 when the key was used for a different request. */
export function replayStored(previous: StoredAnswer, hash: string): Response {
  if (previous.request_hash !== hash)
    throw new AppError(422, "IDEMPOTENCY_KEY_REUSED", "This Idempotency-Key was used for a different request");
  return storedResponse(previous.response_status, previous.response_body, true);
}

/** 409 while the key's first request still runs; it takes well under a second, so a retry after one finds its answer. */
export const idempotencyInProgress = () =>
  new AppError(409, "IDEMPOTENCY_IN_PROGRESS", "A request with this Idempotency-Key is still being processed", undefined, {
    "retry-after": "1",
  });

async function previousAnswer(db: DbOrTx, req: IdempotentRequest, hash: string): Promise<Response | undefined> {
  const [previous] = await queryRows<StoredAnswer>(
    db,
    sql`select request_hash, response_status, response_body from idempotency_keys where user_id = ${req.userId} and key = ${req.key}`,
  );
  return previous && replayStored(previous, hash);
}

/**
 * A business rule's refusal (422, the last stage of API.md's order of checks: INSUFFICIENT_FUNDS, limits, …)
 * answers the request as a success does, so it is kept under the key and a retry replays it instead of
 * running again (API.md: "the first response is replayed byte for byte"). A validation failure or a reused
 * key never reached the rules, and a 409, 503 or 5xx is no answer to the request: those are not kept.
 */
const isRuleRefusal = (error: unknown): error is AppError =>
  error instanceof AppError &&
  error.status === 422 &&
  error.code !== "VALIDATION_FAILED" &&
  error.code !== "IDEMPOTENCY_KEY_REUSED";

/**
 * Takes the key's lock for the rest of the transaction, as every writer of the key's answer does (p2p_send too);
 * false when another request with the key holds it.
 */
async function lockKey(tx: DbTransaction, ledgerKey: string): Promise<boolean> {
  const [lock] = await queryRows<{ locked: boolean }>(
    tx,
    sql`select pg_try_advisory_xact_lock(hashtextextended(${`idem:${ledgerKey}`}, 0)) as locked`,
  );
  return lock.locked;
}

/**
 * Keeps a rule's refusal of the request as the key's answer (the first answer kept wins); other errors pass.
 * Under the key's lock: while another request with the key runs, the refusal is not kept, since the running
 * request writes the key's answer with its money, and a refusal written under it would fail that write.
 */
export async function keepRefusal(db: Db, req: IdempotentRequest, hash: string, error: unknown): Promise<void> {
  if (!isRuleRefusal(error)) return;
  const body = errorBody(error.code, error.message, requestContext(req.request).id, error.details);
  await db.transaction(async (tx) => {
    if (!(await lockKey(tx, ledgerKeyOf(req)))) return;
    await tx
      .insert(idempotencyKeys)
      .values({
        userId: req.userId,
        key: req.key,
        requestHash: hash,
        responseStatus: error.status,
        responseBody: JSON.stringify(body),
      })
      .onConflictDoNothing();
  });
}

/**
 * Runs `work` at most once per (user, key). A finished key is replayed (or refused as reused) before
 * anything else; `prepare` then does the checks and set-up that need no transaction; the key is taken
 * with a transaction-scoped advisory lock and its row written in the same transaction as the work, so
 * the money and the key commit together. A concurrent duplicate does not wait: 409 IDEMPOTENCY_IN_PROGRESS.
 * Keys are cleaned up after a day; `refuseSpentKey`, for work that moves money, refuses a key that already did
 * (its answer gone) in the key's place in API.md's order of checks, before `prepare`'s rules.
 */
export async function runIdempotent<P>(
  db: Db,
  req: IdempotentRequest,
  prepare: () => Promise<P>,
  work: (tx: DbTransaction, prepared: P, ledgerKey: string) => Promise<Answer>,
  refuseSpentKey?: (ledgerKey: string) => Promise<void>,
): Promise<Response> {
  const hash = requestFingerprint(req.request, req.body);
  const finished = await previousAnswer(db, req, hash);
  if (finished) return finished;
  const ledgerKey = ledgerKeyOf(req);
  try {
    await refuseSpentKey?.(ledgerKey);
  } catch (error) {
    // The key's first request may have committed between the two reads: its answer, kept with its money, stands.
    const committed = await previousAnswer(db, req, hash);
    if (committed) return committed;
    throw error;
  }
  try {
    const prepared = await prepare();
    return await db.transaction(async (tx) => {
      if (!(await lockKey(tx, ledgerKey))) throw idempotencyInProgress();
      const raced = await previousAnswer(tx, req, hash);
      if (raced) return raced;
      const answer = await work(tx, prepared, ledgerKey);
      const text = JSON.stringify(answer.body);
      await tx
        .insert(idempotencyKeys)
        .values({ userId: req.userId, key: req.key, requestHash: hash, responseStatus: answer.status, responseBody: text });
      return storedResponse(answer.status, text, false);
    });
  } catch (error) {
    await keepRefusal(db, req, hash, error);
    throw error;
  }
}

export async function deleteExpiredKeys(db: DbOrTx): Promise<number> {
  const removed = await db
    .delete(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, new Date(Date.now() - KEEP_KEYS_MS)))
    .returning({ key: idempotencyKeys.key });
  return removed.length;
}
