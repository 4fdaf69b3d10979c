import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
const config = testConfig();
const PHONE = '+4915199887766';
const OTHER_PHONE = '+4915100011122';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;
let callId: string;
let othersCallId: string;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
  callId = await seedCall(db, org, PHONE, 'completed', 'given');
  await db`update public.calls set from_hash = ${keyedHash(config.blindIndexKey, 'phone', PHONE)} where id = ${callId}`;
  // Someone else's call, in the same organisation and in another one: never in this person's export.
  await seedCall(db, org, OTHER_PHONE, 'completed', 'given');
  othersCallId = await seedCall(db, other, PHONE, 'completed', 'given');
  await db`update public.calls set from_hash = ${keyedHash(config.blindIndexKey, 'phone', PHONE)} where id = ${othersCallId}`;
});
afterAll(async () => {
  await db.end();
});

const exportsPath = (o: TestOrg = org) => `/app/orgs/${o.id}/exports`;

/** The page's CSRF token and the cookies a browser holding it would send. */
async function openForm(user: TestUser, path = exportsPath()): Promise<{ token: string; cookie: string; html: string }> {
  const cookie = `session=${user.token}`;
  const res = await request(app).get(path).set('Cookie', cookie);
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  return { token, cookie: `${cookie}; ${csrf}`, html: res.text };
}

const post = (form: { token?: string; cookie: string }, body: Record<string, string>, o: TestOrg = org) =>
  request(app)
    .post(exportsPath(o))
    .set('Cookie', form.cookie)
    .set('Origin', ORIGIN)
    .type('form')
    .buffer(true)
    .parse((res, done) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => done(null, text));
    })
    .send({ ...(form.token ? { _csrf: form.token } : {}), ...body });

const exportCount = async (o: TestOrg = org) => (await db`select count(*)::int as n from public.exports where org_id = ${o.id}`)[0]!.n as number;

describe('dashboard exports page', () => {
  it('lets an owner export a caller by phone: a JSON download with their call, recorded and audited', async () => {
    const form = await openForm(org.owner);
    expect(form.html).toContain(`action="${exportsPath()}"`);
    expect(form.html).toContain('No export has been made yet.');
    expect(form.html).not.toMatch(/<script|<style| style=| on[a-z]+=/);

    const res = await post(form, { kind: 'phone', value: PHONE });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.headers['cache-control']).toBe('no-store');
    const doc = JSON.parse(res.body as string);
    expect(res.headers['content-disposition']).toBe(`attachment; filename="export-${doc.export_id}.json"`);
    expect(doc).toMatchObject({ format_version: 1, subject: { type: 'phone' }, found: true, organization: { id: org.id } });
    expect(doc.data.calls.map((c: { id: string }) => c.id)).toEqual([callId]);
    expect(doc.data.calls[0].from_number).toBe(PHONE);
    expect(doc.data.transcripts).toHaveLength(1);
    expect(JSON.stringify(doc)).not.toContain(OTHER_PHONE);
    expect(doc.data.calls.map((c: { id: string }) => c.id)).not.toContain(othersCallId);

    const [record] = await db`select requested_by, subject_type, subject_hash from public.exports where id = ${doc.export_id}`;
    expect(record).toMatchObject({ requested_by: org.owner.id, subject_type: 'phone' });
    const [audit] = await db`select actor_type, actor_id, target_type, target_id, metadata from public.audit_logs where org_id = ${org.id} and action = 'export.created'`;
    expect(audit).toMatchObject({ actor_type: 'user', actor_id: org.owner.id, target_type: 'export', target_id: doc.export_id });
    expect(JSON.stringify(audit!.metadata)).not.toContain(PHONE);

    const page = await request(app).get(exportsPath()).set('Cookie', `session=${org.owner.token}`);
    expect(page.text).toContain('A person, by phone number');
    expect(page.text).toContain('calls: 1');
    expect(page.text).toContain('<td>you</td>');
    expect(page.text).not.toContain(PHONE);
  });

  it('lets an admin export the whole organisation; the owner then sees it made by that user', async () => {
    const form = await openForm(org.admin);
    const res = await post(form, { kind: 'organization', value: '' });
    expect(res.status).toBe(200);
    const doc = JSON.parse(res.body as string);
    expect(doc.subject).toEqual({ type: 'organization' });
    expect(doc.data.calls).toHaveLength(2);
    expect(doc.data.members).toHaveLength(3);

    const page = await request(app).get(exportsPath()).set('Cookie', `session=${org.owner.token}`);
    expect(page.text).toContain('The whole organisation');
    expect(page.text).toContain(`user ${org.admin.id.slice(0, 8)}`);
    expect(page.text).toContain('members: 3');
  });

  it('shows bad input on the form, kept as typed with the reason, and exports nothing', async () => {
    const before = await exportCount();
    const form = await openForm(org.admin);
    const email = await post(form, { kind: 'email', value: 'not-an-address' });
    expect(email.status).toBe(400);
    expect(email.headers['content-type']).toMatch(/^text\/html/);
    expect(email.body).toContain('role="alert"');
    expect(email.body).toContain('Nothing was exported');
    expect(email.body).toContain('value="not-an-address"');
    expect(email.body).toMatch(/id="export-kind-email"[^>]*checked/);

    const phone = await post(form, { kind: 'phone', value: 'call me maybe' });
    expect(phone.status).toBe(400);
    expect(phone.body).toContain('role="alert"');
    expect(phone.body).toContain('value="call me maybe"');

    const noValue = await post(form, { kind: 'phone', value: '' });
    expect(noValue.status).toBe(400);
    const badKind = await post(form, { kind: 'everyone', value: 'x' });
    expect(badKind.status).toBe(400);
    expect(badKind.body).toContain('value="x"');
    expect(await exportCount()).toBe(before);
  });

  it('shows a member why there is nothing, and refuses a member’s export with the reason', async () => {
    const form = await openForm(org.member);
    expect(form.html).toContain('you are a member');
    expect(form.html).not.toContain(`action="${exportsPath()}"`);
    expect(form.html).not.toContain('<table');
    const before = await exportCount();
    const res = await post(form, { kind: 'phone', value: PHONE });
    expect(res.status).toBe(403);
    expect(res.body).toContain('This needs the owner or admin role; you are a member.');
    expect(res.body).not.toContain(PHONE);
    expect(await exportCount()).toBe(before);
  });

  it('refuses a POST without the CSRF token', async () => {
    const form = await openForm(org.owner);
    const before = await exportCount();
    const res = await post({ cookie: form.cookie }, { kind: 'phone', value: PHONE });
    expect(res.status).toBe(403);
    expect(res.headers['content-disposition']).toBeUndefined();
    expect(await exportCount()).toBe(before);
  });

  it('keeps organisations apart: 404 for another organisation’s page and form, and never its records', async () => {
    const othersForm = await openForm(other.owner, exportsPath(other));
    const theirs = await post(othersForm, { kind: 'email', value: 'someone@example.test' }, other);
    expect(theirs.status).toBe(200);
    expect(JSON.parse(theirs.body as string).found).toBe(false);

    const form = await openForm(org.owner);
    expect(form.html).not.toContain('A person, by e-mail address');
    expect(form.html).not.toContain(`user ${other.owner.id.slice(0, 8)}`);

    const page = await request(app).get(exportsPath(other)).set('Cookie', `session=${org.owner.token}`);
    expect(page.status).toBe(404);
    const before = await exportCount(other);
    const res = await post(form, { kind: 'phone', value: PHONE }, other);
    expect(res.status).toBe(404);
    expect(res.body).not.toContain(othersCallId);
    expect(await exportCount(other)).toBe(before);
  });
});
