import { isatty } from 'node:tty';
import { pino, type DestinationStream, type Logger } from 'pino';
import { PinoPretty } from 'pino-pretty';
import { currentContext } from './request-context.js';

/**
 * Where log lines go: the server logs to stdout; a command-line tool whose stdout is
 * its output (`npm run -s token`, `db:seed -- --json`) logs to stderr instead
 * (`logToStderr`, called before its first line). On a terminal lines are
 * pretty-printed (pino-pretty); anywhere else (a pipe, a file, a log collector)
 * they stay one JSON object per line. LOG_FORMAT=json or pretty forces either.
 */
function sinkFor(fd: 1 | 2): DestinationStream {
  const format = process.env.LOG_FORMAT;
  const pretty = format === 'pretty' || (format !== 'json' && isatty(fd));
  return pretty
    ? PinoPretty({ destination: fd, sync: true, colorize: isatty(fd), translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' })
    : pino.destination({ dest: fd, sync: true });
}

let sink: DestinationStream | undefined;
let sinkFd: 1 | 2 = 1;
const destination: DestinationStream = {
  write(line: string) {
    sink ??= sinkFor(sinkFd);
    sink.write(line);
  },
};

/** Sends every later log line to stderr: for tools whose stdout is what they print. */
export function logToStderr(): void {
  if (sinkFd === 2) return;
  sinkFd = 2;
  sink = undefined;
}

/**
 * Personal data and secrets never reach a log line: request bodies and headers
 * are not logged, and these paths are redacted wherever they appear.
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
}, destination);

/**
 * The one line each request ends with (the request-context middleware, and the
 * routes served ahead of Express): fixed fields only (id, method, path without
 * query string, status, time), none of them a redacted path, so it skips the
 * redaction pass, which doubled the cost of the busiest log line; and it
 * carries its request id itself, so it skips the context look-up too.
 */
export const requestLog: Logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'voice-gdpr' } }, destination);
