import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
const config = testConfig();

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

const privacyPath = (o: TestOrg = org) => `/app/orgs/${o.id}/privacy`;

/** The page's CSRF token and the cookies a browser holding it would send. */
async function openForm(user: TestUser, path = privacyPath()): Promise<{ token: string; cookie: string; html: string }> {
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

async function stored(o: TestOrg = org) {
  const res = await request(app).get(`/api/orgs/${o.id}/preferences/privacy`).set(...bearer(o.owner));
  expect(res.status).toBe(200);
  return res.body as { retention_days: number; dtmf_consent: boolean; consent_scope: string; transcript_encryption: boolean };
}

const post = (form: { token?: string; cookie: string }, body: Record<string, string>, o: TestOrg = org) =>
  request(app)
    .post(privacyPath(o))
    .set('Cookie', form.cookie)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ ...(form.token ? { _csrf: form.token } : {}), ...body });

describe('dashboard privacy page', () => {
  it('shows an owner the form with the stored values, and a Privacy link in the navigation', async () => {
    const { html } = await openForm(org.owner);
    expect(html).toContain(`action="/app/orgs/${org.id}/privacy"`);
    expect(html).toContain(`href="/app/orgs/${org.id}/privacy"`);
    expect(html).toMatch(/<option value="30" selected/);
    expect(html).toContain('name="dtmf_consent"');
    expect(html).toContain('name="consent_scope"');
    expect(html).toContain('name="transcript_encryption"');
    expect(html).not.toMatch(/<script|<style| style=/);
  });

  it('saves an owner’s change through the preferences service: stored, audited, 303 back to the page', async () => {
    const form = await openForm(org.owner);
    const res = await post(form, { retention_days: '90', dtmf_consent: 'on', consent_scope: 'all_callers', transcript_encryption: 'on' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`${privacyPath()}?saved=1`);
    expect(await stored()).toMatchObject({ retention_days: 90, dtmf_consent: true, consent_scope: 'all_callers', transcript_encryption: true });
    const [audit] = await db`select actor_id, metadata from public.audit_logs where org_id = ${org.id} and action = 'privacy_preferences.updated' order by created_at desc limit 1`;
    expect(audit?.actor_id).toBe(org.owner.id);
    expect((audit?.metadata as { changed: Record<string, unknown> }).changed.retention_days).toEqual({ from: 30, to: 90 });

    const page = await request(app).get(`${privacyPath()}?saved=1`).set('Cookie', `session=${org.owner.token}`);
    expect(page.text).toContain('Saved.');
    expect(page.text).toMatch(/<option value="90" selected/);

    // Unticking a box turns the switch off: the form always sends every setting.
    const again = await post(form, { retention_days: '90', consent_scope: 'all_callers' });
    expect(again.status).toBe(303);
    expect(await stored()).toMatchObject({ dtmf_consent: false, transcript_encryption: false });
  });

  it('an admin may save too', async () => {
    const form = await openForm(org.admin);
    expect((await post(form, { retention_days: '180', consent_scope: 'listed_countries' })).status).toBe(303);
    expect((await stored()).retention_days).toBe(180);
  });

  it('shows a member the values read-only with the reason; a member’s POST is refused and changes nothing', async () => {
    const before = await stored();
    const { html, token, cookie } = await openForm(org.member);
    expect(html).not.toContain(`action="/app/orgs/${org.id}/privacy"`);
    expect(html).toContain('Only owners and admins can change these settings; you are a member');
    expect(html).toContain(`${before.retention_days} days`);
    const res = await post({ token, cookie }, { retention_days: '365', consent_scope: 'all_callers', dtmf_consent: 'on' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('you are a member');
    expect(await stored()).toEqual(before);
  });

  it('refuses a POST without its CSRF token', async () => {
    const before = await stored();
    const { cookie } = await openForm(org.owner);
    const res = await post({ cookie }, { retention_days: '365', consent_scope: 'listed_countries' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('without its security token');
    expect(await stored()).toEqual(before);
  });

  it('answers invalid input with the form again, the error, and what was sent', async () => {
    const before = await stored();
    const form = await openForm(org.owner);
    const res = await post(form, { retention_days: '45', consent_scope: 'all_callers', dtmf_consent: 'on', transcript_encryption: 'on' });
    expect(res.status).toBe(400);
    expect(res.text).toContain('role="alert"');
    expect(res.text).toContain('choose how long to keep data, 30, 90, 180 or 365 days');
    expect(res.text).toContain(`action="/app/orgs/${org.id}/privacy"`);
    expect(res.text).toMatch(/<option value="all_callers" selected/);
    expect(res.text).toMatch(/name="dtmf_consent" type="checkbox" value="on" checked/);
    const scope = await post(form, { retention_days: '90', consent_scope: 'everyone' });
    expect(scope.status).toBe(400);
    expect(scope.text).toContain('choose whom the consent prompt asks');
    expect(await stored()).toEqual(before);
  });

  it('in German and Polish too', async () => {
    const de = await request(app).get(privacyPath()).set('Cookie', `session=${org.owner.token}`).set('Accept-Language', 'de');
    expect(de.text).toContain('Einstellungen speichern');
    const pl = await request(app).get(privacyPath()).set('Cookie', `session=${org.member.token}`).set('Accept-Language', 'pl');
    expect(pl.text).toContain('jesteś członkiem');
  });

  it('never shows or changes another organisation’s settings', async () => {
    const res = await request(app).get(privacyPath(other)).set('Cookie', `session=${org.owner.token}`);
    expect(res.status).toBe(404);
    const before = await stored(other);
    const form = await openForm(org.owner);
    const post404 = await post(form, { retention_days: '365', consent_scope: 'all_callers' }, other);
    expect(post404.status).toBe(404);
    expect(await stored(other)).toEqual(before);
  });

  it('needs a session', async () => {
    const res = await request(app).get(privacyPath());
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/sign-in');
  });

  it('the old /preferences/privacy page redirects to the dashboard', async () => {
    const res = await request(app).get('/preferences/privacy');
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe('/app');
  });
});
