import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { createIncidentsService, hoursLeft } from '../src/incidents/incidents-service.js';
import { createMailer } from '../src/lib/mailer.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestUser } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let db: ServiceDb;
let smtp: TestSmtp;
let config: ReturnType<typeof testConfig>;
let app: ReturnType<typeof buildTestApp>['app'];
let operator: TestUser;

beforeAll(async () => {
  db = openTestDb();
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app } = buildTestApp(db, config));
  operator = await createUser(db, config, { operator: true });
});
afterAll(async () => {
  await smtp.close();
  await db.end();
});

const complete = {
  nature: 'Unauthorised access to call transcripts through a leaked API key',
  data_categories: ['transcripts', 'phone numbers'],
  approx_subjects: 120,
  approx_records: 340,
  contact_point: 'dpo@voice.example.test',
  likely_consequences: 'Disclosure of conversation contents',
  measures: 'Key revoked, access logs reviewed, affected customers informed',
  art34_required: false,
  art34_exemption: 'Art. 34(3)(a): the transcripts were encrypted and the key was not exposed',
};

describe('incident paging on the 72-hour clock', () => {
  it('pages every run until notified, with hours left right across the 72-hour mark; an SMTP failure is retried and not counted', async () => {
    const detected = new Date('2026-11-20T10:00:00Z');
    let clock = new Date('2026-11-20T10:30:00Z');
    const mailer = createMailer({ mail: { smtpUrl: smtp.url, from: 'privacy@voice.example.test' }, dataDir: config.dataDir });
    const service = createIncidentsService({ serviceDb: db, mailer, dpoEmail: `dpo-${Date.now()}@voice.example.test`, publicBaseUrl: config.publicBaseUrl, now: () => clock });
    const org = await createOrg(db, config);
    const incident = await service.create({ type: 'operator', id: operator.id }, { title: `Leaked key ${Date.now()}`, severity: 'high', detected_at: detected, affected_org_ids: [org.id], description: 'A key was found in a public repository.' });
    const pagesTo = () => smtp.messages.filter((m) => m.subject.includes(incident.title as string));

    // Every 30 minutes from 0.5 h to 74 h after detection, a few runs checked.
    const checks: [number, string][] = [
      [0.5, '71.5 hours left'],
      [71.5, '0.5 hours left'],
      [72.5, '0.5 hours LATE'],
      [74, '2.0 hours LATE'],
    ];
    let expected = 0;
    for (const [h, phrase] of checks) {
      clock = new Date(detected.getTime() + h * 3_600_000);
      const result = await service.page();
      expected += 1;
      expect(result.paged).toBeGreaterThanOrEqual(1);
      await smtp.waitFor(() => pagesTo().length === expected);
      const last = pagesTo().at(-1)!;
      expect(last.text).toContain(phrase);
      expect(last.text).toContain(org.id);
      expect(last.text).toContain(`/api/admin/incidents/${incident.id}/notified`);
      expect(hoursLeft(detected, clock)).toBeCloseTo(72 - h, 5);
    }

    // SMTP refuses: recorded as failed, not counted as a page; retried next run.
    smtp.failNext(10);
    clock = new Date(detected.getTime() + 74.5 * 3_600_000);
    const failedRun = await service.page();
    expect(failedRun.failed).toBeGreaterThanOrEqual(1);
    const [lastPaged] = await db`select last_paged_at from public.security_incidents where id = ${incident.id}`;
    expect(new Date(lastPaged!.last_paged_at).getTime()).toBe(detected.getTime() + 74 * 3_600_000);
    const failedPages = await db`select result from public.incident_pages where incident_id = ${incident.id} and result = 'failed'`;
    expect(failedPages).toHaveLength(1);
    smtp.failNext(0);
    await service.page();
    expect(pagesTo()).toHaveLength(expected + 1);

    // Marking notified: needs the Art. 33(3) contents, and past 72 hours a reason for the delay.
    await expect(service.markNotified({ type: 'operator', id: operator.id }, incident.id as string, { authority_reference: 'BfDI-2026-1' })).rejects.toMatchObject({ code: 'notification_incomplete' });
    await service.update({ type: 'operator', id: operator.id }, incident.id as string, complete);
    await expect(service.markNotified({ type: 'operator', id: operator.id }, incident.id as string, { authority_reference: 'BfDI-2026-1' })).rejects.toMatchObject({ code: 'delay_reason_required' });
    await service.markNotified({ type: 'operator', id: operator.id }, incident.id as string, { authority_reference: 'BfDI-2026-1', delay_reason: 'Scope unclear until the log review finished.' });

    const before = pagesTo().length;
    for (let i = 0; i < 3; i += 1) {
      clock = new Date(clock.getTime() + 30 * 60_000);
      await service.page();
    }
    expect(pagesTo()).toHaveLength(before);
    const full = await service.get(incident.id as string);
    expect(full.history.map((h: { kind: string }) => h.kind)).toEqual(['created', 'updated', 'notified']);
  });
  it('the subject, the body and the API say the same time left, rounded once (1 h 59 min is 1.9 everywhere)', async () => {
    const detected = new Date('2026-11-21T08:00:00Z');
    let clock = new Date(detected.getTime() + (70 * 60 + 1) * 60_000);
    const mailer = createMailer({ mail: { smtpUrl: smtp.url, from: 'privacy@voice.example.test' }, dataDir: config.dataDir });
    const service = createIncidentsService({ serviceDb: db, mailer, dpoEmail: `dpo-clock-${Date.now()}@voice.example.test`, publicBaseUrl: config.publicBaseUrl, now: () => clock });
    const incident = await service.create({ type: 'operator', id: operator.id }, { title: `Clock ${Date.now()}`, severity: 'low', detected_at: detected, description: 'Clock check.' });
    const pagesTo = () => smtp.messages.filter((m) => m.subject.includes(incident.title as string));

    const cases: [number, string, string, number][] = [
      [(70 * 60 + 1) * 60_000, '[1.9h left]', '1.9 hours left of the 72 hours', 1.9],
      [(71 * 60 + 54) * 60_000, '[0.1h left]', '0.1 hours left of the 72 hours', 0.1],
      [72 * 3_600_000 + 60_000, '[0.1h LATE]', '0.1 hours LATE', -0.1],
    ];
    for (const [sinceDetection, subject, body, apiHours] of cases) {
      clock = new Date(detected.getTime() + sinceDetection);
      const before = pagesTo().length;
      await service.page();
      await smtp.waitFor(() => pagesTo().length === before + 1);
      const mail = pagesTo().at(-1)!;
      expect(mail.subject.startsWith(subject), mail.subject).toBe(true);
      expect(mail.text).toContain(`Clock: ${body}`);
      expect((await service.get(incident.id as string)).hours_left).toBe(apiHours);
    }
    await service.update({ type: 'operator', id: operator.id }, incident.id as string, complete);
    await service.markNotified({ type: 'operator', id: operator.id }, incident.id as string, { authority_reference: 'BfDI-clock', delay_reason: 'Test of the clock.' });
  });
});

describe('incident API', () => {
  it('operators only; created, updated and marked notified through the API, audited; the register keeps every incident', async () => {
    const user = await createUser(db, config);
    expect((await request(app).get('/api/admin/incidents').set(...bearer(user))).status).toBe(403);
    const created = await request(app)
      .post('/api/admin/incidents')
      .set(...bearer(operator))
      .send({ title: 'Misdirected e-mail', severity: 'low', detected_at: new Date().toISOString() });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    expect(created.body.hours_left).toBeGreaterThan(71);
    const early = await request(app).post(`/api/admin/incidents/${id}/notified`).set(...bearer(operator)).send({ authority_reference: 'X-1' });
    expect(early.status).toBe(422);
    expect(early.body.error.message).toContain('contact_point');
    expect((await request(app).patch(`/api/admin/incidents/${id}`).set(...bearer(operator)).send(complete)).status).toBe(200);
    const done = await request(app).post(`/api/admin/incidents/${id}/notified`).set(...bearer(operator)).send({ authority_reference: 'X-1' });
    expect(done.status).toBe(200);
    expect(done.body.notified_at).toBeTruthy();
    const list = await request(app).get('/api/admin/incidents').set(...bearer(operator));
    expect(list.body.incidents.some((i: { id: string }) => i.id === id)).toBe(true);
    await db`delete from public.security_incidents where id = ${id}`;
    expect(await db`select 1 from public.security_incidents where id = ${id}`).toHaveLength(1);
    const audits = await db`select action from public.audit_logs where target_id = ${id} order by chain_index`;
    expect(audits.map((a) => a.action)).toEqual(['incident.created', 'incident.updated', 'incident.notified']);
    expect((await request(app).post('/api/admin/incidents').set(...bearer(operator)).send({ title: 'x', severity: 'apocalyptic' })).status).toBe(400);
  });
});
