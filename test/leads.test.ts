import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { seedCall, seedLead } from './helpers/dashboard-fixtures.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const config = testConfig();
const NAME = 'Erika Mustermann';
const PHONE = '+4915123456789';
const EMAIL = 'erika.mustermann@example.com';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;
let callId: string;
let leadId: string;
let olderLead: string;
let othersLead: string;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
  callId = await seedCall(db, org, PHONE, 'completed', 'given');
  olderLead = await seedLead(db, org, { name: 'Jan Kowalski', phone: '+48601234567', createdAt: new Date(Date.now() - 86_400_000) });
  leadId = await seedLead(db, org, { name: NAME, phone: PHONE, email: EMAIL, notes: 'Wants a call back <b>tomorrow</b>', callId });
  othersLead = await seedLead(db, other, { name: 'Other Person', phone: '+4930123456789' });
});
afterAll(async () => {
  await db.end();
});

const page = (user: TestUser, path: string) => request(app).get(path).set('Cookie', `session=${user.token}`);

/** The database's clock, to the microsecond (as text, so nothing is rounded). */
async function dbNow(): Promise<string> {
  const [row] = await db<{ t: string }[]>`select clock_timestamp()::text as t`;
  return row!.t;
}

/** The audit rows written for `action` in the organisation since `since`. */
async function auditRows(orgId: string, action: string, since: string) {
  return db<{ actor_id: string; target_type: string; target_id: string; metadata: Record<string, unknown> }[]>`
    select actor_id, target_type, target_id, metadata from public.audit_logs
    where org_id = ${orgId} and action = ${action} and created_at >= ${since}::timestamptz order by created_at`;
}

/** Nothing of the lead's personal data anywhere in an audit row. */
function expectNoPersonalData(rows: unknown[]) {
  const text = JSON.stringify(rows);
  for (const pii of [NAME, 'Erika', PHONE, '15123456789', EMAIL, 'Kowalski', '601234567']) expect(text).not.toContain(pii);
}

describe('leads API', () => {
  it('lists the organisation’s leads to a member, newest first, numbers masked, and audits the read by ids and counts', async () => {
    const since = await dbNow();
    const res = await request(app).get(`/api/orgs/${org.id}/leads`).set(...bearer(org.member));
    expect(res.status).toBe(200);
    const leads = res.body.leads as { id: string; name: string; phone: string; call_id: string | null }[];
    expect(leads.map((l) => l.id)).toEqual([leadId, olderLead]);
    expect(leads[0]).toMatchObject({ name: NAME, phone: '+49•••89', call_id: callId });
    expect(leads[0]).not.toHaveProperty('email');
    expect(JSON.stringify(res.body)).not.toContain(PHONE);
    const audit = await auditRows(org.id, 'leads.listed', since);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: org.member.id, target_type: 'organization', target_id: org.id, metadata: { count: 2, before: null } });
    expectNoPersonalData(audit);
  });

  it('pages with before and limit', async () => {
    const res = await request(app).get(`/api/orgs/${org.id}/leads?limit=1`).set(...bearer(org.owner));
    expect(res.body.leads.map((l: { id: string }) => l.id)).toEqual([leadId]);
    const before = new Date(Date.now() - 3_600_000).toISOString();
    const older = await request(app).get(`/api/orgs/${org.id}/leads`).query({ before }).set(...bearer(org.owner));
    expect(older.body.leads.map((l: { id: string }) => l.id)).toEqual([olderLead]);
    expect((await request(app).get(`/api/orgs/${org.id}/leads?limit=0`).set(...bearer(org.owner))).status).toBe(400);
  });

  it('shows one lead whole to a member, audited as lead.read with ids only', async () => {
    const since = await dbNow();
    const res = await request(app).get(`/api/orgs/${org.id}/leads/${leadId}`).set(...bearer(org.member));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: leadId, name: NAME, phone: PHONE, email: EMAIL, call_id: callId });
    expect(res.body).not.toHaveProperty('phone_hash');
    const audit = await auditRows(org.id, 'lead.read', since);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: org.member.id, target_type: 'lead', target_id: leadId, metadata: { call_id: callId } });
    expectNoPersonalData(audit);
  });

  it('never shows another organisation’s lead: 404 through either organisation, and nothing audited', async () => {
    const since = await dbNow();
    expect((await request(app).get(`/api/orgs/${org.id}/leads/${othersLead}`).set(...bearer(org.owner))).status).toBe(404);
    expect((await request(app).get(`/api/orgs/${other.id}/leads/${othersLead}`).set(...bearer(org.owner))).status).toBe(404);
    expect((await request(app).get(`/api/orgs/${other.id}/leads`).set(...bearer(org.member))).status).toBe(404);
    expect((await request(app).get(`/api/orgs/${org.id}/leads/not-a-uuid`).set(...bearer(org.owner))).status).toBe(400);
    expect(await auditRows(other.id, 'lead.read', since)).toHaveLength(0);
    expect(await auditRows(org.id, 'lead.read', since)).toHaveLength(0);
  });

  it('needs a token', async () => {
    expect((await request(app).get(`/api/orgs/${org.id}/leads`)).status).toBe(401);
  });
});

describe('dashboard leads pages', () => {
  it('lists the leads with the name and the masked number, links to each lead and its call, and audits the read', async () => {
    const since = await dbNow();
    const res = await page(org.member, `/app/orgs/${org.id}/leads`);
    expect(res.status).toBe(200);
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.text).toContain(NAME);
    expect(res.text).toContain('+49•••89');
    expect(res.text).not.toContain(PHONE);
    expect(res.text).not.toContain(EMAIL);
    expect(res.text).toContain(`href="/app/orgs/${org.id}/leads/${leadId}"`);
    expect(res.text).toContain(`href="/app/orgs/${org.id}/calls/${callId}"`);
    expect(res.text).toContain('aria-current="page"');
    expect(res.text).not.toMatch(/<script|<style| style=/);
    const audit = await auditRows(org.id, 'leads.listed', since);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: org.member.id, metadata: { count: 2 } });
    expectNoPersonalData(audit);
  });

  it('shows one lead’s fields, escaped, with a link to its call, audited with ids only', async () => {
    const since = await dbNow();
    const res = await page(org.owner, `/app/orgs/${org.id}/leads/${leadId}`);
    expect(res.status).toBe(200);
    for (const v of [NAME, PHONE, EMAIL]) expect(res.text).toContain(v);
    expect(res.text).toContain('Wants a call back &lt;b>tomorrow&lt;/b>');
    expect(res.text).toContain(`href="/app/orgs/${org.id}/calls/${callId}"`);
    const audit = await auditRows(org.id, 'lead.read', since);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_id: org.owner.id, target_type: 'lead', target_id: leadId });
    expectNoPersonalData(audit);
  });

  it('pages back through older leads, fifty at a time', async () => {
    const crowd = await createOrg(db, config);
    const start = Date.now() - 10 * 86_400_000;
    for (let i = 0; i < 51; i += 1) await seedLead(db, crowd, { name: `Lead ${i}`, phone: null, createdAt: new Date(start + i * 60_000) });
    const first = await page(crowd.member, `/app/orgs/${crowd.id}/leads`);
    expect(first.text).toContain('>Lead 50<');
    expect(first.text).toContain('>Lead 1<');
    expect(first.text).not.toContain('>Lead 0<');
    const older = /href="([^"]+before=[^"]+)"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    const second = await page(crowd.member, older);
    expect(second.status).toBe(200);
    expect(second.text).toContain('>Lead 0<');
    expect(second.text).not.toContain('>Lead 1<');
    expect(second.text).toContain(`href="/app/orgs/${crowd.id}/leads">Newest leads`);
    expect(second.text).not.toContain('Older leads');
  });

  it('in German and Polish too', async () => {
    expect((await page(org.member, `/app/orgs/${org.id}/leads`).set('Accept-Language', 'de')).text).toContain('Telefonnummer');
    expect((await page(org.member, `/app/orgs/${org.id}/leads/${leadId}`).set('Accept-Language', 'pl')).text).toContain('Wróć do leadów');
  });

  it('a member of another organisation gets 404 for the list and the lead, and sees nothing of them', async () => {
    const list = await page(other.member, `/app/orgs/${org.id}/leads`);
    expect(list.status).toBe(404);
    expect(list.text).not.toContain(NAME);
    const one = await page(other.member, `/app/orgs/${org.id}/leads/${leadId}`);
    expect(one.status).toBe(404);
    expect(one.text).not.toContain(NAME);
    // Their own organisation's address with our lead's id: not found either.
    expect((await page(other.member, `/app/orgs/${other.id}/leads/${leadId}`)).status).toBe(404);
    const own = await page(other.member, `/app/orgs/${other.id}/leads`);
    expect(own.text).toContain('Other Person');
    expect(own.text).not.toContain(NAME);
  });

  it('needs a session', async () => {
    const res = await request(app).get(`/app/orgs/${org.id}/leads`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/sign-in');
  });
});
