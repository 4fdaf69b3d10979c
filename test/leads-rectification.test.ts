import { randomInt } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { seedLead } from './helpers/dashboard-fixtures.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

/**
 * Rectification (Art. 16): owners and admins correct a lead through
 * PATCH /api/orgs/:orgId/leads/:leadId; the keyed hashes follow the new number
 * and address (so erasure and export find the person by what the lead says
 * now); every correction is audited by ids and field names only.
 */
const config = testConfig();
let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;

const number = () => `${randomInt(100_000_000, 999_999_999)}`;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
  await db`update public.organizations set country = 'DE' where id = ${org.id}`;
});
afterAll(async () => {
  await db.end();
});

async function hashes(leadId: string) {
  const [row] = await db<{ phone: string | null; phone_hash: Buffer | null; email: string | null; email_hash: Buffer | null; name: string | null; notes: string | null }[]>`
    select phone, phone_hash, email, email_hash, name, notes from public.leads where id = ${leadId}`;
  return row!;
}

describe('PATCH /api/orgs/:orgId/leads/:leadId', () => {
  it('corrects name, number, address and notes; the number is read into E.164 and both keyed hashes are recomputed', async () => {
    const leadId = await seedLead(db, org, { name: 'Erika Musterman', phone: `+4930${number()}`, email: 'old@example.test', notes: 'typo' });
    const local = `030 ${number()}`;
    const res = await request(app)
      .patch(`/api/orgs/${org.id}/leads/${leadId}`)
      .set(...bearer(org.admin))
      .send({ name: 'Erika Mustermann', phone: local, email: '  New.Address@Example.TEST ', notes: 'Wants a call back' });
    expect(res.status).toBe(200);
    const e164 = `+4930${local.slice(4)}`;
    expect(res.body).toMatchObject({ id: leadId, name: 'Erika Mustermann', phone: e164, email: 'new.address@example.test', notes: 'Wants a call back' });
    const row = await hashes(leadId);
    expect(row.phone_hash!.equals(keyedHash(config.blindIndexKey, 'phone', e164))).toBe(true);
    expect(row.email_hash!.equals(keyedHash(config.blindIndexKey, 'email', 'new.address@example.test'))).toBe(true);

    // Erasure now finds the person by the corrected number.
    const erased = await request(app).post(`/api/orgs/${org.id}/erasure-requests`).set(...bearer(org.owner)).send({ phone: e164 });
    expect(erased.status).toBe(202);
    expect(erased.body.counts.leads_deleted).toBe(1);
    expect(await db`select 1 from public.leads where id = ${leadId}`).toHaveLength(0);
  });

  it('changes only what is given; null clears a field and its keyed hash', async () => {
    const phone = `+4930${number()}`;
    const leadId = await seedLead(db, org, { name: 'Jan Kowalski', phone, email: 'jan@example.test', notes: 'n' });
    await db`update public.leads set phone_hash = ${keyedHash(config.blindIndexKey, 'phone', phone)} where id = ${leadId}`;
    const res = await request(app).patch(`/api/orgs/${org.id}/leads/${leadId}`).set(...bearer(org.owner)).send({ email: null });
    expect(res.status).toBe(200);
    const row = await hashes(leadId);
    expect(row).toMatchObject({ name: 'Jan Kowalski', phone, email: null, email_hash: null, notes: 'n' });
    expect(row.phone_hash!.equals(keyedHash(config.blindIndexKey, 'phone', phone))).toBe(true);
  });

  it('audits the correction by ids and field names only', async () => {
    const leadId = await seedLead(db, org, { name: 'Anna Nowak', phone: `+4930${number()}` });
    const res = await request(app).patch(`/api/orgs/${org.id}/leads/${leadId}`).set(...bearer(org.admin)).send({ name: 'Anna Nowak-Kowalska', notes: 'Secret note' });
    expect(res.status).toBe(200);
    const rows = await db<{ actor_id: string; target_type: string; metadata: Record<string, unknown> }[]>`
      select actor_id, target_type, metadata from public.audit_logs where org_id = ${org.id} and action = 'lead.updated' and target_id = ${leadId}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ actor_id: org.admin.id, target_type: 'lead', metadata: { fields: ['name', 'notes'] } });
    expect(JSON.stringify(rows)).not.toMatch(/Nowak|Secret/);
  });

  it('members may not correct (403); another organisation\'s lead is not found (404); bad input gets a clear 400', async () => {
    const leadId = await seedLead(db, org, { name: 'Read Only', phone: `+4930${number()}` });
    const url = `/api/orgs/${org.id}/leads/${leadId}`;
    expect((await request(app).patch(url).set(...bearer(org.member)).send({ name: 'x' })).status).toBe(403);
    expect((await request(app).patch(`/api/orgs/${other.id}/leads/${leadId}`).set(...bearer(other.owner)).send({ name: 'x' })).status).toBe(404);
    expect((await request(app).patch(url).set(...bearer(other.owner)).send({ name: 'x' })).status).toBe(404);
    const empty = await request(app).patch(url).set(...bearer(org.admin)).send({});
    expect(empty.status).toBe(400);
    expect(empty.body.error.message).toMatch(/at least one of name, phone, email, notes/);
    const unknown = await request(app).patch(url).set(...bearer(org.admin)).send({ surname: 'x' });
    expect(unknown.status).toBe(400);
    const badEmail = await request(app).patch(url).set(...bearer(org.admin)).send({ email: 'not-an-address' });
    expect(badEmail.status).toBe(400);
    expect(badEmail.body.error.message).toMatch(/email/);
    const badPhone = await request(app).patch(url).set(...bearer(org.admin)).send({ phone: 'call me maybe' });
    expect(badPhone.status).toBe(400);
    expect((await request(app).patch(`/api/orgs/${org.id}/leads/nope`).set(...bearer(org.admin)).send({ name: 'x' })).status).toBe(400);
    const [row] = await db<{ name: string }[]>`select name from public.leads where id = ${leadId}`;
    expect(row!.name).toBe('Read Only');
  });

  it('an anonymised lead cannot be corrected (409)', async () => {
    const leadId = await seedLead(db, org, { name: null, phone: null });
    await db`update public.leads set anonymised_at = now() where id = ${leadId}`;
    const res = await request(app).patch(`/api/orgs/${org.id}/leads/${leadId}`).set(...bearer(org.owner)).send({ name: 'Back again' });
    expect(res.status).toBe(409);
  });
});

describe('GET /api/orgs/:orgId/leads keyset paging', () => {
  it('pages by (created_at, id): leads created in the same instant are neither skipped nor repeated', async () => {
    const fresh = await createOrg(db, config);
    const at = new Date(Date.now() - 60_000);
    const ids: string[] = [];
    for (let i = 0; i < 5; i += 1) ids.push(await seedLead(db, fresh, { name: `Same ${i}`, phone: null, createdAt: at }));
    ids.push(await seedLead(db, fresh, { name: 'Older', phone: null, createdAt: new Date(at.getTime() - 1000) }));
    const seen: string[] = [];
    let query = '?limit=2';
    for (let page = 0; page < 10; page += 1) {
      const res = await request(app).get(`/api/orgs/${fresh.id}/leads${query}`).set(...bearer(fresh.member));
      expect(res.status).toBe(200);
      seen.push(...res.body.leads.map((l: { id: string }) => l.id));
      if (!res.body.next) break;
      query = `?limit=2&before=${encodeURIComponent(res.body.next.before)}&before_id=${res.body.next.before_id as string}`;
    }
    expect(seen).toHaveLength(6);
    expect(new Set(seen)).toEqual(new Set(ids));
    expect(seen[5]).toBe(ids[5]);
    expect((await request(app).get(`/api/orgs/${fresh.id}/leads?before_id=${ids[0]!}`).set(...bearer(fresh.member))).status).toBe(400);
  });
});

describe('the lead page\'s correction form', () => {
  const ORIGIN = 'https://voice.example.test';
  it('owners and admins correct a lead from its page; members see it read-only; an unreadable number returns the form with a 400', async () => {
    const leadId = await seedLead(db, org, { name: 'Form Person', phone: `+4930${number()}` });
    const path = `/app/orgs/${org.id}/leads/${leadId}`;
    const member = await request(app).get(path).set('Cookie', `session=${org.member.token}`);
    expect(member.status).toBe(200);
    expect(member.text).toContain('Only owners and admins can correct a lead.');
    expect(member.text).not.toContain('name="notes"');

    const cookie = `session=${org.admin.token}`;
    const page = await request(app).get(path).set('Cookie', cookie);
    expect(page.status).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const csrf = ([] as string[]).concat(page.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith('csrf='));
    const cookies = csrf ? `${cookie}; ${csrf}` : cookie;
    const [before] = await db<{ phone: string }[]>`select phone from public.leads where id = ${leadId}`;

    const bad = await request(app).post(path).set('Cookie', cookies).set('Origin', ORIGIN).type('form').send({ _csrf: token, name: 'Form Person', phone: 'call me', email: '', notes: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('call me');

    const ok = await request(app).post(path).set('Cookie', cookies).set('Origin', ORIGIN).type('form').send({ _csrf: token, name: 'Form Person-Fixed', phone: before!.phone, email: 'form@example.test', notes: '' });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`${path}?saved=1`);
    const [row] = await db<{ name: string; email: string; email_hash: Buffer }[]>`select name, email, email_hash from public.leads where id = ${leadId}`;
    expect(row).toMatchObject({ name: 'Form Person-Fixed', email: 'form@example.test' });
    expect(row!.email_hash.equals(keyedHash(config.blindIndexKey, 'email', 'form@example.test'))).toBe(true);
    const [audit] = await db<{ metadata: { fields: string[] } }[]>`
      select metadata from public.audit_logs where org_id = ${org.id} and action = 'lead.updated' and target_id = ${leadId}`;
    expect(audit!.metadata.fields).toEqual(['email', 'name']);
  });
});
