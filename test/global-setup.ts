import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import type { TestProject } from 'vitest/node';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    databaseUrl: string;
    embedded: boolean;
  }
}

/**
 * One database for the whole run, migrated with the real migrations and
 * policies: a fresh database on DATABASE_URL's server (dropped afterwards), or
 * the embedded PGlite in a temporary folder.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `test_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await migrate(sql);
    await sql.end();
    project.provide('databaseUrl', url.toString());
    project.provide('embedded', false);
    return async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-test-'));
  const embedded = await openEmbeddedDatabase(dir);
  const sql = postgres(embedded.url, { max: 1, onnotice: () => {} });
  await migrate(sql);
  await sql.end();
  project.provide('databaseUrl', embedded.url);
  project.provide('embedded', true);
  return async () => {
    await embedded.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
