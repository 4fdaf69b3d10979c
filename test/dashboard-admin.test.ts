import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { earliestEffectiveDay } from '../src/dashboard/admin-subprocessors-routes.js';
import { notificationClock } from '../src/incidents/incidents-service.js';
import { buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const ORIGIN = 'https://voice.example.test';
const OPS_EMAIL = `ops-${Date.now()}@example.test`;

let db: ServiceDb;
let smtp: TestSmtp;
let app: ReturnType<typeof buildTestApp>['app'];
let deps: ReturnType<typeof buildTestApp>['deps'];
let operator: TestUser;
let org: TestOrg;
let other: TestOrg;
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  db = openTestDb();
  smtp = await startSmtp();
  // Listed in another case, with blanks around it, beside another address.
  config = testConfig({ SMTP_URL: smtp.url, OPERATOR_EMAILS: ` ${OPS_EMAIL.toUpperCase()} , second-ops@example.test` });
  ({ app, deps } = buildTestApp(db, config));
  operator = await createUser(db, config, { operator: true });
  org = await createOrg(db, config);
  other = await createOrg(db, config);
});
afterAll(async () => {
  await smtp.close();
  await db.end();
});

/** The page's CSRF token and the cookies a browser holding it would send. */
async function openForm(user: TestUser | string, path: string): Promise<{ token: string; cookie: string; html: string }> {
  const cookie = `session=${typeof user === 'string' ? user : user.token}`;
  const res = await request(app).get(path).set('Cookie', cookie);
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  return { token, cookie: `${cookie}; ${csrf}`, html: res.text };
}

const post = (form: { token?: string; cookie: string }, path: string, body: Record<string, string>) =>
  request(app)
    .post(path)
    .set('Cookie', form.cookie)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ ...(form.token ? { _csrf: form.token } : {}), ...body });

/** A time as the form's datetime-local field holds it (UTC), to the minute. */
const local = (d: Date) => d.toISOString().slice(0, 16);
const hoursAgo = (h: number) => new Date(Math.floor((Date.now() - h * 3_600_000) / 60_000) * 60_000);

const COMPLETE = {
  nature: 'Unauthorised access to call transcripts through a leaked API key',
  data_categories: 'transcripts, phone numbers',
  approx_subjects: '120',
  approx_records: '340',
  contact_point: 'dpo@voice.example.test',
  likely_consequences: 'Disclosure of conversation contents',
  measures: 'Key revoked, access logs reviewed',
  art34_required: 'no',
  art34_exemption: 'Art. 34(3)(a): the transcripts were encrypted',
};

async function signInThroughLink(email: string): Promise<string> {
  const before = smtp.messages.length;
  expect((await request(app).post('/auth/magic-link').send({ email })).status).toBe(202);
  const mail = await smtp.waitFor((m) => m.to.includes(email.toLowerCase()) && smtp.messages.indexOf(m) >= before);
  const link = /https:\/\/voice\.example\.test(\/auth\/callback\?token=\S+)/.exec(mail.text)![1]!;
  const exchanged = await request(app).get(link).set('Accept', 'application/json');
  expect(exchanged.status).toBe(200);
  return exchanged.body.access_token as string;
}

describe('operators in local mode (OPERATOR_EMAILS)', () => {
  it('a listed address signs in as an operator, whatever its case; any other address does not', async () => {
    const token = await signInThroughLink(OPS_EMAIL.replace('ops', 'OPS'));
    expect((await deps.tokenVerifier.verify(token)).isOperator).toBe(true);
    const page = await request(app).get('/app/admin/incidents').set('Cookie', `session=${token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('aria-label="Operator pages"');

    const plain = await signInThroughLink(`not-ops-${Date.now()}@example.test`);
    expect((await deps.tokenVerifier.verify(plain)).isOperator).toBe(false);
    const refused = await request(app).get('/app/admin/incidents').set('Cookie', `session=${plain}`);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('aria-label="Operator pages"');
  });
});

describe('the operators’ pages refuse everyone else', () => {
  it('gives an owner a 403 page saying the pages are for platform operators, on every page and action', async () => {
    const cookie = `session=${org.owner.token}`;
    for (const path of ['/app/admin/incidents', '/app/admin/subprocessors', `/app/admin/incidents/${org.id}`]) {
      const res = await request(app).get(path).set('Cookie', cookie);
      expect(res.status, path).toBe(403);
      expect(res.text).toContain('for platform operators only');
    }
    const form = await openForm(org.owner, `/app/orgs/${org.id}/subprocessors`);
    const before = (await db`select count(*)::int as n from public.security_incidents`)[0]!.n;
    const res = await post(form, '/app/admin/incidents', { title: 'Owner tries', severity: 'high', detected_at: local(hoursAgo(1)) });
    expect(res.status).toBe(403);
    expect((await db`select count(*)::int as n from public.security_incidents`)[0]!.n).toBe(before);
    const announce = await post(form, '/app/admin/subprocessors', { name: `Owner tries ${Date.now()}`, purpose: 'x', data_categories: 'x', region: 'EU', role: 'hosting', safeguards: 'EU', effective_at: earliestEffectiveDay(new Date()) });
    expect(announce.status).toBe(403);
  });
});

describe('incidents page', () => {
  it('registers an incident through the form and lists it with its 72-hour clock; an overdue one says so', async () => {
    const title = `Leaked key ${Date.now()}`;
    const detected = hoursAgo(2);
    const form = await openForm(operator, '/app/admin/incidents');
    expect(form.html).not.toMatch(/<script|<style| style=/);
    const res = await post(form, '/app/admin/incidents', {
      title,
      severity: 'critical',
      description: 'A key was found in a public repository.',
      affected_org_ids: `${org.id}\n${other.id}`,
      detected_at: local(detected),
      aware_at: '',
      contained_at: '',
      nature: 'Leaked key',
      art34_required: '',
    });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/admin/incidents?registered=1');
    const [row] = await db`select * from public.security_incidents where title = ${title}`;
    expect(row).toMatchObject({ severity: 'critical', nature: 'Leaked key', data_categories: null, art34_required: null, affected_org_ids: [org.id, other.id] });
    expect((row!.detected_at as Date).toISOString()).toBe(detected.toISOString());
    expect(await db`select 1 from public.audit_logs where action = 'incident.created' and target_id = ${row!.id}`).toHaveLength(1);

    const overdueTitle = `Old breach ${Date.now()}`;
    const old = hoursAgo(80);
    await deps.incidents.create({ type: 'operator', id: operator.id }, { title: overdueTitle, severity: 'low', detected_at: old });

    const before = new Date();
    const list = await request(app).get('/app/admin/incidents?registered=1').set('Cookie', `session=${operator.token}`);
    const after = new Date();
    expect(list.status).toBe(200);
    expect(list.text).toContain('The incident was registered');
    expect(list.text).toContain(title);
    expect(list.text).toContain('Critical');
    const left = [before, after].map((t) => `${notificationClock(detected, t).tenths} hours left of the 72`);
    expect(left.some((l) => list.text.includes(l)), left.join(' / ')).toBe(true);
    const overdue = [before, after].map((t) => `Overdue by ${notificationClock(old, t).tenths} hours`);
    expect(overdue.some((l) => list.text.includes(l)), overdue.join(' / ')).toBe(true);

    // The API lists the same clock, and the page speaks German when asked to.
    const api = await request(app).get('/api/admin/incidents').set('Authorization', `Bearer ${operator.token}`);
    const listed = (api.body.incidents as { title: string; hours_left: number | null }[]).find((i) => i.title === overdueTitle)!;
    expect(listed.hours_left).toBeLessThan(-7.9);
    const german = await request(app).get('/app/admin/incidents').set('Cookie', `session=${operator.token}`).set('Accept-Language', 'de');
    expect(german.text).toContain('Sicherheitsvorfälle');
    expect(german.text).toMatch(/Seit 8\.\d Stunden überfällig/);
  });

  it('sends a bad form back with what was typed and the fields to check (400), and registers nothing', async () => {
    const before = (await db`select count(*)::int as n from public.security_incidents`)[0]!.n;
    const form = await openForm(operator, '/app/admin/incidents');
    const res = await post(form, '/app/admin/incidents', { title: 'x', severity: 'high', detected_at: 'yesterday', description: 'Typed <b>text</b>', approx_subjects: 'many' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('role="alert"');
    expect(res.text).toMatch(/<li>Title<\/li>/);
    expect(res.text).toMatch(/<li>Detected at<\/li>/);
    expect(res.text).toMatch(/<li>Approximate number of people affected<\/li>/);
    expect(res.text).toContain('value="x"');
    expect(res.text).toContain('Typed &lt;b>text&lt;/b>');
    expect((await db`select count(*)::int as n from public.security_incidents`)[0]!.n).toBe(before);
  });

  it('refuses to mark notified without the Art. 33(3) contents, listing what is missing; with them, the row is updated', async () => {
    const incident = await deps.incidents.create({ type: 'operator', id: operator.id }, { title: `Notify me ${Date.now()}`, severity: 'high', detected_at: hoursAgo(1) });
    const path = `/app/admin/incidents/${incident.id}`;
    const form = await openForm(operator, path);
    expect(form.html).toContain('Mark as notified to the supervisory authority');

    const partial = await post(form, `${path}/notified`, { nature: 'Typed nature', authority_reference: 'BfDI-2026-17', art34_required: '' });
    expect(partial.status).toBe(400);
    expect(partial.text).toContain('Art. 33(3) requires these contents first');
    for (const label of ['Categories of personal data', 'Approximate number of people affected', 'Approximate number of records', 'Contact point (the DPO or another)', 'Likely consequences', 'Measures taken or proposed', 'Must the people affected be told (Art. 34)?']) {
      expect(partial.text).toContain(`<li>${label}</li>`);
    }
    expect(partial.text).not.toContain('<li>Nature of the breach</li>');
    expect(partial.text).toContain('Typed nature');
    expect(partial.text).toContain('value="BfDI-2026-17"');
    // Nothing was saved, not even the nature typed.
    expect(await db`select nature, notified_at from public.security_incidents where id = ${incident.id as string}`).toEqual([{ nature: null, notified_at: null }]);

    const done = await post(form, `${path}/notified`, { ...COMPLETE, authority_reference: 'BfDI-2026-17' });
    expect(done.status).toBe(303);
    expect(done.headers.location).toBe(`${path}?notified=1`);
    const [row] = await db`select * from public.security_incidents where id = ${incident.id as string}`;
    expect(row).toMatchObject({
      authority_reference: 'BfDI-2026-17',
      nature: COMPLETE.nature,
      data_categories: ['transcripts', 'phone numbers'],
      approx_subjects: 120,
      approx_records: 340,
      art34_required: false,
      art34_exemption: COMPLETE.art34_exemption,
      delay_reason: null,
    });
    expect(row!.notified_at).not.toBeNull();
    expect(await db`select kind from public.security_incident_events where incident_id = ${incident.id as string} order by created_at`).toEqual([{ kind: 'created' }, { kind: 'updated' }, { kind: 'notified' }]);

    const page = await request(app).get(`${path}?notified=1`).set('Cookie', `session=${operator.token}`);
    expect(page.text).toContain('The incident is marked as notified');
    expect(page.text).toContain('its reference: BfDI-2026-17');
    expect(page.text).not.toContain(`action="${path}/notified"`);
  });

  it('past 72 hours, asks for the reasons for the delay before marking notified', async () => {
    const incident = await deps.incidents.create({ type: 'operator', id: operator.id }, { title: `Late ${Date.now()}`, severity: 'medium', detected_at: hoursAgo(80) });
    const path = `/app/admin/incidents/${incident.id}`;
    const form = await openForm(operator, path);
    const late = await post(form, `${path}/notified`, { ...COMPLETE, authority_reference: 'LATE-1' });
    expect(late.status).toBe(400);
    expect(late.text).toContain('give the reasons for the delay');
    expect((await db`select notified_at from public.security_incidents where id = ${incident.id as string}`)[0]!.notified_at).toBeNull();
    const ok = await post(form, `${path}/notified`, { ...COMPLETE, authority_reference: 'LATE-1', delay_reason: 'The leak was only understood after the forensic report.' });
    expect(ok.status).toBe(303);
    expect((await db`select delay_reason from public.security_incidents where id = ${incident.id as string}`)[0]!.delay_reason).toBe('The leak was only understood after the forensic report.');
  });

  it('names more organisations in an incident: added to the list, audited; a malformed id or an unknown organisation changes nothing (400)', async () => {
    const incident = await deps.incidents.create({ type: 'operator', id: operator.id }, { title: `Amend me ${Date.now()}`, severity: 'high', detected_at: hoursAgo(1), affected_org_ids: [org.id] });
    const path = `/app/admin/incidents/${incident.id}`;
    const form = await openForm(operator, path);
    expect(form.html).toContain(`action="${path}/organizations"`);
    const affected = async () => (await db`select affected_org_ids from public.security_incidents where id = ${incident.id as string}`)[0]!.affected_org_ids as string[];

    const malformed = await post(form, `${path}/organizations`, { org_ids: `${other.id}\nnot-an-id` });
    expect(malformed.status).toBe(400);
    expect(malformed.text).toContain('<li>not-an-id</li>');
    const unknown = '00000000-0000-4000-8000-000000000000';
    const stranger = await post(form, `${path}/organizations`, { org_ids: `${other.id}, ${unknown}` });
    expect(stranger.status).toBe(400);
    expect(stranger.text).toContain(`<li>${unknown}</li>`);
    expect(stranger.text).toContain('Nothing was changed');
    expect(await post(form, `${path}/organizations`, { org_ids: '  ' })).toHaveProperty('status', 400);
    expect(await affected()).toEqual([org.id]);

    const ok = await post(form, `${path}/organizations`, { org_ids: `${other.id}\n${org.id}` });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`${path}?added=1#notices-title`);
    expect(await affected()).toEqual([org.id, other.id]);
    expect(await db`select kind from public.security_incident_events where incident_id = ${incident.id as string} order by created_at`).toEqual([{ kind: 'created' }, { kind: 'updated' }]);
    const page = await request(app).get(`${path}?added=1`).set('Cookie', `session=${operator.token}`);
    expect(page.text).toContain('Added: the organisations are told within a minute.');

    // Two operators adding at once: both organisations are named (the union is taken under the row's lock).
    const [x, y] = [await createOrg(db, config), await createOrg(db, config)];
    const both = await Promise.all([post(form, `${path}/organizations`, { org_ids: x.id }), post(form, `${path}/organizations`, { org_ids: y.id })]);
    expect(both.map((r) => r.status)).toEqual([303, 303]);
    expect(new Set(await affected())).toEqual(new Set([org.id, other.id, x.id, y.id]));

    // An owner cannot do it, even with a valid form token of their own.
    const ownerForm = await openForm(org.owner, `/app/orgs/${org.id}/subprocessors`);
    const third = await createOrg(db, config);
    expect((await post(ownerForm, `${path}/organizations`, { org_ids: third.id })).status).toBe(403);
    expect(await affected()).toHaveLength(4);
  });

  it('refuses a POST without the CSRF token', async () => {
    const form = await openForm(operator, '/app/admin/incidents');
    const title = `No CSRF ${Date.now()}`;
    const res = await post({ cookie: form.cookie }, '/app/admin/incidents', { title, severity: 'high', detected_at: local(hoursAgo(1)) });
    expect(res.status).toBe(403);
    expect(await db`select 1 from public.security_incidents where title = ${title}`).toHaveLength(0);
  });
});

describe('sub-processors pages', () => {
  it('an operator announces a sub-processor; a short notice and a bad form are sent back as typed', async () => {
    const name = `Speech Co ${Date.now()}`;
    const form = await openForm(operator, '/app/admin/subprocessors');
    const fields = { name, purpose: 'Speech synthesis for the agents', data_categories: 'voice, transcripts', region: 'EU (Frankfurt)', role: 'speech synthesis', safeguards: 'Processed in the EU' };

    const soon = await post(form, '/app/admin/subprocessors', { ...fields, effective_at: new Date().toISOString().slice(0, 10) });
    expect(soon.status).toBe(400);
    expect(soon.text).toContain('at least 30 days after today');
    expect(soon.text).toContain(`value="${name}"`);
    const bad = await post(form, '/app/admin/subprocessors', { ...fields, purpose: '', effective_at: earliestEffectiveDay(new Date()) });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('<li>Purpose</li>');
    expect(await db`select 1 from public.subprocessors where name = ${name}`).toHaveLength(0);

    const res = await post(form, '/app/admin/subprocessors', { ...fields, effective_at: earliestEffectiveDay(new Date()) });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/admin/subprocessors?announced=1');
    const [row] = await db`select status, data_categories, effective_at from public.subprocessors where name = ${name}`;
    expect(row).toMatchObject({ status: 'announced', data_categories: ['voice', 'transcripts'] });
    expect((row!.effective_at as Date).toISOString().slice(0, 10)).toBe(earliestEffectiveDay(new Date()));
    expect(await db`select 1 from public.audit_logs where action = 'subprocessor.announced'`).not.toHaveLength(0);

    const again = await post(form, '/app/admin/subprocessors', { ...fields, effective_at: earliestEffectiveDay(new Date()) });
    expect(again.status).toBe(400);
    expect(again.text).toContain('already listed');

    const list = await request(app).get('/app/admin/subprocessors?announced=1').set('Cookie', `session=${operator.token}`);
    expect(list.text).toContain('The sub-processor was announced');
    expect(list.text).toContain(name);
  });

  it('an owner objects to an announced sub-processor; an admin and a member are refused and told why', async () => {
    const sp = await deps.subprocessors.announce({ type: 'operator', id: operator.id }, {
      name: `Objectionable ${Date.now()}`,
      purpose: 'Analytics',
      data_categories: ['call metadata'],
      region: 'EU',
      role: 'analytics',
      safeguards: 'EU',
      effective_at: new Date(Date.now() + 40 * 86_400_000),
    });
    const spId = sp.id as string;
    // The notice job's rows for this organisation's owner and admin, as it leaves them once sent.
    for (const user of [org.owner, org.admin]) {
      await db`insert into public.subprocessor_notices (subprocessor_id, org_id, user_id, status, sent_at) values (${spId}, ${org.id}, ${user.id}, 'sent', now())`;
    }
    const path = `/app/orgs/${org.id}/subprocessors`;
    const objection = async () => (await db`select objected_at, objection_reason from public.subprocessor_notices where subprocessor_id = ${spId} and org_id = ${org.id} and objected_at is not null`).length;

    for (const [user, role] of [
      [org.admin, 'an admin'],
      [org.member, 'a member'],
    ] as const) {
      const form = await openForm(user, path);
      expect(form.html).toContain(sp.name as string);
      expect(form.html).toContain(`Only owners can object to a sub-processor; you are ${role}.`);
      expect(form.html).not.toContain(`action="${path}/${spId}/objection"`);
      const res = await post(form, `${path}/${spId}/objection`, { reason: 'We do not want analytics' });
      expect(res.status).toBe(403);
      expect(await objection()).toBe(0);
    }

    const form = await openForm(org.owner, path);
    expect(form.html).toContain(`action="${path}/${spId}/objection"`);
    const short = await post(form, `${path}/${spId}/objection`, { reason: 'x' });
    expect(short.status).toBe(400);
    expect(short.text).toContain('Give a reason of 3 to 2000 characters');
    expect(await objection()).toBe(0);

    const noCsrf = await post({ cookie: form.cookie }, `${path}/${spId}/objection`, { reason: 'Not covered by our contract' });
    expect(noCsrf.status).toBe(403);
    expect(await objection()).toBe(0);

    const res = await post(form, `${path}/${spId}/objection`, { reason: 'Not covered by our contract' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${path}?objected=1`);
    expect(await objection()).toBe(2);
    expect((await db`select objection_reason from public.subprocessor_notices where subprocessor_id = ${spId} and org_id = ${org.id} limit 1`)[0]!.objection_reason).toBe('Not covered by our contract');
    expect(await db`select 1 from public.audit_logs where action = 'subprocessor.objected' and org_id = ${org.id} and target_id = ${spId}`).toHaveLength(1);
    const page = await request(app).get(`${path}?objected=1`).set('Cookie', `session=${org.owner.token}`);
    expect(page.text).toContain('Your objection was recorded');
    expect(page.text).toContain('the objection is open');
    expect(page.text).not.toContain(`action="${path}/${spId}/objection"`);

    // The operators see it.
    const ops = await request(app).get('/app/admin/subprocessors').set('Cookie', `session=${operator.token}`);
    expect(ops.text).toContain(`Organisation ${org.id}`);
    expect(ops.text).toContain('Not covered by our contract');

    // Another organisation's owner, not yet notified, is told so; and cannot reach this organisation's page.
    const otherForm = await openForm(other.owner, `/app/orgs/${other.id}/subprocessors`);
    const early = await post(otherForm, `/app/orgs/${other.id}/subprocessors/${spId}/objection`, { reason: 'Not yet notified' });
    expect(early.status).toBe(400);
    expect(early.text).toContain('has not been sent the notice');
    expect(early.text).toContain('Not yet notified');
    const cross = await request(app).get(path).set('Cookie', `session=${other.owner.token}`);
    expect([403, 404]).toContain(cross.status);
    expect(cross.text).not.toContain('Not covered by our contract');
    const crossPost = await post(otherForm, `${path}/${spId}/objection`, { reason: 'Objecting for someone else' });
    expect([403, 404]).toContain(crossPost.status);
  });
});
