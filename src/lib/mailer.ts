import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import nodemailer from 'nodemailer';
import type { AppConfig } from '../config/env.js';
import { logger } from './logger.js';

export interface Mail {
  to: string;
  subject: string;
  text: string;
  html?: string;
}

/** Sends e-mail. Throws when the message was not accepted, so callers can retry. */
export interface Mailer {
  send(mail: Mail): Promise<void>;
}

/**
 * SMTP_URL when set; otherwise (local mode) each message is written as an .eml
 * file into the data folder's mail/ directory, so sign-in links work offline.
 * Beside it a .txt holds the text as written: in the .eml, lines longer than 76
 * characters are quoted-printable (soft line breaks, "=3D"), so a link copied
 * from it would not work; one copied from the .txt does.
 */
export function createMailer(config: Pick<AppConfig, 'mail' | 'dataDir'>): Mailer {
  if (config.mail.smtpUrl) {
    // Bounded waits: a stalled mail server fails the send (the caller retries later) instead of
    // holding the job, and any row it has claimed, for nodemailer's default of minutes.
    const transport = nodemailer.createTransport({
      url: config.mail.smtpUrl,
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
    });
    return {
      async send(mail) {
        await transport.sendMail({ from: config.mail.from, ...mail });
      },
    };
  }
  const dir = path.join(config.dataDir, 'mail');
  const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
  return {
    async send(mail) {
      const info = await transport.sendMail({ from: config.mail.from, ...mail });
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      const file = path.join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${info.messageId.replace(/[^\w.-]/g, '')}.eml`);
      writeFileSync(file, info.message as Buffer, { mode: 0o600 });
      writeFileSync(file.replace(/\.eml$/, '.txt'), `To: ${mail.to}\nSubject: ${mail.subject}\n\n${mail.text}`, { mode: 0o600 });
      logger.info({ file }, 'local mode: e-mail written to the data folder instead of being sent');
    },
  };
}
