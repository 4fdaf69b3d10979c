import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { ConfigError, featuresOff, loadConfig } from '../src/config/env.js';
import { storageKeysProblem } from '../src/recording-storage/recording-storage-service.js';
import { decryptStorageSecret, encryptStorageSecret } from '../src/recording-storage/storage-crypto.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';
import { S3_ACCESS_KEY_ID, S3_SECRET, startS3, type TestS3 } from './helpers/s3.js';

let db: ServiceDb;
let s3: TestS3;
let org: TestOrg;
const config = testConfig();

const body = (over: Record<string, unknown> = {}) => ({
  endpoint: s3.url,
  region: 'eu-central-1',
  bucket: s3.bucket,
  prefix: 'calls/',
  access_key_id: S3_ACCESS_KEY_ID,
  secret_access_key: S3_SECRET,
  force_path_style: true,
  ...over,
});

beforeAll(async () => {
  db = openTestDb();
  s3 = await startS3();
  org = await createOrg(db, config);
});
afterAll(async () => {
  await s3.close();
  await db.end();
});

describe('recording storage configuration', () => {
  it('is generated a keyring in local mode, and the secret is bound to its organisation', () => {
    expect(config.features.recordingStorage.on).toBe(true);
    expect(config.storageKeys.has(config.storageKeyId)).toBe(true);
    const sealed = encryptStorageSecret(config.storageKeys, config.storageKeyId, org.id, 'top-secret-value');
    expect(sealed.ciphertext).not.toContain('top-secret');
    expect(decryptStorageSecret(config.storageKeys, org.id, sealed.ciphertext)).toBe('top-secret-value');
    expect(() => decryptStorageSecret(config.storageKeys, '00000000-0000-4000-8000-000000000000', sealed.ciphertext)).toThrow(/authentication_failed/);
  });

  it('owners and admins save it after a probe (write, read, delete); the secret is never returned; every change is audited', async () => {
    const { app } = buildTestApp(db, config);
    const res = await request(app).put(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.admin)).send(body());
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ endpoint: s3.url, bucket: s3.bucket, prefix: 'calls/', access_key_id: S3_ACCESS_KEY_ID, secret_access_key_set: true });
    expect(JSON.stringify(res.body)).not.toContain(S3_SECRET.slice(1));
    expect(res.body).not.toHaveProperty('secret_access_key');
    // The probe object went again.
    expect(await s3.keys()).toEqual([]);

    const read = await request(app).get(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.member));
    expect(read.status).toBe(200);
    expect(read.body.secret_access_key_set).toBe(true);
    expect(Object.keys(read.body)).not.toContain('secret_ciphertext');

    // Members read only.
    const byMember = await request(app).put(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.member)).send(body());
    expect(byMember.status).toBe(403);

    // A change without the secret keeps the stored one (and is checked with it).
    const kept = await request(app).put(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.owner)).send(body({ secret_access_key: undefined, prefix: '' }));
    expect(kept.status).toBe(200);
    expect(kept.body.prefix).toBe('');

    const [row] = await db`select secret_ciphertext, key_id from app.recording_storage where org_id = ${org.id}`;
    expect(row!.secret_ciphertext).not.toContain(S3_SECRET);
    expect(decryptStorageSecret(config.storageKeys, org.id, row!.secret_ciphertext as string)).toBe(S3_SECRET);

    const audits = await db`select action, actor_id, metadata from public.audit_logs where org_id = ${org.id} and action like 'recording_storage.%' order by created_at`;
    expect(audits.map((a) => a.action)).toEqual(['recording_storage.updated', 'recording_storage.updated']);
    expect(JSON.stringify(audits)).not.toContain(S3_SECRET);
  });

  it('wrong credentials, a missing bucket or a refused endpoint give 422 naming the step, and save nothing', async () => {
    const other = await createOrg(db, config);
    const { app } = buildTestApp(db, config);
    const wrongKey = await request(app).put(`/api/orgs/${other.id}/recording-storage`).set(...bearer(other.owner)).send(body({ access_key_id: 'NOT-A-KEY' }));
    expect(wrongKey.status).toBe(422);
    expect(wrongKey.body.error).toMatchObject({ code: 'storage_check_failed', details: { step: 'write' } });
    // Never what the store answered.
    expect(JSON.stringify(wrongKey.body)).not.toMatch(/InvalidAccessKeyId|does not exist in our records/);

    const noBucket = await request(app).put(`/api/orgs/${other.id}/recording-storage`).set(...bearer(other.owner)).send(body({ bucket: 'no-such-bucket' }));
    expect(noBucket.status).toBe(422);
    expect(noBucket.body.error.details).toEqual({ step: 'write' });

    // Production rules: https on a public address only, checked before any connection.
    const strict = buildTestApp(db, testConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'false' })).app;
    const loopback = await request(strict).put(`/api/orgs/${other.id}/recording-storage`).set(...bearer(other.owner)).send(body());
    expect(loopback.status).toBe(422);
    expect(loopback.body.error.details).toEqual({ step: 'endpoint' });
    const internal = await request(strict).put(`/api/orgs/${other.id}/recording-storage`).set(...bearer(other.owner)).send(body({ endpoint: 'https://10.0.0.7' }));
    expect(internal.body.error.details).toEqual({ step: 'endpoint' });

    expect(await db`select 1 from app.recording_storage where org_id = ${other.id}`).toHaveLength(0);
    expect((await request(app).get(`/api/orgs/${other.id}/recording-storage`).set(...bearer(other.owner))).status).toBe(404);
  });

  it('the secret is unreadable as a signed-in user through SQL (column grants), even for the owner', async () => {
    const userDb = createUserDb(db);
    const claims = { sub: org.owner.id, role: 'authenticated' as const };
    const visible = await userDb.run(claims, (tx) => tx`select org_id, bucket from app.recording_storage where org_id = ${org.id}`);
    expect(visible).toHaveLength(1);
    await expect(userDb.run(claims, (tx) => tx`select secret_ciphertext from app.recording_storage`)).rejects.toMatchObject({ code: '42501' });
    await expect(userDb.run(claims, (tx) => tx`select * from app.recording_storage`)).rejects.toMatchObject({ code: '42501' });
    // Nor does another organisation's owner see the row at all.
    const stranger = await createOrg(db, config);
    const none = await userDb.run({ sub: stranger.owner.id, role: 'authenticated' }, (tx) => tx`select org_id from app.recording_storage where org_id = ${org.id}`);
    expect(none).toHaveLength(0);
    // Nor can anon use the schema at all.
    await expect(db.begin(async (tx) => {
      await tx`select set_config('role', 'anon', true)`;
      return tx`select org_id from app.recording_storage`;
    })).rejects.toMatchObject({ code: '42501' });
  });

  it('production without STORAGE_KEYS lists the feature as off; a bad keyring is refused', () => {
    const production = {
      NODE_ENV: 'production',
      DATABASE_URL: 'postgres://x@localhost/x',
      PUBLIC_BASE_URL: 'https://voice.example.test',
      SUPABASE_URL: 'https://project.supabase.co',
      SUPABASE_SERVICE_ROLE_KEY: 'service-role',
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'test-twilio-auth-token-0123456789',
      ELEVENLABS_API_KEY: 'el',
      ELEVENLABS_WEBHOOK_SECRET: 'wsec_test_0123456789abcdef',
      SMTP_URL: 'smtp://localhost:25',
      MAIL_FROM: 'privacy@voice.example.test',
      DPO_EMAIL: 'dpo@voice.example.test',
      TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      TRANSCRIPT_KEY_ID: 'k1',
      FORGET_ME_SECRET: 'forget-me-secret-'.padEnd(40, 'f'),
      BLIND_INDEX_KEY: 'blind-index-key-'.padEnd(40, 'b'),
    };
    const off = loadConfig(production);
    expect(off.features.recordingStorage).toEqual({ on: false, reason: expect.stringContaining('STORAGE_KEYS is not set') });
    expect(featuresOff(off).map((f) => f.feature)).toContain('recordingStorage');
    const on = loadConfig({ ...production, STORAGE_KEYS: `s1:${Buffer.alloc(32, 4).toString('base64')},s0:${Buffer.alloc(32, 5).toString('base64')}`, STORAGE_KEY_ID: 's0' });
    expect(on.features.recordingStorage).toEqual({ on: true });
    expect(on.storageKeyId).toBe('s0');
    expect(() => loadConfig({ ...production, STORAGE_KEYS: 's1:short' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...production, STORAGE_KEYS: `s1:${Buffer.alloc(32, 4).toString('base64')}`, STORAGE_KEY_ID: 'nope' })).toThrow(/STORAGE_KEY_ID/);
  });

  it('with storage configured somewhere, a server without STORAGE_KEYS names the problem (it refuses to start)', async () => {
    const off = { on: false, reason: 'STORAGE_KEYS is not set' };
    await db`insert into app.recording_storage (org_id, endpoint, region, bucket, access_key_id, secret_ciphertext, key_id)
             values (${org.id}, 'https://s3.example.com', 'eu-central-1', 'some-bucket', 'AKIA', ${encryptStorageSecret(config.storageKeys, config.storageKeyId, org.id, 'x').ciphertext}, ${config.storageKeyId})
             on conflict (org_id) do nothing`;
    expect(await storageKeysProblem(db, off)).toMatch(/^STORAGE_KEYS: required/);
    expect(await storageKeysProblem(db, { on: true })).toBeNull();
  });

  it('is visibly off without STORAGE_KEYS: 503 feature_unavailable', async () => {
    const off = { ...config, features: { ...config.features, recordingStorage: { on: false, reason: 'STORAGE_KEYS is not set' } } };
    const { app } = buildTestApp(db, off);
    const res = await request(app).put(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.owner)).send(body());
    expect(res.status).toBe(503);
    expect(res.body.error.code).toBe('feature_unavailable');
  });

  it('owners and admins remove it (audited); members cannot', async () => {
    const { app } = buildTestApp(db, config);
    expect((await request(app).delete(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.member))).status).toBe(403);
    expect((await request(app).delete(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.admin))).status).toBe(204);
    expect((await request(app).get(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.owner))).status).toBe(404);
    const [audit] = await db`select action from public.audit_logs where org_id = ${org.id} and action = 'recording_storage.deleted'`;
    expect(audit).toBeDefined();
  });
});
