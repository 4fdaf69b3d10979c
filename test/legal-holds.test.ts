import { randomBytes, randomInt } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { keyedHash } from '../src/lib/crypto.js';
import { runRetentionPurge } from '../src/retention/retention-purge.js';
import { bearer, buildTestApp, createOrg, openIsolatedTestDb, testConfig, type TestOrg } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

/**
 * Legal holds (Art. 17(3)): an organisation's hold on a caller keeps that
 * organisation's data of them through an erasure request (the other
 * organisations' goes), the requester is told which organisation keeps what
 * and why, the retention purge and account deletion leave it, and once the
 * hold ends (or its `until` passes) the erasure is carried out.
 */

const HOUR = 3_600_000;
let offset = 0;
const now = () => new Date(Date.now() + offset);

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let smtp: TestSmtp;
let app: ReturnType<typeof buildTestApp>['app'];
let deps: ReturnType<typeof buildTestApp>['deps'];
let config: ReturnType<typeof testConfig>;
let orgA: TestOrg;
let orgB: TestOrg;

const phone = () => `+4930${randomInt(100_000_000, 999_999_999)}`;
const hashOf = (p: string) => keyedHash(config.blindIndexKey, 'phone', p);

/** A call from `from` with its transcript, and the lead it left (both found by the number's keyed hash). */
async function seedCaller(org: TestOrg, from: string, opts: { startedAt?: Date } = {}) {
  const startedAt = opts.startedAt ?? new Date();
  const [call] = await db<{ id: string }[]>`
    insert into public.calls (org_id, twilio_call_sid, from_number, from_hash, status, started_at, created_at)
    values (${org.id}, ${`CA${randomBytes(16).toString('hex')}`}, ${from}, ${hashOf(from)}, 'completed', ${startedAt}, ${startedAt}) returning id`;
  await db`insert into public.transcripts (org_id, call_id, content, created_at) values (${org.id}, ${call!.id}, ${db.json([{ role: 'user', message: 'hello' }])}, ${startedAt})`;
  await db`insert into public.leads (org_id, call_id, name, phone, phone_hash, created_at)
           values (${org.id}, ${call!.id}, 'Erika Mustermann', ${from}, ${hashOf(from)}, ${startedAt})`;
  return call!.id;
}

/** What the organisation still holds of the number: calls still carrying it, leads, transcripts of its calls. */
async function heldOf(org: TestOrg, from: string) {
  const [r] = await db<{ calls: number; leads: number; transcripts: number }[]>`
    select (select count(*)::int from public.calls where org_id = ${org.id} and from_hash = ${hashOf(from)}) as calls,
           (select count(*)::int from public.leads where org_id = ${org.id} and phone_hash = ${hashOf(from)}) as leads,
           (select count(*)::int from public.transcripts t join public.calls c on c.id = t.call_id
              where t.org_id = ${org.id} and c.from_number = ${from}) as transcripts`;
  return r!;
}

async function auditRows(orgId: string, action: string) {
  return db<{ actor_id: string | null; target_id: string; metadata: Record<string, unknown> }[]>`
    select actor_id, target_id, metadata from public.audit_logs where org_id = ${orgId} and action = ${action} order by created_at`;
}

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app, deps } = buildTestApp(db, config, { now }));
  // On the embedded database this file shares the run's database: carry out any
  // held erasure other files left releasable (now or within years), so the counts
  // below are this file's own.
  offset = 10 * 365 * 24 * HOUR;
  while ((await deps.erasure.releaseHeld()).released > 0);
  offset = 0;
  orgA = await createOrg(db, config);
  orgB = await createOrg(db, config);
}, 120_000);
afterAll(async () => {
  await smtp.close();
  await isolated.close();
});

describe('placing, listing and ending holds', () => {
  it('is for owners and admins only, validates its input with clear 400s, and shows the subject masked', async () => {
    const p = phone();
    const url = `/api/orgs/${orgA.id}/legal-holds`;
    expect((await request(app).post(url).set(...bearer(orgA.member)).send({ phone: p, reason: 'Pending litigation' })).status).toBe(403);
    expect((await request(app).get(url).set(...bearer(orgA.member))).status).toBe(403);
    expect((await request(app).get(url).set(...bearer(orgB.owner))).status).toBe(404);

    const noReason = await request(app).post(url).set(...bearer(orgA.admin)).send({ phone: p });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toMatch(/reason/);
    const both = await request(app).post(url).set(...bearer(orgA.admin)).send({ phone: p, email: 'a@example.test', reason: 'Pending litigation' });
    expect(both.status).toBe(400);
    const badUntil = await request(app).post(url).set(...bearer(orgA.admin)).send({ phone: p, reason: 'Pending litigation', until: 'next week' });
    expect(badUntil.status).toBe(400);
    expect(badUntil.body.error.message).toMatch(/until/);
    const past = await request(app).post(url).set(...bearer(orgA.admin)).send({ phone: p, reason: 'Pending litigation', until: new Date(Date.now() - HOUR).toISOString() });
    expect(past.status).toBe(422);
    const badPhone = await request(app).post(url).set(...bearer(orgA.admin)).send({ phone: 'not a number', reason: 'Pending litigation' });
    expect(badPhone.status).toBe(400);

    const placed = await request(app).post(url).set(...bearer(orgA.admin)).send({ phone: p, reason: 'Tax records (§ 147 AO)' });
    expect(placed.status).toBe(201);
    expect(placed.body).toMatchObject({ subject_type: 'phone', reason: 'Tax records (§ 147 AO)', until: null, active: true, ended_at: null });
    expect(placed.body.subject).not.toContain(p.slice(3, -2));
    expect(placed.body.subject.endsWith(p.slice(-2))).toBe(true);

    const listed = await request(app).get(url).set(...bearer(orgA.owner));
    expect(listed.status).toBe(200);
    expect(listed.body.legal_holds.map((h: { id: string }) => h.id)).toContain(placed.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(p);

    const ended = await request(app).delete(`${url}/${placed.body.id as string}`).set(...bearer(orgA.owner));
    expect(ended.status).toBe(200);
    expect(ended.body).toMatchObject({ active: false, ended_by: orgA.owner.id });
    expect((await request(app).delete(`${url}/${placed.body.id as string}`).set(...bearer(orgA.owner))).status).toBe(409);
    expect((await request(app).delete(`${url}/not-a-uuid`).set(...bearer(orgA.owner))).status).toBe(400);
    expect((await request(app).delete(`/api/orgs/${orgB.id}/legal-holds/${placed.body.id as string}`).set(...bearer(orgB.owner))).status).toBe(404);

    // Audited by ids only: never the number.
    const placedAudit = (await auditRows(orgA.id, 'legal_hold.placed')).find((r) => r.target_id === placed.body.id);
    expect(placedAudit).toMatchObject({ actor_id: orgA.admin.id, metadata: { subject_type: 'phone', until: null } });
    expect((await auditRows(orgA.id, 'legal_hold.ended')).map((r) => r.target_id)).toContain(placed.body.id);
    expect((await auditRows(orgA.id, 'legal_holds.listed')).length).toBeGreaterThan(0);
    const all = JSON.stringify(await db`select metadata from public.audit_logs where org_id = ${orgA.id}`);
    expect(all).not.toContain(p.slice(1));
  });

  it('through the Data API, as authenticated, an organisation\'s holds are its owners\' and admins\' alone', async () => {
    const placed = await request(app).post(`/api/orgs/${orgB.id}/legal-holds`).set(...bearer(orgB.admin)).send({ email: 'held@example.test', reason: 'Defence of legal claims' });
    expect(placed.status).toBe(201);
    const userDb = createUserDb(db);
    const asUser = (id: string) => userDb.run({ sub: id, role: 'authenticated' }, (tx) => tx<{ id: string }[]>`select id from public.legal_holds where org_id = ${orgB.id}`);
    expect((await asUser(orgB.admin.id)).map((r) => r.id)).toContain(placed.body.id);
    expect(await asUser(orgA.owner.id)).toEqual([]);
    expect(await asUser(orgB.member.id)).toEqual([]);
    // Nor can one place a hold in another organisation, or end one there.
    await expect(
      userDb.run({ sub: orgA.owner.id, role: 'authenticated' }, (tx) => tx`
        insert into public.legal_holds (org_id, subject_type, subject_hash, reason, placed_by)
        values (${orgB.id}, 'email', '\\x00', 'reason here', ${orgA.owner.id})`),
    ).rejects.toThrow(/row-level security/);
    const ended = await userDb.run({ sub: orgA.owner.id, role: 'authenticated' }, (tx) => tx`
      update public.legal_holds set ended_at = now(), ended_by = ${orgA.owner.id} where id = ${placed.body.id as string}`);
    expect(ended.count).toBe(0);
  });
});

describe('a hold during an erasure', () => {
  const p = phone();
  const other = phone();
  const contact = `requester-${randomBytes(4).toString('hex')}@example.test`;
  let holdId: string;
  let requestId: string;

  beforeAll(async () => {
    const old = new Date(Date.now() - 400 * 24 * HOUR);
    await seedCaller(orgA, p, { startedAt: old });
    await seedCaller(orgB, p);
    // Another caller of organisation A, under no hold.
    await seedCaller(orgA, other, { startedAt: old });
    const res = await request(app)
      .post(`/api/orgs/${orgA.id}/legal-holds`)
      .set(...bearer(orgA.owner))
      .send({ phone: p, reason: 'Court proceedings pending (case 12 O 345/26)' });
    expect(res.status).toBe(201);
    holdId = res.body.id;
  });

  it('stops erasure for that organisation only; the completion e-mail names the organisation, what it keeps and why', async () => {
    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'phone', value: p }, contactEmail: contact });
    requestId = filed.id;
    await deps.erasure.confirmPublicRequest(requestId);
    await deps.erasure.workProviders();

    expect(await heldOf(orgA, p)).toEqual({ calls: 1, leads: 1, transcripts: 1 });
    expect(await heldOf(orgB, p)).toEqual({ calls: 0, leads: 0, transcripts: 0 });

    const [recorded] = await db<{ org_id: string; hold_id: string; reason: string; held_counts: Record<string, number>; erased_at: Date | null }[]>`
      select org_id, hold_id, reason, held_counts, erased_at from public.erasure_request_holds where request_id = ${requestId}`;
    expect(recorded).toMatchObject({ org_id: orgA.id, hold_id: holdId, held_counts: { calls: 1, leads: 1 }, erased_at: null });
    expect(await db`select 1 from public.erasure_request_holds where request_id = ${requestId}`).toHaveLength(1);

    const mail = await smtp.waitFor((m) => m.to.includes(contact), 20_000);
    const [org] = await db<{ name: string }[]>`select name from public.organizations where id = ${orgA.id}`;
    const [orgBName] = await db<{ name: string }[]>`select name from public.organizations where id = ${orgB.id}`;
    expect(mail.text).toContain(`${org!.name} keeps 1 call record(s)`);
    expect(mail.text).toContain('Court proceedings pending (case 12 O 345/26)');
    expect(mail.text).toContain('Art. 17(3)');
    expect(mail.text).toContain(`${org!.name} behält`);
    expect(mail.text).toContain(`${org!.name} zachowuje`);
    expect(mail.text).not.toContain(orgBName!.name);

    const held = await auditRows(orgA.id, 'erasure.held');
    expect(held.map((r) => r.target_id)).toContain(requestId);
    expect(JSON.stringify(held)).not.toContain(p.slice(1));
  });

  it('the retention purge leaves the held data, and purges the rest', async () => {
    await runRetentionPurge({ serviceDb: db, telephony: deps.telephony, agentPlatform: deps.agentPlatform, now });
    expect(await heldOf(orgA, p)).toEqual({ calls: 1, leads: 1, transcripts: 1 });
    const [lead] = await db<{ name: string | null }[]>`select name from public.leads where org_id = ${orgA.id} and phone_hash = ${hashOf(p)}`;
    expect(lead!.name).toBe('Erika Mustermann');
    expect(await heldOf(orgA, other)).toEqual({ calls: 0, leads: 0, transcripts: 0 });
  });

  it('account deletion is refused while the hold is active', async () => {
    const res = await request(app).delete(`/api/orgs/${orgA.id}`).set(...bearer(orgA.owner));
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('legal_hold_active');
    expect(await db`select 1 from public.organizations where id = ${orgA.id}`).toHaveLength(1);
    expect(await heldOf(orgA, p)).toEqual({ calls: 1, leads: 1, transcripts: 1 });
  });

  it('once the hold is ended, the erasure job carries out the held erasure; the hold record stops pointing at the person', async () => {
    expect((await deps.erasure.releaseHeld()).released).toBe(0);
    const ended = await request(app).delete(`/api/orgs/${orgA.id}/legal-holds/${holdId}`).set(...bearer(orgA.admin));
    expect(ended.status).toBe(200);
    expect((await deps.erasure.releaseHeld()).released).toBe(1);
    expect(await heldOf(orgA, p)).toEqual({ calls: 0, leads: 0, transcripts: 0 });
    const [recorded] = await db<{ erased_at: Date | null }[]>`select erased_at from public.erasure_request_holds where request_id = ${requestId}`;
    expect(recorded!.erased_at).not.toBeNull();
    const [hold] = await db<{ subject_hash: Buffer | null; subject_hint: string | null; reason: string; ended_at: Date | null }[]>`
      select subject_hash, subject_hint, reason, ended_at from public.legal_holds where id = ${holdId}`;
    expect(hold).toMatchObject({ subject_hash: null, subject_hint: null, reason: 'Court proceedings pending (case 12 O 345/26)' });
    expect(hold!.ended_at).not.toBeNull();
    const [req] = await db<{ affected_org_ids: string[] }[]>`select affected_org_ids from public.erasure_requests where id = ${requestId}`;
    expect(req!.affected_org_ids).toContain(orgA.id);
    expect((await deps.erasure.releaseHeld()).released).toBe(0);
  });
});

describe('a hold with an end date, on the organisation\'s own erasure request', () => {
  it('keeps the data until `until` passes, then the erasure job carries it out', async () => {
    const p = phone();
    await seedCaller(orgB, p);
    const until = new Date(now().getTime() + 2 * HOUR);
    const placed = await request(app).post(`/api/orgs/${orgB.id}/legal-holds`).set(...bearer(orgB.owner)).send({ phone: p, reason: 'Retention duty for invoices', until: until.toISOString() });
    expect(placed.status).toBe(201);
    expect(new Date(placed.body.until).getTime()).toBe(until.getTime());

    const filed = await request(app).post(`/api/orgs/${orgB.id}/erasure-requests`).set(...bearer(orgB.admin)).send({ phone: p });
    expect(filed.status).toBe(202);
    expect(filed.body).toMatchObject({ status: 'held', held: true });
    expect(await heldOf(orgB, p)).toEqual({ calls: 1, leads: 1, transcripts: 1 });

    const listed = await request(app).get(`/api/orgs/${orgB.id}/erasure-requests`).set(...bearer(orgB.admin));
    const item = listed.body.erasure_requests.find((r: { id: string }) => r.id === filed.body.id);
    expect(item).toMatchObject({ status: 'held', legal_holds: [{ org_id: orgB.id, reason: 'Retention duty for invoices', erased_at: null }] });

    // Still held an hour later.
    offset = HOUR;
    expect((await deps.erasure.releaseHeld()).released).toBe(0);
    expect(await heldOf(orgB, p)).toEqual({ calls: 1, leads: 1, transcripts: 1 });
    // The hold runs out: the next run of the erasure job erases.
    offset = 3 * HOUR;
    const listedLater = await request(app).get(`/api/orgs/${orgB.id}/legal-holds`).set(...bearer(orgB.admin));
    expect(listedLater.body.legal_holds.find((h: { id: string }) => h.id === placed.body.id)).toMatchObject({ active: false });
    expect((await deps.erasure.releaseHeld()).released).toBe(1);
    expect(await heldOf(orgB, p)).toEqual({ calls: 0, leads: 0, transcripts: 0 });
    const after = await request(app).get(`/api/orgs/${orgB.id}/erasure-requests`).set(...bearer(orgB.admin));
    expect(after.body.erasure_requests.find((r: { id: string }) => r.id === filed.body.id).status).not.toBe('held');
    const [hold] = await db<{ subject_hash: Buffer | null; ended_at: Date | null }[]>`select subject_hash, ended_at from public.legal_holds where id = ${placed.body.id as string}`;
    expect(hold!.subject_hash).toBeNull();
    expect(hold!.ended_at!.getTime()).toBe(until.getTime());
    offset = 0;
  });
});

describe('the dashboard page /app/orgs/:orgId/legal-holds', () => {
  const ORIGIN = 'https://voice.example.test';
  const path = () => `/app/orgs/${orgA.id}/legal-holds`;

  async function openForm(user: TestOrg['owner']) {
    const cookie = `session=${user.token}`;
    const res = await request(app).get(path()).set('Cookie', cookie);
    expect(res.status).toBe(200);
    const token = /name="_csrf" value="([^"]+)"/.exec(res.text)?.[1];
    const csrf = ([] as string[])
      .concat(res.headers['set-cookie'] ?? [])
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('csrf='));
    return { token, cookie: csrf ? `${cookie}; ${csrf}` : cookie, html: res.text };
  }

  it('owners place and end holds through the page (CSRF-protected); bad input returns the form with a 400; members are told why they see none', async () => {
    const form = await openForm(orgA.owner);
    expect(form.html).toContain('Legal holds');
    expect(form.html).toContain('Art. 17(3)');
    const p = phone();
    const bad = await request(app).post(path()).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: form.token!, kind: 'phone', value: p, reason: 'no', until: '' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('at least 5 characters');
    expect(bad.text).toContain(p);
    const noCsrf = await request(app).post(path()).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ kind: 'phone', value: p, reason: 'Pending litigation', until: '' });
    expect(noCsrf.status).toBe(403);

    const ok = await request(app).post(path()).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: form.token!, kind: 'phone', value: p, reason: 'Pending litigation from the page', until: '2099-01-31' });
    expect(ok.status).toBe(303);
    const [hold] = await db<{ id: string; held_until: Date }[]>`select id, held_until from public.legal_holds where org_id = ${orgA.id} and reason = 'Pending litigation from the page'`;
    expect(hold!.held_until.toISOString()).toBe('2099-01-31T00:00:00.000Z');
    const listed = await request(app).get(`${path()}?placed=1`).set('Cookie', form.cookie);
    expect(listed.text).toContain('Pending litigation from the page');
    expect(listed.text).not.toContain(p);

    const ended = await request(app).post(`${path()}/${hold!.id}/end`).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: form.token! });
    expect(ended.status).toBe(303);
    const [after] = await db<{ ended_at: Date | null }[]>`select ended_at from public.legal_holds where id = ${hold!.id}`;
    expect(after!.ended_at).not.toBeNull();

    const member = await request(app).get(path()).set('Cookie', `session=${orgA.member.token}`);
    expect(member.status).toBe(200);
    expect(member.text).toContain('Only owners and admins can see and manage legal holds.');
    expect(member.text).not.toContain('Pending litigation from the page');
    const german = await request(app).get(path()).set('Cookie', `session=${orgA.owner.token}; lang=de`);
    expect(german.status).toBe(200);
  });
});
