import { randomBytes, randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import {
  erasureColumns,
  exportedColumns,
  mapProblems,
  PERSONAL_DATA_MAP,
  retentionColumns,
  ruleProblems,
  type TableMap,
} from '../src/privacy/personal-data-map.js';
import { newCallSid, startCallWorld, type CallWorld } from './helpers/call-harness.js';
import { createOrg, openIsolatedTestDb } from './helpers/harness.js';
import { describeHits, scanDatabase } from './helpers/personal-data-scan.js';

/**
 * What issue 11 asks to be shown: a migration adding `leads.date_of_birth
 * text` makes `npm test` fail, naming the column and the map (the check of
 * test/personal-data-map.test.ts, mapProblems against the live catalogue);
 * classifying the column in the map makes it pass; and erasure then clears it.
 *
 * The column is added to this file's own database: on PostgreSQL a fresh one
 * (dropped afterwards); the embedded database runs test files one after
 * another and is shared, so the column is dropped again after this file.
 */

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
let catalogue: { table: string; column: string }[];

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  world = await startCallWorld(db);
  // The new migration.
  await db`alter table public.leads add column date_of_birth text`;
  catalogue = await db<{ table: string; column: string }[]>`
    select c.table_name as table, c.column_name as column
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
    where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
    order by c.table_name, c.ordinal_position`;
});
afterAll(async () => {
  await db`alter table public.leads drop column if exists date_of_birth`;
  await world.close();
  await isolated.close();
});

/** The map as it would read once the column is classified: a caller's contact detail, like the lead's name. */
function mapWithDateOfBirth(): Record<string, TableMap> {
  const leads = PERSONAL_DATA_MAP.leads!;
  return {
    ...PERSONAL_DATA_MAP,
    leads: { ...leads, personal: { ...leads.personal, date_of_birth: { ...leads.personal.name!, category: 'contact' } } },
  };
}

describe('a migration adds leads.date_of_birth', () => {
  it('the map check fails, naming the column and the map', () => {
    expect(catalogue).toContainEqual({ table: 'leads', column: 'date_of_birth' });
    const problems = mapProblems(catalogue);
    expect(problems).toEqual([
      'leads.date_of_birth is not classified: add it to src/privacy/personal-data-map.ts, as personal (category, subject, erasure, retention, export, legal basis) or in leads\'s notPersonal list',
    ]);
    expect(problems[0]).toContain('leads.date_of_birth');
    expect(problems[0]).toContain('src/privacy/personal-data-map.ts');
  });

  it('classified in the map, the check passes, and erasure, retention and export take the column', () => {
    const classified = mapWithDateOfBirth();
    expect(mapProblems(catalogue, classified)).toEqual([]);
    expect(ruleProblems(classified)).toEqual([]);
    expect(erasureColumns('leads', 'delete_row', classified)).toContain('date_of_birth');
    expect(retentionColumns('leads', 'anonymise', classified)).toContain('date_of_birth');
    expect(exportedColumns('leads', classified)).toContain('date_of_birth');
  });

  it('erasure then clears it: the date of birth is nowhere in the database', async () => {
    const deps = buildAppDeps(world.config, db);
    const org = await createOrg(db, world.config);
    const phone = `+4930${randomInt(100_000_000, 999_999_999)}`;
    const hash = keyedHash(world.config.blindIndexKey, 'phone', phone);
    const dateOfBirth = `07.03.1984 (${randomBytes(6).toString('hex')})`;
    await db`
      with call as (
        insert into public.calls (org_id, twilio_call_sid, from_number, from_hash, to_number, status, consent_state, recording_allowed)
        values (${org.id}, ${newCallSid()}, ${phone}, ${hash}, '+35312345678', 'completed', 'given', true)
        returning id
      )
      insert into public.leads (org_id, call_id, name, phone, phone_hash, date_of_birth)
      select ${org.id}, id, 'Erika Mustermann', ${phone}, ${hash}, ${dateOfBirth} from call`;
    expect(describeHits(await scanDatabase(db, [{ text: dateOfBirth.toLowerCase(), label: 'date of birth', kind: 'value' }]))).toEqual([
      "leads.date_of_birth still holds the subject's date of birth",
    ]);

    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'phone', value: phone }, contactEmail: null });
    const done = await deps.erasure.confirmPublicRequest(filed.id);
    expect(done.status).toBe('completed');
    expect(done.counts).toMatchObject({ leads_deleted: 1, calls_scrubbed: 1 });

    expect(describeHits(await scanDatabase(db, [{ text: dateOfBirth.toLowerCase(), label: 'date of birth', kind: 'value' }]))).toEqual([]);
  });
});
