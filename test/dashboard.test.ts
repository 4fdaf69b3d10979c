import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Express } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocalAccessToken } from '../src/auth/tokens.js';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { createApp } from '../src/http/app.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { buildTestApp, createOrg, JWT_SECRET, openIsolatedTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const ORIGIN = 'https://voice.example.test';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let smtp: TestSmtp;
let config: AppConfig;
let app: ReturnType<typeof buildTestApp>['app'];
let deps: ReturnType<typeof buildTestApp>['deps'];
let orgA: TestOrg;
let orgB: TestOrg;
let callA: string;
let callB: string;

function sessionCookie(user: TestUser): string {
  return `session=${user.token}`;
}

/** A page's CSRF token and the cookie that goes with it, as a browser would hold them. */
async function formToken(path: string, cookie = ''): Promise<{ token: string; cookie: string }> {
  const res = await request(app).get(path).set('Cookie', cookie);
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const set = ([] as string[]).concat(res.headers['set-cookie'] ?? []);
  const csrf = set.map((c) => c.split(';')[0]!).find((c) => c.startsWith('csrf='));
  return { token, cookie: [cookie, csrf].filter(Boolean).join('; ') };
}

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,*/*;q=0.8';

/** Opens an e-mailed sign-in link as a browser would; returns the cookies the callback set. */
async function openLink(target: Express, link: string): Promise<string[]> {
  const opened = await request(target).get(link).set('Accept', BROWSER_ACCEPT);
  expect(opened.status).toBe(303);
  expect(opened.headers.location).toMatch(/^\/app\/auth\/callback\?token=/);
  const callback = await request(target).get(opened.headers.location!).set('Accept', BROWSER_ACCEPT);
  expect(callback.status).toBe(303);
  expect(callback.headers.location).toBe('/app');
  return ([] as string[]).concat(callback.headers['set-cookie'] ?? []);
}

beforeAll(async () => {
  // A database of its own: deleting a call runs the (global) provider-deletion queue,
  // here against local mode's stand-ins for Twilio and ElevenLabs.
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app, deps } = buildTestApp(db, config, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() }));
  orgA = await createOrg(db, config);
  orgB = await createOrg(db, config);
  callA = await seedCall(db, orgA, '+4930111222333', 'completed', 'given');
  await seedCall(db, orgA, '+4930999888777', 'no-answer', 'refused');
  callB = await seedCall(db, orgB, '+4930555444333', 'completed', 'given');
});
afterAll(async () => {
  await smtp.close();
  await isolated.close();
});

describe('dashboard sessions', () => {
  it('sends a person without a session to sign-in, from / and from every /app page', async () => {
    for (const path of ['/', '/app', `/app/orgs/${orgA.id}/calls`, `/app/orgs/${orgA.id}/calls/${callA}`]) {
      const res = await request(app).get(path);
      expect(res.status, path).toBe(303);
      expect(res.headers.location).toBe('/app/sign-in');
    }
    const signedIn = await request(app).get('/').set('Cookie', sessionCookie(orgA.owner));
    expect(signedIn.headers.location).toBe('/app');
  });

  it('sends an expired or altered session to sign-in, not to an error', async () => {
    const expired = await issueLocalAccessToken(JWT_SECRET, { sub: orgA.owner.id, email: orgA.owner.email, expiresInSeconds: -60 });
    for (const token of [expired, `${orgA.owner.token.slice(0, -4)}AAAA`, 'garbage']) {
      const res = await request(app).get('/app').set('Cookie', `session=${token}`);
      expect(res.status).toBe(303);
      expect(res.headers.location).toBe('/app/sign-in');
    }
  });

  it('signs in with the e-mailed link: an HttpOnly, SameSite=Lax session cookie that lives as long as the token', async () => {
    const email = `dash-${Date.now()}@example.test`;
    const form = await formToken('/app/sign-in');
    const sent = await request(app).post('/app/sign-in').set('Cookie', form.cookie).type('form').send({ email, _csrf: form.token });
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/app/sign-in?sent=1');
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const link = /https:\/\/voice\.example\.test(\/auth\/callback\?token=\S+)/.exec(mail.text)![1]!;

    // A browser opening the link is taken to the dashboard's callback.
    const opened = await request(app).get(link).set('Accept', 'text/html,application/xhtml+xml,*/*;q=0.8');
    expect(opened.status).toBe(303);
    expect(opened.headers.location).toMatch(/^\/app\/auth\/callback\?token=/);
    const callback = await request(app).get(opened.headers.location!);
    expect(callback.status).toBe(303);
    expect(callback.headers.location).toBe('/app');
    const cookies = ([] as string[]).concat(callback.headers['set-cookie'] ?? []);
    const session = cookies.find((c) => c.startsWith('session='))!;
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\//);
    expect(session).toMatch(/Max-Age=3600/);
    expect(session).not.toMatch(/Secure/);

    const home = await request(app).get('/app').set('Cookie', session.split(';')[0]!);
    expect(home.status).toBe(200);
    expect(home.text).toContain('Your organisations');
    expect(home.text).toContain('You belong to no organisation yet');

    // Used once: the second time is a page saying so, with a way to ask again.
    const again = await request(app).get(opened.headers.location!);
    expect(again.status).toBe(400);
    expect(again.text).toContain('already been used');
    expect(again.text).toContain('href="/app/sign-in"');
  });

  it('marks the cookies Secure in production', async () => {
    const secureApp = createApp({ ...deps, secureCookies: true });
    const res = await request(secureApp).get('/app/sign-in');
    const csrf = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('csrf='))!;
    expect(csrf).toMatch(/; Secure/);
    expect(csrf).toMatch(/; HttpOnly/);
    expect(csrf).toMatch(/; SameSite=Lax/);

    const email = `secure-${Date.now()}@example.test`;
    await request(secureApp).post('/auth/magic-link').send({ email });
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const cookies = await openLink(secureApp, /https:\/\/voice\.example\.test(\/auth\/callback\?token=\S+)/.exec(mail.text)![1]!);
    const session = cookies.find((c) => c.startsWith('session='))!;
    expect(session).toMatch(/; Secure/);
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
  });

  it('in local mode without SMTP, a link copied from the mail folder signs in in a browser', async () => {
    const localConfig = testConfig();
    const { app: localApp } = buildTestApp(db, localConfig, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() });
    const email = `copied-${Date.now()}@example.test`;
    expect((await request(localApp).post('/auth/magic-link').send({ email })).status).toBe(202);
    const dir = path.join(localConfig.dataDir, 'mail');
    const text = readdirSync(dir).filter((f) => f.endsWith('.txt')).map((f) => readFileSync(path.join(dir, f), 'utf8')).find((t) => t.includes(email))!;
    const link = /https:\/\/voice\.example\.test(\/auth\/callback\?token=\S+)/.exec(text)![1]!;
    const cookies = await openLink(localApp, link);
    const session = cookies.find((c) => c.startsWith('session='))!.split(';')[0]!;
    const home = await request(localApp).get('/app').set('Cookie', session);
    expect(home.status).toBe(200);
    expect(home.text).toContain('Your organisations');
  });

  it('signs out: the session cookie is cleared', async () => {
    const form = await formToken('/app', sessionCookie(orgA.owner));
    const res = await request(app).post('/app/sign-out').set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: form.token });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/sign-in');
    const cleared = ([] as string[]).concat(res.headers['set-cookie'] ?? []).find((c) => c.startsWith('session='))!;
    expect(cleared).toMatch(/Expires=Thu, 01 Jan 1970/);
  });
});

describe('dashboard CSRF', () => {
  it('refuses a form posted without its token, with a page saying why', async () => {
    const res = await request(app).post('/app/orgs').set('Cookie', sessionCookie(orgA.owner)).type('form').send({ name: 'Sneaky' });
    expect(res.status).toBe(403);
    expect(res.text).toContain('without its security token');
    const wrong = await formToken('/app', sessionCookie(orgA.owner));
    const forged = await request(app).post('/app/orgs').set('Cookie', wrong.cookie).type('form').send({ name: 'Sneaky', _csrf: `${wrong.token.slice(0, -2)}xx` });
    expect(forged.status).toBe(403);
  });

  it('refuses a form posted from another origin, even with a valid token', async () => {
    const form = await formToken('/app', sessionCookie(orgA.owner));
    const res = await request(app)
      .post('/app/orgs')
      .set('Cookie', form.cookie)
      .set('Origin', 'https://evil.example')
      .type('form')
      .send({ name: 'Sneaky', _csrf: form.token });
    expect(res.status).toBe(403);
    expect(res.text).toContain('from another website');
    // An opaque origin (a sandboxed frame) and a cross-site fetch are other sites too.
    const opaque = await request(app).post('/app/orgs').set('Cookie', form.cookie).set('Origin', 'null').type('form').send({ name: 'Sneaky', _csrf: form.token });
    expect(opaque.status).toBe(403);
    const crossSite = await request(app).post('/app/orgs').set('Cookie', form.cookie).set('Sec-Fetch-Site', 'cross-site').type('form').send({ name: 'Sneaky', _csrf: form.token });
    expect(crossSite.status).toBe(403);
    const [none] = await db`select 1 from public.organizations where name = 'Sneaky'`;
    expect(none).toBeUndefined();
  });

  it('carries out a form with its token from our own origin: a new user creates an organisation', async () => {
    const form = await formToken('/app', sessionCookie(orgA.member));
    const res = await request(app).post('/app/orgs').set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ name: 'Member’s own', _csrf: form.token });
    expect(res.status).toBe(303);
    expect(res.headers.location).toMatch(/^\/app\/orgs\/[0-9a-f-]{36}\/calls$/);
  });
});

describe('dashboard pages', () => {
  it('serves pages under a strict CSP: scripts and styles from our own origin only', async () => {
    const res = await request(app).get('/app/sign-in');
    const csp = res.headers['content-security-policy']!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(res.text).not.toMatch(/<script|<style| style=/);
    const css = await request(app).get('/app/assets/dashboard.css');
    expect(css.status).toBe(200);
    expect(css.headers['content-type']).toMatch(/text\/css/);
  });

  it('follows the browser’s language, and the switch', async () => {
    const de = await request(app).get('/app/sign-in').set('Accept-Language', 'de-DE,de;q=0.9');
    expect(de.text).toContain('<html lang="de"');
    expect(de.text).toContain('Link senden');
    const pl = await request(app).get('/app/sign-in').set('Accept-Language', 'pl');
    expect(pl.text).toContain('Wyślij link');
    const form = await formToken('/app/sign-in');
    const switched = await request(app).post('/app/language').set('Cookie', form.cookie).type('form').send({ _csrf: form.token, lang: 'pl', next: '/app/sign-in' });
    expect(switched.status).toBe(303);
    expect(switched.headers.location).toBe('/app/sign-in');
    const lang = ([] as string[]).concat(switched.headers['set-cookie'] ?? []).find((c) => c.startsWith('lang='))!;
    const after = await request(app).get('/app/sign-in').set('Accept-Language', 'de').set('Cookie', lang.split(';')[0]!);
    expect(after.text).toContain('<html lang="pl"');
    const offsite = await request(app).post('/app/language').set('Cookie', form.cookie).type('form').send({ _csrf: form.token, lang: 'de', next: '//evil.example/x' });
    expect(offsite.headers.location).toBe('/app');
  });

  it('lists the organisation’s calls newest first with masked numbers, filtered by the query string', async () => {
    const res = await request(app).get(`/app/orgs/${orgA.id}/calls`).set('Cookie', sessionCookie(orgA.member));
    expect(res.status).toBe(200);
    expect(res.text).toContain('+49•••33');
    expect(res.text).toContain('+49•••77');
    expect(res.text).not.toContain('+4930111222333');
    const refused = await request(app).get(`/app/orgs/${orgA.id}/calls?consent=refused`).set('Cookie', sessionCookie(orgA.member));
    expect(refused.text).toContain('+49•••77');
    expect(refused.text).not.toContain('+49•••33');
    const byOutcome = await request(app).get(`/app/orgs/${orgA.id}/calls?outcome=completed`).set('Cookie', sessionCookie(orgA.member));
    expect(byOutcome.text).toContain('+49•••33');
    expect(byOutcome.text).not.toContain('+49•••77');
    const future = await request(app).get(`/app/orgs/${orgA.id}/calls?from=2999-01-01`).set('Cookie', sessionCookie(orgA.member));
    expect(future.text).toContain('No calls match.');
    const today = new Date().toISOString().slice(0, 10);
    const range = await request(app).get(`/app/orgs/${orgA.id}/calls?from=${today}&to=${today}`).set('Cookie', sessionCookie(orgA.member));
    expect(range.text).toContain('+49•••33');
  });

  it('switches organisation through the header’s switcher', async () => {
    const page = await request(app).get('/app').set('Cookie', sessionCookie(orgA.owner));
    expect(page.text).toContain('action="/app/switch"');
    expect(page.text).toContain(`<option value="${orgA.id}"`);
    const switched = await request(app).get(`/app/switch?org=${orgA.id}`).set('Cookie', sessionCookie(orgA.owner));
    expect(switched.status).toBe(303);
    expect(switched.headers.location).toBe(`/app/orgs/${orgA.id}/calls`);
    const nonsense = await request(app).get('/app/switch?org=..%2F..%2Fapi').set('Cookie', sessionCookie(orgA.owner));
    expect(nonsense.headers.location).toBe('/app');
  });

  it('never shows one organisation’s calls to another’s member', async () => {
    for (const path of [`/app/orgs/${orgB.id}/calls`, `/app/orgs/${orgB.id}/calls/${callB}`, `/app/orgs/${orgA.id}/calls/${callB}`]) {
      const res = await request(app).get(path).set('Cookie', sessionCookie(orgA.owner));
      expect(res.status, path).toBe(404);
      expect(res.text).not.toContain('+49•••33');
      expect(res.text).not.toContain('+4930555444333');
      expect(res.text).not.toContain('Hello');
    }
    const form = await formToken('/app', sessionCookie(orgA.owner));
    const del = await request(app).post(`/app/orgs/${orgB.id}/calls/${callB}/delete`).set('Cookie', form.cookie).type('form').send({ _csrf: form.token });
    expect(del.status).toBe(404);
    const [still] = await db`select 1 from public.calls where id = ${callB}`;
    expect(still).toBeDefined();
  });

  it('keeps the switcher and sign-out on an error page, with the navigation only for the person’s own organisation', async () => {
    const missing = await request(app).get(`/app/orgs/${orgA.id}/calls/00000000-0000-4000-8000-000000000000`).set('Cookie', sessionCookie(orgA.owner));
    expect(missing.status).toBe(404);
    expect(missing.text).toContain('action="/app/sign-out"');
    expect(missing.text).toContain('action="/app/switch"');
    expect(missing.text).toContain(`href="/app/orgs/${orgA.id}/members"`);
    const foreign = await request(app).get(`/app/orgs/${orgB.id}/calls`).set('Cookie', sessionCookie(orgA.owner));
    expect(foreign.status).toBe(404);
    expect(foreign.text).toContain('action="/app/sign-out"');
    expect(foreign.text).not.toContain(`href="/app/orgs/${orgB.id}/members"`);
  });

  it('shows a call’s proofs and transcript, escaped, and audits the opening as the API does', async () => {
    const res = await request(app).get(`/app/orgs/${orgA.id}/calls/${callA}`).set('Cookie', sessionCookie(orgA.member));
    expect(res.status).toBe(200);
    expect(res.text).toContain('ab'.repeat(32));
    expect(res.text).toContain('cd'.repeat(32));
    expect(res.text).toContain('Hello &lt;b>there&lt;/b>');
    expect(res.text).toContain('DTMF 1');
    const [audit] = await db`select actor_id from public.audit_logs where action = 'call.read' and target_id = ${callA} order by created_at desc limit 1`;
    expect(audit?.actor_id).toBe(orgA.member.id);
  });

  it('lets owners and admins delete a call; a member sees no button and the reason, and is refused', async () => {
    const asMember = await request(app).get(`/app/orgs/${orgA.id}/calls/${callA}`).set('Cookie', sessionCookie(orgA.member));
    expect(asMember.text).not.toContain('/delete"');
    expect(asMember.text).toContain('Only owners and admins can delete calls');
    const memberForm = await formToken('/app', sessionCookie(orgA.member));
    const refused = await request(app).post(`/app/orgs/${orgA.id}/calls/${callA}/delete`).set('Cookie', memberForm.cookie).type('form').send({ _csrf: memberForm.token });
    expect(refused.status).toBe(403);
    expect(refused.text).toContain('you are a member');

    const asOwner = await request(app).get(`/app/orgs/${orgA.id}/calls/${callA}`).set('Cookie', sessionCookie(orgA.owner));
    expect(asOwner.text).toContain(`action="/app/orgs/${orgA.id}/calls/${callA}/delete"`);
    const ownerForm = await formToken('/app', sessionCookie(orgA.owner));
    const deleted = await request(app).post(`/app/orgs/${orgA.id}/calls/${callA}/delete`).set('Cookie', ownerForm.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: ownerForm.token });
    expect(deleted.status).toBe(303);
    expect(deleted.headers.location).toBe(`/app/orgs/${orgA.id}/calls`);
    const rows = await db`select 1 from public.calls where id = ${callA}`;
    expect(rows).toHaveLength(0);
    const [audit] = await db`select actor_id from public.audit_logs where action = 'call.deleted' and target_id = ${callA}`;
    expect(audit?.actor_id).toBe(orgA.owner.id);
  });
});
