/**
 * Statement fragments built from a list of column names, for statements whose
 * columns come from src/privacy/personal-data-map.ts rather than from their
 * own text. Every name goes through postgres.js's identifier escaping (a
 * single string passed to `db(name)` is an identifier, never a value or raw
 * text), so a fragment is as safe as the literal it replaces.
 */
import type postgres from 'postgres';
import type { ServiceDb, Tx } from './database.js';

type Db = Tx | ServiceDb;

function nonEmpty(columns: readonly string[], what: string): void {
  // An empty list would leave a statement that sets or tests nothing: a map
  // that no longer names the columns is a mistake to surface, not to run.
  if (columns.length === 0) throw new Error(`${what}: no columns`);
}

/** `"a" = null, "b" = null`: for the SET list of an UPDATE. */
export function setNull(db: Db, columns: readonly string[]): postgres.Fragment[] {
  nonEmpty(columns, 'setNull');
  return columns.map((column, i) => (i === 0 ? db`${db(column)} = null` : db`, ${db(column)} = null`));
}

/** `("a" is not null or "b" is not null)`: a row that still holds any of them. */
export function anyNotNull(db: Db, columns: readonly string[]): postgres.Fragment {
  nonEmpty(columns, 'anyNotNull');
  return db`(${columns.map((column, i) => (i === 0 ? db`${db(column)} is not null` : db`or ${db(column)} is not null`))})`;
}
