import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { eq } from "drizzle-orm";
import { drainMailOutbox, enqueueMail, MAX_ATTEMPTS, retryDelayMs } from "../src/platform/mail/outbox";
import { mailOutbox } from "../src/platform/mail/schema";
import { createMailTransport, logTransport, smtpTransport } from "../src/platform/mail/transports";
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
        drainMailOutbox(database.db, transport, logger, 7),
        drainMailOutbox(database.db, transport, logger, 7),
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
    const transport = createMailTransport({ smtpUrl: undefined, mailFrom: "x@example.com", production: true }, logger);
    await transport.send({ ...mail("prod@example.com"), text: "Reset: https://vault.example/reset-password?token=secret" });
    const [warning, sent] = lines.map((line) => JSON.parse(line));
    expect(warning).toMatchObject({ level: "warn", msg: expect.stringContaining("SMTP_URL is not set") });
    expect(sent).toEqual(expect.objectContaining({ msg: "mail", to: "prod@example.com", subject: "Verify your email" }));
    expect(lines.join("")).not.toContain("token=secret");
  });
  test("an unreachable SMTP server leaves the mail pending with a backoff, then failed after the last try", async () => {
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
    await database.db
      .update(mailOutbox)
      .set({ attempts: MAX_ATTEMPTS - 1, nextAttemptAt: new Date(0) })
      .where(eq(mailOutbox.id, row.id));
    await drainMailOutbox(database.db, transport, logger);
    const [last] = await database.db.select().from(mailOutbox).where(eq(mailOutbox.id, row.id));
    expect(last.status).toBe("failed");
    expect(last.attempts).toBe(MAX_ATTEMPTS);
    transport.close();
  });

  test("backoff doubles and is capped at an hour", () => {
    expect(retryDelayMs(1)).toBe(30_000);
    expect(retryDelayMs(2)).toBe(60_000);
    expect(retryDelayMs(20)).toBe(3_600_000);
  });
});
