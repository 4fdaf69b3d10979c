import type { ServiceDb } from './database.js';

/** The cheapest statement there is: answers once the database takes queries (/readyz). */
export function pingDatabase(db: ServiceDb) {
  return db`select 1`;
}
