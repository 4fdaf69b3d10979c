import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServiceDb } from './database.js';

export const SUPABASE_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../supabase');

export interface MigrateResult {
  applied: string[];
  skipped: number;
  policies: string[];
}

function sqlFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort();
}

/**
 * Applies supabase/migrations/*.sql in name order, each in its own transaction
 * and recorded in supabase_migrations.schema_migrations (the table the Supabase
 * CLI keeps, so the two agree), then every supabase/policies/*.sql file, which
 * are written to be re-applied. Safe to run concurrently from several replicas.
 */
export async function migrate(serviceDb: ServiceDb, dir = SUPABASE_DIR): Promise<MigrateResult> {
  await serviceDb.unsafe(`
    create schema if not exists supabase_migrations;
    create table if not exists supabase_migrations.schema_migrations (
      version text primary key,
      statements text[],
      name text
    );
  `);
  const result: MigrateResult = { applied: [], skipped: 0, policies: [] };

  for (const file of sqlFiles(path.join(dir, 'migrations'))) {
    const match = /^(\d+)_(.+)\.sql$/.exec(file);
    if (!match) throw new Error(`migration file name must be <timestamp>_<name>.sql: ${file}`);
    const [, version, name] = match as unknown as [string, string, string];
    const body = readFileSync(path.join(dir, 'migrations', file), 'utf8');
    const applied = await serviceDb.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7300, 1)`;
      const [done] = await tx`select 1 from supabase_migrations.schema_migrations where version = ${version}`;
      if (done) return false;
      await tx.unsafe(body);
      await tx`insert into supabase_migrations.schema_migrations (version, name) values (${version}, ${name})`;
      return true;
    });
    if (applied) result.applied.push(file);
    else result.skipped += 1;
  }

  for (const file of sqlFiles(path.join(dir, 'policies'))) {
    const body = readFileSync(path.join(dir, 'policies', file), 'utf8');
    await serviceDb.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(7300, 1)`;
      await tx.unsafe(body);
    });
    result.policies.push(file);
  }
  return result;
}
