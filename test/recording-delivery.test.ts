import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildTelephony } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { runProviderDeletions } from '../src/deletions/provider-deletions.js';
import { keyedHash } from '../src/lib/crypto.js';
import type { Telephony } from '../src/providers/telephony.js';
import { MAX_DELIVERY_ATTEMPTS, runRecordingDeliveries } from '../src/recording-storage/recording-delivery.js';
import { runRetentionPurge } from '../src/retention/retention-purge.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from './helpers/call-harness.js';
import { bearer, buildTestApp, createOrg, openIsolatedTestDb, testConfig, type TestOrg } from './helpers/harness.js';
import { S3_ACCESS_KEY_ID, S3_SECRET, startProxy, startS3, type TestS3 } from './helpers/s3.js';

/**
 * Recordings delivered to the organisation's own store: a real S3-compatible
 * server (s3rver) in this process, reached by the real AWS SDK through a small
 * proxy that can be taken down or made to corrupt an upload in transit; the
 * recording comes from the Twilio fake through the real Twilio client.
 */

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let s3: TestS3;
let proxy: Awaited<ReturnType<typeof startProxy>>;
let fake: TwilioFake;
let org: TestOrg;
let plainOrg: TestOrg;
let config: ReturnType<typeof testConfig>;
/** What the bucket held under a recording's key at the moment Twilio was asked to delete it. */
const atTwilioDelete = new Map<string, Buffer | null>();
let keyOfSid: (sid: string) => Promise<string>;

function build() {
  const real = buildTelephony(config);
  const telephony: Telephony = {
    ...real,
    async deleteRecording(sid) {
      const [row] = await db<{ id: string; org_id: string }[]>`select id, org_id from public.recordings where twilio_recording_sid = ${sid}`;
      if (row) atTwilioDelete.set(sid, await s3.object(await keyOfSid(sid)));
      return real.deleteRecording(sid);
    },
  };
  return buildTestApp(db, config, { telephony });
}

/** A call in progress at the fake and here, with a recording Twilio then completes. */
async function completedRecording(o: TestOrg, opts: { size?: number; from?: string } = {}) {
  const callSid = `CA${randomBytes(16).toString('hex')}`;
  fake.addCall(callSid, { status: 'in-progress' });
  const fromHash = opts.from ? keyedHash(config.blindIndexKey, 'phone', opts.from) : null;
  const [call] = await db<{ id: string }[]>`
    insert into public.calls (org_id, twilio_call_sid, status, consent_state, recording_allowed, from_number, from_hash)
    values (${o.id}, ${callSid}, 'completed', 'given', true, ${opts.from ?? null}, ${fromHash}) returning id`;
  const { recordingSid } = await buildTelephony(config).startRecording(callSid, 'https://voice.example.test/webhooks/twilio/recording');
  fake.completeRecording(recordingSid, 30);
  if (opts.size) fake.setRecordingMediaSize(recordingSid, opts.size);
  return { callId: call!.id, callSid, sid: recordingSid };
}

/** Twilio's completed-recording callback, as the webhook hands it to the call flow; runs what it starts. */
async function recordingCompleted(app: ReturnType<typeof build>, r: { callSid: string; sid: string }) {
  const after = await app.deps.callFlow.recording({ CallSid: r.callSid, RecordingSid: r.sid, RecordingStatus: 'completed', RecordingDuration: 30, RecordingChannels: 1 });
  if (after) await after();
}

const delivery = async (sid: string) =>
  (await db<{ status: string; attempts: number; last_error: string | null; next_attempt_at: Date }[]>`
    select d.status, d.attempts, d.last_error, d.next_attempt_at from app.recording_deliveries d
    join public.recordings r on r.id = d.recording_id where r.twilio_recording_sid = ${sid}`)[0];
const recording = async (sid: string) =>
  (await db<{ id: string; sha256: string | null; storage_bucket: string | null; storage_object_key: string | null; storage_etag: string | null; storage_delivered_at: Date | null }[]>`
    select id, sha256, storage_bucket, storage_object_key, storage_etag, storage_delivered_at from public.recordings where twilio_recording_sid = ${sid}`)[0]!;
const makeDue = (sid: string) => db`
  update app.recording_deliveries set next_attempt_at = now() - interval '1 second'
  where recording_id = (select id from public.recordings where twilio_recording_sid = ${sid})`;
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const twilioDeletes = (sid: string) => fake.requests.filter((r) => r.method === 'DELETE' && r.path.includes(sid));

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  s3 = await startS3();
  proxy = await startProxy(s3.url);
  fake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  config = testConfig({ TWILIO_ACCOUNT_SID: TWILIO_TEST_SID, TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN, TWILIO_API_BASE_URL: fake.url, OPS_EMAIL: 'ops@voice.example.test' });
  org = await createOrg(db, config);
  plainOrg = await createOrg(db, config);
  keyOfSid = async (sid) => `recordings/${(await recording(sid)).id}.wav`;
  const { app } = build();
  const saved = await request(app)
    .put(`/api/orgs/${org.id}/recording-storage`)
    .set(...bearer(org.owner))
    .send({ endpoint: proxy.url, region: 'eu-central-1', bucket: s3.bucket, prefix: 'recordings/', access_key_id: S3_ACCESS_KEY_ID, secret_access_key: S3_SECRET, force_path_style: true });
  expect(saved.status).toBe(200);
}, 120_000);
afterAll(async () => {
  await proxy?.close();
  await s3?.close();
  await fake?.close();
  await isolated?.close();
});
beforeEach(() => {
  proxy.state.down = false;
  proxy.state.corruptUploads = 0;
});

describe('recording delivery to the customer’s storage', () => {
  it('a completed recording arrives with the right SHA-256; only afterwards is Twilio’s copy deleted', async () => {
    const app = build();
    const r = await completedRecording(org);
    await recordingCompleted(app, r);

    const expected = fake.recordingMedia(r.sid);
    const row = await recording(r.sid);
    const key = `recordings/${row.id}.wav`;
    expect(row).toMatchObject({ sha256: sha256(expected), storage_bucket: s3.bucket, storage_object_key: key, storage_delivered_at: expect.any(Date) });
    expect(row.storage_etag).toEqual(expect.any(String));
    const stored = await s3.object(key);
    expect(stored?.equals(expected)).toBe(true);
    expect(await delivery(r.sid)).toMatchObject({ status: 'delivered', attempts: 1, last_error: null });

    // Twilio was asked to delete its copy once, after the object was in the bucket with the right bytes.
    expect(twilioDeletes(r.sid)).toHaveLength(1);
    expect(fake.deletedRecordings).toContain(r.sid);
    expect(sha256(atTwilioDelete.get(r.sid)!)).toBe(sha256(expected));
    const [receipt] = await db`select status, reason from public.provider_deletions where provider = 'twilio' and resource_id = ${r.sid}`;
    expect(receipt).toEqual({ status: 'done', reason: 'delivered_to_storage' });
    // The recording itself is not deleted: it lives in the customer's store now.
    expect((await db`select deleted_at from public.recordings where twilio_recording_sid = ${r.sid}`)[0]!.deleted_at).toBeNull();
    const [audit] = await db`select metadata from public.audit_logs where action = 'recording.delivered' and target_id = ${row.id}`;
    expect(audit!.metadata).toMatchObject({ sha256: sha256(expected), bytes: expected.length });

    // The download route now streams from the customer's bucket, with the same Repr-Digest.
    const res = await request(app.app)
      .get(`/api/orgs/${org.id}/calls/${r.callId}/recording`)
      .set(...bearer(org.member))
      .buffer(true)
      .parse((resp, cb) => {
        const chunks: Buffer[] = [];
        resp.on('data', (c: Buffer) => chunks.push(c));
        resp.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect((res.body as Buffer).equals(expected)).toBe(true);
    expect(res.headers['repr-digest']).toBe(`sha-256=:${Buffer.from(sha256(expected), 'hex').toString('base64')}:`);
    expect(res.headers['content-type']).toBe('audio/wav');

    // The call detail shows where it lives.
    const detail = await request(app.app).get(`/api/orgs/${org.id}/calls/${r.callId}`).set(...bearer(org.member));
    expect(detail.body.recordings[0]).toMatchObject({ storage_bucket: s3.bucket, storage_object_key: key, sha256: sha256(expected) });
  });

  it('with the store down Twilio’s copy is kept and the delivery retried with backoff, then completes', async () => {
    const app = build();
    const r = await completedRecording(org);
    proxy.state.down = true;
    await recordingCompleted(app, r);
    const first = (await delivery(r.sid))!;
    expect(first).toMatchObject({ status: 'pending', attempts: 1, last_error: 'upload' });
    expect(first.next_attempt_at.getTime()).toBeGreaterThan(Date.now() + 30_000);
    expect(twilioDeletes(r.sid)).toHaveLength(0);
    expect(fake.recordings.has(r.sid)).toBe(true);
    expect((await recording(r.sid)).storage_object_key).toBeNull();

    // Not due yet: a run leaves it alone.
    await runRecordingDeliveries(app.deps.jobs.recordingDeliveries);
    expect((await delivery(r.sid))!.attempts).toBe(1);

    // Still down when due: tried again, still kept at Twilio.
    await makeDue(r.sid);
    await runRecordingDeliveries(app.deps.jobs.recordingDeliveries);
    expect(await delivery(r.sid)).toMatchObject({ status: 'pending', attempts: 2, last_error: 'upload' });
    expect(twilioDeletes(r.sid)).toHaveLength(0);

    proxy.state.down = false;
    await makeDue(r.sid);
    await runRecordingDeliveries(app.deps.jobs.recordingDeliveries);
    expect(await delivery(r.sid)).toMatchObject({ status: 'delivered', attempts: 3, last_error: null });
    expect((await s3.object(await keyOfSid(r.sid)))?.equals(fake.recordingMedia(r.sid))).toBe(true);
    expect(twilioDeletes(r.sid)).toHaveLength(1);
    expect(atTwilioDelete.get(r.sid)?.equals(fake.recordingMedia(r.sid))).toBe(true);
  });

  it('an upload altered in transit fails its checksum: refused, retried, and Twilio’s copy kept until it matches', async () => {
    const app = build();
    const r = await completedRecording(org);
    proxy.state.corruptUploads = 1;
    await recordingCompleted(app, r);
    expect(await delivery(r.sid)).toMatchObject({ status: 'pending', attempts: 1, last_error: 'checksum' });
    expect((await recording(r.sid)).storage_object_key).toBeNull();
    expect(twilioDeletes(r.sid)).toHaveLength(0);

    await makeDue(r.sid);
    await runRecordingDeliveries(app.deps.jobs.recordingDeliveries);
    expect(await delivery(r.sid)).toMatchObject({ status: 'delivered', attempts: 2 });
    expect(sha256((await s3.object(await keyOfSid(r.sid)))!)).toBe(sha256(fake.recordingMedia(r.sid)));
    expect(twilioDeletes(r.sid)).toHaveLength(1);
  });

  it('after the last try the delivery is marked failed (audited) and Twilio’s copy still kept', async () => {
    const app = build();
    const r = await completedRecording(org);
    proxy.state.down = true;
    await recordingCompleted(app, r);
    await db`update app.recording_deliveries set attempts = ${MAX_DELIVERY_ATTEMPTS - 1}, next_attempt_at = now() - interval '1 second'
             where recording_id = (select id from public.recordings where twilio_recording_sid = ${r.sid})`;
    await runRecordingDeliveries(app.deps.jobs.recordingDeliveries);
    expect(await delivery(r.sid)).toMatchObject({ status: 'failed', attempts: MAX_DELIVERY_ATTEMPTS, last_error: 'upload' });
    expect(fake.recordings.has(r.sid)).toBe(true);
    const [audit] = await db`select metadata from public.audit_logs where action = 'recording.delivery_failed' and target_id = ${(await recording(r.sid)).id}`;
    expect(audit!.metadata).toEqual({ step: 'upload', attempts: MAX_DELIVERY_ATTEMPTS });
  });

  it('a failed delivery alerts ops and the DPO, fails the organisation’s trust check and shows in the metrics', async () => {
    const sent: { to: string; subject: string; text: string }[] = [];
    const app = buildTestApp(db, config, { mailer: { send: async (m) => void sent.push(m) } });
    await app.deps.alerts.evaluate();
    const mail = sent.find((m) => m.subject.includes("Recording deliveries to customers' storage marked failed"));
    expect(mail).toBeDefined();
    expect(mail!.to.split(', ').sort()).toEqual([config.dpoEmail, config.opsEmail].sort());
    expect(mail!.text).toContain('recording_uploads_failed');

    const trust = await request(app.app).get(`/api/orgs/${org.id}/trust`).set(...bearer(org.owner));
    const check = trust.body.checks.find((c: { id: string }) => c.id === 'recording_storage');
    expect(check).toMatchObject({ status: 'fail', evidence: { configured: true, failed: 1 } });
    // An organisation without its own storage has no such check.
    const plain = await request(app.app).get(`/api/orgs/${plainOrg.id}/trust`).set(...bearer(plainOrg.owner));
    expect(plain.body.checks.map((c: { id: string }) => c.id)).not.toContain('recording_storage');

    const metrics = await request(app.app).get('/metrics');
    expect(metrics.text).toMatch(/voice_gdpr_queue_depth\{queue="recording_deliveries_failed"\} 1\b/);
  });

  it('without storage configured nothing changes: no delivery, Twilio’s copy kept', async () => {
    const app = build();
    const r = await completedRecording(plainOrg);
    await recordingCompleted(app, r);
    expect(await delivery(r.sid)).toBeUndefined();
    expect(twilioDeletes(r.sid)).toHaveLength(0);
    expect((await recording(r.sid)).sha256).toBe(sha256(fake.recordingMedia(r.sid)));
  });

  it('erasure deletes the object in the customer’s bucket, with a receipt', async () => {
    const app = build();
    const phone = `+49151${randomBytes(4).readUInt32BE() % 90_000_000 + 10_000_000}`;
    const r = await completedRecording(org, { from: phone });
    await recordingCompleted(app, r);
    const key = await keyOfSid(r.sid);
    expect(await s3.object(key)).not.toBeNull();

    const filed = await request(app.app).post(`/api/orgs/${org.id}/erasure-requests`).set(...bearer(org.owner)).send({ phone });
    expect(filed.status, JSON.stringify(filed.body)).toBe(202);
    // The erasure works the queue itself in the background; the job may run alongside.
    const deadline = Date.now() + 30_000;
    for (;;) {
      await runProviderDeletions(app.deps.jobs);
      const [row] = await db`select status from public.provider_deletions where provider = 'customer_storage' and resource_id = ${key}`;
      if (row?.status === 'done' || Date.now() > deadline) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(await s3.object(key)).toBeNull();
    const [receipt] = await db`select status, reason, provider_status, erasure_request_id from public.provider_deletions where provider = 'customer_storage' and resource_id = ${key}`;
    expect(receipt).toMatchObject({ status: 'done', reason: 'erasure', provider_status: 200, erasure_request_id: filed.body.id });
  });

  it('retention deletes the object too; with our access removed it is recorded and told as erasure.partial', async () => {
    const app = build();
    const kept = await completedRecording(org);
    await recordingCompleted(app, kept);
    const keptKey = await keyOfSid(kept.sid);
    const lost = await completedRecording(org);
    await recordingCompleted(app, lost);
    const lostKey = await keyOfSid(lost.sid);

    // The purge runs after the window: the first object goes, with a receipt.
    const [{ retention_days: days }] = (await db`select retention_days from public.privacy_preferences where org_id = ${org.id}`) as unknown as [{ retention_days: number }];
    const expire = (sid: string) => db`update public.recordings set created_at = now() - make_interval(days => ${days + 2}) where twilio_recording_sid = ${sid}`;
    await expire(kept.sid);
    await runRetentionPurge(app.deps.jobs);
    expect(await s3.object(keptKey)).toBeNull();
    const [receipt] = await db`select status, reason from public.provider_deletions where provider = 'customer_storage' and resource_id = ${keptKey}`;
    expect(receipt).toEqual({ status: 'done', reason: 'retention' });

    // The organisation removes our access; an endpoint listens for erasure.partial.
    const hook = await request(app.app).post(`/api/orgs/${org.id}/webhooks`).set(...bearer(org.owner)).send({ url: 'http://127.0.0.1:9/hook', events: ['erasure.partial'] });
    expect(hook.status).toBe(201);
    expect((await request(app.app).delete(`/api/orgs/${org.id}/recording-storage`).set(...bearer(org.owner))).status).toBe(204);
    await expire(lost.sid);
    await runRetentionPurge(app.deps.jobs);
    expect(await s3.object(lostKey)).not.toBeNull();
    const [refused] = await db`select status, provider_status, last_error from public.provider_deletions where provider = 'customer_storage' and resource_id = ${lostKey}`;
    expect(refused).toMatchObject({ status: 'failed', provider_status: 403 });
    const [event] = await db`select event_type, payload from public.webhook_deliveries where org_id = ${org.id} and event_type = 'erasure.partial'`;
    expect(event!.payload).toMatchObject({ type: 'erasure.partial', data: { provider: 'customer_storage', resource_id: lostKey, reason: 'retention', provider_status: 403 } });
  });
});
