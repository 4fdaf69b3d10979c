import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consentPrompt, disclaimerFor } from '../src/agents/disclaimer-catalogue.js';
import type { ServiceDb } from '../src/db/database.js';
import {
  createAgentLine,
  elevenLabsSignature,
  newCallSid,
  postCallBody,
  sha256,
  sleep,
  startCallWorld,
  twilioPost,
  waitFor,
  type AgentLine,
  type CallWorld,
} from './helpers/call-harness.js';
import { openIsolatedTestDb } from './helpers/harness.js';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
let lineOn: AgentLine;
let lineOff: AgentLine;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  world = await startCallWorld(db);
  lineOn = await createAgentLine(db, world, { dtmfConsent: true });
  lineOff = await createAgentLine(db, world, { dtmfConsent: false });
});
afterAll(async () => {
  await world.close();
  await isolated.close();
});

const CALLERS = [
  { country: 'DE', from: '+4930123456789', prompt: 'de' },
  { country: 'AT', from: '+43123456789', prompt: 'de' },
  { country: 'CH', from: '+41441234567', prompt: 'de' },
  { country: 'PL', from: '+48221234567', prompt: 'pl' },
  { country: 'US', from: '+12125550100', prompt: undefined },
] as const;

const recordingsFor = (callSid: string) => [...world.twilioFake.recordings.values()].filter((r) => r.callSid === callSid);
const recordingRequestsFor = (callSid: string) =>
  world.twilioFake.requests.filter((r) => r.method === 'POST' && r.path.includes(`/Calls/${callSid}/Recordings`));
const registeredFor = (from: string, to: string) => world.elFake.registeredCalls.filter((c) => c.from_number === from && c.to_number === to);

async function consentsFor(callSid: string) {
  return db`select digit, outcome, attempt, prompt_language, prompt_version, prompt_hash, country, caller_hash
            from public.call_consents where twilio_call_sid = ${callSid} order by attempt`;
}

function voice(line: AgentLine, callSid: string, from: string, fromCountry?: string) {
  return twilioPost(world, '/webhooks/twilio/voice', {
    CallSid: callSid,
    AccountSid: world.config.twilio.accountSid,
    From: from,
    To: line.number,
    ...(fromCountry ? { FromCountry: fromCountry } : {}),
    CallStatus: 'ringing',
    Direction: 'inbound',
  });
}

function consent(callSid: string, attempt: number, digits?: string) {
  return twilioPost(world, `/webhooks/twilio/consent?attempt=${attempt}`, {
    CallSid: callSid,
    AccountSid: world.config.twilio.accountSid,
    ...(digits === undefined ? {} : { Digits: digits }),
  });
}

describe('incoming calls: consent prompt by country and switch', () => {
  for (const caller of CALLERS) {
    for (const switchOn of [true, false]) {
      it(`${caller.country} caller, consent switch ${switchOn ? 'on' : 'off'}`, async () => {
        const line = switchOn ? lineOn : lineOff;
        const sid = newCallSid();
        const res = await voice(line, sid, caller.from, caller.country);
        expect(res.status).toBe(200);
        expect(res.type).toBe('text/xml');
        const asked = switchOn && caller.prompt !== undefined;
        if (asked) {
          const prompt = consentPrompt(caller.prompt!);
          expect(res.text).toContain('<Gather input="dtmf" numDigits="1"');
          expect(res.text).toContain(`language="${caller.prompt === 'de' ? 'de-DE' : 'pl-PL'}"`);
          expect(res.text).toContain(prompt.text.replace(/"/g, '&quot;').slice(0, 40));
          expect(res.text).not.toContain('<Connect');
          await sleep(150);
          expect(recordingRequestsFor(sid)).toHaveLength(0);
          expect(registeredFor(caller.from, line.number)).toHaveLength(0);
        } else {
          expect(res.text).toContain('<Connect><Stream');
          await waitFor(() => recordingsFor(sid).length === 1, 'the recording to start');
          const rec = recordingRequestsFor(sid)[0]!;
          expect(rec.body.RecordingStatusCallback).toBe(`${world.config.publicBaseUrl}/webhooks/twilio/recording`);
          const [call] = await db`select consent_state, recording_allowed, caller_country from public.calls where twilio_call_sid = ${sid}`;
          expect(call).toEqual({ consent_state: 'not_required', recording_allowed: true, caller_country: caller.country });
        }
      });
    }
  }

  it('falls back to the E.164 prefix when Twilio sends no FromCountry', async () => {
    const sid = newCallSid();
    const res = await voice(lineOn, sid, '+48 22 123 45 67');
    expect(res.text).toContain('language="pl-PL"');
  });

  it('says a polite goodbye for a number we do not serve, and stores nothing', async () => {
    const sid = newCallSid();
    const res = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: '+4930111', To: '+35319999999' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Say');
    expect(res.text).toContain('<Hangup/>');
    expect(await db`select 1 from public.calls where twilio_call_sid = ${sid}`).toHaveLength(0);
  });
});

describe('keypad consent decides the recording', () => {
  const from = '+4930987654321';

  async function callWith(answers: (string | undefined)[]) {
    const sid = newCallSid();
    await voice(lineOn, sid, from, 'DE');
    let last!: request.Response;
    for (const [i, digits] of answers.entries()) last = await consent(sid, i + 1, digits);
    return { sid, last };
  }

  it('1 = consent: recorded, proof stored, the greeting announces the recording', async () => {
    const before = registeredFor(from, lineOn.number).length;
    const { sid, last } = await callWith(['1']);
    expect(last.text).toContain('<Connect><Stream');
    await waitFor(() => recordingsFor(sid).length === 1, 'the recording to start');
    const proof = await consentsFor(sid);
    const prompt = consentPrompt('de');
    expect(proof).toEqual([
      expect.objectContaining({ digit: '1', outcome: 'given', attempt: 1, prompt_language: 'de', prompt_version: prompt.version, prompt_hash: prompt.hash, country: 'DE' }),
    ]);
    // The caller's number is kept only as a keyed hash.
    expect(proof[0]!.caller_hash).toBeInstanceOf(Buffer);
    expect(JSON.stringify(proof)).not.toContain(from);
    const registered = registeredFor(from, lineOn.number);
    expect(registered.length).toBe(before + 1);
    expect(registered.at(-1).conversation_initiation_client_data.conversation_config_override.agent.first_message).toBe(lineOn.firstMessage);
  });

  it('2 = no consent: nothing recorded, the greeting says so and keeps the AI disclosure', async () => {
    const { sid, last } = await callWith(['2']);
    expect(last.text).toContain('<Connect><Stream');
    await sleep(200);
    expect(recordingRequestsFor(sid)).toHaveLength(0);
    expect((await consentsFor(sid)).map((c) => [c.digit, c.outcome])).toEqual([['2', 'refused']]);
    const greeting = registeredFor(from, lineOn.number).at(-1).conversation_initiation_client_data.conversation_config_override.agent.first_message as string;
    const en = disclaimerFor('en')!;
    expect(greeting).toContain(en.ai_disclosure);
    expect(greeting).toContain(en.not_recorded_notice);
    expect(greeting).not.toContain(en.recording_notice);
    const [call] = await db`select consent_state, recording_allowed from public.calls where twilio_call_sid = ${sid}`;
    expect(call).toEqual({ consent_state: 'refused', recording_allowed: false });
  });

  it('no input re-prompts once, then counts as no consent', async () => {
    const sid = newCallSid();
    await voice(lineOn, sid, from, 'DE');
    const first = await consent(sid, 1);
    expect(first.text).toContain('<Gather');
    expect(first.text).toContain('attempt=2');
    const second = await consent(sid, 2);
    expect(second.text).toContain('<Connect');
    await sleep(200);
    expect(recordingRequestsFor(sid)).toHaveLength(0);
    expect((await consentsFor(sid)).map((c) => [c.digit, c.outcome, c.attempt])).toEqual([
      [null, 'no_input', 1],
      [null, 'no_input', 2],
    ]);
  });

  it('another digit re-prompts once; a second wrong answer is no consent', async () => {
    const { sid, last } = await callWith(['5', '9']);
    expect(last.text).toContain('<Connect');
    await sleep(200);
    expect(recordingRequestsFor(sid)).toHaveLength(0);
    expect((await consentsFor(sid)).map((c) => [c.digit, c.outcome])).toEqual([
      ['5', 'invalid'],
      ['9', 'invalid'],
    ]);
  });

  it('a wrong digit and then 1 is consent', async () => {
    const { sid } = await callWith(['7', '1']);
    await waitFor(() => recordingsFor(sid).length === 1, 'the recording to start');
    expect((await consentsFor(sid)).map((c) => c.outcome)).toEqual(['invalid', 'given']);
  });

  it('a retried consent answer gets the same TwiML and no second proof or recording', async () => {
    const { sid, last } = await callWith(['1']);
    await waitFor(() => recordingsFor(sid).length === 1, 'the recording to start');
    const again = await consent(sid, 1, '1');
    expect(again.text).toBe(last.text);
    await sleep(150);
    expect(recordingRequestsFor(sid)).toHaveLength(1);
    expect(await consentsFor(sid)).toHaveLength(1);
  });
});

describe('callbacks', () => {
  it('status updates the call; the same delivery twice changes nothing more', async () => {
    const sid = newCallSid();
    await voice(lineOff, sid, '+12125550100', 'US');
    for (let i = 0; i < 2; i += 1) {
      const res = await twilioPost(world, '/webhooks/twilio/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '73' });
      expect(res.status).toBe(204);
    }
    const [call] = await db`select status, duration_seconds, outcome, ended_at is not null as ended from public.calls where twilio_call_sid = ${sid}`;
    expect(call).toEqual({ status: 'completed', duration_seconds: 73, outcome: 'completed', ended: true });
  });

  it('a completed recording is stored with the SHA-256 of its file', async () => {
    const sid = newCallSid();
    await voice(lineOff, sid, '+12125550100', 'US');
    const rec = await waitFor(() => recordingsFor(sid)[0], 'the recording to start');
    world.twilioFake.completeRecording(rec.sid, 42);
    const res = await twilioPost(world, '/webhooks/twilio/recording', {
      CallSid: sid,
      RecordingSid: rec.sid,
      RecordingStatus: 'completed',
      RecordingDuration: '42',
      RecordingChannels: '2',
      RecordingUrl: `${world.twilioFake.url}/2010-04-01/Accounts/x/Recordings/${rec.sid}`,
    });
    expect(res.status).toBe(204);
    const row = await waitFor(async () => {
      const [r] = await db`select status, duration_seconds, sha256 from public.recordings where twilio_recording_sid = ${rec.sid}`;
      return r?.sha256 ? r : undefined;
    }, 'the recording fingerprint');
    expect(row).toEqual({ status: 'completed', duration_seconds: 42, sha256: sha256(world.twilioFake.recordingMedia(rec.sid, 'wav')) });
  });

  it('a recording Twilio made for a call without consent is deleted at once', async () => {
    const sid = newCallSid();
    await voice(lineOn, sid, '+4930555', 'DE');
    await consent(sid, 1, '2');
    const stray = `RE${randomBytes(16).toString('hex')}`;
    world.twilioFake.recordings.set(stray, { ...([...world.twilioFake.recordings.values()][0] ?? {}), sid: stray, callSid: sid } as never);
    await twilioPost(world, '/webhooks/twilio/recording', { CallSid: sid, RecordingSid: stray, RecordingStatus: 'completed' });
    await waitFor(() => world.twilioFake.deletedRecordings.includes(stray), 'the stray recording to be deleted');
    // The receipt is written once Twilio has answered: wait for it rather than race it.
    const receipt = await waitFor(async () => {
      const [row] = await db`select status, reason from public.provider_deletions where resource_id = ${stray}`;
      return row?.status === 'pending' ? undefined : row;
    }, 'the deletion receipt');
    expect(receipt).toEqual({ status: 'done', reason: 'no_consent' });
  });
});

describe('ElevenLabs post-call webhook', () => {
  const secret = () => world.config.elevenlabs.webhookSecret;
  const post = (body: string, signature?: string) => {
    const req = request(world.app).post('/webhooks/elevenlabs/post-call').set('content-type', 'application/json');
    if (signature) req.set('ElevenLabs-Signature', signature);
    return req.send(body);
  };

  async function connectedCall(line: AgentLine, digits?: string) {
    const sid = newCallSid();
    await voice(line, sid, '+4930777888', 'DE');
    if (digits) await consent(sid, 1, digits);
    const [call] = await db`select id from public.calls where twilio_call_sid = ${sid}`;
    return call!.id as string;
  }

  it('stores the transcript and the caller as a lead when the call may be recorded', async () => {
    const callId = await connectedCall(lineOn, '1');
    const body = postCallBody(callId);
    const res = await post(body, elevenLabsSignature(secret(), body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'stored', call_id: callId });
    const [t] = await db`select content from public.transcripts where call_id = ${callId}`;
    expect(t!.content).toHaveLength(2);
    const [lead] = await db`select name, phone_hash is not null as hashed from public.leads where call_id = ${callId}`;
    expect(lead).toEqual({ name: 'Erika Mustermann', hashed: true });
  });

  it('without consent: no transcript, no lead, and the conversation is deleted at ElevenLabs', async () => {
    const callId = await connectedCall(lineOn, '2');
    const conversationId = `conv_noconsent_${Date.now()}`;
    world.elFake.addConversation(conversationId, lineOn.externalAgentId);
    const body = postCallBody(callId, conversationId);
    const res = await post(body, elevenLabsSignature(secret(), body));
    expect(res.body).toEqual({ status: 'discarded_no_consent', call_id: callId });
    expect(await db`select 1 from public.transcripts where call_id = ${callId}`).toHaveLength(0);
    expect(await db`select 1 from public.leads where call_id = ${callId}`).toHaveLength(0);
    await waitFor(() => world.elFake.deletedConversations.includes(conversationId), 'the conversation to be deleted');
  });

  it('refuses unsigned, forged, stale, future-dated and replayed deliveries, storing nothing', async () => {
    const callId = await connectedCall(lineOn, '1');
    const body = postCallBody(callId);
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string | undefined][] = [
      ['unsigned', undefined],
      ['wrong secret', elevenLabsSignature('wsec_someone_else_entirely', body)],
      ['malformed header', 'v0=abc'],
      ['stale', elevenLabsSignature(secret(), body, now - 31 * 60)],
      ['future', elevenLabsSignature(secret(), body, now + 6 * 60)],
      ['body changed', elevenLabsSignature(secret(), body.replace('Erika', 'Erikb'))],
    ];
    for (const [label, sig] of cases) {
      const res = await post(body, sig);
      expect(res.status, label).toBe(401);
      expect(res.body.error.code, label).toBe('invalid_signature');
    }
    expect(await db`select 1 from public.transcripts where call_id = ${callId}`).toHaveLength(0);

    const sig = elevenLabsSignature(secret(), body);
    expect((await post(body, sig)).status).toBe(200);
    const replay = await post(body, sig);
    expect(replay.status).toBe(409);
    expect(await db`select 1 from public.transcripts where call_id = ${callId}`).toHaveLength(1);
  });

  it('keeps a delivery whose transcript holds a NUL character (as U+FFFD), and answers 200', async () => {
    const callId = await connectedCall(lineOn, '1');
    const body = postCallBody(callId, undefined, {
      transcript: [
        { role: 'agent', message: 'Hello! You are speaking with an AI assistant.', time_in_call_secs: 0 },
        { role: 'user', message: 'My name is Erika\u0000, line noise.', time_in_call_secs: 4 },
      ],
      analysis: { data_collection_results: { name: { value: 'Erika\u0000 Mustermann' } } },
    });
    expect(body).toContain('\\u0000');
    const res = await post(body, elevenLabsSignature(secret(), body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'stored', call_id: callId });
    const [t] = await db<{ content: { message: string }[] }[]>`select content from public.transcripts where call_id = ${callId}`;
    expect(t!.content[1]!.message).toBe('My name is Erika\uFFFD, line noise.');
    const [lead] = await db`select name from public.leads where call_id = ${callId}`;
    expect(lead).toEqual({ name: 'Erika\uFFFD Mustermann' });
  });

  it('answers a signed but malformed body with 400', async () => {
    for (const body of ['{not json', JSON.stringify({ type: 'post_call_transcription' }), JSON.stringify({ type: 'post_call_transcription', data: { conversation_id: 5 } })]) {
      const res = await post(body, elevenLabsSignature(secret(), body));
      expect(res.status).toBe(400);
    }
  });
});

describe('Twilio signatures and retries', () => {
  const params = (sid: string) => ({ CallSid: sid, From: '+4930123', To: lineOn.number, FromCountry: 'DE' });

  it('refuses unsigned, forged and wrongly-addressed requests with 403 and stores nothing', async () => {
    const sid = newCallSid();
    const unsigned = await request(world.app).post('/webhooks/twilio/voice').type('form').send(params(sid));
    const forged = await twilioPost(world, '/webhooks/twilio/voice', params(sid), 'not-the-auth-token-at-all');
    // Signed for the Host header we were reached by, not the public URL Twilio uses.
    const twilioLib = (await import('twilio')).default;
    const wrongUrl = await request(world.app)
      .post('/webhooks/twilio/voice')
      .type('form')
      .set('X-Twilio-Signature', twilioLib.getExpectedTwilioSignature(world.config.twilio.authToken, 'http://127.0.0.1/webhooks/twilio/voice', params(sid)))
      .send(params(sid));
    const tampered = await twilioPost(world, '/webhooks/twilio/voice', params(sid)).then(() => null);
    void tampered;
    for (const res of [unsigned, forged, wrongUrl]) {
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe('invalid_signature');
    }
    for (const path of ['/webhooks/twilio/consent?attempt=1', '/webhooks/twilio/status', '/webhooks/twilio/recording']) {
      const res = await request(world.app).post(path).type('form').send({ CallSid: sid });
      expect(res.status).toBe(403);
    }
  });

  it('the same voice webhook delivered twice creates one call and answers the same', async () => {
    const sid = newCallSid();
    const a = await voice(lineOff, sid, '+12125550100', 'US');
    const b = await voice(lineOff, sid, '+12125550100', 'US');
    expect(b.text).toBe(a.text);
    expect(await db`select 1 from public.calls where twilio_call_sid = ${sid}`).toHaveLength(1);
    await sleep(150);
    expect(recordingRequestsFor(sid)).toHaveLength(1);
  });

  it('calls arriving together are stored together, and each caller is answered once their call is stored', async () => {
    const prompted = Array.from({ length: 30 }, (_, i) => ({ sid: newCallSid(), from: `+49301234${String(i).padStart(4, '0')}` }));
    const duplicated = newCallSid();
    const answers = await Promise.all([
      ...prompted.map((c) => voice(lineOn, c.sid, c.from, 'DE')),
      ...Array.from({ length: 5 }, () => voice(lineOff, duplicated, '+12125550111', 'US')),
      twilioPost(world, '/webhooks/twilio/voice', { CallSid: newCallSid(), From: '+4930999', To: '+35319999999', FromCountry: 'DE' }),
    ]);
    for (const res of answers.slice(0, 30)) expect(res.text).toContain('<Gather input="dtmf" numDigits="1"');
    // Copies of one webhook arriving together: one call, one connection, the same answer for all.
    const copies = answers.slice(30, 35);
    expect(copies[0]!.text).toContain('<Connect>');
    for (const res of copies) expect(res.text).toBe(copies[0]!.text);
    expect(registeredFor('+12125550111', lineOff.number)).toHaveLength(1);
    expect(answers[35]!.text).toContain('not in service');

    const rows = await db<{ twilio_call_sid: string; consent_state: string; from_number: string; xmin: string }[]>`
      select twilio_call_sid, consent_state, from_number, xmin::text as xmin from public.calls
      where twilio_call_sid in ${db([...prompted.map((c) => c.sid), duplicated])}`;
    expect(rows).toHaveLength(31);
    for (const c of prompted) {
      const row = rows.find((r) => r.twilio_call_sid === c.sid)!;
      expect(row).toMatchObject({ consent_state: 'pending', from_number: c.from });
    }
    // Fewer transactions than calls: calls that arrived together were committed together.
    expect(new Set(rows.map((r) => r.xmin)).size).toBeLessThan(rows.length);
  });

  it('malformed bodies get a safe TwiML answer or a 4xx, never a 500', async () => {
    const voiceCases = [
      {},
      { CallSid: 'not-a-sid', To: lineOn.number },
      { CallSid: newCallSid() },
      { CallSid: newCallSid(), To: 'x'.repeat(5000) },
      { CallSid: newCallSid(), To: lineOn.number, From: 'y'.repeat(20_000) },
      // PostgreSQL text cannot hold a NUL byte.
      { CallSid: newCallSid(), To: lineOn.number, From: '+4930\u0000123', FromCountry: 'DE' },
      { CallSid: newCallSid(), To: lineOn.number, FromCountry: ['DE', 'PL'] as unknown as string },
    ];
    for (const body of voiceCases) {
      const res = await twilioPost(world, '/webhooks/twilio/voice', body as Record<string, string>);
      expect(res.status).toBe(200);
      expect(res.text).toContain('<Hangup/>');
    }
    const badConsent = await twilioPost(world, '/webhooks/twilio/consent?attempt=abc', { CallSid: newCallSid(), Digits: '1' });
    expect(badConsent.status).toBe(200);
    expect(badConsent.text).toContain('<Hangup/>');
    const unknownConsent = await twilioPost(world, '/webhooks/twilio/consent?attempt=1', { CallSid: newCallSid(), Digits: '1' });
    expect(unknownConsent.text).toContain('<Hangup/>');
    expect((await twilioPost(world, '/webhooks/twilio/status', { CallSid: newCallSid(), CallStatus: 'exploded' })).status).toBe(400);
    expect((await twilioPost(world, '/webhooks/twilio/status', { CallSid: newCallSid(), CallStatus: 'completed', CallDuration: '-5' })).status).toBe(400);
    expect((await twilioPost(world, '/webhooks/twilio/recording', { CallSid: newCallSid(), RecordingSid: 'nope', RecordingStatus: 'completed' })).status).toBe(400);
    const huge = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: newCallSid(), To: lineOn.number, Junk: 'z'.repeat(40_000) });
    expect(huge.status).toBe(413);
  });

  it('a connection failure at ElevenLabs gives the caller a polite answer, not an error', async () => {
    world.elFake.failNext(1, '500');
    const sid = newCallSid();
    const res = await voice(lineOff, sid, '+12125550100', 'US');
    expect(res.status).toBe(200);
    expect(res.text).toContain('<Hangup/>');
    await sleep(150);
    expect(recordingRequestsFor(sid)).toHaveLength(0);
  });
});
