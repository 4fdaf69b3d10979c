/**
 * Column lists of the personal-data map (src/privacy/personal-data-map.ts)
 * turned into SQL: postgres.js writes `update t set ${db(nullColumns(columns))}`
 * as `"a" = null, "b" = null` and `select ${db(columns)}` as a quoted list.
 */

/** `{ column: null, ... }`: the value that clears every column of `columns` in an update. */
export function nullColumns(columns: readonly string[]): Record<string, null> {
  if (columns.length === 0) throw new Error('No columns to clear: the personal-data map names none for this action');
  return Object.fromEntries(columns.map((column) => [column, null]));
}
