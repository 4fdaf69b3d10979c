import type { z } from 'zod';
import { ValidationError } from '../lib/errors.js';

/** Parses input with a zod schema; every problem is listed in the 400 answer. */
export function parse<S extends z.ZodType>(schema: S, input: unknown, what = 'body'): z.infer<S> {
  const result = schema.safeParse(input ?? {});
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: issue.path.join('.') || what,
    message: issue.message,
  }));
  const first = details[0]!;
  throw new ValidationError(`Invalid ${what}: ${first.path}: ${first.message}`, details);
}
