import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const ORIGIN = 'https://voice.example.test';

let db: ServiceDb;
let smtp: TestSmtp;
let config: AppConfig;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let other: TestOrg;

function sessionCookie(user: TestUser): string {
  return `session=${user.token}`;
}

/** The members page's CSRF token and the cookie that goes with it, as a browser would hold them. */
async function formToken(user: TestUser, orgId = org.id): Promise<{ token: string; cookie: string; page: string }> {
  const res = await request(app).get(`/app/orgs/${orgId}/members`).set('Cookie', sessionCookie(user));
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[]).concat(res.headers['set-cookie'] ?? []).map((c) => c.split(';')[0]!).find((c) => c.startsWith('csrf='))!;
  return { token, cookie: `${sessionCookie(user)}; ${csrf}`, page: res.text };
}

async function post(user: TestUser, path: string, fields: Record<string, string>, orgId = org.id) {
  const form = await formToken(user, orgId);
  return request(app).post(path).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ ...fields, _csrf: form.token });
}

async function roleOf(orgId: string, userId: string): Promise<string | undefined> {
  const [row] = await db<{ role: string }[]>`select role from public.memberships where org_id = ${orgId} and user_id = ${userId}`;
  return row?.role;
}

beforeAll(async () => {
  db = openTestDb();
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  other = await createOrg(db, config);
});
afterAll(async () => {
  await smtp.close();
  await db.end();
});

describe('dashboard members page', () => {
  it('lists the members with e-mail, role and invitation state, linked from the navigation', async () => {
    const res = await request(app).get(`/app/orgs/${org.id}/members`).set('Cookie', sessionCookie(org.owner));
    expect(res.status).toBe(200);
    for (const user of [org.owner, org.admin, org.member]) expect(res.text).toContain(user.email);
    expect(res.text).toContain('Owner');
    expect(res.text).toContain('Admin');
    expect(res.text).toContain(`href="/app/orgs/${org.id}/members"`);
    expect(res.text).toContain(`action="/app/orgs/${org.id}/members"`);
    const calls = await request(app).get(`/app/orgs/${org.id}/calls`).set('Cookie', sessionCookie(org.member));
    expect(calls.text).toContain(`href="/app/orgs/${org.id}/members"`);
    const de = await request(app).get(`/app/orgs/${org.id}/members`).set('Cookie', sessionCookie(org.owner)).set('Accept-Language', 'de');
    expect(de.text).toContain('Jemanden einladen');
  });

  it('lets an owner invite a new address: an e-mail is sent, the invitation shows as not yet accepted', async () => {
    const email = `dash-invitee-${Date.now()}@example.test`;
    const res = await post(org.owner, `/app/orgs/${org.id}/members`, { email, role: 'admin' });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/app/orgs/${org.id}/members?done=invited`);
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    expect(mail.text).toContain('https://voice.example.test/auth/callback?token=');
    const [row] = await db`select m.role, m.accepted_at from public.memberships m join public.users u on u.id = m.user_id
                           where m.org_id = ${org.id} and u.email = ${email}`;
    expect(row).toMatchObject({ role: 'admin', accepted_at: null });
    const page = await request(app).get(res.headers.location!).set('Cookie', sessionCookie(org.owner));
    expect(page.text).toContain('The invitation is sent.');
    expect(page.text).toContain(email);
    expect(page.text).toContain('Not yet');
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${org.id} and action = 'member.invited' order by created_at desc limit 1`;
    expect(audit?.actor_id).toBe(org.owner.id);

    // Inviting the same address again is refused by the service: the page says why, and keeps what was typed.
    const again = await post(org.owner, `/app/orgs/${org.id}/members`, { email, role: 'member' });
    expect(again.status).toBe(409);
    expect(again.text).toContain('already a member');
    expect(again.text).toContain(`value="${email}"`);
  });

  it('lets an owner change a role and remove a member', async () => {
    const changed = await post(org.owner, `/app/orgs/${org.id}/members/${org.member.id}/role`, { role: 'admin' });
    expect(changed.status).toBe(303);
    expect(changed.headers.location).toBe(`/app/orgs/${org.id}/members?done=changed`);
    expect(await roleOf(org.id, org.member.id)).toBe('admin');
    const back = await post(org.owner, `/app/orgs/${org.id}/members/${org.member.id}/role`, { role: 'member' });
    expect(back.status).toBe(303);
    expect(await roleOf(org.id, org.member.id)).toBe('member');

    const extra = await createOrg(db, config);
    const res = await post(extra.owner, `/app/orgs/${extra.id}/members/${extra.admin.id}/remove`, {}, extra.id);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe(`/app/orgs/${extra.id}/members?done=removed`);
    expect(await roleOf(extra.id, extra.admin.id)).toBeUndefined();
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${extra.id} and action = 'member.removed' and target_id = ${extra.admin.id}`;
    expect(audit?.actor_id).toBe(extra.owner.id);
  });

  it('refuses to remove or demote the last owner: the page again with the reason (409), still owner', async () => {
    const removed = await post(org.owner, `/app/orgs/${org.id}/members/${org.owner.id}/remove`, {});
    expect(removed.status).toBe(409);
    expect(removed.text).toContain('This is the last owner');
    expect(removed.text).toContain(org.member.email);
    expect(await roleOf(org.id, org.owner.id)).toBe('owner');
    const demoted = await post(org.owner, `/app/orgs/${org.id}/members/${org.owner.id}/role`, { role: 'admin' });
    expect(demoted.status).toBe(409);
    expect(demoted.text).toContain('This is the last owner');
    expect(await roleOf(org.id, org.owner.id)).toBe('owner');
  });

  it('does not let an admin grant or touch owner: no controls offered, and the service refuses (403)', async () => {
    const page = await formToken(org.admin);
    expect(page.page).not.toContain(`/members/${org.owner.id}/remove`);
    expect(page.page).not.toContain('<option value="owner"');
    const grant = await post(org.admin, `/app/orgs/${org.id}/members/${org.member.id}/role`, { role: 'owner' });
    expect(grant.status).toBe(403);
    expect(grant.text).toContain('Only an owner can make or change an owner.');
    expect(await roleOf(org.id, org.member.id)).toBe('member');
    const remove = await post(org.admin, `/app/orgs/${org.id}/members/${org.owner.id}/remove`, {});
    expect(remove.status).toBe(403);
    expect(await roleOf(org.id, org.owner.id)).toBe('owner');
  });

  it('shows a member the list read-only with the reason, and refuses their forms (403)', async () => {
    const page = await formToken(org.member);
    expect(page.page).toContain('you are a member, so this list is read-only');
    expect(page.page).not.toContain(`action="/app/orgs/${org.id}/members"`);
    expect(page.page).not.toContain('/remove"');
    const email = `member-invites-${Date.now()}@example.test`;
    const invite = await post(org.member, `/app/orgs/${org.id}/members`, { email, role: 'member' });
    expect(invite.status).toBe(403);
    expect(invite.text).toContain('you are a member');
    const [none] = await db`select 1 from public.users where email = ${email}`;
    expect(none).toBeUndefined();
    const remove = await post(org.member, `/app/orgs/${org.id}/members/${org.admin.id}/remove`, {});
    expect(remove.status).toBe(403);
    expect(await roleOf(org.id, org.admin.id)).toBe('admin');
  });

  it('refuses a form without its CSRF token (403), and changes nothing', async () => {
    const res = await request(app)
      .post(`/app/orgs/${org.id}/members/${org.member.id}/remove`)
      .set('Cookie', sessionCookie(org.owner))
      .type('form')
      .send({});
    expect(res.status).toBe(403);
    expect(res.text).toContain('without its security token');
    expect(await roleOf(org.id, org.member.id)).toBe('member');
  });

  it('never shows or changes another organisation’s members', async () => {
    const res = await request(app).get(`/app/orgs/${other.id}/members`).set('Cookie', sessionCookie(org.owner));
    expect(res.status).toBe(404);
    expect(res.text).not.toContain(other.member.email);
    const removed = await post(org.owner, `/app/orgs/${other.id}/members/${other.member.id}/remove`, {}, org.id);
    expect(removed.status).toBe(404);
    expect(removed.text).not.toContain(other.member.email);
    expect(await roleOf(other.id, other.member.id)).toBe('member');
  });
});
