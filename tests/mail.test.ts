import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq, sql } from "drizzle-orm";
import { CLAIM_MS, drainMailOutbox, enqueueMail, GIVE_UP_AFTER_MS, retryDelayMs } from "../src/platform/mail/outbox";
import { mailOutbox } from "../src/platform/mail/schema";
import {
  createMailTransport,
  logTransport,
  type MailTransport,
  type OutgoingMail,
  signedWithSupport,
  smtpTransport,
} from "../src/platform/mail/transports";
import { createLogger } from "../src/platform/observability/logger";
import { createTestDatabase, type TestDatabase } from "./support/harness";

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database.dispose());

const mail = (to: string) => ({ to, subject: "Verify your email", text: `Hello ${to}`, html: `<p>Hello ${to}</p>` });

describe("mail outbox", () => {
  test("a mail queued in a rolled-back transaction is never sent", async () => {
    await database.db
      .transaction(async (tx) => {
        await enqueueMail(tx, mail("rolled-back@example.com"));
        throw new Error("the action failed");
      })
      .catch(() => {});
    const rows = await database.db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, "rolled-back@example.com"));
    expect(rows).toHaveLength(0);
  });

  test("the log transport delivers each queued mail once, even with two workers draining at once", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    for (let i = 0; i < 30; i++) await enqueueMail(database.db, mail(`user${i}@example.com`));
    const transport = logTransport(logger, false);
    let drained = 0;
    for (let round = 0; round < 10; round++) {
      const [a, b] = await Promise.all([
        drainMailOutbox(database.db, transport, logger, { batch: 7 }),
        drainMailOutbox(database.db, transport, logger, { batch: 7 }),
      ]);
      drained += a + b;
      if (a + b === 0) break;
    }
    expect(drained).toBe(30);
    const sent = lines.map((line) => JSON.parse(line)).filter((entry) => entry.msg === "mail");
    expect(sent).toHaveLength(30);
    expect(new Set(sent.map((entry) => entry.to)).size).toBe(30);
    expect(sent[0]).toMatchObject({ subject: "Verify your email", text: expect.stringContaining("Hello user") });
    const rows = await database.db.select().from(mailOutbox).where(eq(mailOutbox.status, "sent"));
    expect(rows).toHaveLength(30);
    expect(rows.every((row) => row.sentAt !== null && row.attempts === 1)).toBe(true);
  });

  test("in production the log transport logs who and what, never the text with its links; a warning says so", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    const transport = createMailTransport(
      { smtpUrl: undefined, mailFrom: "x@example.com", production: true, supportEmail: undefined },
      logger,
    );
    await transport.send({ ...mail("prod@example.com"), text: "Reset: https://vault.example/reset-password?token=secret" });
    const [warning, sent] = lines.map((line) => JSON.parse(line));
    expect(warning).toMatchObject({ level: "warn", msg: expect.stringContaining("SMTP_URL is not set") });
    expect(sent).toEqual(expect.objectContaining({ msg: "mail", to: "prod@example.com", subject: "Verify your email" }));
    expect(lines.join("")).not.toContain("token=secret");
  });
  test("with SUPPORT_EMAIL every mail ends with where to reach support, as it is sent; without, nothing is added", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", (line) => lines.push(line));
    const config = { smtpUrl: undefined, mailFrom: "x@example.com", production: false };
    await createMailTransport({ ...config, supportEmail: "help@vault.example" }, logger).send(mail("signed@example.com"));
    await createMailTransport({ ...config, supportEmail: undefined }, logger).send(mail("plain@example.com"));
    const [signed, plain] = lines.map((line) => JSON.parse(line));
    expect(signed.text).toEndWith("\n\nSupport: help@vault.example");
    expect(signed.text.startsWith(mail("signed@example.com").text)).toBe(true);
    expect(plain.text).toBe(mail("plain@example.com").text);
    // The HTML part gets it as a link, escaped (the log shows only the text, so the wrapper is asked directly).
    const sent: OutgoingMail[] = [];
    const recording: MailTransport = { kind: "log", keepsBodies: true, send: async (m) => void sent.push(m), close: () => {} };
    await signedWithSupport(recording, "help&co@vault.example").send(mail("html@example.com"));
    expect(sent[0].html).toBe(
      '<p>Hello html@example.com</p>\n<p>Support: <a href="mailto:help&amp;co@vault.example">help&amp;co@vault.example</a></p>',
    );
  });

  test("an unreachable SMTP server leaves the mail pending with a backoff, then failed after a day of tries", async () => {
    const logger = createLogger("silent");
    await enqueueMail(database.db, mail("smtp-down@example.com"));
    // Port 1 on loopback refuses at once: a real connection failure, no network involved.
    const transport = smtpTransport("smtp://127.0.0.1:1", "CryptoVault <no-reply@localhost>");
    expect(await drainMailOutbox(database.db, transport, logger)).toBe(1);
    const [row] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.toAddress, "smtp-down@example.com"));
    expect(row.status).toBe("pending");
    expect(row.attempts).toBe(1);
    expect(row.lastError).toBeTruthy();
    expect(row.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + 20_000);
    // Not due yet: nothing to do.
    expect(await drainMailOutbox(database.db, transport, logger)).toBe(0);
    // Still failing a day after it was queued: given up.
    await database.db
      .update(mailOutbox)
      .set({ createdAt: new Date(Date.now() - GIVE_UP_AFTER_MS - 60_000), nextAttemptAt: new Date(0) })
      .where(eq(mailOutbox.id, row.id));
    await drainMailOutbox(database.db, transport, logger);
    const [last] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.id, row.id));
    expect(last.status).toBe("failed");
    expect(last.attempts).toBe(2);
    transport.close();
  });

  test("backoff doubles and is capped at an hour", () => {
    expect(retryDelayMs(1)).toBe(30_000);
    expect(retryDelayMs(2)).toBe(60_000);
    expect(retryDelayMs(20)).toBe(3_600_000);
  });

  /** A transport standing in for an SMTP server: `answer` decides each send. */
  const smtpLike = (answer: (mail: OutgoingMail) => Promise<void>): MailTransport => ({
    kind: "smtp",
    keepsBodies: false,
    send: answer,
    close() {},
  });
  const rowsTo = (prefix: string) =>
    database.db
      .select()
      .from(mailOutbox)
      .where(sql`${mailOutbox.toAddress} like ${`${prefix}%`}`)
      .orderBy(mailOutbox.id);

  test("a worker that dies mid-batch: the mails it sent are not sent again, only the one in flight may be", async () => {
    for (let i = 0; i < 4; i++) await enqueueMail(database.db, mail(`crash${i}@example.com`));
    const delivered: string[] = [];
    // The third send never answers: the process dies there.
    const dying = smtpLike(async (sent) => {
      if (delivered.length === 2) return new Promise<void>(() => {});
      delivered.push(sent.to);
    });
    void drainMailOutbox(database.db, dying, createLogger("silent"));
    for (let i = 0; i < 100 && delivered.length < 2; i++) await Bun.sleep(10);
    await Bun.sleep(50);
    const rows = await rowsTo("crash");
    expect(rows.map((row) => row.status)).toEqual(["sent", "sent", "pending", "pending"]);
    // The one in flight is claimed for CLAIM_MS; after a restart the others go at once, it goes once that lapses.
    expect(rows[2].nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + CLAIM_MS - 60_000);
    const healthy = smtpLike(async (sent) => {
      delivered.push(sent.to);
    });
    await drainMailOutbox(database.db, healthy, createLogger("silent"));
    await database.db
      .update(mailOutbox)
      .set({ nextAttemptAt: new Date(0) })
      .where(eq(mailOutbox.id, rows[2].id));
    await drainMailOutbox(database.db, healthy, createLogger("silent"));
    expect(delivered.sort()).toEqual(["crash0", "crash1", "crash2", "crash3"].map((name) => `${name}@example.com`));
    expect((await rowsTo("crash")).every((row) => row.status === "sent")).toBe(true);
  });

  test("a mail sent whose row cannot be marked (the database gone) is no failed delivery: it stays claimed", async () => {
    await enqueueMail(database.db, mail("unmarked@example.com"));
    let executes = 0;
    // The claim goes through; the write that marks the mail sent fails.
    const failing = new Proxy(database.db, {
      get(target, property, receiver) {
        if (property !== "execute") return Reflect.get(target, property, receiver);
        return (query: Parameters<typeof target.execute>[0]) => {
          executes++;
          if (executes === 2) return Promise.reject(new Error("Connection terminated unexpectedly"));
          return target.execute(query);
        };
      },
    });
    let sends = 0;
    const transport = smtpLike(async () => {
      sends++;
    });
    await expect(drainMailOutbox(failing, transport, createLogger("silent"))).rejects.toThrow("Connection terminated");
    const [row] = await rowsTo("unmarked");
    expect([row.status, row.attempts, row.lastError, sends]).toEqual(["pending", 0, null, 1]);
    expect(row.nextAttemptAt.getTime()).toBeGreaterThan(Date.now() + CLAIM_MS - 60_000);
  });

  test("a shutdown stops the worker before its next mail", async () => {
    for (let i = 0; i < 3; i++) await enqueueMail(database.db, mail(`shutdown${i}@example.com`));
    const stopping = new AbortController();
    const transport = smtpLike(async () => stopping.abort());
    expect(await drainMailOutbox(database.db, transport, createLogger("silent"), { signal: stopping.signal })).toBe(1);
    expect((await rowsTo("shutdown")).map((row) => row.status)).toEqual(["sent", "pending", "pending"]);
  });

  test("a refusal of the mail for good (5xx to its recipient) fails it at once, loudly; 4xx and bad credentials are tried again", async () => {
    await enqueueMail(database.db, { ...mail("refused-perm@example.com"), text: "reset-password?token=secret" });
    await enqueueMail(database.db, mail("refused-temp@example.com"));
    await enqueueMail(database.db, mail("refused-login@example.com"));
    const lines: string[] = [];
    const answers: Record<string, [string, number, string]> = {
      "refused-perm@example.com": ["550 5.1.1 no such user", 550, "RCPT TO"],
      "refused-temp@example.com": ["451 4.3.0 try later", 451, "RCPT TO"],
      // The deployment's credentials are wrong: every mail would fail alike until an operator fixes them.
      "refused-login@example.com": ["Invalid login: 535 5.7.8 credentials invalid", 535, "AUTH PLAIN"],
    };
    const transport = smtpLike(async (sent) => {
      const [message, responseCode, command] = answers[sent.to];
      throw Object.assign(new Error(message), { responseCode, command });
    });
    await drainMailOutbox(
      database.db,
      transport,
      createLogger("info", (line) => lines.push(line)),
    );
    const [permanent, temporary, login] = await rowsTo("refused");
    expect([permanent.status, permanent.lastError]).toEqual(["failed", "550 5.1.1 no such user"]);
    // Failed for good, it keeps no body: its links would stay readable for ever.
    expect([permanent.textBody, permanent.htmlBody]).toEqual(["", ""]);
    expect([temporary.status, temporary.attempts]).toEqual(["pending", 1]);
    expect([login.status, login.attempts, login.textBody]).toEqual(["pending", 1, "Hello refused-login@example.com"]);
    const logged = lines.map((line) => JSON.parse(line));
    expect(logged).toContainEqual(
      expect.objectContaining({
        level: "error",
        msg: "mail not delivered: given up",
        to: "refused-perm@example.com",
        reason: "refused",
      }),
    );
    expect(logged).toContainEqual(expect.objectContaining({ level: "warn", to: "refused-temp@example.com" }));
  });

  test("a mail delivered over SMTP keeps no body (it held single-use links); the log transport's keep theirs, but in production", async () => {
    await enqueueMail(database.db, {
      ...mail("bodies-smtp@example.com"),
      text: "https://vault.example/reset-password?token=secret",
    });
    await drainMailOutbox(
      database.db,
      smtpLike(async () => {}),
      createLogger("silent"),
    );
    await enqueueMail(database.db, mail("bodies-log@example.com"));
    await drainMailOutbox(database.db, logTransport(createLogger("silent"), false), createLogger("silent"));
    await enqueueMail(database.db, mail("bodies-production-log@example.com"));
    await drainMailOutbox(database.db, logTransport(createLogger("silent"), true), createLogger("silent"));
    const [smtp, log, productionLog] = await rowsTo("bodies");
    expect([smtp.status, smtp.textBody, smtp.htmlBody]).toEqual(["sent", "", ""]);
    expect([log.status, log.textBody]).toEqual(["sent", "Hello bodies-log@example.com"]);
    expect([productionLog.status, productionLog.textBody, productionLog.htmlBody]).toEqual(["sent", "", ""]);
  });
});
