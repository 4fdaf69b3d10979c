import type { ErrorRequestHandler } from 'express';
import { AppError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { currentContext } from '../lib/request-context.js';

interface PgLikeError {
  code?: string;
  hint?: string;
  routine?: string;
}

function fromDatabase(err: PgLikeError): AppError | undefined {
  switch (err.code) {
    case '42501':
      return new AppError(403, 'forbidden', 'Your role does not allow this action.');
    case '23505':
      return new AppError(409, 'conflict', 'That already exists.');
    case '23503':
      return new AppError(409, 'conflict', 'That refers to something that does not exist.');
    case '22P02':
    case '22023':
      return new AppError(400, 'bad_request', 'A value has the wrong format.');
    case '23514':
      if (err.hint === 'webhook_url_refused') return new AppError(422, 'webhook_url_refused', 'The webhook URL is not allowed: it must be https:// on a public address.');
      return new AppError(400, 'bad_request', 'A value is outside what is allowed.');
    // Input the validation let through that the database cannot store: a NUL character, a date out of its range.
    case '22021':
    case '22P05':
      return new AppError(400, 'bad_request', 'A value contains a character that cannot be stored (such as NUL).');
    case '22003':
      return new AppError(400, 'bad_request', 'A number is too large.');
    case '22007':
    case '22008':
      return new AppError(400, 'bad_request', 'A date is outside the range that can be stored.');
    case 'P0001':
      if (err.hint === 'last_owner') return new AppError(409, 'last_owner', 'An organisation must keep at least one owner.');
      return undefined;
    default:
      return undefined;
  }
}

function fromBodyParser(err: { type?: string; status?: number; expose?: boolean }): AppError | undefined {
  switch (err.type) {
    case 'entity.too.large':
      return new AppError(413, 'payload_too_large', 'The request body is too large.');
    case 'entity.parse.failed':
      return new AppError(400, 'invalid_json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new AppError(415, 'unsupported_encoding', 'The request body encoding is not supported.');
    case 'request.aborted':
      return new AppError(400, 'request_aborted', 'The request was aborted.');
    default:
      if (err.expose && typeof err.status === 'number' && err.status >= 400 && err.status < 500) {
        return new AppError(err.status, 'bad_request', 'The request could not be read.');
      }
      return undefined;
  }
}

/**
 * The answer to an error: typed errors keep their status and message; known
 * database and body-parser errors become clear 4xx answers; anything else is a
 * 500 that says nothing about internals (its details go to the log, without
 * personal data: database error details can quote values, so only codes are logged).
 * Used by the error middleware and by the routes served ahead of Express.
 */
export function errorAnswer(err: unknown): { status: number; body: { error: Record<string, unknown> } } {
  const known = err instanceof AppError ? err : (fromBodyParser(err as never) ?? fromDatabase(err as PgLikeError));
  if (known) {
    const error: Record<string, unknown> = { code: known.code, message: known.message };
    if (known.details !== undefined) error.details = known.details;
    return { status: known.status, body: { error } };
  }
  const e = err as Error & PgLikeError;
  logger.error({ err_name: e?.name, err_code: e?.code, routine: e?.routine, stack: e?.stack?.split('\n').slice(0, 6).join('\n') }, 'unhandled error');
  return { status: 500, body: { error: { code: 'internal', message: 'Something went wrong on our side.' } } };
}

/** The one error middleware (see `errorAnswer`). */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  const requestId = currentContext()?.requestId ?? res.getHeader('x-request-id');
  const { status, body } = errorAnswer(err);
  res.status(status).json({ ...body, request_id: requestId });
};
