/**
 * Values PostgreSQL cannot store: the NUL character (text and jsonb refuse it)
 * and dates outside its range (4713 BC to 294276 AD). JSON and forms can carry
 * both, so they are caught where input comes in, not by the database.
 */

/** The dates we accept: the years 1 to 9999 (what ISO 8601 writes without a sign), well inside PostgreSQL's range. */
export const EARLIEST_DATE = new Date('0001-01-01T00:00:00.000Z');
export const LATEST_DATE = new Date('9999-12-31T23:59:59.999Z');

function walk(value: unknown, path: string[], visit: (v: unknown, path: string[]) => boolean): string[] | undefined {
  if (visit(value, path)) return path;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = walk(value[i], [...path, String(i)], visit);
      if (found) return found;
    }
  } else if (value && typeof value === 'object' && !(value instanceof Date)) {
    for (const [k, v] of Object.entries(value)) {
      const found = walk(v, [...path, k], visit);
      if (found) return found;
    }
  }
  return undefined;
}

/** The path (dot-joined, '' for the value itself) of the first string or object key holding a NUL character. */
export function findNul(value: unknown): string | undefined {
  const found = walk(value, [], (v, path) => (typeof v === 'string' && v.includes('\0')) || (path.length > 0 && path[path.length - 1]!.includes('\0')));
  return found?.join('.');
}

/** The path of the first Date outside the years 1 to 9999. */
export function findDateOutOfRange(value: unknown): string | undefined {
  const found = walk(value, [], (v) => v instanceof Date && !(v >= EARLIEST_DATE && v <= LATEST_DATE));
  return found?.join('.');
}

/**
 * A copy with every NUL character in strings and object keys replaced by
 * U+FFFD (the replacement character), for input we must keep whatever it
 * holds, such as a signed provider webhook.
 */
export function replaceNul<T>(value: T): T {
  if (typeof value === 'string') return (value.includes('\0') ? value.replace(/\0/g, '\uFFFD') : value) as T;
  if (Array.isArray(value)) return value.map(replaceNul) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [replaceNul(k), replaceNul(v)])) as T;
  }
  return value;
}
