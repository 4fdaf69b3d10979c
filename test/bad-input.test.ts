import { SignJWT } from 'jose';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocalAccessToken } from '../src/auth/tokens.js';
import type { ServiceDb } from '../src/db/database.js';
import { bearer, buildTestApp, createOrg, createUser, JWT_SECRET, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;
const config = testConfig();

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
});
afterAll(async () => {
  await db.end();
});

function expectClearError(res: request.Response, status: number, code?: string) {
  expect(res.status).toBe(status);
  expect(res.body.error.message).toEqual(expect.any(String));
  expect(res.body.error.message.length).toBeGreaterThan(5);
  expect(res.body.request_id).toEqual(expect.any(String));
  if (code) expect(res.body.error.code).toBe(code);
}

describe('bad input gets a clear 4xx, never a 500', () => {
  const prefs = () => `/api/orgs/${org.id}/preferences/privacy`;

  it('malformed JSON', async () => {
    const res = await request(app).put(prefs()).set(...bearer(org.owner)).set('content-type', 'application/json').send('{"retention_days": 30,');
    expectClearError(res, 400, 'invalid_json');
  });

  it.each([
    ['a string for a number', { retention_days: '30' }],
    ['a retention window that is not offered', { retention_days: 45 }],
    ['a number for a boolean', { dtmf_consent: 1 }],
    ['an unknown field', { retention_days: 30, keep_forever: true }],
    ['an empty change', {}],
    ['an array instead of an object', [1, 2]],
    ['null', null],
  ])('%s', async (_label, body) => {
    const before = await db`select retention_days, dtmf_consent from public.privacy_preferences where org_id = ${org.id}`;
    const res = await request(app).put(prefs()).set(...bearer(org.owner)).set('content-type', 'application/json').send(JSON.stringify(body));
    expectClearError(res, 400);
    expect(await db`select retention_days, dtmf_consent from public.privacy_preferences where org_id = ${org.id}`).toEqual(before);
  });

  it('names the offending field', async () => {
    const res = await request(app).put(prefs()).set(...bearer(org.owner)).send({ retention_days: 45 });
    expect(res.body.error.message).toContain('retention_days');
    expect(res.body.error.details).toEqual([expect.objectContaining({ path: 'retention_days' })]);
  });

  it('an oversized body', async () => {
    const res = await request(app)
      .post('/api/orgs')
      .set(...bearer(org.owner))
      .send({ name: 'x'.repeat(200_000) });
    expectClearError(res, 413, 'payload_too_large');
  });

  it('a too-long organisation name and wrong e-mail', async () => {
    expectClearError(await request(app).post('/api/orgs').set(...bearer(org.owner)).send({ name: 'x'.repeat(201) }), 400);
    expectClearError(
      await request(app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.owner)).send({ email: 'not-an-address' }),
      400,
    );
    expectClearError(
      await request(app).post(`/api/orgs/${org.id}/members`).set(...bearer(org.owner)).send({ email: 'a@b.example', role: 'god' }),
      400,
    );
  });

  it('ids that are not uuids', async () => {
    expectClearError(await request(app).get('/api/orgs/not-a-uuid').set(...bearer(org.owner)), 400);
    expectClearError(await request(app).delete(`/api/orgs/${org.id}/members/42`).set(...bearer(org.owner)), 400);
    expectClearError(await request(app).get(`/api/orgs/${org.id}/audit-logs?limit=abc`).set(...bearer(org.owner)), 400);
    expectClearError(await request(app).get(`/api/orgs/${org.id}/audit-logs?limit=5&evil=1`).set(...bearer(org.owner)), 400);
  });

  it('unknown endpoints', async () => {
    expectClearError(await request(app).get('/api/nothing-here').set(...bearer(org.owner)), 404, 'not_found');
  });
});

describe('what the database cannot store gets a clear 400, never a 500', () => {
  const incident = (extra: Record<string, unknown>) => ({ title: 'Lost laptop', severity: 'low', detected_at: '2026-11-01T10:00:00Z', ...extra });

  it('a NUL character in a JSON string, anywhere', async () => {
    const res = await request(app).post('/api/orgs').set(...bearer(org.owner)).send({ name: 'Acme\u0000 GmbH' });
    expectClearError(res, 400, 'validation_failed');
    expect(res.body.error.details).toEqual([{ path: 'name', message: expect.stringMatching(/NUL/) }]);
    const operator = await createUser(db, config, { operator: true });
    const nested = await request(app)
      .post('/api/admin/incidents')
      .set(...bearer(operator))
      .send(incident({ description: 'ok', data_categories: ['contacts', 'call\u0000logs'] }));
    expectClearError(nested, 400, 'validation_failed');
    expect(nested.body.error.details).toEqual([{ path: 'data_categories.1', message: expect.stringMatching(/NUL/) }]);
    // Nothing was created for this owner (other test files share the database and may name theirs alike).
    expect(await db`select 1 from public.organizations o join public.memberships m on m.org_id = o.id
                    where m.user_id = ${org.owner.id} and o.name like 'Acme%GmbH'`).toHaveLength(0);
  });

  it('a NUL character in a form field', async () => {
    const res = await request(app).post('/forget-me').set('Accept', 'application/json').type('form').send('email=someone%00%40example.de');
    expectClearError(res, 400, 'validation_failed');
  });

  it('a date before 4713 BC or after the year 9999, in a body or a query', async () => {
    const operator = await createUser(db, config, { operator: true });
    for (const detectedAt of ['-005000-01-01T00:00:00Z', '0000-12-31T23:59:59Z', '+275000-01-01T00:00:00Z']) {
      const res = await request(app).post('/api/admin/incidents').set(...bearer(operator)).send(incident({ detected_at: detectedAt }));
      expectClearError(res, 400, 'validation_failed');
      expect(res.body.error.details).toEqual([{ path: 'detected_at', message: 'must be a date between the years 1 and 9999' }]);
    }
    const calls = await request(app).get(`/api/orgs/${org.id}/calls?before=-005000-01-01`).set(...bearer(org.owner));
    expectClearError(calls, 400, 'validation_failed');
    expect(calls.body.error.message).toContain('before');
    // The control: an ordinary date is fine.
    expect((await request(app).get(`/api/orgs/${org.id}/calls?before=2026-01-01`).set(...bearer(org.owner))).status).toBe(200);
  });
});

describe('bad tokens get 401 with a clear reason', () => {
  const sign = (claims: Record<string, unknown>, secret = JWT_SECRET, exp: number | string = '1h') =>
    new SignJWT({ role: 'authenticated', ...claims })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject((claims.sub as string) ?? org.owner.id)
      .setAudience((claims.aud as string) ?? 'authenticated')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(new TextEncoder().encode(secret));

  it.each([
    ['no header', null, /Sign in first/],
    ['not a bearer token', 'Basic dXNlcjpwYXNz', /Sign in first/],
    ['garbage', 'Bearer abc.def.ghi', /malformed/],
    ['an empty bearer', 'Bearer ', /Sign in first/],
  ])('%s', async (_label, header, message) => {
    const req = request(app).get('/api/orgs');
    if (header !== null) req.set('Authorization', header);
    const res = await req;
    expectClearError(res, 401, 'unauthorized');
    expect(res.body.error.message).toMatch(message);
  });

  it('expired', async () => {
    const token = await sign({}, JWT_SECRET, Math.floor(Date.now() / 1000) - 60);
    const res = await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`);
    expectClearError(res, 401);
    expect(res.body.error.message).toMatch(/expired/);
  });

  it('signed with another secret', async () => {
    const token = await sign({}, 'another-secret-'.padEnd(48, 'z'));
    const res = await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`);
    expectClearError(res, 401);
    expect(res.body.error.message).toMatch(/signature/);
  });

  it('unsigned (alg none) and a wrong audience or role', async () => {
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const payload = Buffer.from(JSON.stringify({ sub: org.owner.id, role: 'authenticated', aud: 'authenticated', exp: 9999999999 })).toString('base64url');
    expectClearError(await request(app).get('/api/orgs').set('Authorization', `Bearer ${header}.${payload}.`), 401);
    expectClearError(await request(app).get('/api/orgs').set('Authorization', `Bearer ${await sign({ aud: 'anon' })}`), 401);
    expectClearError(await request(app).get('/api/orgs').set('Authorization', `Bearer ${await sign({ role: 'service_role' })}`), 401);
    expectClearError(await request(app).get('/api/orgs').set('Authorization', `Bearer ${await sign({ sub: 'not-a-uuid' })}`), 401);
  });

  it('without an expiry (exp) or a subject (sub)', async () => {
    const unsigned = (claims: Record<string, unknown>) =>
      new SignJWT({ role: 'authenticated', aud: 'authenticated', ...claims }).setProtectedHeader({ alg: 'HS256' }).setIssuedAt().sign(new TextEncoder().encode(JWT_SECRET));
    const noExp = await request(app).get('/api/orgs').set('Authorization', `Bearer ${await unsigned({ sub: org.owner.id })}`);
    expectClearError(noExp, 401, 'unauthorized');
    expect(noExp.body.error.message).toMatch(/no "exp" claim/);
    const noSub = await request(app)
      .get('/api/orgs')
      .set('Authorization', `Bearer ${await unsigned({ exp: Math.floor(Date.now() / 1000) + 600 })}`);
    expectClearError(noSub, 401, 'unauthorized');
    expect(noSub.body.error.message).toMatch(/no "sub" claim/);
  });

  it('a valid token works (the control)', async () => {
    const token = await issueLocalAccessToken(JWT_SECRET, { sub: org.owner.id, email: org.owner.email });
    expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`)).status).toBe(200);
  });
});

describe('health', () => {
  it('healthz and readyz', async () => {
    expect((await request(app).get('/healthz')).body).toEqual({ status: 'ok' });
    expect((await request(app).get('/readyz')).body).toEqual({ status: 'ready', database: 'ok' });
  });

  it('sets security headers and a request id', async () => {
    const res = await request(app).get('/healthz').set('X-Request-Id', 'abc12345-trace');
    expect(res.headers['x-request-id']).toBe('abc12345-trace');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['strict-transport-security']).toBeDefined();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('gives Twilio webhooks exactly the security headers every other route gets', async () => {
    const security = (headers: Record<string, string>) =>
      Object.fromEntries(Object.entries(headers).filter(([name]) => !['date', 'content-type', 'content-length', 'etag', 'x-request-id', 'connection', 'keep-alive'].includes(name)));
    const health = await request(app).get('/healthz');
    const webhook = await request(app).post('/webhooks/twilio/voice').type('form').send({ CallSid: 'CA' + '0'.repeat(32), To: '+4930123456' });
    expect(webhook.status).toBe(403);
    expect(Object.keys(security(health.headers)).length).toBeGreaterThanOrEqual(10);
    expect(security(webhook.headers)).toEqual(security(health.headers));
  });
});
