import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGN_IN_SESSION_DAYS } from '../src/auth/sign-in-trail.js';
import { issueLocalAccessToken } from '../src/auth/tokens.js';
import { ensureOwnUserRow } from '../src/auth/users-repo.js';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { startSupabaseAuthFake, type SupabaseAuthFake } from './fakes/supabase-auth-fake.js';
import { buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const ORIGIN = 'https://voice.example.test';

let db: ServiceDb;
let smtp: TestSmtp;
let fake: SupabaseAuthFake;
let n = 0;
const address = (label: string) => `trail-${label}-${Date.now()}-${++n}@example.test`;

beforeAll(async () => {
  db = openTestDb();
  smtp = await startSmtp();
  fake = await startSupabaseAuthFake({ siteUrl: ORIGIN });
});
afterAll(async () => {
  await fake.close();
  await smtp.close();
  await db.end();
});

interface SignInRow {
  org_id: string | null;
  actor_type: string;
  actor_id: string;
  target_type: string;
  target_id: string;
  metadata: { method: string; session: string };
}

/** The person's auth.signed_in rows, by organisation (null: the platform chain). */
async function signIns(userId: string): Promise<SignInRow[]> {
  return db<SignInRow[]>`
    select org_id, actor_type, actor_id, target_type, target_id, metadata from public.audit_logs
    where action = 'auth.signed_in' and actor_id = ${userId} order by chain_index`;
}

function countByOrg(rows: SignInRow[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of rows) out[r.org_id ?? 'platform'] = (out[r.org_id ?? 'platform'] ?? 0) + 1;
  return out;
}

/** Makes `user` an accepted member of `org` (admin), or an invited one who has not accepted. */
async function join(org: TestOrg, user: { id: string }, accepted = true): Promise<void> {
  await db`insert into public.memberships (org_id, user_id, role, accepted_at) values (${org.id}, ${user.id}, 'admin', ${accepted ? new Date() : null})`;
}

function cookiesOf(res: request.Response): string[] {
  return ([] as string[]).concat(res.headers['set-cookie'] ?? []);
}

/** Asks for a link from the dashboard's sign-in page, with its CSRF token, as a browser would. */
async function askForLink(app: ReturnType<typeof buildTestApp>['app'], email: string): Promise<request.Response> {
  const page = await request(app).get('/app/sign-in');
  expect(page.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
  const csrf = cookiesOf(page)
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  return request(app).post('/app/sign-in').set('Cookie', csrf).set('Origin', ORIGIN).type('form').send({ email, _csrf: token });
}

describe('sign-in trail: local magic links', () => {
  let config: AppConfig;
  let app: ReturnType<typeof buildTestApp>['app'];
  let person: TestUser;
  let orgA: TestOrg;
  let orgB: TestOrg;
  let invitedOnly: TestOrg;
  let unrelated: TestOrg;

  beforeAll(async () => {
    config = testConfig({ SMTP_URL: smtp.url });
    ({ app } = buildTestApp(db, config));
    person = await createUser(db, config, { email: address('local') });
    [orgA, orgB, invitedOnly, unrelated] = [await createOrg(db, config), await createOrg(db, config), await createOrg(db, config), await createOrg(db, config)];
    await join(orgA, person);
    await join(orgB, person);
    await join(invitedOnly, person, false);
  });

  async function mailedLink(email: string): Promise<string> {
    const before = smtp.messages.length;
    const mail = await smtp.waitFor((m) => smtp.messages.indexOf(m) >= before && m.to.includes(email));
    return /https:\/\/voice\.example\.test(\/auth\/callback\?token=\S+)/.exec(mail.text)![1]!;
  }

  it('the API token flow audits one auth.signed_in in each organisation the person has joined, none elsewhere; using the token adds none', async () => {
    const sent = request(app).post('/auth/magic-link').send({ email: person.email });
    const [link] = await Promise.all([mailedLink(person.email), sent.then((r) => expect(r.status).toBe(202))]);
    expect(await signIns(person.id)).toEqual([]);

    const exchanged = await request(app).get(link).set('Accept', 'application/json');
    expect(exchanged.status).toBe(200);
    const token = exchanged.body.access_token as string;

    const rows = await signIns(person.id);
    expect(countByOrg(rows)).toEqual({ [orgA.id]: 1, [orgB.id]: 1 });
    for (const r of rows) {
      expect(r).toMatchObject({ actor_type: 'user', actor_id: person.id, target_type: 'user', target_id: person.id, metadata: { method: 'magic_link' } });
      expect(r.metadata.session).toMatch(/^[0-9a-f]{64}$/);
      // ids and a keyed hash only: neither the address nor the session id itself
      expect(JSON.stringify(r.metadata)).not.toContain('@');
    }
    const sessionId = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()).session_id as string;
    expect(rows[0]!.metadata.session).toBe(keyedHash(config.blindIndexKey, 'text', `session:${sessionId}`).toString('hex'));
    expect(JSON.stringify(rows)).not.toContain(sessionId);

    for (let i = 0; i < 2; i += 1) {
      expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`)).status).toBe(200);
      expect((await request(app).get(`/api/orgs/${orgA.id}/audit-logs`).set('Authorization', `Bearer ${token}`)).status).toBe(200);
    }
    expect(await signIns(person.id)).toHaveLength(2);
    const inOthers = await db`select count(*)::int as n from public.audit_logs where action = 'auth.signed_in' and org_id in ${db([invitedOnly.id, unrelated.id])}`;
    expect(inOthers[0]!.n).toBe(0);
  });

  it('the dashboard’s cookie flow audits too, once per sign-in, and the activity log shows it', async () => {
    const before = (await signIns(person.id)).length;
    const [link] = await Promise.all([mailedLink(person.email), askForLink(app, person.email).then((r) => expect(r.status).toBe(303))]);
    // The e-mailed link opened in a browser goes to the dashboard, which starts the session.
    const opened = await request(app).get(link).set('Accept', 'text/html');
    expect(opened.status).toBe(303);
    const callback = await request(app).get(opened.headers.location as string);
    expect(callback.status).toBe(303);
    const session = cookiesOf(callback).find((c) => c.startsWith('session='))!.split(';')[0]!;

    for (let i = 0; i < 2; i += 1) expect((await request(app).get('/app').set('Cookie', session)).status).toBe(200);
    const rows = await signIns(person.id);
    expect(rows.length - before).toBe(2);
    expect(countByOrg(rows.slice(before))).toEqual({ [orgA.id]: 1, [orgB.id]: 1 });

    // The activity log of an organisation shows the sign-in, to its owners and admins.
    const api = await request(app).get(`/api/orgs/${orgA.id}/audit-logs`).set('Authorization', `Bearer ${orgA.owner.token}`);
    expect(api.status).toBe(200);
    const entries = (api.body.entries as { action: string; actor_id: string; target_id: string; metadata: Record<string, unknown> }[]).filter((e) => e.action === 'auth.signed_in');
    expect(entries).toHaveLength(2);
    expect(entries[0]).toMatchObject({ actor_id: person.id, target_id: person.id, metadata: { method: 'magic_link' } });

    const page = await request(app).get(`/app/orgs/${orgA.id}/activity`).set('Cookie', `session=${orgA.owner.token}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in');
    expect(page.text).toContain('<code class="action-code">auth.signed_in</code>');
    expect(page.text).not.toContain(person.email);
    const german = await request(app).get(`/app/orgs/${orgA.id}/activity`).set('Cookie', `session=${orgA.owner.token}; lang=de`);
    expect(german.text).toContain('Angemeldet');
    const polish = await request(app).get(`/app/orgs/${orgA.id}/activity`).set('Cookie', `session=${orgA.owner.token}; lang=pl`);
    expect(polish.text).toContain('Zalogowano się');
  });

  it('a link that fails to sign in (used twice) audits nothing more', async () => {
    const sent = request(app).post('/auth/magic-link').send({ email: person.email });
    const [link] = await Promise.all([mailedLink(person.email), sent]);
    expect((await request(app).get(link).set('Accept', 'application/json')).status).toBe(200);
    const after = (await signIns(person.id)).length;
    expect((await request(app).get(link).set('Accept', 'application/json')).status).toBe(400);
    expect(await signIns(person.id)).toHaveLength(after);
  });
});

describe('sign-in trail: Supabase sessions', () => {
  let config: AppConfig;
  let app: ReturnType<typeof buildTestApp>['app'];
  let deps: ReturnType<typeof buildTestApp>['deps'];
  let orgA: TestOrg;
  let orgB: TestOrg;
  let unrelated: TestOrg;

  function build() {
    return buildTestApp(db, config, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() });
  }

  /** A person Supabase knows, a member of A and B. */
  async function supabasePerson(): Promise<{ id: string; email: string }> {
    const p = { id: randomUUID(), email: address('supabase') };
    await ensureOwnUserRow(db, config.blindIndexKey, p.id, p.email);
    await join(orgA, p);
    await join(orgB, p);
    return p;
  }

  /** An access token as Supabase Auth signs it, of the session `sessionId`. */
  const tokenOf = (p: { id: string; email: string }, sessionId: string) => issueLocalAccessToken(fake.jwtSecret, { sub: p.id, email: p.email, sessionId });

  beforeAll(async () => {
    config = testConfig({
      SUPABASE_URL: fake.url,
      SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-of-the-fake',
      SUPABASE_ANON_KEY: fake.anonKey,
      SUPABASE_JWT_SECRET: fake.jwtSecret,
    });
    ({ app, deps } = build());
    [orgA, orgB, unrelated] = [await createOrg(db, config), await createOrg(db, config), await createOrg(db, config)];
  });

  it('two requests of one session audit it once in each organisation; a new session is audited again', async () => {
    const p = await supabasePerson();
    const session1 = randomUUID();
    const first = await tokenOf(p, session1);
    for (let i = 0; i < 2; i += 1) expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${first}`)).status).toBe(200);
    let rows = await signIns(p.id);
    expect(countByOrg(rows)).toEqual({ [orgA.id]: 1, [orgB.id]: 1 });
    expect(rows[0]).toMatchObject({ actor_type: 'user', target_type: 'user', target_id: p.id, metadata: { method: 'supabase_session' } });
    expect(rows[0]!.metadata.session).toBe(keyedHash(config.blindIndexKey, 'text', `session:${session1}`).toString('hex'));
    expect(JSON.stringify(rows)).not.toContain(session1);

    // A refreshed access token of the same session (a new token, the same session_id) is no new sign-in.
    await new Promise((r) => setTimeout(r, 1100));
    const refreshed = await tokenOf(p, session1);
    expect(refreshed).not.toBe(first);
    expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${refreshed}`)).status).toBe(200);
    // The dashboard with the same session: the same trail.
    expect((await request(app).get('/app').set('Cookie', `session=${refreshed}`)).status).toBe(200);
    expect(await signIns(p.id)).toHaveLength(2);

    const second = await tokenOf(p, randomUUID());
    expect((await request(app).get('/app').set('Cookie', `session=${second}`)).status).toBe(200);
    expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${second}`)).status).toBe(200);
    rows = await signIns(p.id);
    expect(countByOrg(rows)).toEqual({ [orgA.id]: 2, [orgB.id]: 2 });
    expect(new Set(rows.map((r) => r.metadata.session)).size).toBe(2);
    const inUnrelated = await db`select count(*)::int as n from public.audit_logs where action = 'auth.signed_in' and org_id = ${unrelated.id}`;
    expect(inUnrelated[0]!.n).toBe(0);
  });

  it('another replica (its own memory) meeting the same session does not audit it again; both at once audit it once', async () => {
    const p = await supabasePerson();
    const token = await tokenOf(p, randomUUID());
    const other = build().app;
    await Promise.all([
      request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`).expect(200),
      request(other).get('/api/orgs').set('Authorization', `Bearer ${token}`).expect(200),
      request(other).get('/app').set('Cookie', `session=${token}`).expect(200),
    ]);
    expect((await request(build().app).get('/api/orgs').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect(countByOrg(await signIns(p.id))).toEqual({ [orgA.id]: 1, [orgB.id]: 1 });
  });

  it('the real sign-in through Supabase Auth (the e-mailed link to /app/auth/confirm) is audited on the session’s first request', async () => {
    const email = address('confirm');
    expect((await askForLink(app, email)).status).toBe(303);
    const userId = fake.users.get(email)!.id;
    await ensureOwnUserRow(db, config.blindIndexKey, userId, email);
    await join(orgA, { id: userId });
    const link = new URL(fake.lastEmail(email)!.link);
    const confirmed = await request(app).get(`${link.pathname}${link.search}`);
    expect(confirmed.status).toBe(303);
    const session = cookiesOf(confirmed).find((c) => c.startsWith('session='))!.split(';')[0]!;
    for (let i = 0; i < 3; i += 1) expect((await request(app).get('/app').set('Cookie', session)).status).toBe(200);
    const rows = await signIns(userId);
    expect(countByOrg(rows)).toEqual({ [orgA.id]: 1 });
    expect(rows[0]!.metadata.method).toBe('supabase_session');

    const page = await request(app).get(`/app/orgs/${orgA.id}/activity`).set('Cookie', `session=${await tokenOf({ id: orgA.owner.id, email: orgA.owner.email }, randomUUID())}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Signed in');
  });

  it('a person in no organisation: the sign-in is audited once on the platform chain', async () => {
    const p = { id: randomUUID(), email: address('alone') };
    await ensureOwnUserRow(db, config.blindIndexKey, p.id, p.email);
    const token = await tokenOf(p, randomUUID());
    for (let i = 0; i < 2; i += 1) expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    expect(countByOrg(await signIns(p.id))).toEqual({ platform: 1 });
  });

  it('session hashes are kept for SIGN_IN_SESSION_DAYS, then pruned', async () => {
    const trail = deps.sessionTrail!;
    const old = keyedHash(config.blindIndexKey, 'text', `session:${randomUUID()}-old`);
    const recent = randomUUID();
    await db`insert into app.sign_in_sessions (session_hash, first_seen_at) values (${old}, now() - make_interval(days => ${SIGN_IN_SESSION_DAYS + 1}))`;
    const p = await supabasePerson();
    expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${await tokenOf(p, recent)}`)).status).toBe(200);
    expect(await trail.prune()).toBeGreaterThanOrEqual(0);
    const [gone] = await db`select count(*)::int as n from app.sign_in_sessions where session_hash = ${old}`;
    expect(gone!.n).toBe(0);
    expect(await trail.recorded(recent)).toBe(true);
  });

  it('in local mode a token’s requests audit nothing (its sign-in was audited when the link was used)', async () => {
    const local = buildTestApp(db, testConfig()).app;
    const org = await createOrg(db, testConfig());
    for (let i = 0; i < 2; i += 1) expect((await request(local).get('/api/orgs').set('Authorization', `Bearer ${org.owner.token}`)).status).toBe(200);
    expect(await signIns(org.owner.id)).toEqual([]);
  });
});

describe('sign-in trail: the Data API', () => {
  it('a signed-in user cannot append an auth.signed_in row of their own', async () => {
    const config = testConfig();
    const org = await createOrg(db, config);
    const claims = { sub: org.owner.id, role: 'authenticated', email: org.owner.email };
    const row = {
      org_id: org.id, actor_type: 'user', actor_id: org.owner.id, action: 'auth.signed_in', target_type: 'user', target_id: org.owner.id,
      request_id: randomUUID(), ip: '203.0.113.0/24', metadata: { method: 'magic_link' },
    };
    const attempt = async (values: Record<string, unknown>) =>
      db
        .begin(async (tx) => {
          await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(claims)}, true)`;
          await (tx as unknown as Tx)`insert into public.audit_logs ${db(values)}`;
          throw new Error('rollback');
        })
        .catch((err: { code?: string; message: string }) => err.code ?? err.message);
    expect(await attempt(row)).toBe('42501');
    // The same insert with an action a user may write goes through (so the refusal is the action's).
    expect(await attempt({ ...row, action: 'call.read', target_type: 'call', target_id: randomUUID() })).toBe('rollback');
    expect(await signIns(org.owner.id)).toEqual([]);
  });
});
