import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

type Who = 'owner' | 'admin' | 'member' | 'outsider';
interface Action {
  name: string;
  allowed: Who[];
  /** Status for an allowed caller. */
  ok: number;
  call: (app: unknown, org: TestOrg, as: TestUser) => request.Test;
}

const api = (app: unknown) => request(app as Parameters<typeof request>[0]);

const ACTIONS: Action[] = [
  { name: 'read organisation', allowed: ['owner', 'admin', 'member'], ok: 200, call: (a, o, u) => api(a).get(`/api/orgs/${o.id}`).set(...bearer(u)) },
  {
    name: 'change the organisation',
    allowed: ['owner', 'admin'],
    ok: 200,
    call: (a, o, u) => api(a).patch(`/api/orgs/${o.id}`).set(...bearer(u)).send({ name: 'Renamed', country: 'AT' }),
  },
  { name: 'list members', allowed: ['owner', 'admin', 'member'], ok: 200, call: (a, o, u) => api(a).get(`/api/orgs/${o.id}/members`).set(...bearer(u)) },
  {
    name: 'invite member',
    allowed: ['owner', 'admin'],
    ok: 201,
    call: (a, o, u) => api(a).post(`/api/orgs/${o.id}/members`).set(...bearer(u)).send({ email: `new-${Math.random().toString(36).slice(2)}@example.test` }),
  },
  {
    name: 'change a role',
    allowed: ['owner', 'admin'],
    ok: 200,
    call: (a, o, u) => api(a).patch(`/api/orgs/${o.id}/members/${o.member.id}`).set(...bearer(u)).send({ role: 'admin' }),
  },
  {
    name: 'remove a member',
    allowed: ['owner', 'admin'],
    ok: 204,
    call: (a, o, u) => api(a).delete(`/api/orgs/${o.id}/members/${o.member.id}`).set(...bearer(u)),
  },
  { name: 'read privacy preferences', allowed: ['owner', 'admin', 'member'], ok: 200, call: (a, o, u) => api(a).get(`/api/orgs/${o.id}/preferences/privacy`).set(...bearer(u)) },
  {
    name: 'change privacy preferences',
    allowed: ['owner', 'admin'],
    ok: 200,
    call: (a, o, u) => api(a).put(`/api/orgs/${o.id}/preferences/privacy`).set(...bearer(u)).send({ retention_days: 365, dtmf_consent: false }),
  },
  { name: 'read activity log', allowed: ['owner', 'admin'], ok: 200, call: (a, o, u) => api(a).get(`/api/orgs/${o.id}/audit-logs`).set(...bearer(u)) },
];

let db: ServiceDb;
let smtp: TestSmtp;
let app: unknown;
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

async function snapshot(orgId: string) {
  const [row] = await db`
    select
      (select json_agg(json_build_object('u', user_id, 'r', role) order by user_id) from public.memberships where org_id = ${orgId}) as members,
      (select row_to_json(p) from (select retention_days, dtmf_consent, transcript_encryption from public.privacy_preferences where org_id = ${orgId}) p) as prefs,
      (select count(*)::int from public.audit_logs where org_id = ${orgId}) as audit_rows,
      (select json_build_object('name', name, 'country', country) from public.organizations where id = ${orgId}) as org`;
  return row;
}

describe('role × action matrix', () => {
  const cells = ACTIONS.flatMap((action) => (['owner', 'admin', 'member', 'outsider'] as Who[]).map((who) => ({ action, who })));

  it.each(cells.map((c) => [c.action.name, c.who, c] as const))('%s as %s', async (_name, who, { action }) => {
    const org = await createOrg(db, config);
    const as = who === 'outsider' ? await createUser(db, config) : org[who];
    const before = await snapshot(org.id);
    const res = await action.call(app, org, as);
    if (action.allowed.includes(who)) {
      expect(res.status, JSON.stringify(res.body)).toBe(action.ok);
      if (action.ok !== 200 || action.name.startsWith('change')) {
        const after = await snapshot(org.id);
        expect(after!.audit_rows).toBe(before!.audit_rows + 1);
      }
    } else {
      // Non-members learn nothing (404); members without the role are refused (403).
      expect(res.status).toBe(who === 'outsider' ? 404 : 403);
      expect(res.body).toMatchObject({ error: { code: who === 'outsider' ? 'not_found' : 'forbidden' }, request_id: expect.any(String) });
      expect(await snapshot(org.id)).toEqual(before);
    }
  });
});
