import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let db: ServiceDb;
let smtp: TestSmtp;
let app: ReturnType<typeof buildTestApp>['app'];
let config: ReturnType<typeof testConfig>;

beforeAll(async () => {
  db = openTestDb();
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app } = buildTestApp(db, config));
});
afterAll(async () => {
  await smtp.close();
  await db.end();
});

describe('organisations', () => {
  it('creates an organisation with the caller as owner, default privacy preferences and an audit row', async () => {
    const user = await createUser(db, config);
    const res = await request(app).post('/api/orgs').set(...bearer(user)).send({ name: 'Acme Voice GmbH' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ name: 'Acme Voice GmbH', role: 'owner' });
    const orgId = res.body.id as string;

    const prefs = await request(app).get(`/api/orgs/${orgId}/preferences/privacy`).set(...bearer(user));
    expect(prefs.body).toMatchObject({ retention_days: 30, dtmf_consent: true, transcript_encryption: false });

    const log = await request(app).get(`/api/orgs/${orgId}/audit-logs`).set(...bearer(user));
    expect(log.status).toBe(200);
    expect(log.body.entries.map((e: { action: string }) => e.action)).toEqual(['organization.created']);
    expect(log.body.entries[0]).toMatchObject({ actor_id: user.id, acting_as_id: null });
  });

  it('creates the users row on a verified first request', async () => {
    const { issueLocalAccessToken } = await import('../src/auth/tokens.js');
    const id = crypto.randomUUID();
    const token = await issueLocalAccessToken(config.supabase.jwtSecret!, { sub: id, email: 'First.Time@Example.test' });
    const res = await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`);
    expect(res.status).toBe(200);
    const [row] = await db`select email, email_hash is not null as hashed from public.users where id = ${id}`;
    expect(row).toEqual({ email: 'first.time@example.test', hashed: true });
  });

  it('lists only the caller’s organisations', async () => {
    const a = await createOrg(db, config);
    const b = await createOrg(db, config);
    const res = await request(app).get('/api/orgs').set(...bearer(a.member));
    const ids = res.body.organizations.map((o: { id: string }) => o.id);
    expect(ids).toContain(a.id);
    expect(ids).not.toContain(b.id);
  });
});

describe('members', () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg(db, config);
  });

  it('invites by e-mail: a sign-in link is sent and the membership written and audited', async () => {
    const email = `invitee-${Date.now()}@example.test`;
    const res = await request(app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.admin)).send({ email, role: 'member' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ email, role: 'member' });
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    expect(mail.text).toContain('https://voice.example.test/auth/callback?token=');

    const again = await request(app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.admin)).send({ email, role: 'member' });
    expect(again.status).toBe(409);

    const [audit] = await db`
      select actor_id, target_id, metadata from public.audit_logs where org_id = ${org.id} and action = 'member.invited'`;
    expect(audit).toMatchObject({ actor_id: org.admin.id, target_id: res.body.user_id, metadata: { role: 'member' } });
    expect(JSON.stringify(audit)).not.toContain(email);
  });

  it('only an owner can add or change an owner', async () => {
    const res = await request(app)
      .post(`/api/orgs/${org.id}/members`)
      .set(...bearer(org.admin))
      .send({ email: `x-${Date.now()}@example.test`, role: 'owner' });
    expect(res.status).toBe(403);
    const demote = await request(app).patch(`/api/orgs/${org.id}/members/${org.owner.id}`).set(...bearer(org.admin)).send({ role: 'member' });
    expect(demote.status).toBe(403);
  });

  it('never leaves an organisation without an owner', async () => {
    const demote = await request(app).patch(`/api/orgs/${org.id}/members/${org.owner.id}`).set(...bearer(org.owner)).send({ role: 'admin' });
    expect(demote.status).toBe(409);
    expect(demote.body.error.message).toMatch(/last owner/);
    const remove = await request(app).delete(`/api/orgs/${org.id}/members/${org.owner.id}`).set(...bearer(org.owner));
    expect(remove.status).toBe(409);

    // With a second owner, the first can step down.
    const promote = await request(app).patch(`/api/orgs/${org.id}/members/${org.admin.id}`).set(...bearer(org.owner)).send({ role: 'owner' });
    expect(promote.status).toBe(200);
    const stepDown = await request(app).patch(`/api/orgs/${org.id}/members/${org.owner.id}`).set(...bearer(org.owner)).send({ role: 'admin' });
    expect(stepDown.status).toBe(200);
    const [row] = await db`select count(*)::int as owners from public.memberships where org_id = ${org.id} and role = 'owner'`;
    expect(row!.owners).toBe(1);
  });

  it('the database itself refuses to remove the last owner', async () => {
    const solo = await createOrg(db, config);
    await expect(db`delete from public.memberships where org_id = ${solo.id} and role = 'owner'`).rejects.toMatchObject({
      hint: 'last_owner',
    });
  });
});
