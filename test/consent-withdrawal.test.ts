import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SUPPORTED_LANGUAGES } from '../src/agents/disclaimer-catalogue.js';
import { WITHDRAWAL_MESSAGE_LANGUAGES, WITHDRAWAL_PROMPT, withdrawalMessage } from '../src/calls/withdrawal-messages.js';
import { buildAgentPlatform, buildTelephony } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { runProviderDeletions } from '../src/deletions/provider-deletions.js';
import { STOP_RECORDING_PATH, STOP_RECORDING_PROMPT, STOP_RECORDING_SECRET_HEADER, stopRecordingSecret } from '../src/providers/stop-recording-tool.js';
import type { FakeRecording } from './fakes/twilio-fake.js';
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
import { openIsolatedTestDb } from './helpers/harness.js';
import { createHash } from 'node:crypto';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
let line: AgentLine;
let lineDe: AgentLine;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  world = await startCallWorld(db);
  line = await createAgentLine(db, world, { dtmfConsent: true });
  lineDe = await createAgentLine(db, world, { dtmfConsent: true, language: 'de' });
});
afterAll(async () => {
  await world.close();
  await isolated.close();
});

const EN = 'Understood. The recording has been stopped and deleted; nothing more of this call is recorded.';
const secretFor = (agentId: string) => stopRecordingSecret(world.config.elevenlabs.webhookSecret, agentId);
const workerDeps = () => ({ serviceDb: db, telephony: buildTelephony(world.config), agentPlatform: buildAgentPlatform(world.config) });

function tool(body: unknown, secret?: string) {
  const req = request(world.app).post(STOP_RECORDING_PATH).set('content-type', 'application/json');
  if (secret !== undefined) req.set(STOP_RECORDING_SECRET_HEADER, secret);
  return req.send(typeof body === 'string' ? body : JSON.stringify(body));
}

/** A German caller who pressed 1, connected to the agent, with the recording running at Twilio. */
async function recordedCall(l: AgentLine) {
  const sid = newCallSid();
  await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: '+4930123450001', To: l.number, FromCountry: 'DE', CallStatus: 'ringing' });
  const res = await twilioPost(world, '/webhooks/twilio/consent?attempt=1', { CallSid: sid, Digits: '1' });
  expect(res.text).toContain('<Connect><Stream');
  const rec = await waitFor(() => [...world.twilioFake.recordings.values()].find((r) => r.callSid === sid), 'the recording to start');
  await waitFor(async () => (await db`select 1 from public.recordings where twilio_recording_sid = ${rec.sid}`).length === 1, 'the recording row');
  const [call] = await db<{ id: string }[]>`select id from public.calls where twilio_call_sid = ${sid}`;
  const conv = [...world.elFake.conversations.values()].find((c) => c.conversation_initiation_client_data?.dynamic_variables?.call_id === call!.id);
  expect(conv).toBeDefined();
  return { sid, callId: call!.id, rec, conversationId: conv.conversation_id as string };
}

const proofsFor = (sid: string) =>
  db`select outcome, digit, attempt, prompt_language, prompt_version, prompt_hash, country from public.call_consents where twilio_call_sid = ${sid} order by attempt`;

describe('the sentence the agent says', () => {
  it('exists for every language of the disclaimer catalogue, and follows the agent language', () => {
    expect([...WITHDRAWAL_MESSAGE_LANGUAGES].sort()).toEqual([...SUPPORTED_LANGUAGES].sort());
    expect(new Set(WITHDRAWAL_MESSAGE_LANGUAGES.map((l) => withdrawalMessage(l))).size).toBe(WITHDRAWAL_MESSAGE_LANGUAGES.length);
    expect(withdrawalMessage('en')).toBe(EN);
    expect(withdrawalMessage('de-AT')).toBe(withdrawalMessage('de'));
    expect(withdrawalMessage('pt-BR')).not.toBe(withdrawalMessage('pt'));
    expect(WITHDRAWAL_PROMPT.hash).toBe(createHash('sha256').update(STOP_RECORDING_PROMPT).digest('hex'));
  });
});

describe('POST /webhooks/elevenlabs/tools/stop-recording', () => {
  it('stops the recording within 2 s, deletes it and the conversation, keeps proof, and no transcript or lead is stored later', async () => {
    const { sid, callId, rec, conversationId } = await recordedCall(line);
    const live: FakeRecording = rec; // the fake's object: still readable after its deletion
    expect(live.status).toBe('in-progress');

    const t0 = Date.now();
    const res = await tool({ call_id: callId, conversation_id: conversationId }, secretFor(line.agentId));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'recording_stopped', message: EN });

    // Twilio moves a stopped recording on to 'completed' once processed: the stop time is what counts.
    const stoppedAt = await waitFor(() => live.stoppedAt, 'the recording to stop', 2000);
    expect(stoppedAt.getTime() - t0).toBeLessThan(2000);
    await waitFor(() => world.twilioFake.deletedRecordings.includes(live.sid), 'the recording to be deleted');
    await waitFor(() => world.elFake.deletedConversations.includes(conversationId), 'the conversation to be deleted');
    // Stopped before deleted, through the call's recording resource.
    const calls = world.twilioFake.requests.filter((r) => r.path.includes(live.sid) && r.method !== 'GET');
    expect(calls.map((r) => `${r.method} ${r.body.Status ?? ''}`.trim())).toEqual(['POST stopped', 'DELETE']);
    expect(calls[0]!.path).toContain(`/Calls/${sid}/Recordings/${live.sid}.json`);

    const [call] = await db`select consent_state, recording_allowed, elevenlabs_conversation_id from public.calls where id = ${callId}`;
    expect(call).toEqual({ consent_state: 'withdrawn', recording_allowed: false, elevenlabs_conversation_id: conversationId });
    const proofs = await proofsFor(sid);
    expect(proofs.map((p) => p.outcome)).toEqual(['given', 'withdrawn']);
    expect(proofs[1]).toEqual({
      outcome: 'withdrawn',
      digit: null,
      attempt: 2,
      prompt_language: 'en',
      prompt_version: WITHDRAWAL_PROMPT.version,
      prompt_hash: WITHDRAWAL_PROMPT.hash,
      country: 'DE',
    });
    const [recRow] = await db`select deleted_at is not null as deleted from public.recordings where twilio_recording_sid = ${live.sid}`;
    expect(recRow).toEqual({ deleted: true });
    const receipts = await waitFor(async () => {
      const rows = await db`select provider, resource_type, resource_id, reason, status from public.provider_deletions
                            where resource_id in (${live.sid}, ${conversationId}) order by provider`;
      return rows.every((r) => r.status === 'done') && rows.length === 2 ? rows : undefined;
    }, 'both deletion receipts');
    expect(receipts).toEqual([
      { provider: 'elevenlabs', resource_type: 'conversation', resource_id: conversationId, reason: 'consent_withdrawn', status: 'done' },
      { provider: 'twilio', resource_type: 'recording', resource_id: live.sid, reason: 'consent_withdrawn', status: 'done' },
    ]);
    const audit = await db`select actor_type, target_type, target_id, metadata from public.audit_logs where action = 'call.consent_withdrawn' and target_id = ${callId}`;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_type: 'provider', target_type: 'call', target_id: callId });
    expect(audit[0]!.metadata).toMatchObject({ recordings: 1, conversations: 1, previous_consent_state: 'given' });
    expect(JSON.stringify(audit[0]!.metadata)).not.toContain('+4930');

    // A later recording callback does not bring the recording back.
    await twilioPost(world, '/webhooks/twilio/recording', { CallSid: sid, RecordingSid: live.sid, RecordingStatus: 'completed', RecordingDuration: '5' });
    const [after] = await db`select deleted_at is not null as deleted from public.recordings where twilio_recording_sid = ${live.sid}`;
    expect(after).toEqual({ deleted: true });

    // The call goes on and ends; ElevenLabs then holds the conversation again and sends its transcript.
    await twilioPost(world, '/webhooks/twilio/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '60' });
    world.elFake.addConversation(conversationId, line.externalAgentId);
    const body = postCallBody(callId, conversationId);
    const post = await request(world.app)
      .post('/webhooks/elevenlabs/post-call')
      .set('content-type', 'application/json')
      .set('ElevenLabs-Signature', elevenLabsSignature(world.config.elevenlabs.webhookSecret, body))
      .send(body);
    expect(post.body).toEqual({ status: 'discarded_no_consent', call_id: callId });
    expect(await db`select 1 from public.transcripts where call_id = ${callId}`).toHaveLength(0);
    expect(await db`select 1 from public.leads where call_id = ${callId}`).toHaveLength(0);
    await waitFor(() => world.elFake.deletedConversations.filter((c) => c === conversationId).length === 2, 'the conversation to be deleted again');
  });

  it('is idempotent: a second tool call gets the same answer and writes nothing new', async () => {
    const { sid, callId, conversationId } = await recordedCall(line);
    const first = await tool({ call_id: callId, conversation_id: conversationId }, secretFor(line.agentId));
    const second = await tool({ call_id: callId, conversation_id: conversationId }, secretFor(line.agentId));
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body);
    expect((await proofsFor(sid)).filter((p) => p.outcome === 'withdrawn')).toHaveLength(1);
    expect(await db`select 1 from public.audit_logs where action = 'call.consent_withdrawn' and target_id = ${callId}`).toHaveLength(1);
  });

  it('answers in the agent language', async () => {
    const { callId, conversationId } = await recordedCall(lineDe);
    const res = await tool({ call_id: callId, conversation_id: conversationId }, secretFor(lineDe.agentId));
    expect(res.status).toBe(200);
    expect(res.body.message).toBe('Verstanden. Die Aufzeichnung wurde beendet und gelöscht; von diesem Gespräch wird nichts mehr aufgezeichnet.');
    const [proof] = await db`select prompt_language from public.call_consents where call_id = ${callId} and outcome = 'withdrawn'`;
    expect(proof).toEqual({ prompt_language: 'de' });
  });

  it('refuses a missing or wrong secret, another agent’s secret and an unknown call alike (401), changing nothing', async () => {
    const { sid, callId, rec } = await recordedCall(line);
    const body = { call_id: callId };
    const answers = [
      await tool(body),
      await tool(body, 'f'.repeat(64)),
      await tool(body, secretFor(lineDe.agentId)),
      await tool(body, secretFor(line.agentId).slice(0, 63)),
      await tool({ call_id: randomUUID() }, secretFor(line.agentId)),
    ];
    for (const res of answers) {
      expect(res.status).toBe(401);
      expect(res.body.error).toEqual(answers[0]!.body.error);
      expect(res.body.error.code).toBe('invalid_secret');
    }
    const [call] = await db`select consent_state, recording_allowed from public.calls where id = ${callId}`;
    expect(call).toEqual({ consent_state: 'given', recording_allowed: true });
    expect((await proofsFor(sid)).map((p) => p.outcome)).toEqual(['given']);
    expect(rec.status).toBe('in-progress');
  });

  it('refuses a tool call after the call ended (409), also a replay of one that was accepted', async () => {
    const a = await recordedCall(line);
    await twilioPost(world, '/webhooks/twilio/status', { CallSid: a.sid, CallStatus: 'completed', CallDuration: '30' });
    const late = await tool({ call_id: a.callId }, secretFor(line.agentId));
    expect(late.status).toBe(409);
    expect(late.body.error.code).toBe('call_ended');
    const [call] = await db`select consent_state from public.calls where id = ${a.callId}`;
    expect(call).toEqual({ consent_state: 'given' });

    const b = await recordedCall(line);
    const body = { call_id: b.callId, conversation_id: b.conversationId };
    expect((await tool(body, secretFor(line.agentId))).status).toBe(200);
    await twilioPost(world, '/webhooks/twilio/status', { CallSid: b.sid, CallStatus: 'completed', CallDuration: '30' });
    const replay = await tool(body, secretFor(line.agentId));
    expect(replay.status).toBe(409);
    expect(replay.body.error.code).toBe('call_ended');
  });

  it('refuses a bad body (400) and an oversized one (413)', async () => {
    const { callId } = await recordedCall(line);
    const secret = secretFor(line.agentId);
    const bad = [
      await tool({ call_id: 'not-a-uuid' }, secret),
      await tool({}, secret),
      await tool({ call_id: callId, conversation_id: 'x'.repeat(129) }, secret),
      await tool({ call_id: callId, conversation_id: 'conv/../../x' }, secret),
      await tool('{"call_id":', secret),
    ];
    for (const res of bad) expect(res.status).toBe(400);
    expect(bad[0]!.body.error.message).toContain('call_id');
    const big = await tool({ call_id: callId, pad: 'x'.repeat(4000) }, secret);
    expect(big.status).toBe(413);
    const [call] = await db`select consent_state from public.calls where id = ${callId}`;
    expect(call).toEqual({ consent_state: 'given' });
  });

  it('with Twilio down, the recording is still stopped and then deleted when the deletion job runs later', async () => {
    const { callId, rec, conversationId } = await recordedCall(line);
    const live: FakeRecording = rec;
    world.twilioFake.failNext(1, '500');
    const res = await tool({ call_id: callId, conversation_id: conversationId }, secretFor(line.agentId));
    expect(res.status).toBe(200);
    const queued = await waitFor(async () => {
      const [row] = await db`select status, attempts, provider_status from public.provider_deletions where resource_id = ${live.sid}`;
      return row && row.attempts === 1 ? row : undefined;
    }, 'the failed first attempt');
    expect(queued).toEqual({ status: 'pending', attempts: 1, provider_status: 500 });
    expect(live.status).toBe('in-progress');
    expect(world.twilioFake.deletedRecordings).not.toContain(live.sid);

    // Later: the job finds it due.
    await db`update public.provider_deletions set next_attempt_at = now() where resource_id = ${live.sid}`;
    const counts = await runProviderDeletions(workerDeps(), { only: { provider: 'twilio', resourceType: 'recording', resourceId: live.sid } });
    expect(counts.done).toBe(1);
    expect(live.stoppedAt).toBeInstanceOf(Date);
    expect(world.twilioFake.recordingStatusChanges.some((c) => c.sid === live.sid && c.to === 'stopped')).toBe(true);
    expect(world.twilioFake.deletedRecordings).toContain(live.sid);
    const [row] = await db`select status, reason from public.provider_deletions where resource_id = ${live.sid}`;
    expect(row).toEqual({ status: 'done', reason: 'consent_withdrawn' });
  });

  it('a recording Twilio starts just after the withdrawal is stopped and deleted at once', async () => {
    const sid = newCallSid();
    await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: '+4930123450002', To: line.number, FromCountry: 'DE', CallStatus: 'ringing' });
    // The first start fails; startRecording tries again half a second later, after the withdrawal.
    world.twilioFake.failNext(1, '500');
    await twilioPost(world, '/webhooks/twilio/consent?attempt=1', { CallSid: sid, Digits: '1' });
    const [call] = await db<{ id: string }[]>`select id from public.calls where twilio_call_sid = ${sid}`;
    await waitFor(() => world.twilioFake.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/Calls/${sid}/Recordings.json`)), 'the first start');
    const res = await tool({ call_id: call!.id }, secretFor(line.agentId));
    expect(res.status).toBe(200);
    expect(await db`select 1 from public.recordings where call_id = ${call!.id}`).toHaveLength(0);

    // The fake forgets a deleted recording: its requests tell what happened to it.
    const stop = await waitFor(
      () => world.twilioFake.requests.find((r) => r.method === 'POST' && r.body.Status === 'stopped' && r.path.includes(`/Calls/${sid}/Recordings/RE`)),
      'the late recording to be stopped',
      5000,
    );
    const recSid = /Recordings\/(RE[0-9a-f]{32})/.exec(stop.path)![1]!;
    await waitFor(() => world.twilioFake.deletedRecordings.includes(recSid), 'the late recording to be deleted', 5000);
    const [row] = await waitFor(async () => {
      const rows = await db`select status, reason from public.provider_deletions where resource_id = ${recSid}`;
      return rows[0]?.status === 'done' ? rows : undefined;
    }, 'the receipt');
    expect(row).toEqual({ status: 'done', reason: 'consent_withdrawn' });
    const [recRow] = await db`select deleted_at is not null as deleted from public.recordings where twilio_recording_sid = ${recSid}`;
    expect(recRow).toEqual({ deleted: true });
  });
});

describe('ElevenLabs calls the tool the backend attached to the agent', () => {
  it('mid-call, the stop_recording tool as created at ElevenLabs reaches our endpoint and stops the recording', async () => {
    // Our server listens where the tool points (PUBLIC_BASE_URL), as it would in production.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const live = await startCallWorld(db, { PUBLIC_BASE_URL: `http://127.0.0.1:${port}` });
    server.on('request', live.app);
    try {
      const l = await createAgentLine(db, live, { dtmfConsent: true, language: 'de' });
      const sid = newCallSid();
      await twilioPost(live, '/webhooks/twilio/voice', { CallSid: sid, From: '+4930123450009', To: l.number, FromCountry: 'DE', CallStatus: 'ringing' });
      await twilioPost(live, '/webhooks/twilio/consent?attempt=1', { CallSid: sid, Digits: '1' }).expect(200);
      const rec = await waitFor(() => [...live.twilioFake.recordings.values()].find((r) => r.callSid === sid), 'the recording to start');
      await waitFor(async () => (await db`select 1 from public.recordings where twilio_recording_sid = ${rec.sid}`).length === 1, 'the recording row');
      const [conversationId] = [...live.elFake.conversations.keys()];
      live.elFake.startCall(conversationId!, { callSid: sid });

      const t0 = Date.now();
      const answer = await live.elFake.invokeWebhookTool(conversationId!, 'stop_recording');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ status: 'recording_stopped', message: withdrawalMessage('de') });
      const stoppedAt = await waitFor(() => rec.stoppedAt, 'the recording to stop', 2000);
      expect(stoppedAt.getTime() - t0).toBeLessThan(2000);
      await waitFor(() => live.twilioFake.deletedRecordings.includes(rec.sid), 'the recording to be deleted');
      const [call] = await db`select consent_state, recording_allowed, elevenlabs_conversation_id from public.calls where twilio_call_sid = ${sid}`;
      expect(call).toEqual({ consent_state: 'withdrawn', recording_allowed: false, elevenlabs_conversation_id: conversationId });

      // ElevenLabs never held audio of it, and its conversation is deleted; nothing of it is kept here.
      await waitFor(() => live.elFake.deletedConversations.includes(conversationId!), 'the conversation to be deleted at ElevenLabs');
      expect(live.elFake.everStoredAudio.has(conversationId!)).toBe(false);
      const [kept] = await db<{ transcripts: number; leads: number }[]>`
        select (select count(*)::int from public.transcripts t join public.calls c on c.id = t.call_id where c.twilio_call_sid = ${sid}) as transcripts,
               (select count(*)::int from public.leads l join public.calls c on c.id = l.call_id where c.twilio_call_sid = ${sid}) as leads`;
      expect(kept).toEqual({ transcripts: 0, leads: 0 });

      // A copy of the same tool call made without the agent's secret is refused.
      const forged = await fetch(`http://127.0.0.1:${port}${STOP_RECORDING_PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [STOP_RECORDING_SECRET_HEADER]: secretFor(line.agentId) },
        body: JSON.stringify({ call_id: (await db`select id from public.calls where twilio_call_sid = ${sid}`)[0]!.id, conversation_id: conversationId }),
      });
      expect(forged.status).toBe(401);
    } finally {
      await live.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
