import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { createAgentLine, startCallWorld, waitFor, type CallWorld } from './helpers/call-harness.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { bearer, createOrg, createUser, openIsolatedTestDb, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const ORIGIN = 'https://voice.example.test';

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let smtp: TestSmtp;
let world: CallWorld;
let org: TestOrg;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  world = await startCallWorld(db, { SMTP_URL: smtp.url });
  org = await createOrg(db, world.config);
});
afterAll(async () => {
  await world.close();
  await smtp.close();
  await isolated.close();
});

/** A page's CSRF token and the cookies a browser holding it would send. */
async function openForm(cookie: string, path: string): Promise<{ token: string; cookie: string; html: string; status: number }> {
  const res = await request(world.app).get(path).set('Cookie', cookie);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='));
  return { token, cookie: csrf ? `${cookie}; ${csrf}` : cookie, html: res.text, status: res.status };
}

async function post(cookie: string, formPath: string, action: string, fields: Record<string, string> = {}) {
  const form = await openForm(cookie, formPath);
  return request(world.app).post(action).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ ...fields, _csrf: form.token });
}

const session = (user: TestUser) => `session=${user.token}`;

/** Invites through the members page, as the owner; returns the e-mailed link's path. */
async function inviteByPage(email: string, role = 'member'): Promise<string> {
  const res = await post(session(org.owner), `/app/orgs/${org.id}/members`, `/app/orgs/${org.id}/members`, { email, role });
  expect(res.status).toBe(303);
  const mail = await smtp.waitFor((m) => m.to.includes(email));
  expect(mail.text).toContain('accept or decline');
  return new URL(/https:\/\/\S+/.exec(mail.text)![0]).pathname + new URL(/https:\/\/\S+/.exec(mail.text)![0]).search;
}

/** Opens the e-mailed link in a "browser": follows /auth/callback to the dashboard; returns the session cookie and where it led. */
async function openLink(path: string): Promise<{ cookie: string; location: string }> {
  const first = await request(world.app).get(path).set('Accept', 'text/html');
  expect(first.status).toBe(303);
  const res = await request(world.app).get(first.headers.location!).set('Accept', 'text/html');
  expect(res.status).toBe(303);
  const cookie = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('session='))!;
  return { cookie, location: res.headers.location! };
}

const membership = async (userEmail: string) =>
  (await db`select m.role, m.accepted_at from public.memberships m join public.users u on u.id = m.user_id
            where m.org_id = ${org.id} and u.email = ${userEmail}`)[0];

describe('invitations', () => {
  it('invite → the invitee opens the link → sees the invitation (not yet a member) → accepts → member', async () => {
    const email = `acc-invitee-${Date.now()}@example.test`;
    const link = await inviteByPage(email, 'admin');
    const { cookie, location } = await openLink(link);
    expect(location).toBe('/app/invitations');

    // Signing in accepted nothing: the invitation grants no access yet.
    expect((await membership(email))!.accepted_at).toBeNull();
    expect((await request(world.app).get(`/app/orgs/${org.id}/calls`).set('Cookie', cookie)).status).toBe(404);
    const home = await request(world.app).get('/app').set('Cookie', cookie);
    expect(home.text).toContain('Invitations waiting for your answer: 1.');
    expect(home.text).toContain('href="/app/invitations"');
    expect(home.text).not.toContain(`/app/orgs/${org.id}/calls`);

    const page = await openForm(cookie, '/app/invitations');
    expect(page.status).toBe(200);
    expect(page.html).toContain(`Org ${org.id.slice(0, 8)}`);
    expect(page.html).toContain('Admin');
    expect(page.html).toContain(new Date().toISOString().slice(0, 10));
    expect(page.html).toContain(`action="/app/invitations/${org.id}/accept"`);
    expect(page.html).toContain(`action="/app/invitations/${org.id}/decline"`);
    expect(page.html).not.toMatch(/<script|<style| style=| on[a-z]+=/);

    const accepted = await post(cookie, '/app/invitations', `/app/invitations/${org.id}/accept`);
    expect(accepted.status).toBe(303);
    expect(accepted.headers.location).toBe(`/app/invitations?accepted=${org.id}`);
    expect((await membership(email))!.accepted_at).not.toBeNull();
    const after = await request(world.app).get(accepted.headers.location!).set('Cookie', cookie);
    expect(after.text).toContain('you are now a member of');
    expect(after.text).toContain(`href="/app/orgs/${org.id}/calls"`);
    expect(after.text).toContain('No invitations are waiting for you.');
    expect((await request(world.app).get(`/app/orgs/${org.id}/calls`).set('Cookie', cookie)).status).toBe(200);

    const [audit] = await db`select actor_id, target_id, metadata from public.audit_logs where org_id = ${org.id} and action = 'member.accepted'`;
    const [user] = await db`select id from public.users where email = ${email}`;
    expect(audit).toMatchObject({ actor_id: user!.id, target_id: user!.id, metadata: { role: 'admin' } });
    expect(JSON.stringify(audit)).not.toContain(email);
  });

  it('declining removes the invitation, audited; the organisation stays out of reach', async () => {
    const email = `dec-invitee-${Date.now()}@example.test`;
    const { cookie } = await openLink(await inviteByPage(email));
    const res = await post(cookie, '/app/invitations', `/app/invitations/${org.id}/decline`);
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app/invitations?declined=1');
    expect(await membership(email)).toBeUndefined();
    const page = await request(world.app).get(res.headers.location!).set('Cookie', cookie);
    expect(page.text).toContain('You declined the invitation.');
    expect((await request(world.app).get(`/app/orgs/${org.id}/calls`).set('Cookie', cookie)).status).toBe(404);
    const [user] = await db`select id from public.users where email = ${email}`;
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${org.id} and action = 'member.declined' and target_id = ${user!.id}`;
    expect(audit?.actor_id).toBe(user!.id);
  });

  it('one person cannot accept or decline another’s invitation, nor see it', async () => {
    const invitee = await createUser(db, world.config);
    const stranger = await createUser(db, world.config);
    expect((await request(world.app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.owner)).send({ email: invitee.email })).status).toBe(201);
    // the stranger sees none of it, and answering it is "no invitation for you"
    const page = await request(world.app).get('/app/invitations').set('Cookie', session(stranger));
    expect(page.text).toContain('No invitations are waiting for you.');
    expect((await post(session(stranger), '/app/invitations', `/app/invitations/${org.id}/accept`)).status).toBe(404);
    expect((await post(session(stranger), '/app/invitations', `/app/invitations/${org.id}/decline`)).status).toBe(404);
    // nor does the organisation's admin answer for the invitee (the API says the same)
    expect((await request(world.app).post(`/api/invitations/${org.id}/acceptance`).set(...bearer(org.admin))).status).toBe(404);
    expect((await membership(invitee.email))!.accepted_at).toBeNull();
    expect(await db`select 1 from public.memberships where org_id = ${org.id} and user_id = ${stranger.id}`).toHaveLength(0);
    // the invitee's own API answer works
    const list = await request(world.app).get('/api/invitations').set(...bearer(invitee));
    expect(list.body.invitations).toEqual([expect.objectContaining({ org_id: org.id, role: 'member' })]);
    expect((await request(world.app).get(`/api/orgs/${org.id}`).set(...bearer(invitee))).status).toBe(404);
    expect((await request(world.app).post(`/api/invitations/${org.id}/acceptance`).set(...bearer(invitee))).body).toEqual({ org_id: org.id, role: 'member' });
    expect((await request(world.app).get(`/api/orgs/${org.id}`).set(...bearer(invitee))).status).toBe(200);
  });

  it('the API declines an invitation for the invitee only (204, audited); a second decline or a stranger gets 404', async () => {
    const invitee = await createUser(db, world.config);
    const stranger = await createUser(db, world.config);
    expect((await request(world.app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.owner)).send({ email: invitee.email, role: 'admin' })).status).toBe(201);
    expect((await request(world.app).delete(`/api/invitations/${org.id}`).set(...bearer(stranger))).status).toBe(404);
    expect((await request(world.app).delete(`/api/invitations/${org.id}`).set(...bearer(org.owner))).status).toBe(404);
    expect(await membership(invitee.email)).toMatchObject({ role: 'admin', accepted_at: null });

    const declined = await request(world.app).delete(`/api/invitations/${org.id}`).set(...bearer(invitee));
    expect(declined.status).toBe(204);
    expect(await membership(invitee.email)).toBeUndefined();
    const [audit] = await db`select actor_id, metadata from public.audit_logs where org_id = ${org.id} and action = 'member.declined' and target_id = ${invitee.id}`;
    expect(audit).toEqual({ actor_id: invitee.id, metadata: { role: 'admin' } });
    const again = await request(world.app).delete(`/api/invitations/${org.id}`).set(...bearer(invitee));
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('not_found');
    expect((await request(world.app).delete(`/api/invitations/not-a-uuid`).set(...bearer(invitee))).status).toBe(400);
    expect((await request(world.app).delete(`/api/invitations/${org.id}`)).status).toBe(401);
  });

  it('an invited owner who has not accepted is not an owner: the last accepted owner stays, the invitation can be withdrawn', async () => {
    const fresh = await createOrg(db, world.config);
    const invitee = await createUser(db, world.config);
    expect((await request(world.app).post(`/api/orgs/${fresh.id}/members`).set(...bearer(fresh.owner)).send({ email: invitee.email, role: 'owner' })).status).toBe(201);
    const demote = await request(world.app).patch(`/api/orgs/${fresh.id}/members/${fresh.owner.id}`).set(...bearer(fresh.owner)).send({ role: 'admin' });
    expect(demote.status).toBe(409);
    expect((await request(world.app).delete(`/api/orgs/${fresh.id}/members/${invitee.id}`).set(...bearer(fresh.owner))).status).toBe(204);
    expect((await request(world.app).get('/api/invitations').set(...bearer(invitee))).body.invitations).toEqual([]);
  });

  it('refuses an answer without the CSRF token', async () => {
    const invitee = await createUser(db, world.config);
    await request(world.app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.owner)).send({ email: invitee.email });
    const form = await openForm(session(invitee), '/app/invitations');
    const res = await request(world.app).post(`/app/invitations/${org.id}/accept`).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({});
    expect(res.status).toBe(403);
    expect((await membership(invitee.email))!.accepted_at).toBeNull();
  });
});

describe('deleting the organisation', () => {
  it('refuses a wrong name with the reason (400), keeps what was typed and deletes nothing', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const path = `/app/orgs/${line.org.id}/delete`;
    const page = await openForm(session(line.org.owner), path);
    expect(page.status).toBe(200);
    expect(page.html).toContain('Twilio: the call recordings');
    expect(page.html).toContain('ElevenLabs: the conversations');
    expect(page.html).toContain(`Org ${line.org.id.slice(0, 8)}`);
    const res = await post(session(line.org.owner), path, path, { confirm_name: 'Not the name' });
    expect(res.status).toBe(400);
    expect(res.text).toMatch(/role="alert"[^>]*>The name you typed is not the organisation’s name, so nothing was deleted/);
    expect(res.text).toContain('value="Not the name"');
    expect(await db`select 1 from public.organizations where id = ${line.org.id}`).toHaveLength(1);
    expect(await db`select 1 from public.provider_deletions where org_id = ${line.org.id}`).toHaveLength(0);
  });

  it('deletes with the right name: rows gone, the deletions at Twilio and ElevenLabs queued and done, audited', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const callId = await seedCall(db, line.org, '+4915112345678', 'completed', 'given');
    const conversationId = `conv_acct_${Date.now()}`;
    await db`update public.calls set elevenlabs_conversation_id = ${conversationId} where id = ${callId}`;
    const [recording] = await db<{ sid: string }[]>`select twilio_recording_sid as sid from public.recordings where call_id = ${callId}`;
    const name = `Org ${line.org.id.slice(0, 8)}`;
    const path = `/app/orgs/${line.org.id}/delete`;

    const res = await post(session(line.org.owner), path, path, { confirm_name: `  ${name} ` });
    expect(res.status).toBe(303);
    expect(res.headers.location).toBe('/app?deleted=1');
    expect(await db`select 1 from public.organizations where id = ${line.org.id}`).toHaveLength(0);
    expect(await db`select 1 from public.memberships where org_id = ${line.org.id}`).toHaveLength(0);
    expect(await db`select 1 from public.calls where org_id = ${line.org.id}`).toHaveLength(0);
    expect(await db`select 1 from public.agents where org_id = ${line.org.id}`).toHaveLength(0);
    const queued = await db<{ provider: string; resource_type: string; resource_id: string; reason: string }[]>`
      select provider, resource_type, resource_id, reason from public.provider_deletions where org_id = ${line.org.id} and reason = 'account_deletion' order by provider, resource_type`;
    expect(queued).toEqual([
      { provider: 'elevenlabs', resource_type: 'agent', resource_id: line.externalAgentId, reason: 'account_deletion' },
      { provider: 'elevenlabs', resource_type: 'conversation', resource_id: conversationId, reason: 'account_deletion' },
      { provider: 'twilio', resource_type: 'recording', resource_id: recording!.sid, reason: 'account_deletion' },
    ]);
    await waitFor(() => world.elFake.deletedAgents.includes(line.externalAgentId), 'agent deletion');
    const [audit] = await db`select actor_id from public.audit_logs where org_id = ${line.org.id} and action = 'organization.deleted'`;
    expect(audit?.actor_id).toBe(line.org.owner.id);

    const home = await request(world.app).get(res.headers.location!).set('Cookie', session(line.org.owner));
    expect(home.text).toContain('The organisation has been deleted.');
    expect(home.text).not.toContain(name);
  });

  it('admins and members see why they cannot (owner only), and are refused (403)', async () => {
    const other = await createOrg(db, world.config);
    const path = `/app/orgs/${other.id}/delete`;
    for (const [user, role] of [
      [other.admin, 'Admin'],
      [other.member, 'Member'],
    ] as const) {
      const page = await request(world.app).get(path).set('Cookie', session(user));
      expect(page.status).toBe(200);
      expect(page.text).toContain(`Only an owner can delete the organisation. Your role here: ${role}.`);
      expect(page.text).not.toContain('name="confirm_name"');
      const res = await post(session(user), path, path, { confirm_name: `Org ${other.id.slice(0, 8)}` });
      expect(res.status).toBe(403);
      expect(res.text).toContain('Only an owner can delete the organisation.');
    }
    // an owner of another organisation does not reach this one
    expect((await request(world.app).get(path).set('Cookie', session(org.owner))).status).toBe(404);
    expect((await post(session(org.owner), `/app/orgs/${org.id}/delete`, path, { confirm_name: `Org ${other.id.slice(0, 8)}` })).status).toBe(404);
    expect(await db`select 1 from public.organizations where id = ${other.id}`).toHaveLength(1);
  });

  it('refuses a deletion without the CSRF token; the privacy page links owners (only) to it', async () => {
    const other = await createOrg(db, world.config);
    const path = `/app/orgs/${other.id}/delete`;
    const form = await openForm(session(other.owner), path);
    const res = await request(world.app).post(path).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ confirm_name: `Org ${other.id.slice(0, 8)}` });
    expect(res.status).toBe(403);
    expect(await db`select 1 from public.organizations where id = ${other.id}`).toHaveLength(1);

    const ownerPrivacy = await request(world.app).get(`/app/orgs/${other.id}/privacy`).set('Cookie', session(other.owner));
    expect(ownerPrivacy.text).toContain(`href="${path}"`);
    const adminPrivacy = await request(world.app).get(`/app/orgs/${other.id}/privacy`).set('Cookie', session(other.admin));
    expect(adminPrivacy.text).not.toContain(`href="${path}"`);
    const de = await request(world.app).get(path).set('Cookie', session(other.owner)).set('Accept-Language', 'de');
    expect(de.text).toContain('Organisation endgültig löschen');
  });
});
