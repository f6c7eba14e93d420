import { and, asc, eq, lte, sql } from "drizzle-orm";
import type { DbOrTx } from "../db/client";
import type { Logger } from "../observability/logger";
import { mailOutbox } from "./schema";
import type { MailTransport, OutgoingMail } from "./transports";

/** After this many failed attempts a mail is marked failed and left for an operator. */
export const MAX_ATTEMPTS = 8;

/** Queues a mail inside the caller's transaction; the worker sends it after commit. */
export async function enqueueMail(tx: DbOrTx, mail: OutgoingMail): Promise<void> {
  await tx.insert(mailOutbox).values({ toAddress: mail.to, subject: mail.subject, textBody: mail.text, htmlBody: mail.html });
}

/** 30 s, 1 min, 2 min … capped at one hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** (attempts - 1), 3_600_000);
}

/**
 * Sends up to `batch` due mails. Rows are claimed with FOR UPDATE SKIP LOCKED, so any number of
 * instances can drain the outbox without sending a mail twice. Returns how many were attempted.
 */
export async function drainMailOutbox(db: DbOrTx, transport: MailTransport, logger: Logger, batch = 20): Promise<number> {
  return db.transaction(async (tx) => {
    const due = await tx
      .select()
      .from(mailOutbox)
      .where(and(eq(mailOutbox.status, "pending"), lte(mailOutbox.nextAttemptAt, sql`now()`)))
      .orderBy(asc(mailOutbox.id))
      .limit(batch)
      .for("update", { skipLocked: true });
    for (const row of due) {
      try {
        await transport.send({ to: row.toAddress, subject: row.subject, text: row.textBody, html: row.htmlBody });
        await tx
          .update(mailOutbox)
          .set({ status: "sent", sentAt: sql`now()`, attempts: row.attempts + 1 })
          .where(eq(mailOutbox.id, row.id));
      } catch (error) {
        const attempts = row.attempts + 1;
        const failed = attempts >= MAX_ATTEMPTS;
        logger.warn("mail delivery failed", { mailId: row.id, attempts, failed, error });
        await tx
          .update(mailOutbox)
          .set({
            attempts,
            status: failed ? "failed" : "pending",
            lastError: String((error as Error).message ?? error).slice(0, 500),
            nextAttemptAt: new Date(Date.now() + retryDelayMs(attempts)),
          })
          .where(eq(mailOutbox.id, row.id));
      }
    }
    return due.length;
  });
}
