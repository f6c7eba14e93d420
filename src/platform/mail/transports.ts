import nodemailer from "nodemailer";
import type { Config } from "../../config";
import type { Logger } from "../observability/logger";
import { escapeHtml } from "./html";

export type OutgoingMail = { to: string; subject: string; text: string; html: string };

export interface MailTransport {
  readonly kind: "smtp" | "log";
  /** Whether a mail done with keeps its body in the outbox: only the developer's inbox (the log outside production). */
  readonly keepsBodies: boolean;
  send(mail: OutgoingMail): Promise<void>;
  close(): void;
}

/**
 * How long an SMTP server may take before a send counts as failed (and is tried again later): nodemailer's own
 * defaults (2 and 10 minutes) would let one hung server hold every mail. SMTP_URL's query may set others.
 */
const SMTP_TIMEOUTS = { connectionTimeout: 30_000, greetingTimeout: 30_000, socketTimeout: 60_000 };

/** Real delivery through any SMTP server (SMTP_URL, e.g. smtps://user:pass@smtp.example.com). */
export function smtpTransport(url: string, from: string): MailTransport {
  const withTimeouts = new URL(url);
  for (const [name, ms] of Object.entries(SMTP_TIMEOUTS))
    if (!withTimeouts.searchParams.has(name)) withTimeouts.searchParams.set(name, String(ms));
  const transporter = nodemailer.createTransport(withTimeouts.toString());
  return {
    kind: "smtp",
    keepsBodies: false,
    async send(mail) {
      await transporter.sendMail({ from, ...mail });
    },
    close: () => transporter.close(),
  };
}

/**
 * Without SMTP the mail is written to the log (and stays in the outbox), so a developer can follow links. In
 * production only who and what is logged, and the outbox keeps no body either: a mail's text carries live reset and
 * verification links, which anyone who reads the logs, the database or a backup could use.
 */
export function logTransport(logger: Logger, production: boolean): MailTransport {
  return {
    kind: "log",
    keepsBodies: !production,
    async send(mail) {
      logger.info("mail", { to: mail.to, subject: mail.subject, ...(production ? {} : { text: mail.text }) });
    },
    close: () => {},
  };
}

export function createMailTransport(
  config: Pick<Config, "smtpUrl" | "mailFrom" | "production" | "supportEmail">,
  logger: Logger,
): MailTransport {
  const transport = config.smtpUrl ? smtpTransport(config.smtpUrl, config.mailFrom) : logTransport(logger, config.production);
  if (!config.smtpUrl && config.production) {
    logger.warn("SMTP_URL is not set: no mail is delivered, and the log shows mails without their text");
  }
  return config.supportEmail ? signedWithSupport(transport, config.supportEmail) : transport;
}

/**
 * Every mail ends with where to reach support (SUPPORT_EMAIL), so the mails that say "contact support" (a freeze, a
 * rejected withdrawal, a change the owner did not make) say how. Added as a mail is sent, not in templates.ts: mails
 * are rendered by identity's mailUser, which its 19 callers reach without the configuration, and a mail queued before
 * the operator changes the address goes out with the new one. The outbox's rows hold the mail without this line.
 */
export function signedWithSupport(transport: MailTransport, supportEmail: string): MailTransport {
  const line = `Support: ${supportEmail}`;
  const html = `<p>Support: <a href="mailto:${escapeHtml(supportEmail)}">${escapeHtml(supportEmail)}</a></p>`;
  return {
    ...transport,
    send: (mail) => transport.send({ ...mail, text: `${mail.text}\n\n${line}`, html: `${mail.html}\n${html}` }),
  };
}
