import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import {
  createAgentLine,
  elevenLabsSignature,
  newCallSid,
  postCallBody,
  startCallWorld,
  twilioPost,
  waitFor,
  type AgentLine,
  type CallWorld,
} from './helpers/call-harness.js';
import { bearer, createUser, openIsolatedTestDb } from './helpers/harness.js';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
let line: AgentLine;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  world = await startCallWorld(db);
  line = await createAgentLine(db, world, { dtmfConsent: true });
});
afterAll(async () => {
  await world.close();
  await isolated.close();
});

/** A recorded call with its recording and transcript, as Twilio and ElevenLabs would leave it. */
async function recordedCall() {
  const sid = newCallSid();
  const from = '+4930246813579';
  await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: from, To: line.number, FromCountry: 'DE' });
  await twilioPost(world, '/webhooks/twilio/consent?attempt=1', { CallSid: sid, Digits: '1' });
  const rec = await waitFor(() => [...world.twilioFake.recordings.values()].find((r) => r.callSid === sid), 'recording');
  world.twilioFake.completeRecording(rec.sid, 30);
  await twilioPost(world, '/webhooks/twilio/recording', { CallSid: sid, RecordingSid: rec.sid, RecordingStatus: 'completed', RecordingDuration: '30' });
  const [call] = await db`select id from public.calls where twilio_call_sid = ${sid}`;
  const conversationId = `conv_${sid.slice(2, 20)}`;
  world.elFake.addConversation(conversationId, line.externalAgentId);
  const body = postCallBody(call!.id as string, conversationId);
  await request(world.app)
    .post('/webhooks/elevenlabs/post-call')
    .set('content-type', 'application/json')
    .set('ElevenLabs-Signature', elevenLabsSignature(world.config.elevenlabs.webhookSecret, body))
    .send(body);
  await waitFor(async () => (await db`select sha256 from public.recordings where twilio_recording_sid = ${rec.sid}`)[0]?.sha256, 'fingerprint');
  return { callId: call!.id as string, sid, from, recordingSid: rec.sid, conversationId };
}

describe('calls API', () => {
  it('lists calls with masked numbers, and opening one shows transcript, recording hash and proof of consent (audited)', async () => {
    const c = await recordedCall();
    const list = await request(world.app).get(`/api/orgs/${line.org.id}/calls`).set(...bearer(line.org.member));
    expect(list.status).toBe(200);
    const listed = list.body.calls.find((x: { id: string }) => x.id === c.callId);
    expect(listed.caller).toBe('+49•••79');
    expect(JSON.stringify(list.body)).not.toContain(c.from);

    const detail = await request(world.app).get(`/api/orgs/${line.org.id}/calls/${c.callId}`).set(...bearer(line.org.member));
    expect(detail.status).toBe(200);
    expect(detail.body).toMatchObject({ id: c.callId, from_number: c.from, consent_state: 'given', recording_allowed: true });
    expect(detail.body.transcript.turns).toHaveLength(2);
    expect(detail.body.recordings[0]).toMatchObject({ twilio_recording_sid: c.recordingSid, status: 'completed', sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(detail.body.consents).toEqual([expect.objectContaining({ digit: '1', outcome: 'given', attempt: 1 })]);
    const [audit] = await db`select actor_id, metadata from public.audit_logs where org_id = ${line.org.id} and action = 'call.read' and target_id = ${c.callId}`;
    expect(audit).toMatchObject({ actor_id: line.org.member.id, metadata: { transcript: true, recordings: 1 } });
  });

  it('a non-member gets 404, a member cannot delete', async () => {
    const c = await recordedCall();
    const outsider = await createUser(db, world.config);
    expect((await request(world.app).get(`/api/orgs/${line.org.id}/calls/${c.callId}`).set(...bearer(outsider))).status).toBe(404);
    expect((await request(world.app).get(`/api/orgs/${line.org.id}/calls`).set(...bearer(outsider))).status).toBe(404);
    expect((await request(world.app).delete(`/api/orgs/${line.org.id}/calls/${c.callId}`).set(...bearer(line.org.member))).status).toBe(403);
    expect(await db`select 1 from public.calls where id = ${c.callId}`).toHaveLength(1);
  });

  it('deleting a call removes it here and at Twilio and ElevenLabs', async () => {
    const c = await recordedCall();
    const res = await request(world.app).delete(`/api/orgs/${line.org.id}/calls/${c.callId}`).set(...bearer(line.org.admin));
    expect(res.status).toBe(204);
    for (const table of ['calls', 'transcripts', 'recordings', 'leads']) {
      const col = table === 'calls' ? 'id' : 'call_id';
      expect(await db`select 1 from ${db(`public.${table}`)} where ${db(col)} = ${c.callId}`, table).toHaveLength(0);
    }
    await waitFor(() => world.twilioFake.deletedRecordings.includes(c.recordingSid), 'recording deletion');
    await waitFor(() => world.elFake.deletedConversations.includes(c.conversationId), 'conversation deletion');
    // The receipt is written just after the provider answers.
    const receipts = await waitFor(async () => {
      const rows = await db`select provider, status, reason from public.provider_deletions where org_id = ${line.org.id} and reason = 'call_deleted' and resource_id in (${c.recordingSid}, ${c.conversationId}) order by provider`;
      return rows.every((r) => r.status === 'done') && rows.length === 2 ? rows : undefined;
    }, 'deletion receipts');
    expect(receipts).toEqual([
      { provider: 'elevenlabs', status: 'done', reason: 'call_deleted' },
      { provider: 'twilio', status: 'done', reason: 'call_deleted' },
    ]);
    const [audit] = await db`select action from public.audit_logs where org_id = ${line.org.id} and target_id = ${c.callId} and action = 'call.deleted'`;
    expect(audit).toBeDefined();
  });

  it('a call, recording or agent deleted past the backend (Supabase Data API, under RLS) is still deleted at the providers', async () => {
    const c = await recordedCall();
    const other = await recordedCall();
    const userDb = createUserDb(db);
    const asAdmin = { sub: line.org.admin.id, role: 'authenticated' as const };
    // Straight SQL as the admin, as PostgREST would run it: no backend code queues anything.
    const gone = await userDb.run(asAdmin, async (tx) => (await tx`delete from public.calls where id = ${c.callId}`).count);
    expect(gone).toBe(1);
    const rec = await userDb.run(asAdmin, async (tx) => (await tx`delete from public.recordings where twilio_recording_sid = ${other.recordingSid}`).count);
    expect(rec).toBe(1);
    const queued = await db`
      select provider, resource_id, reason from public.provider_deletions
      where resource_id in (${c.recordingSid}, ${c.conversationId}, ${other.recordingSid}, ${other.conversationId}) order by provider, resource_id`;
    expect(queued).toEqual(
      [
        { provider: 'elevenlabs', resource_id: c.conversationId, reason: 'call_deleted' },
        { provider: 'twilio', resource_id: c.recordingSid, reason: 'call_deleted' },
        { provider: 'twilio', resource_id: other.recordingSid, reason: 'call_deleted' },
      ].sort((x, y) => (x.provider + x.resource_id).localeCompare(y.provider + y.resource_id)),
    );
    // An agent deleted the same way is queued for deletion at ElevenLabs.
    const spare = await createAgentLine(db, world, { dtmfConsent: true });
    const asSpareOwner = { sub: spare.org.owner.id, role: 'authenticated' as const };
    const agentGone = await userDb.run(asSpareOwner, async (tx) => (await tx`delete from public.agents where id = ${spare.agentId}`).count);
    expect(agentGone).toBe(1);
    const [agentQueued] = await db`select provider, resource_type, reason from public.provider_deletions where resource_id = ${spare.externalAgentId}`;
    expect(agentQueued).toEqual({ provider: 'elevenlabs', resource_type: 'agent', reason: 'agent_deleted' });
    // The queue itself stays closed to users.
    await expect(
      userDb.run(asAdmin, async (tx) => tx`insert into public.provider_deletions (provider, resource_type, resource_id, reason) values ('twilio', 'recording', 'RE0', 'call_deleted')`),
    ).rejects.toThrow(/permission denied/);
    // The provider-deletions job carries them out at both fakes.
    await buildAppDeps(world.config, db).erasure.workProviders();
    expect(world.twilioFake.deletedRecordings).toEqual(expect.arrayContaining([c.recordingSid, other.recordingSid]));
    expect(world.elFake.deletedConversations).toContain(c.conversationId);
    expect(world.elFake.deletedAgents).toContain(spare.externalAgentId);
  });
});
