import type { z } from 'zod';
import { findDateOutOfRange, findNul } from './storable.js';
import { ValidationError } from './errors.js';

function refuse(what: string, path: string, message: string): never {
  const where = path || what;
  throw new ValidationError(`Invalid ${what}: ${where}: ${message}`, [{ path: where, message }]);
}

/**
 * Parses input with a zod schema; every problem is listed in the 400 answer.
 * Whatever the schema, a NUL character in any string (or key) and a date
 * outside the years 1 to 9999 are refused too: the database could store neither.
 */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const nul = findNul(input);
  if (nul !== undefined) refuse(what, nul, 'must not contain a NUL character (\\u0000)');
  const result = schema.safeParse(input ?? {});
  if (result.success) {
    const date = findDateOutOfRange(result.data);
    if (date !== undefined) refuse(what, date, 'must be a date between the years 1 and 9999');
    return result.data;
  }
  const details = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || what,
    message: issue.message,
  }));
  const first = details[0]!;
  throw new ValidationError(`Invalid ${what}: ${first.path}: ${first.message}`, details);
}
