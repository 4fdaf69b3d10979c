import postgres from 'postgres';
import type { AppConfig } from '../config/env.js';
import { openEmbeddedDatabase } from './embedded.js';
import path from 'node:path';

/**
 * The service handle: the backend's own connection, which bypasses RLS.
 * Only webhooks, jobs, auth plumbing and operator actions use it; user requests
 * go through `UserDb` instead. The name is meant to make a misuse stand out.
 */
export type ServiceDb = postgres.Sql;

/** How the backend's connections name themselves to PostgreSQL (pg_stat_activity). */
export const APPLICATION_NAME = 'voice-gdpr';
export type Tx = postgres.TransactionSql;

export interface Database {
  serviceDb: ServiceDb;
  url: string;
  embedded: boolean;
  close(): Promise<void>;
}

/** Opens DATABASE_URL, or the embedded database in the data folder when it is absent. */
export async function openDatabase(config: Pick<AppConfig, 'databaseUrl' | 'dataDir'>): Promise<Database> {
  if (config.databaseUrl) {
    const serviceDb = postgres(config.databaseUrl, {
      max: 10,
      onnotice: () => {},
      connection: { application_name: APPLICATION_NAME },
    });
    return { serviceDb, url: config.databaseUrl, embedded: false, close: () => serviceDb.end({ timeout: 5 }) };
  }
  const embedded = await openEmbeddedDatabase(path.join(config.dataDir, 'db'));
  // PGlite runs one transaction at a time: one connection, so a transaction
  // never waits on another connection of ours.
  const serviceDb = postgres(embedded.url, { max: 1, onnotice: () => {} });
  return {
    serviceDb,
    url: embedded.url,
    embedded: true,
    async close() {
      await serviceDb.end({ timeout: 5 });
      await embedded.close();
    },
  };
}
