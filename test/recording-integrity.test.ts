import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runRecordingFingerprints } from '../src/calls/recording-integrity.js';
import type { ServiceDb } from '../src/db/database.js';
import { ProviderError } from '../src/providers/agent-platform.js';
import { createLocalTelephony, localRecordingWav, type Telephony } from '../src/providers/telephony.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

let db: ServiceDb;
let org: TestOrg;
const config = testConfig();

/**
 * The telephony provider with an outage: the first `failures` downloads of `sid` fail with a
 * 503. Other recordings (other tests' rows in the shared database) are never served, so the
 * job leaves their fingerprints alone.
 */
function flakyTelephony(failures: number, sid?: string): Telephony & { downloads: number } {
  const local = createLocalTelephony();
  const t = {
    ...local,
    downloads: 0,
    async fetchRecordingMedia(requested: string) {
      if (sid && requested !== sid) throw new ProviderError('twilio', 'recording download failed (503)', 503);
      t.downloads += 1;
      if (t.downloads <= failures) throw new ProviderError('twilio', 'recording download failed (503)', 503);
      return local.fetchRecordingMedia(requested);
    },
    async streamRecordingMedia(requested: string) {
      const audio = await t.fetchRecordingMedia(requested);
      return { body: Readable.from([audio]), length: audio.length };
    },
  };
  return t;
}

async function completedRecording(): Promise<{ callId: string; recordingId: string; sid: string }> {
  const [call] = await db<{ id: string }[]>`
    insert into public.calls (org_id, twilio_call_sid, status, consent_state, recording_allowed)
    values (${org.id}, ${`CA${randomBytes(16).toString('hex')}`}, 'completed', 'given', true) returning id`;
  const sid = `RE${randomBytes(16).toString('hex')}`;
  const [rec] = await db<{ id: string }[]>`
    insert into public.recordings (org_id, call_id, twilio_recording_sid, status, duration_seconds, channels)
    values (${org.id}, ${call!.id}, ${sid}, 'completed', 12, 2) returning id`;
  return { callId: call!.id, recordingId: rec!.id, sid };
}

beforeAll(async () => {
  db = openTestDb();
  org = await createOrg(db, config);
});
afterAll(async () => {
  await db.end();
});

describe('recording integrity', () => {
  it('the job retries a failed fingerprint with backoff until the recording has its SHA-256', async () => {
    const { sid } = await completedRecording();
    const telephony = flakyTelephony(2, sid);
    let now = new Date();
    const deps = { serviceDb: db, telephony, now: () => now };
    const state = async () => (await db<{ sha256: string | null; fingerprint_attempts: number; fingerprint_next_attempt_at: Date | null }[]>`
      select sha256, fingerprint_attempts, fingerprint_next_attempt_at from public.recordings where twilio_recording_sid = ${sid}`)[0]!;

    // Other tests' recordings may be due too: look at this one only.
    await runRecordingFingerprints(deps);
    expect(await state()).toMatchObject({ sha256: null, fingerprint_attempts: 1 });
    const firstRetry = (await state()).fingerprint_next_attempt_at!;
    expect(firstRetry.getTime()).toBe(now.getTime() + 60_000);

    // Not due yet: not tried again.
    const downloads = telephony.downloads;
    await runRecordingFingerprints(deps);
    expect((await state()).fingerprint_attempts).toBe(1);
    expect(telephony.downloads).toBe(downloads);

    now = new Date(firstRetry.getTime() + 1);
    await runRecordingFingerprints(deps);
    expect((await state()).fingerprint_attempts).toBe(2);
    expect((await state()).fingerprint_next_attempt_at!.getTime()).toBe(now.getTime() + 2 * 60_000);

    now = new Date(now.getTime() + 2 * 60_000 + 1);
    const counts = await runRecordingFingerprints(deps);
    expect(counts.fingerprinted).toBeGreaterThanOrEqual(1);
    expect((await state()).sha256).toBe(createHash('sha256').update(localRecordingWav(sid)).digest('hex'));
  });

  it('members download the audio with Repr-Digest (RFC 9530); audited as recording.downloaded with ids only; others get 404', async () => {
    const { app } = buildTestApp(db, config, { telephony: createLocalTelephony() });
    const { callId, recordingId, sid } = await completedRecording();
    const res = await request(app)
      .get(`/api/orgs/${org.id}/calls/${callId}/recording`)
      .set(...bearer(org.member))
      .buffer(true)
      .parse((r, cb) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => cb(null, Buffer.concat(chunks)));
      });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('audio/wav');
    const body = res.body as Buffer;
    expect(body.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(body.equals(localRecordingWav(sid))).toBe(true);
    const digest = createHash('sha256').update(body).digest('base64');
    expect(res.headers['repr-digest']).toBe(`sha-256=:${digest}:`);

    // The download stored the SHA-256 it was served with.
    const [row] = await db`select sha256 from public.recordings where id = ${recordingId}`;
    expect(Buffer.from(row!.sha256 as string, 'hex').toString('base64')).toBe(digest);

    const audits = await db`select action, actor_id, target_type, target_id, metadata from public.audit_logs where target_id = ${recordingId}`;
    expect(audits).toEqual([
      { action: 'recording.downloaded', actor_id: org.member.id, target_type: 'recording', target_id: recordingId, metadata: { call_id: callId, matches_stored_sha256: true } },
    ]);

    const stranger = await createUser(db, config);
    expect((await request(app).get(`/api/orgs/${org.id}/calls/${callId}/recording`).set(...bearer(stranger))).status).toBe(404);
    const other = await createOrg(db, config);
    expect((await request(app).get(`/api/orgs/${other.id}/calls/${callId}/recording`).set(...bearer(other.owner))).status).toBe(404);
    expect((await request(app).get(`/api/orgs/${org.id}/calls/${callId}/recording`)).status).toBe(401);

    // The provider is down: 502, nothing audited.
    const down = buildTestApp(db, config, { telephony: flakyTelephony(1) }).app;
    const second = await completedRecording();
    const failed = await request(down).get(`/api/orgs/${org.id}/calls/${second.callId}/recording`).set(...bearer(org.owner));
    expect(failed.status).toBe(502);
    expect(failed.body.error.code).toBe('provider_unavailable');
    expect(await db`select 1 from public.audit_logs where target_id = ${second.recordingId}`).toHaveLength(0);
  });
});
