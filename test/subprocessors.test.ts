import postgres from 'postgres';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { createMailer } from '../src/lib/mailer.js';
import { createSubprocessorsService } from '../src/subprocessors/subprocessors-service.js';
import { bearer, buildTestApp, createOrg, createUser, openIsolatedTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let smtp: TestSmtp;
let config: ReturnType<typeof testConfig>;
let app: ReturnType<typeof buildTestApp>['app'];
let operator: TestUser;

beforeAll(async () => {
  // Its own database: the notice job writes to every organisation there, and the
  // shared one holds every other file's organisations (thousands in a full run).
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app } = buildTestApp(db, config));
  operator = await createUser(db, config, { operator: true });
});
afterAll(async () => {
  await smtp.close();
  await isolated.close();
});

const inDays = (d: number) => new Date(Date.now() + d * 86_400_000).toISOString();
const announce = (name: string, days: number) =>
  request(app)
    .post('/api/admin/subprocessors')
    .set(...bearer(operator))
    .send({ name, purpose: 'Call analytics', data_categories: ['call metadata'], region: 'EU (Frankfurt)', role: 'processor', safeguards: 'DPA, EU hosting', effective_at: inDays(days) });

describe('sub-processors', () => {
  it('the public list shows the live ones (seeded, EU regions) as a page and as JSON', async () => {
    const json = await request(app).get('/subprocessors.json');
    expect(json.status).toBe(200);
    expect(json.body.live.map((s: { name: string }) => s.name)).toEqual(expect.arrayContaining(['Supabase', 'Twilio Ireland Limited', 'ElevenLabs', 'E-mail delivery provider (SMTP)']));
    for (const s of json.body.live) expect(s.region).toMatch(/^EU/);
    expect((await request(app).get('/subprocessors').set('Accept', 'application/json')).body.version).toBe(json.body.version);
    const html = await request(app).get('/subprocessors');
    expect(html.type).toBe('text/html');
    expect(html.text).toContain('<h1>Sub-processors</h1>');
    expect(html.text).toContain('ElevenLabs');
  });

  it('an announcement with less than 30 days notice is refused; operators only', async () => {
    const res = await announce(`Short notice ${Date.now()}`, 29);
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('notice_too_short');
    const user = await createUser(db, config);
    expect((await request(app).post('/api/admin/subprocessors').set(...bearer(user)).send({})).status).toBe(403);
  });

  it('each owner and admin of each organisation gets exactly one e-mail per announcement, across repeated runs and two replicas; failures are retried', async () => {
    const orgs: TestOrg[] = [await createOrg(db, config), await createOrg(db, config)];
    const name = `Analytics GmbH ${Date.now()}`;
    const res = await announce(name, 31);
    expect(res.status).toBe(201);
    expect(res.body.status).toBe('announced');

    // Two replicas: separate connection pools, each with its own service, running at once, several times.
    const replicaDb = postgres(isolated.url, { max: inject('embedded') ? 1 : 3, onnotice: () => {} });
    const mailer = createMailer({ mail: { smtpUrl: smtp.url, from: 'privacy@voice.example.test' }, dataDir: config.dataDir });
    const replicas = [db, replicaDb].map((sql) =>
      createSubprocessorsService({ serviceDb: sql, userDb: createUserDb(sql), mailer, publicBaseUrl: config.publicBaseUrl }),
    );
    try {
      smtp.failNext(1);
      for (let run = 0; run < 3; run += 1) await Promise.all(replicas.map((r) => r.sendNotices()));
    } finally {
      await replicaDb.end();
    }
    for (const org of orgs) {
      for (const person of [org.owner, org.admin]) {
        const mails = smtp.messages.filter((m) => m.to.includes(person.email) && m.subject.includes(name));
        expect(mails, person.email).toHaveLength(1);
      }
      expect(smtp.messages.filter((m) => m.to.includes(org.member.email) && m.subject.includes(name))).toHaveLength(0);
    }
    const [sp] = await db`select id from public.subprocessors where name = ${name}`;
    const notices = await db`select status from public.subprocessor_notices where subprocessor_id = ${sp!.id} and org_id = any(${orgs.map((o) => o.id)}::uuid[])`;
    expect(notices).toHaveLength(4);
    expect(notices.every((n) => n.status === 'sent')).toBe(true);
  }, 180_000);

  it('an owner can object during the notice period; it is recorded, shown to operators, and the sub-processor does not apply to that organisation', async () => {
    const org = await createOrg(db, config);
    const name = `Transcription Co ${Date.now()}`;
    const { body: sp } = await announce(name, 45);
    const svc = createSubprocessorsService({ serviceDb: db, userDb: createUserDb(db), mailer: createMailer({ mail: { smtpUrl: smtp.url, from: 'p@example.test' }, dataDir: config.dataDir }), publicBaseUrl: config.publicBaseUrl });
    await svc.sendNotices();
    expect((await request(app).post(`/api/orgs/${org.id}/subprocessors/${sp.id}/objection`).set(...bearer(org.admin)).send({ reason: 'Not in our DPA' })).status).toBe(403);
    const objected = await request(app).post(`/api/orgs/${org.id}/subprocessors/${sp.id}/objection`).set(...bearer(org.owner)).send({ reason: 'Not covered by our contract' });
    expect(objected.status).toBe(201);
    const admin = await request(app).get('/api/admin/subprocessors').set(...bearer(operator));
    const listed = admin.body.subprocessors.find((s: { id: string }) => s.id === sp.id);
    expect(listed.objections).toEqual([expect.objectContaining({ org_id: org.id, reason: 'Not covered by our contract' })]);

    // The date comes: live for everyone else, not for the objecting organisation until resolved.
    await db`update public.subprocessors set announced_at = now() - interval '46 days', effective_at = now() - interval '1 minute' where id = ${sp.id}`;
    await svc.sendNotices();
    const forOrg = await request(app).get(`/api/orgs/${org.id}/subprocessors`).set(...bearer(org.member));
    const entry = forOrg.body.subprocessors.find((s: { id: string }) => s.id === sp.id);
    expect(entry).toMatchObject({ status: 'live', applies_to_organization: false, objection_open: true });
    expect((await request(app).post(`/api/admin/subprocessors/${sp.id}/objections/${org.id}/resolve`).set(...bearer(operator))).status).toBe(204);
    const after = await request(app).get(`/api/orgs/${org.id}/subprocessors`).set(...bearer(org.member));
    expect(after.body.subprocessors.find((s: { id: string }) => s.id === sp.id)).toMatchObject({ applies_to_organization: true });
    // After the notice period, objections are no longer taken.
    expect((await request(app).post(`/api/orgs/${org.id}/subprocessors/${sp.id}/objection`).set(...bearer(org.owner)).send({ reason: 'too late now' })).status).toBe(422);
  });
});
