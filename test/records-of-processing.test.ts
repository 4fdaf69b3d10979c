import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import { buildAgentPlatform } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { seedDemo } from '../src/demo/seed.js';
import { DATA_CATEGORIES, personalColumns, SUBJECT_CATEGORIES } from '../src/privacy/personal-data-map.js';
import { buildRecordOfProcessing, renderRecordOfProcessing, type RecordOfProcessing } from '../src/privacy/records-of-processing.js';
import { findController, findRecordPreferences } from '../src/privacy/records-of-processing-repo.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KEYS = ['controller', 'processor', 'categories_of_data', 'categories_of_subjects', 'purposes', 'recipients', 'transfers_outside_eea', 'retention', 'security_measures'];

/** The sub-processors the migrations list as live (other test files may add their own to a shared database). */
function migrationSubprocessors(): string[] {
  const dir = path.join(ROOT, 'supabase/migrations');
  const names: string[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql'))) {
    const sql = readFileSync(path.join(dir, file), 'utf8');
    // A statement ends at a semicolon that ends its line (its strings have semicolons of their own).
    for (const stmt of sql.matchAll(/insert into public\.subprocessors[\s\S]*?;[ \t]*(?:\n|$)/g)) {
      for (const row of stmt[0].matchAll(/\(\s*'((?:[^']|'')+)',[\s\S]*?'(live|announced|retired)',/g)) {
        if (row[2] === 'live') names.push(row[1]!.replace(/''/g, "'"));
      }
    }
  }
  return names;
}

describe('records of processing activities (Art. 30)', () => {
  let db: ServiceDb;
  let config: AppConfig;
  let app: Express;
  let deps: ReturnType<typeof buildTestApp>['deps'];
  let org: TestOrg;
  let outsider: TestUser;
  let live: { name: string; region: string }[];

  beforeAll(async () => {
    db = openTestDb();
    config = testConfig();
    ({ app, deps } = buildTestApp(db, config));
    org = await createOrg(db, config);
    outsider = await createUser(db, config);
    live = await db<{ name: string; region: string }[]>`select name, region from public.subprocessors where status = 'live' order by name`;
  });
  afterAll(async () => {
    await db.end();
  });

  const get = (user: TestUser, orgId = org.id) => request(app).get(`/api/orgs/${orgId}/records-of-processing`).set(...bearer(user));

  it('answers a member with exactly the Art. 30 keys, every category of the map and every live sub-processor with its region', async () => {
    const res = await get(org.member);
    expect(res.status).toBe(200);
    const body = res.body as RecordOfProcessing;
    expect(Object.keys(body).sort()).toEqual([...KEYS].sort());
    expect(body.controller).toMatchObject({ id: org.id, name: expect.stringMatching(/^Org /) });
    expect(body.processor.name.length).toBeGreaterThan(5);
    expect(body.categories_of_data.map((c) => c.category)).toEqual([...DATA_CATEGORIES]);
    for (const c of personalColumns()) {
      expect(body.categories_of_data.find((x) => x.category === c.category)!.columns, `${c.table}.${c.column}`).toContain(`${c.table}.${c.column}`);
    }
    expect(body.categories_of_subjects.map((s) => s.subject)).toEqual([...SUBJECT_CATEGORIES]);
    expect(live.length).toBeGreaterThanOrEqual(4);
    for (const s of live) expect(body.recipients).toContainEqual(expect.objectContaining({ name: s.name, region: s.region, purpose: expect.any(String) }));
    expect(body.recipients).toHaveLength(live.length);
    for (const r of body.recipients) expect(Object.keys(r)).toEqual(expect.arrayContaining(['name', 'purpose', 'region']));
    expect(body.transfers_outside_eea.transfers).toEqual(body.recipients.filter((r) => !/^(EU|EEA)\b/.test(r.region)).map((r) => ({ name: r.name, region: r.region, safeguards: r.safeguards })));
    expect(body.retention.window_days).toBe(30);
    expect(body.retention.rules).toContainEqual(expect.objectContaining({ table: 'transcripts', rule: 'org_window', columns: expect.arrayContaining(['content', 'ciphertext']) }));
    expect(body.purposes.length).toBeGreaterThan(3);
    expect(body.security_measures.join('\n')).toMatch(/row-level security/);
  });

  it('follows the organisation\'s preferences: window, consent scope, transcript encryption', async () => {
    await db`update public.privacy_preferences set retention_days = 90, consent_scope = 'all_callers', transcript_encryption = true where org_id = ${org.id}`;
    try {
      const body = (await get(org.owner)).body as RecordOfProcessing;
      expect(body.retention.window_days).toBe(90);
      expect(body.retention.rules.find((r) => r.table === 'leads')!.description).toMatch(/^90 days/);
      expect(body.security_measures).toContain('Transcripts encrypted at rest with AES-256-GCM under keys only the backend holds (switched on for this organisation)');
      expect(body.purposes.find((p) => p.purpose === 'call_recording')!.description).toMatch(/asks every caller/);
    } finally {
      await db`update public.privacy_preferences set retention_days = 30, consent_scope = 'listed_countries', transcript_encryption = false where org_id = ${org.id}`;
    }
  });

  it('answers outsiders 404, as other organisation routes do', async () => {
    const res = await get(outsider);
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
    expect((await get(org.member, '00000000-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await request(app).get(`/api/orgs/${org.id}/records-of-processing`)).status).toBe(401);
  });

  it('renders Markdown with every category and every recipient', async () => {
    const body = (await get(org.admin)).body as RecordOfProcessing;
    const md = renderRecordOfProcessing(body);
    for (const c of DATA_CATEGORIES) expect(md).toContain(`| ${c} |`);
    for (const s of live) expect(md).toContain(`| ${s.name} |`);
    for (const c of personalColumns()) expect(md).toContain(`\`${c.table}.${c.column}\``);
    expect(md).toContain(`\`${org.id}\``);
  });

  it('docs/records-of-processing.md is what the renderer produces for the demo organisation', async () => {
    const doc = readFileSync(path.join(ROOT, 'docs/records-of-processing.md'), 'utf8');
    const seeded = migrationSubprocessors();
    expect(seeded.length).toBeGreaterThanOrEqual(4);
    for (const name of seeded) expect(doc).toContain(`| ${name} |`);
    for (const c of DATA_CATEGORIES) expect(doc).toContain(`| ${c} |`);

    const seed = await seedDemo(db, config, buildAgentPlatform(config));
    const record = await deps.recordsOfProcessing.forOrganizationAsService(seed.organization_id);
    // The same record with the migrations' sub-processors (others may be live in a shared test database).
    const expected = buildRecordOfProcessing({
      organization: (await findController(db, seed.organization_id))!,
      preferences: await findRecordPreferences(db, seed.organization_id),
      subprocessors: record.recipients.filter((r) => seeded.includes(r.name)),
    });
    expect(expected.recipients.map((r) => r.name).sort()).toEqual([...seeded].sort());
    const docId = /- Id: `([0-9a-f-]{36})`/.exec(doc)?.[1];
    expect(docId).toBeDefined();
    expect(doc, 'run `npm run records-of-processing` and commit docs/records-of-processing.md').toBe(renderRecordOfProcessing(expected).replaceAll(seed.organization_id, docId!));
  });
});
