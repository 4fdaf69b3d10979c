import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
let operator: TestUser;
const config = testConfig();

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
  operator = await createUser(db, config, { operator: true });
});
afterAll(async () => {
  await db.end();
});

const start = (body: object, as: TestUser = operator) => request(app).post('/api/admin/impersonations').set(...bearer(as)).send(body);

describe('operator impersonation', () => {
  it('is for operators only and needs a reason', async () => {
    expect((await start({ user_id: org.member.id, org_id: org.id, reason: 'support ticket #4711' }, org.owner)).status).toBe(403);
    const noReason = await start({ user_id: org.member.id, org_id: org.id });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    expect((await start({ user_id: org.member.id, org_id: org.id, reason: 'short' })).status).toBe(400);
  });

  it('refuses a user who is not in that organisation', async () => {
    const other = await createOrg(db, config);
    expect((await start({ user_id: other.member.id, org_id: org.id, reason: 'support ticket #4711' })).status).toBe(404);
  });

  it('acts as the user under their rights, audits every request with both identities, and ends', async () => {
    const res = await start({ user_id: org.admin.id, org_id: org.id, reason: 'customer asked for help with retention', duration_minutes: 15 });
    expect(res.status).toBe(201);
    const impId = res.body.id as string;
    const expiresIn = new Date(res.body.expires_at).getTime() - Date.now();
    expect(expiresIn).toBeGreaterThan(14 * 60_000);
    expect(expiresIn).toBeLessThanOrEqual(15 * 60_000 + 5000);

    const asAdmin = (r: request.Test) => r.set(...bearer(operator)).set('X-Impersonation-Id', impId);
    const prefs = await asAdmin(request(app).put(`/api/orgs/${org.id}/preferences/privacy`)).send({ retention_days: 90 });
    expect(prefs.status).toBe(200);

    // Limited to the organisation it was opened for.
    const elsewhere = await createOrg(db, config);
    expect((await asAdmin(request(app).get(`/api/orgs/${elsewhere.id}`))).status).toBe(403);

    const rows = await db`
      select action, actor_type, actor_id, acting_as_id, metadata from public.audit_logs
      where org_id = ${org.id} order by chain_index`;
    const actions = rows.map((r) => r.action);
    // Refused requests are audited too (the last one, to another organisation).
    expect(actions).toEqual(['impersonation.started', 'impersonation.request', 'privacy_preferences.updated', 'impersonation.request']);
    for (const row of rows) {
      expect(row).toMatchObject({ actor_type: 'operator', actor_id: operator.id, acting_as_id: org.admin.id });
    }
    expect(rows[1]!.metadata).toEqual({ method: 'PUT', path: `/api/orgs/${org.id}/preferences/privacy` });
    expect(rows[3]!.metadata).toEqual({ method: 'GET', path: `/api/orgs/${elsewhere.id}` });

    // The impersonated user sees that it happened.
    const [{ n }] = (await db`select count(*)::int as n from public.impersonations where id = ${impId} and ended_at is null`) as unknown as [{ n: number }];
    expect(n).toBe(1);

    const end = await request(app).delete(`/api/admin/impersonations/${impId}`).set(...bearer(operator));
    expect(end.status).toBe(200);
    expect(end.body.ended).toHaveLength(1);
    const after = await asAdmin(request(app).get(`/api/orgs/${org.id}`));
    expect(after.status).toBe(401);
    const [last] = await db`select action from public.audit_logs where org_id = ${org.id} order by chain_index desc limit 1`;
    expect(last!.action).toBe('impersonation.ended');
  });

  it('stops working when it expires', async () => {
    const res = await start({ user_id: org.member.id, org_id: org.id, reason: 'checking a call listing' });
    await db`update public.impersonations set expires_at = now() - interval '1 second' where id = ${res.body.id}`;
    const r = await request(app).get(`/api/orgs/${org.id}`).set(...bearer(operator)).set('X-Impersonation-Id', res.body.id);
    expect(r.status).toBe(401);
    expect(r.body.error.message).toMatch(/not open/);
  });

  it('cannot be used by anyone but the operator who opened it', async () => {
    const res = await start({ user_id: org.member.id, org_id: org.id, reason: 'checking a call listing' });
    const otherOperator = await createUser(db, config, { operator: true });
    const r = await request(app).get(`/api/orgs/${org.id}`).set(...bearer(otherOperator)).set('X-Impersonation-Id', res.body.id);
    expect(r.status).toBe(401);
    const notOperator = await request(app).get(`/api/orgs/${org.id}`).set(...bearer(org.owner)).set('X-Impersonation-Id', res.body.id);
    expect(notOperator.status).toBe(403);
  });

  it('sees and acts only within its organisation: GET /api/orgs lists that one, POST /api/orgs is refused', async () => {
    // The user is in two organisations; the impersonation is for one of them.
    const second = await createOrg(db, config);
    await db`insert into public.memberships (org_id, user_id, role, accepted_at) values (${second.id}, ${org.member.id}, 'owner', now())`;
    const res = await start({ user_id: org.member.id, org_id: org.id, reason: 'checking the organisation list' });
    const as = (r: request.Test) => r.set(...bearer(operator)).set('X-Impersonation-Id', res.body.id);

    const mine = await request(app).get('/api/orgs').set(...bearer(org.member));
    expect(mine.body.organizations.map((o: { id: string }) => o.id)).toEqual(expect.arrayContaining([org.id, second.id]));
    const seen = await as(request(app).get('/api/orgs'));
    expect(seen.status).toBe(200);
    expect(seen.body.organizations.map((o: { id: string }) => o.id)).toEqual([org.id]);

    const [{ before }] = (await db`select count(*)::int as before from public.memberships where user_id = ${org.member.id}`) as unknown as [{ before: number }];
    const created = await as(request(app).post('/api/orgs')).send({ name: 'Made while impersonating' });
    expect(created.status).toBe(403);
    expect(created.body.error).toMatchObject({ code: 'forbidden', message: expect.stringMatching(/impersonating/) });
    const [{ after }] = (await db`select count(*)::int as after from public.memberships where user_id = ${org.member.id}`) as unknown as [{ after: number }];
    expect(after).toBe(before);
  });
});
