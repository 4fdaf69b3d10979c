import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import {
  ERASURE_ACTIONS,
  mapProblems,
  PERSONAL_DATA_MAP,
  personalColumns,
  ruleProblems,
  type TableMap,
} from '../src/privacy/personal-data-map.js';
import { openTestDb } from './helpers/harness.js';

/**
 * The personal-data map against the migrated database's catalogue: every
 * column of every public table is classified, as personal or as not, and the
 * map names nothing that no longer exists. A migration that adds a column
 * fails here until the column is classified.
 */
describe('the personal-data map covers the live catalogue', () => {
  let db: ServiceDb;
  let catalogue: { table: string; column: string }[];

  beforeAll(async () => {
    db = openTestDb();
    catalogue = await db<{ table: string; column: string }[]>`
      select c.table_name as table, c.column_name as column
      from information_schema.columns c
      join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name
      where c.table_schema = 'public' and t.table_type = 'BASE TABLE'
      order by c.table_name, c.ordinal_position`;
  });
  afterAll(async () => {
    await db.end();
  });

  it('reads a catalogue with the tables it knows of', () => {
    const tables = new Set(catalogue.map((c) => c.table));
    for (const t of ['calls', 'leads', 'call_consents', 'audit_logs', 'users']) expect(tables).toContain(t);
  });

  it('classifies every column of every public table, and names no column that does not exist', () => {
    expect(mapProblems(catalogue), 'classify each column in src/privacy/personal-data-map.ts').toEqual([]);
  });

  it('names the column and the map when a column is unclassified, and a map entry that no longer exists', () => {
    // (Checked on top of the live catalogue, whatever else it reports.)
    const problems = mapProblems([...catalogue, { table: 'leads', column: 'synthetic_column' }, { table: 'synthetic_table', column: 'id' }]);
    expect(problems).toEqual(expect.arrayContaining([
      expect.stringMatching(/^leads\.synthetic_column is not classified: add it to src\/privacy\/personal-data-map\.ts/),
      expect.stringMatching(/^synthetic_table\.id is not classified: add it to src\/privacy\/personal-data-map\.ts/),
    ]));
    const gone = mapProblems(catalogue.filter((c) => !(c.table === 'calls' && c.column === 'from_number')));
    expect(gone).toEqual(expect.arrayContaining([expect.stringMatching(/^calls\.from_number is in src\/privacy\/personal-data-map\.ts but the table has no such column/)]));
    const both: Record<string, TableMap> = { ...PERSONAL_DATA_MAP, leads: { ...PERSONAL_DATA_MAP.leads!, notPersonal: [...PERSONAL_DATA_MAP.leads!.notPersonal, 'email'] } };
    expect(mapProblems(catalogue, both)).toContain('leads.email is both personal and not personal in src/privacy/personal-data-map.ts');
  });
});

describe('the personal-data map follows its own rules', () => {
  it('every personal column has an allowed erasure action, and every keep a reason', () => {
    const columns = personalColumns();
    expect(columns.length).toBeGreaterThan(20);
    for (const c of columns) {
      for (const d of [c.erasure, c.accountDeletion, ...(c.retention.rule === 'org_window' ? [c.retention.action] : [])]) {
        expect(ERASURE_ACTIONS, `${c.table}.${c.column}`).toContain(d.action);
        if (d.action === 'keep') expect(d.reason.length, `${c.table}.${c.column} keeps without a reason`).toBeGreaterThan(10);
      }
    }
    expect(ruleProblems()).toEqual([]);
  });

  it('finds a keep without a reason and an unknown action', () => {
    const calls = PERSONAL_DATA_MAP.calls!;
    const broken: Record<string, TableMap> = {
      calls: {
        ...calls,
        personal: {
          ...calls.personal,
          from_number: { ...calls.personal.from_number!, erasure: { action: 'keep', reason: '' } },
          from_hash: { ...calls.personal.from_hash!, erasure: { action: 'shred' as 'delete_row' } },
        },
      },
    };
    expect(ruleProblems(broken)).toEqual(['calls.from_number erasure: keep needs a stated reason', 'calls.from_hash erasure: unknown action shred']);
  });

  it('every subject key is a personal identifier column of the map', () => {
    for (const [table, entry] of Object.entries(PERSONAL_DATA_MAP)) {
      for (const key of entry.subjectKeys) {
        const [keyTable, rest] = key.split('.') as [string, string];
        const column = rest.split('->>')[0]!;
        expect(PERSONAL_DATA_MAP[keyTable]?.personal[column]?.category, `${table}: subject key ${key}`).toBe('identifier');
      }
    }
  });

  it('is frozen', () => {
    expect(Object.isFrozen(PERSONAL_DATA_MAP)).toBe(true);
    expect(Object.isFrozen(PERSONAL_DATA_MAP.calls!.personal.from_number)).toBe(true);
    expect(() => {
      (PERSONAL_DATA_MAP.calls!.notPersonal as string[]).push('x');
    }).toThrow();
  });
});
