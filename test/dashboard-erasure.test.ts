import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
const config = testConfig();
const PHONE = '+4915112345678';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
});
afterAll(async () => {
  await db.end();
});

const erasurePath = (o: TestOrg = org) => `/app/orgs/${o.id}/erasure-requests`;

/** The page's CSRF token and the cookies a browser holding it would send. */
async function openForm(user: TestUser, path = erasurePath()): Promise<{ token: string; cookie: string; html: string }> {
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
    .post(erasurePath(o))
    .set('Cookie', form.cookie)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ ...(form.token ? { _csrf: form.token } : {}), ...body });

const requestCount = async (o: TestOrg = org) => (await db`select count(*)::int as n from public.erasure_requests where org_id = ${o.id}`)[0]!.n as number;

describe('dashboard erasure requests page', () => {
  it('lets an owner erase a caller by phone: 303, the request listed, the calls erased', async () => {
    const callId = await seedCall(db, org, PHONE, 'completed', 'given');
    await db`update public.calls set from_hash = ${keyedHash(config.blindIndexKey, 'phone', PHONE)} where id = ${callId}`;
    const form = await openForm(org.owner);
    expect(form.html).toContain(`href="${erasurePath()}"`);
    expect(form.html).not.toMatch(/<script|<style| style=/);

    const res = await post(form, { kind: 'phone', value: PHONE });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${erasurePath()}?filed=1`);

    const [row] = await db`select id, source, subject_type from public.erasure_requests where org_id = ${org.id}`;
    expect(row).toMatchObject({ source: 'dashboard', subject_type: 'phone' });
    const [call] = await db`select from_number, erased_at from public.calls where id = ${callId}`;
    expect(call!.from_number).toBeNull();
    expect(call!.erased_at).not.toBeNull();
    expect(await db`select 1 from public.transcripts where call_id = ${callId}`).toHaveLength(0);

    const page = await request(app).get(`${erasurePath()}?filed=1`).set('Cookie', `session=${org.owner.token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('The request was filed');
    expect(page.text).toContain('calls scrubbed: 1');
    expect(page.text).toContain('Completed');
    expect(page.text).not.toContain('calls_scrubbed');
    expect(page.text).toContain(`${row!.id}`);
  });

  it('extends an open request through the form, the requester told at the address given; a bad form extends nothing', async () => {
    const [row] = await db`select id from public.erasure_requests where org_id = ${org.id} and status <> 'completed' order by received_at desc limit 1`;
    expect(row).toBeDefined();
    const form = await openForm(org.owner);
    const path = `${erasurePath()}/${row!.id}/extension`;
    const send = (body: Record<string, string>) =>
      request(app).post(path).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: form.token, ...body });

    const bad = await send({ months: '3', reason: 'Too short', requester_email: 'caller@example.test' });
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('Not extended');
    expect((await db`select extended_until from public.erasure_requests where id = ${row!.id}`)[0]!.extended_until).toBeNull();

    const res = await send({ months: '1', reason: 'Many recordings still to delete at the providers.', requester_email: 'caller@example.test' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${erasurePath()}?extended=1`);
    expect((await db`select extended_until from public.erasure_requests where id = ${row!.id}`)[0]!.extended_until).not.toBeNull();
  });

  it('shows an unreadable phone number on the form, kept as typed, and files nothing', async () => {
    const before = await requestCount();
    const form = await openForm(org.admin);
    const res = await post(form, { kind: 'phone', value: 'not a number' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('role="alert"');
    expect(res.text).toContain('value="not a number"');
    expect(await requestCount()).toBe(before);
  });

  it('shows a member why there is nothing, and refuses a member’s request', async () => {
    const form = await openForm(org.member);
    expect(form.html).toContain('you are a member');
    expect(form.html).not.toContain(`action="${erasurePath()}"`);
    const before = await requestCount();
    const res = await post(form, { kind: 'phone', value: PHONE });
    expect(res.status).toBe(403);
    expect(await requestCount()).toBe(before);
  });

  it('refuses a POST without the CSRF token', async () => {
    const form = await openForm(org.owner);
    const before = await requestCount();
    const res = await post({ cookie: form.cookie }, { kind: 'phone', value: PHONE });
    expect(res.status).toBe(403);
    expect(await requestCount()).toBe(before);
  });

  it('answers 404 for another organisation’s page and form', async () => {
    const form = await openForm(org.owner);
    const page = await request(app).get(erasurePath(other)).set('Cookie', `session=${org.owner.token}`);
    expect(page.status).toBe(404);
    const res = await post(form, { kind: 'phone', value: PHONE }, other);
    expect(res.status).toBe(404);
    expect(await requestCount(other)).toBe(0);
  });
});
