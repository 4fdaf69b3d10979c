import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureOwnUserRow } from '../src/auth/users-repo.js';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { startSupabaseAuthFake, type SupabaseAuthFake } from './fakes/supabase-auth-fake.js';
import { buildTestApp, openTestDb, testConfig } from './helpers/harness.js';

const ORIGIN = 'https://voice.example.test';
const SERVICE_ROLE_KEY = 'service-role-key-of-the-fake';

let db: ServiceDb;
let fake: SupabaseAuthFake;
let config: AppConfig;
let app: ReturnType<typeof buildTestApp>['app'];

const cookiesOf = (res: request.Response) => ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!);

/** Opens an e-mailed link (path and query) on the app: the session cookie and where it led. */
async function open(link: string): Promise<{ session: string; location: string }> {
  const url = new URL(link);
  expect(url.origin).toBe(ORIGIN);
  expect(url.hash).toBe('');
  const res = await request(app).get(`${url.pathname}${url.search}`);
  expect(res.status).toBe(303);
  return { session: cookiesOf(res).find((c) => c.startsWith('session='))!, location: res.headers.location! };
}

/** POSTs a dashboard form as a browser holding `session` would, with the CSRF token of `formPath`. */
async function post(session: string, formPath: string, action: string, fields: Record<string, string> = {}) {
  const page = await request(app).get(formPath).set('Cookie', session);
  expect(page.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const csrf = cookiesOf(page).find((c) => c.startsWith('csrf='));
  return request(app)
    .post(action)
    .set('Cookie', csrf ? `${session}; ${csrf}` : session)
    .set('Origin', ORIGIN)
    .type('form')
    .send({ ...fields, _csrf: token });
}

beforeAll(async () => {
  db = openTestDb();
  fake = await startSupabaseAuthFake({ siteUrl: ORIGIN, serviceRoleKey: SERVICE_ROLE_KEY });
  config = testConfig({
    SUPABASE_URL: fake.url,
    SUPABASE_SERVICE_ROLE_KEY: SERVICE_ROLE_KEY,
    SUPABASE_ANON_KEY: fake.anonKey,
    SUPABASE_JWT_SECRET: fake.jwtSecret,
  });
  app = buildTestApp(db, config, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() }).app;
});
afterAll(async () => {
  await fake.close();
  await db.end();
});

describe('an invitation through Supabase Auth (the real client against the local fake)', () => {
  it('the "Invite user" link comes back to /app/auth/confirm?type=invite, signs in, and leads to the invitation to accept', async () => {
    // An owner, signed in through Supabase's e-mailed link.
    const ownerEmail = `sb-owner-${Date.now()}@example.test`;
    const signInPage = await request(app).get('/app/sign-in');
    const token = /name="_csrf" value="([^"]+)"/.exec(signInPage.text)![1]!;
    const csrf = cookiesOf(signInPage).find((c) => c.startsWith('csrf='))!;
    await request(app).post('/app/sign-in').set('Cookie', csrf).set('Origin', ORIGIN).type('form').send({ email: ownerEmail, _csrf: token });
    const ownerId = fake.users.get(ownerEmail)!.id;
    await ensureOwnUserRow(db, config.blindIndexKey, ownerId, ownerEmail);
    const orgId = randomUUID();
    const orgName = `Supabase Org ${orgId.slice(0, 8)}`;
    await db`insert into public.organizations (id, name, created_by) values (${orgId}, ${orgName}, ${ownerId})`;
    await db`insert into public.privacy_preferences (org_id) values (${orgId})`;
    await db`insert into public.memberships (org_id, user_id, role, accepted_at) values (${orgId}, ${ownerId}, 'owner', now())`;
    const owner = await open(fake.lastEmail(ownerEmail)!.link);
    expect(owner.location).toBe('/app');

    // The owner invites through the members page: Supabase sends the "Invite user" e-mail.
    const inviteeEmail = `sb-invitee-${Date.now()}@example.test`;
    const invited = await post(owner.session, `/app/orgs/${orgId}/members`, `/app/orgs/${orgId}/members`, { email: inviteeEmail, role: 'member' });
    expect(invited.status).toBe(303);
    const mail = fake.lastEmail(inviteeEmail)!;
    expect(mail.template).toBe('invite');
    expect(mail.requestedRedirectTo).toBe(`${ORIGIN}/app/auth/confirm`);
    expect(mail.link).toBe(`${ORIGIN}/app/auth/confirm?token_hash=${mail.tokenHash}&type=invite`);
    const inviteRequest = fake.requests.filter((r) => r.path === '/auth/v1/invite').at(-1)!;
    expect(inviteRequest.headers.authorization).toBe(`Bearer ${SERVICE_ROLE_KEY}`);

    // The invitee opens it: signed in, on the invitations page, not yet a member.
    const invitee = await open(mail.link);
    expect(invitee.location).toBe('/app/invitations');
    expect(fake.requests.filter((r) => r.path === '/auth/v1/verify').at(-1)!.body).toMatchObject({ type: 'invite', token_hash: mail.tokenHash });
    const page = await request(app).get('/app/invitations').set('Cookie', invitee.session);
    expect(page.status).toBe(200);
    expect(page.text).toContain(orgName);
    expect((await request(app).get(`/app/orgs/${orgId}/calls`).set('Cookie', invitee.session)).status).toBe(404);

    const accepted = await post(invitee.session, '/app/invitations', `/app/invitations/${orgId}/accept`);
    expect(accepted.status).toBe(303);
    expect((await request(app).get(`/app/orgs/${orgId}/calls`).set('Cookie', invitee.session)).status).toBe(200);
    const [row] = await db`select accepted_at from public.memberships where org_id = ${orgId} and user_id = ${fake.users.get(inviteeEmail)!.id}`;
    expect(row!.accepted_at).not.toBeNull();

    // The link works once.
    const again = await request(app).get(new URL(mail.link).pathname + new URL(mail.link).search);
    expect(again.status).toBe(400);
  });

  it('refuses a confirm link of another type before asking Supabase', async () => {
    const before = fake.requests.length;
    const res = await request(app).get(`/app/auth/confirm?token_hash=${'a'.repeat(56)}&type=recovery`);
    expect(res.status).toBe(400);
    expect(fake.requests.length).toBe(before);
  });
});
