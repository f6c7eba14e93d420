import { sql } from "drizzle-orm";
import { type DbOrTx, queryRows } from "../db/client";
import type { Logger } from "../observability/logger";
import type { Metrics } from "../observability/metrics";
import { reportError } from "../observability/sentry";
import { mailOutbox } from "./schema";
import type { MailTransport, OutgoingMail } from "./transports";

/**
 * A mail claimed for sending is due again this long after, if its worker never said how the send went (it died
 * mid-send): longer than any send may take (the SMTP transport's timeouts), so only a dead worker's mail goes twice.
 */
export const CLAIM_MS = 10 * 60_000;
/** Temporary failures (a server down or refusing for now) are retried for a day; then the mail is failed. */
export const GIVE_UP_AFTER_MS = 24 * 3_600_000;
/** What a sent or failed mail's body becomes when the transport is real: it carried single-use links, hashed elsewhere. */
const SENT_BODY = "";

/** Queues a mail inside the caller's transaction; the worker sends it after commit. */
export async function enqueueMail(tx: DbOrTx, mail: OutgoingMail): Promise<void> {
  await tx.insert(mailOutbox).values({ toAddress: mail.to, subject: mail.subject, textBody: mail.text, htmlBody: mail.html });
}

/** 30 s, 1 min, 2 min … capped at one hour. */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000 * 2 ** (attempts - 1), 3_600_000);
}

/**
 * An SMTP answer in the 500s to the recipient or the message refuses this mail for good (no such mailbox, policy):
 * trying again changes nothing. A 5xx anywhere else (the sign-in: wrong or missing credentials; the sender) is the
 * deployment's to fix, and every mail would fail alike: those are tried again, as a server that is down.
 */
const isPermanent = (error: unknown) => {
  const { responseCode, command } = error as { responseCode?: number; command?: string };
  return typeof responseCode === "number" && responseCode >= 500 && responseCode < 600 && /^(RCPT|DATA)/i.test(command ?? "");
};

type Row = {
  id: string;
  to_address: string;
  subject: string;
  text_body: string;
  html_body: string;
  attempts: number;
  created_at: string | Date;
};

/** Takes the oldest due mail for this worker: committed at once, so no transaction stays open while it is sent. */
async function claimOne(db: DbOrTx): Promise<Row | undefined> {
  const [row] = await queryRows<Row>(
    db,
    sql`update mail_outbox set next_attempt_at = now() + ${`${CLAIM_MS} milliseconds`}::interval
        where id = (select id from mail_outbox where status = 'pending' and next_attempt_at <= now()
                    order by id limit 1 for update skip locked)
        returning id, to_address, subject, text_body, html_body, attempts, created_at`,
  );
  return row;
}

/** How many mails one drain sends at most. */
export const MAIL_BATCH = 20;

type Drain = { batch?: number; signal?: AbortSignal; metrics?: Metrics };

/**
 * Sends up to `batch` due mails, one at a time: each is claimed in its own statement (FOR UPDATE SKIP LOCKED, so
 * instances never take the same one), sent, and marked, so a crash or a shutdown leaves at most the mail in
 * flight in doubt, never the ones sent before it. A shutdown (`signal`) stops before the next mail. Returns how
 * many were attempted.
 */
export async function drainMailOutbox(
  db: DbOrTx,
  transport: MailTransport,
  logger: Logger,
  { batch = MAIL_BATCH, signal, metrics }: Drain = {},
): Promise<number> {
  let attempted = 0;
  while (attempted < batch && !signal?.aborted) {
    const row = await claimOne(db);
    if (!row) break;
    attempted++;
    try {
      await transport.send({ to: row.to_address, subject: row.subject, text: row.text_body, html: row.html_body });
    } catch (error) {
      await recordFailure(db, row, error, logger, transport, metrics);
      continue;
    }
    // Sent: if this write fails (the database gone), the error ends the tick and the mail stays claimed, to go
    // again only when the claim lapses, as after a crash; it is not a failed delivery.
    await db.execute(sql`update ${mailOutbox} set status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = null
      ${dropBodies(transport)} where id = ${row.id}`);
    metrics?.mailSent.inc();
  }
  return attempted;
}

/**
 * What a mail done with (sent, or failed for good) adds to its row's SET: it keeps no body (its single-use links,
 * hashed elsewhere), except in the developer's inbox (the log transport outside production).
 */
const dropBodies = (transport: MailTransport) =>
  transport.keepsBodies ? sql`` : sql`, text_body = ${SENT_BODY}, html_body = ${SENT_BODY}`;

async function recordFailure(
  db: DbOrTx,
  row: Row,
  error: unknown,
  logger: Logger,
  transport: MailTransport,
  metrics?: Metrics,
): Promise<void> {
  const attempts = row.attempts + 1;
  const permanent = isPermanent(error);
  const expired = Date.now() - new Date(row.created_at).getTime() >= GIVE_UP_AFTER_MS;
  const failed = permanent || expired;
  const reason = permanent ? "refused" : "expired";
  const lastError = String((error as Error).message ?? error).slice(0, 500);
  const about = { mailId: row.id, to: row.to_address, subject: row.subject, attempts, error };
  if (failed) {
    // Nobody will try again: the operator must hear of it (README: Operations, mail).
    // One word for why, in the log, Sentry and the metric alike: "refused" (5xx) or "expired" (a day of tries).
    logger.error("mail not delivered: given up", { ...about, reason });
    reportError(error, { worker: "mail", mailId: row.id, reason });
    metrics?.mailFailed.inc({ reason });
  } else {
    logger.warn("mail delivery failed; it will be tried again", about);
  }
  await db.execute(sql`update ${mailOutbox} set attempts = ${attempts}, status = ${failed ? "failed" : "pending"},
    last_error = ${lastError}, next_attempt_at = ${new Date(Date.now() + retryDelayMs(attempts)).toISOString()}::timestamptz
    ${failed ? dropBodies(transport) : sql``} where id = ${row.id}`);
}

/** A mail's row is kept this long after it was queued (what was mailed to whom, and when), then removed. */
const MAIL_KEPT = "30 days";
/** How many mails one cleanup pass removes at most. */
export const MAIL_CLEANUP_BATCH = 5000;

/**
 * Cleanup (hourly): mails queued more than MAIL_KEPT ago and sent or failed since (a mail is given up on a day after
 * it was queued). Pending ones stay whatever their age. Rows another instance's cleanup holds are skipped.
 */
export async function deleteOldMail(db: DbOrTx): Promise<number> {
  const gone = await queryRows(
    db,
    sql`delete from mail_outbox where id in (
          select id from mail_outbox where status <> 'pending' and created_at < now() - ${MAIL_KEPT}::interval
          limit ${MAIL_CLEANUP_BATCH} for update skip locked)
        returning id`,
  );
  return gone.length;
}
