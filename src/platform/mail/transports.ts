import nodemailer from "nodemailer";
import type { Logger } from "../observability/logger";

export type OutgoingMail = { to: string; subject: string; text: string; html: string };

export interface MailTransport {
  readonly kind: "smtp" | "log";
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/** Real delivery through any SMTP server (SMTP_URL, e.g. smtps://user:pass@smtp.example.com). */
export function smtpTransport(url: string, from: string): MailTransport {
  const transporter = nodemailer.createTransport(url);
  return {
    kind: "smtp",
    async send(mail) {
      await transporter.sendMail({ from, ...mail });
    },
    close: () => transporter.close(),
  };
}

/** Without SMTP the mail is written to the log (and stays in the outbox), so a developer can follow links. */
export function logTransport(logger: Logger): MailTransport {
  return {
    kind: "log",
    async send(mail) {
      logger.info("mail", { to: mail.to, subject: mail.subject, text: mail.text });
    },
    close: () => {},
  };
}

export function createMailTransport(smtpUrl: string | undefined, from: string, logger: Logger): MailTransport {
  return smtpUrl ? smtpTransport(smtpUrl, from) : logTransport(logger);
}
