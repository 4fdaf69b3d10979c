import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTokenVerifier } from '../src/auth/tokens.js';
import { ensureOwnUserRow } from '../src/auth/users-repo.js';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { startSupabaseAuthFake, type SupabaseAuthFake } from './fakes/supabase-auth-fake.js';
import { buildTestApp, openTestDb, testConfig } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
const CONFIRM_URL = `${ORIGIN}/app/auth/confirm`;

let db: ServiceDb;
let fake: SupabaseAuthFake;
let config: AppConfig;
let app: ReturnType<typeof buildTestApp>['app'];
let n = 0;
const address = (label: string) => `dash-supabase-${label}-${Date.now()}-${++n}@example.test`;

/** Production's wiring (Supabase Auth for sign-in and tokens), pointed at the local fake. */
function supabaseConfig(env: Record<string, string | undefined> = {}): AppConfig {
  return testConfig({
    SUPABASE_URL: fake.url,
    SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-of-the-fake',
    SUPABASE_ANON_KEY: fake.anonKey,
    SUPABASE_JWT_SECRET: fake.jwtSecret,
    ...env,
  });
}

function build(cfg: AppConfig) {
  return buildTestApp(db, cfg, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() }).app;
}

function cookiesOf(res: request.Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []);
}

/** Asks for a link from the sign-in page, with its CSRF token, as a browser would. */
async function askForLink(email: string): Promise<request.Response> {
  const page = await request(app).get('/app/sign-in');
  expect(page.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const csrf = cookiesOf(page)
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  return request(app).post('/app/sign-in').set('Cookie', csrf).set('Origin', ORIGIN).type('form').send({ email, _csrf: token });
}

/** The path and query of the e-mailed link, to open on the app. */
function linkPath(email: string): string {
  const url = new URL(fake.lastEmail(email)!.link);
  expect(`${url.origin}${url.pathname}`).toBe(CONFIRM_URL);
  expect(url.hash).toBe('');
  return `${url.pathname}${url.search}`;
}

beforeAll(async () => {
  db = openTestDb();
  fake = await startSupabaseAuthFake({ siteUrl: ORIGIN });
  config = supabaseConfig();
  app = build(config);
});
afterAll(async () => {
  await fake.close();
  await db.end();
});

describe('dashboard sign-in through Supabase Auth (the real client against the local fake)', () => {
  it('e-mails a link back to /app/auth/confirm, which sets the session and shows the person their organisations', async () => {
    const email = address('owner');
    const sent = await askForLink(email);
    expect(sent.status).toBe(303);
    expect(sent.headers.location).toBe('/app/sign-in?sent=1');
    const mail = fake.lastEmail(email)!;
    expect(mail.requestedRedirectTo).toBe(CONFIRM_URL);
    expect(mail.redirectTo).toBe(CONFIRM_URL);
    expect(fake.requests.filter((r) => r.path === '/auth/v1/otp').at(-1)!.headers.apikey).toBe(fake.anonKey);

    // Supabase made the account on that request; give its user an organisation here.
    const userId = fake.users.get(email)!.id;
    await ensureOwnUserRow(db, config.blindIndexKey, userId, email);
    const orgId = randomUUID();
    const orgName = `Supabase Org ${orgId.slice(0, 8)}`;
    await db`insert into public.organizations (id, name, created_by) values (${orgId}, ${orgName}, ${userId})`;
    await db`insert into public.privacy_preferences (org_id) values (${orgId})`;
    await db`insert into public.memberships (org_id, user_id, role, accepted_at) values (${orgId}, ${userId}, 'owner', now())`;

    const link = linkPath(email);
    expect(link).toBe(`/app/auth/confirm?token_hash=${fake.lastOtp(email)}&type=email`);
    const confirmed = await request(app).get(link);
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.location).toBe('/app');
    const session = cookiesOf(confirmed).find((c) => c.startsWith('session='))!;
    expect(session).toBeDefined();
    expect(session).toMatch(/; HttpOnly/);
    expect(session).toMatch(/; SameSite=Lax/);
    expect(session).toMatch(/; Path=\/(;|$)/);
    expect(fake.requests.filter((r) => r.path === '/auth/v1/verify').at(-1)!.body).toMatchObject({ token_hash: fake.lastOtp(email), type: 'email' });

    const page = await request(app).get('/app').set('Cookie', session.split(';')[0]!);
    expect(page.status).toBe(200);
    expect(page.text).toContain(orgName);
    expect(page.text).toContain(`/app/orgs/${orgId}/calls`);
    expect(page.text).toContain('<td>owner</td>');

    // The same link a second time: Supabase has consumed it.
    const again = await request(app).get(link);
    expect(again.status).toBe(400);
    expect(again.text).toContain('This sign-in link cannot be used');
    expect(again.text).toMatch(/expired or has already been used/);
    expect(again.text).toContain('Ask for a new link');
    expect(cookiesOf(again).some((c) => c.startsWith('session='))).toBe(false);
  });

  it('a link without its token hash, or of another type, is an invalid link and Supabase is not asked', async () => {
    const before = fake.requests.length;
    for (const path of ['/app/auth/confirm', '/app/auth/confirm?type=email', `/app/auth/confirm?token_hash=${'a'.repeat(56)}&type=recovery`]) {
      const res = await request(app).get(path);
      expect(res.status, path).toBe(400);
      expect(res.text).toContain('Ask for a new link');
      expect(cookiesOf(res).some((c) => c.startsWith('session='))).toBe(false);
    }
    expect(fake.requests.length).toBe(before);
  });

  it('Supabase Auth unreachable: a 502 page that says so, no session, and the link still works afterwards', async () => {
    const email = address('down');
    expect((await askForLink(email)).status).toBe(303);
    const link = linkPath(email);

    fake.failNext(1, '503');
    const down = await request(app).get(link);
    expect(down.status).toBe(502);
    expect(down.headers['content-type']).toMatch(/text\/html/);
    expect(down.text).toContain('Sign-in is unavailable right now');
    expect(down.text).toContain('could not be reached');
    expect(cookiesOf(down).some((c) => c.startsWith('session='))).toBe(false);

    const later = await request(app).get(link);
    expect(later.status).toBe(303);
    expect(cookiesOf(later).some((c) => c.startsWith('session='))).toBe(true);

    // Asking for a link while Supabase is down is the same page.
    fake.failNext(1, '503');
    const sendDown = await askForLink(address('send-down'));
    expect(sendDown.status).toBe(502);
    expect(sendDown.text).toContain('Sign-in is unavailable right now');
  });

  it('an operator is one whose app_metadata.platform_role says so', async () => {
    const email = address('operator');
    expect((await askForLink(email)).status).toBe(303);
    fake.setAppMetadata(email, { platform_role: 'operator' });
    const confirmed = await request(app).get(linkPath(email));
    const session = cookiesOf(confirmed).find((c) => c.startsWith('session='))!;
    const verified = await createTokenVerifier(config).verify(decodeURIComponent(session.split(';')[0]!.slice('session='.length)));
    expect(verified.isOperator).toBe(true);
    expect(verified.email).toBe(email);
  });

  it('without SUPABASE_ANON_KEY the sign-in page says sign-in is not configured, and offers no form', async () => {
    const unconfigured = build(supabaseConfig({ SUPABASE_ANON_KEY: undefined }));
    const page = await request(unconfigured).get('/app/sign-in');
    expect(page.status).toBe(200);
    expect(page.text).toContain('Sign-in is not configured on this server');
    expect(page.text).not.toContain('action="/app/sign-in"');
    const confirm = await request(unconfigured).get(`/app/auth/confirm?token_hash=${'a'.repeat(56)}&type=email`);
    expect(confirm.status).toBe(404);
  });
});
