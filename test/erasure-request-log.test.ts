import { randomBytes, randomInt } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { queueDepths } from '../src/metrics/metrics-repo.js';
import { bearer, buildTestApp, createOrg, openIsolatedTestDb, testConfig, type TestOrg } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

/**
 * The request log: each erasure request records which identity check it passed
 * (an e-mailed link, an SMS code, or the organisation that filed it), when it
 * was verified, and its deadline, one month from verification: the month does
 * not run while the requester's identity is unproven (Art. 12(3), 12(6)).
 */
const DAY = 86_400_000;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let smtp: TestSmtp;
let config: ReturnType<typeof testConfig>;
let app: ReturnType<typeof buildTestApp>['app'];
let deps: ReturnType<typeof buildTestApp>['deps'];
let org: TestOrg;

interface LogRow {
  status: string;
  received_at: Date;
  identity_check: string | null;
  verified_at: Date | null;
  due_at: Date | null;
}
async function logOf(id: string): Promise<LogRow> {
  const [row] = await db<LogRow[]>`select status, received_at, identity_check, verified_at, due_at from public.erasure_requests where id = ${id}`;
  return row!;
}
/** One calendar month after `d` (as PostgreSQL's interval '1 month' counts it). */
async function monthAfter(d: Date): Promise<number> {
  const [row] = await db<{ t: Date }[]>`select ${d}::timestamptz + interval '1 month' as t`;
  return row!.t.getTime();
}

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url });
  ({ app, deps } = buildTestApp(db, config));
  org = await createOrg(db, config);
}, 120_000);
afterAll(async () => {
  await smtp.close();
  await isolated.close();
});

describe('the identity check and the deadline of each request', () => {
  it('a request by e-mail address passes `email_link` when its link is used; its month runs from then, not from submission', async () => {
    const email = `log-${randomBytes(4).toString('hex')}@example.test`;
    await deps.forgetMe.request({ subject: { type: 'email', value: email }, contactEmail: null, lang: 'en' });
    const mail = await smtp.waitFor((m) => m.to.includes(email), 20_000);
    const token = /token=([^&\s]+)/.exec(mail.text)![1]!;
    const [filed] = await db<{ id: string }[]>`select id from public.erasure_requests where subject_hash = ${keyedHash(config.blindIndexKey, 'email', email)}`;
    // Unverified: no check passed, no deadline running.
    expect(await logOf(filed!.id)).toMatchObject({ status: 'pending_confirmation', identity_check: null, verified_at: null, due_at: null });
    // The requester takes ten days to confirm.
    await db`update public.erasure_requests set received_at = received_at - interval '10 days' where id = ${filed!.id}`;

    await deps.forgetMe.confirmLink(token);
    const log = await logOf(filed!.id);
    expect(log.identity_check).toBe('email_link');
    expect(log.verified_at).not.toBeNull();
    expect(log.verified_at!.getTime() - log.received_at.getTime()).toBeGreaterThan(9 * DAY);
    expect(log.due_at!.getTime()).toBe(await monthAfter(log.verified_at!));
  });

  it('a request by phone number passes `sms_code`', async () => {
    const phone = `+4930${randomInt(100_000_000, 999_999_999)}`;
    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'phone', value: phone }, contactEmail: null });
    expect(filed.due_at).toBeNull();
    const confirmed = await deps.erasure.confirmPublicRequest(filed.id);
    expect(confirmed.identity_check).toBe('sms_code');
    const log = await logOf(filed.id);
    expect(log).toMatchObject({ identity_check: 'sms_code' });
    expect(log.due_at!.getTime()).toBe(await monthAfter(log.verified_at!));
  });

  it('a request the organisation files is verified by the organisation as it is filed, and the API shows the log', async () => {
    const res = await request(app).post(`/api/orgs/${org.id}/erasure-requests`).set(...bearer(org.admin)).send({ email: 'someone@example.test' });
    expect(res.status).toBe(202);
    const log = await logOf(res.body.id);
    expect(log.identity_check).toBe('organization');
    expect(log.due_at!.getTime()).toBe(await monthAfter(log.verified_at!));

    const listed = await request(app).get(`/api/orgs/${org.id}/erasure-requests`).set(...bearer(org.owner));
    expect(listed.status).toBe(200);
    const item = listed.body.erasure_requests.find((r: { id: string }) => r.id === res.body.id);
    expect(item).toMatchObject({ identity_check: 'organization', verified_at: log.verified_at!.toISOString(), due_at: log.due_at!.toISOString() });
  });

  it('an unverified request cannot be extended (no deadline runs yet): 409', async () => {
    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'email', value: 'never-confirmed@example.test' }, contactEmail: 'never-confirmed@example.test' });
    await expect(deps.erasure.extend(filed.id, 1, 'We need more time for this one.')).rejects.toMatchObject({ status: 409 });
  });

  it('the overdue count (metrics, trust, alerts) reads the deadline from verification: an unverified request is never overdue', async () => {
    const before = await queueDepths(db, new Date());
    await db`
      insert into public.erasure_requests (source, subject_type, subject_hash, status, received_at, due_at)
      values ('public', 'email', ${randomBytes(32)}, 'pending_confirmation', now() - interval '40 days', null)`;
    const pending = await queueDepths(db, new Date());
    expect(pending.erasure_requests_overdue).toBe(before.erasure_requests_overdue);
    expect(pending.erasure_requests_open).toBe(before.erasure_requests_open + 1);
    // Verified 35 days ago: overdue.
    await db`
      insert into public.erasure_requests (source, subject_type, subject_hash, status, received_at, confirmed_at, verified_at, identity_check, due_at)
      values ('public', 'email', ${randomBytes(32)}, 'confirmed', now() - interval '45 days', now() - interval '35 days',
              now() - interval '35 days', 'email_link', now() - interval '35 days' + interval '1 month')`;
    expect((await queueDepths(db, new Date())).erasure_requests_overdue).toBe(before.erasure_requests_overdue + 1);
  });

  it('the database keeps the log consistent: a check without its time, or a verified request without a deadline, is refused', async () => {
    await expect(db`
      insert into public.erasure_requests (source, subject_type, status, identity_check, due_at)
      values ('public', 'email', 'confirmed', 'email_link', now())`).rejects.toThrow(/erasure_requests_verified_check/);
    await expect(db`
      insert into public.erasure_requests (source, subject_type, status, identity_check, verified_at, due_at)
      values ('public', 'email', 'confirmed', 'email_link', now(), null)`).rejects.toThrow(/erasure_requests_due_check/);
    await expect(db`
      insert into public.erasure_requests (source, subject_type, status, identity_check, verified_at, due_at)
      values ('public', 'email', 'confirmed', 'passport', now(), now())`).rejects.toThrow(/check/);
  });
});

describe('the erasure requests page shows the log', () => {
  it('which identity check each request passed, when it was verified, and that the deadline runs from then', async () => {
    const res = await request(app).get(`/app/orgs/${org.id}/erasure-requests`).set('Cookie', `session=${org.owner.token}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('Identity check passed');
    expect(res.text).toContain('filed by the organisation');
    expect(res.text).toContain('The one-month deadline runs from verification.');
    const pl = await request(app).get(`/app/orgs/${org.id}/erasure-requests`).set('Cookie', `session=${org.owner.token}; lang=pl`);
    expect(pl.status).toBe(200);
  });
});
