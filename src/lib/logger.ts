import { pino, type Logger } from 'pino';
import { currentContext } from './request-context.js';

/**
 * JSON logs. Personal data and secrets never reach a log line: request bodies
 * and headers are not logged, and these paths are redacted wherever they appear.
 */
export const logger: Logger = pino({
  level: process.env.LOG_LEVEL ?? 'info',
  base: { service: 'voice-gdpr' },
  redact: {
    paths: [
      'authorization',
      '*.authorization',
      'headers',
      '*.headers',
      'token',
      '*.token',
      'password',
      '*.password',
      'secret',
      '*.secret',
      'email',
      '*.email',
      'phone',
      '*.phone',
      'from',
      '*.from',
    ],
    censor: '[redacted]',
  },
  mixin() {
    const ctx = currentContext();
    return ctx ? { request_id: ctx.requestId } : {};
  },
});

/**
 * The one line each request ends with (request-context middleware): fixed
 * fields only (id, method, path without query string, status, time), none of
 * them a redacted path, so it skips the redaction pass, which doubled the cost
 * of the busiest log line.
 */
export const requestLog: Logger = logger.child({}, { redact: [] });
