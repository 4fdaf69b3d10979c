import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { seedCall } from './helpers/dashboard-fixtures.js';
import { buildTestApp, createOrg, openTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';
import { S3_ACCESS_KEY_ID, S3_SECRET, startS3, type TestS3 } from './helpers/s3.js';

const ORIGIN = 'https://voice.example.test';
const config = testConfig();

let db: ServiceDb;
let s3: TestS3;
let app: ReturnType<typeof buildTestApp>['app'];
let org: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  s3 = await startS3();
  ({ app } = buildTestApp(db, config));
  org = await createOrg(db, config);
});
afterAll(async () => {
  await s3.close();
  await db.end();
});

const path = () => `/app/orgs/${org.id}/recording-storage`;

async function openForm(user: TestUser): Promise<{ token: string; cookie: string; html: string }> {
  const cookie = `session=${user.token}`;
  const res = await request(app).get(path()).set('Cookie', cookie);
  expect(res.status).toBe(200);
  const token = /name="_csrf" value="([^"]+)"/.exec(res.text)![1]!;
  const csrf = ([] as string[])
    .concat(res.headers['set-cookie'] ?? [])
    .map((c) => c.split(';')[0]!)
    .find((c) => c.startsWith('csrf='))!;
  return { token, cookie: `${cookie}; ${csrf}`, html: res.text };
}

const post = (form: { token: string; cookie: string }, body: Record<string, string>, to = path()) =>
  request(app).post(to).set('Cookie', form.cookie).set('Origin', ORIGIN).type('form').send({ _csrf: form.token, ...body });

const fields = () => ({ endpoint: s3.url, region: 'eu-central-1', bucket: s3.bucket, prefix: 'rec/', access_key_id: S3_ACCESS_KEY_ID, force_path_style: 'true' });

describe('dashboard recording storage page', () => {
  it('an owner saves the storage through the form (probe, audit); the page never shows the secret, only that one is set', async () => {
    const form = await openForm(org.owner);
    expect(form.html).toContain('id="storage-not-configured"');
    expect(form.html).not.toContain('<fieldset disabled');

    // A failed check: the form again, with the step, what was typed, and never the secret.
    const bad = await post(form, { ...fields(), access_key_id: 'WRONG-KEY', secret_access_key: S3_SECRET });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('failed at step “write”');
    expect(bad.text).toContain('value="WRONG-KEY"');
    expect(bad.text).not.toContain(S3_SECRET);

    const missingSecret = await post(form, fields());
    expect(missingSecret.status).toBe(422);

    const ok = await post(form, { ...fields(), secret_access_key: S3_SECRET });
    expect(ok.status).toBe(303);
    expect(ok.headers.location).toBe(`${path()}?saved=1`);
    const page = await request(app).get(`${path()}?saved=1`).set('Cookie', form.cookie);
    expect(page.text).toContain('a test object was written, read back and deleted');
    expect(page.text).toContain(`value="${s3.bucket}"`);
    expect(page.text).toContain('A secret access key is stored (encrypted)');
    expect(page.text).not.toContain(S3_SECRET);
    expect(await db`select 1 from public.audit_logs where org_id = ${org.id} and action = 'recording_storage.updated'`).toHaveLength(1);

    const de = await request(app).get(path()).set('Cookie', `${form.cookie}; lang=de`);
    expect(de.text).toContain('Aufnahmespeicher');
  });

  it('members see the settings read-only, and cannot save', async () => {
    const form = await openForm(org.member);
    expect(form.html).toContain('<fieldset disabled');
    expect(form.html).toContain('Only owners and admins can change where recordings are delivered');
    expect(form.html).not.toContain(S3_SECRET);
    const res = await post(form, { ...fields(), secret_access_key: S3_SECRET });
    expect(res.status).toBe(403);
  });

  it('the call detail shows where a recording lives and its SHA-256', async () => {
    const callId = await seedCall(db, org, '+4930123456', 'completed', 'given');
    const cookie = `session=${org.member.token}`;
    const atTwilio = await request(app).get(`/app/orgs/${org.id}/calls/${callId}`).set('Cookie', cookie);
    expect(atTwilio.text).toContain('stored at Twilio');
    expect(atTwilio.text).toContain('cd'.repeat(32));
    await db`update public.recordings set storage_bucket = ${s3.bucket}, storage_object_key = 'rec/x.wav', storage_delivered_at = now() where call_id = ${callId}`;
    const inStore = await request(app).get(`/app/orgs/${org.id}/calls/${callId}`).set('Cookie', cookie);
    expect(inStore.text).toContain(`in your storage: s3://${s3.bucket}/rec/x.wav`);
  });

  it('owners remove it through the form', async () => {
    const form = await openForm(org.admin);
    const res = await post(form, {}, `${path()}/delete`);
    expect(res.status).toBe(303);
    expect(await db`select 1 from app.recording_storage where org_id = ${org.id}`).toHaveLength(0);
  });
});
