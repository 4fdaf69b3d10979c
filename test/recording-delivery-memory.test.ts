import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTelephony } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { runRecordingDeliveries } from '../src/recording-storage/recording-delivery.js';
import { generatedMedia, startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from './helpers/call-harness.js';
import { bearer, buildTestApp, createOrg, openIsolatedTestDb, testConfig } from './helpers/harness.js';
import { S3_ACCESS_KEY_ID, S3_SECRET, startS3, type TestS3 } from './helpers/s3.js';

/**
 * A 50 MB recording is delivered streamed: spooled to a temporary file while
 * hashed, uploaded from the file, confirmed by reading it back hashed. The
 * process's heap (sampled every few milliseconds through the whole delivery,
 * high-water mark against the level just before) grows by less than 20 MB;
 * so does the memory held in ArrayBuffers (where Node keeps Buffer contents).
 */

const SIZE = 50 * 1024 * 1024;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let s3: TestS3;
let fake: TwilioFake;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  s3 = await startS3();
  fake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
}, 120_000);
afterAll(async () => {
  await s3?.close();
  await fake?.close();
  await isolated?.close();
});

describe('a large recording', () => {
  it('a 50 MB recording uploads with the heap growing by less than 20 MB', { timeout: 300_000 }, async () => {
    const config = testConfig({ TWILIO_ACCOUNT_SID: TWILIO_TEST_SID, TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN, TWILIO_API_BASE_URL: fake.url });
    const org = await createOrg(db, config);
    const { app, deps } = buildTestApp(db, config);
    const saved = await request(app)
      .put(`/api/orgs/${org.id}/recording-storage`)
      .set(...bearer(org.owner))
      .send({ endpoint: s3.url, region: 'eu-central-1', bucket: s3.bucket, prefix: '', access_key_id: S3_ACCESS_KEY_ID, secret_access_key: S3_SECRET, force_path_style: true });
    expect(saved.status).toBe(200);

    const callSid = `CA${randomBytes(16).toString('hex')}`;
    fake.addCall(callSid, { status: 'in-progress' });
    const [call] = await db<{ id: string }[]>`
      insert into public.calls (org_id, twilio_call_sid, status, consent_state, recording_allowed)
      values (${org.id}, ${callSid}, 'completed', 'given', true) returning id`;
    const { recordingSid } = await buildTelephony(config).startRecording(callSid, 'https://voice.example.test/webhooks/twilio/recording');
    fake.completeRecording(recordingSid, 3000);
    fake.setRecordingMediaSize(recordingSid, SIZE);
    await db`
      insert into public.recordings (org_id, call_id, twilio_recording_sid, status, duration_seconds, channels)
      values (${org.id}, ${call!.id}, ${recordingSid}, 'completed', 3000, 1)`;
    const [rec] = await db<{ id: string }[]>`select id from public.recordings where twilio_recording_sid = ${recordingSid}`;
    await db`insert into app.recording_deliveries (org_id, recording_id) values (${org.id}, ${rec!.id})`;

    const expectedHash = createHash('sha256');
    for await (const chunk of generatedMedia(recordingSid, SIZE)) expectedHash.update(chunk as Buffer);
    const expected = expectedHash.digest('hex');

    const gc = (globalThis as { gc?: () => void }).gc;
    gc?.();
    const before = process.memoryUsage();
    let peakHeap = before.heapUsed;
    let peakBuffers = before.arrayBuffers;
    const sampler = setInterval(() => {
      const m = process.memoryUsage();
      peakHeap = Math.max(peakHeap, m.heapUsed);
      peakBuffers = Math.max(peakBuffers, m.arrayBuffers);
    }, 5);
    let counts;
    try {
      counts = await runRecordingDeliveries(deps.jobs.recordingDeliveries, { recordingId: rec!.id });
    } finally {
      clearInterval(sampler);
    }
    expect(counts).toMatchObject({ delivered: 1 });
    const growth = { heap: peakHeap - before.heapUsed, buffers: peakBuffers - before.arrayBuffers };
    expect(growth.heap, `heap grew by ${(growth.heap / 1048576).toFixed(1)} MB`).toBeLessThan(20 * 1024 * 1024);
    expect(growth.buffers, `ArrayBuffers grew by ${(growth.buffers / 1048576).toFixed(1)} MB`).toBeLessThan(20 * 1024 * 1024);

    const [row] = await db`select sha256, storage_object_key from public.recordings where id = ${rec!.id}`;
    expect(row).toEqual({ sha256: expected, storage_object_key: `${rec!.id}.wav` });
    // What arrived is the whole recording (hashed as it is read back, streamed).
    const { GetObjectCommand } = await import('@aws-sdk/client-s3');
    const got = await s3.client.send(new GetObjectCommand({ Bucket: s3.bucket, Key: `${rec!.id}.wav` }));
    expect(got.ContentLength).toBe(SIZE);
    const stored = createHash('sha256');
    for await (const chunk of got.Body as AsyncIterable<Uint8Array>) stored.update(chunk);
    expect(stored.digest('hex')).toBe(expected);
    expect(fake.deletedRecordings).toContain(recordingSid);
  });
});
