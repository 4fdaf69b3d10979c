/**
 * The provider fakes, driven through the real SDKs via our client factories: what the SDK sends
 * must be what the fake understands, and what the fake answers must satisfy the SDK.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ElevenLabsError, ElevenLabsTimeoutError, type ElevenLabs } from '@elevenlabs/elevenlabs-js';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { verifyElevenLabsSignature } from '../../src/calls/post-call-service.js';
import { createElevenLabsClient } from '../../src/providers/elevenlabs-client.js';
import { BaseUrlRequestClient, createTwilioClient, rebase } from '../../src/providers/twilio-client.js';
import { ELEVENLABS_PRIVACY_DEFAULTS, startElevenLabsFake, type ElevenLabsFake } from './elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './twilio-fake.js';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = 'f'.repeat(32);
const CALL_SID = `CA${'2'.repeat(32)}`;
const CALLBACK = 'https://voice.example.eu/webhooks/twilio/recording-status?org=o1';

interface Received {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A tiny local HTTP server that records what it receives and answers with `answer`. */
async function startReceiver(answer: (r: Received) => { status: number; body: string; type?: string } = () => ({ status: 200, body: '{"ok":true}' })) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      received.push(r);
      const a = answer(r);
      res.writeHead(a.status, { 'content-type': a.type ?? 'application/json' });
      res.end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Settles a promise into its rejection reason (or fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<Record<string, unknown>> {
  try {
    await p;
  } catch (err) {
    return err as Record<string, unknown>;
  }
  throw new Error('expected the call to fail');
}

describe('twilio fake through the twilio SDK', () => {
  let fake: TwilioFake;
  let client: ReturnType<typeof createTwilioClient>;

  beforeAll(async () => {
    fake = await startTwilioFake({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN });
    client = createTwilioClient({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      region: 'ie1',
      edge: 'dublin',
      apiBaseUrl: fake.url,
    });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  it('creates, fetches and deletes a call recording; the second delete is a 404', async () => {
    const created = await client.calls(CALL_SID).recordings.create({
      recordingStatusCallback: CALLBACK,
      recordingStatusCallbackEvent: ['in-progress', 'completed', 'absent'],
      recordingStatusCallbackMethod: 'POST',
      recordingChannels: 'dual',
    });
    expect(created.sid).toMatch(/^RE[0-9a-f]{32}$/);
    expect(created).toMatchObject({ callSid: CALL_SID, accountSid: ACCOUNT_SID, status: 'in-progress', channels: 2, track: 'both' });
    expect(created.dateCreated).toBeInstanceOf(Date);
    expect(Number.isNaN(created.dateCreated.getTime())).toBe(false);

    const req = fake.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls/${CALL_SID}/Recordings.json`);
    expect(req.body.RecordingStatusCallback).toBe(CALLBACK);
    expect(req.body.RecordingStatusCallbackEvent).toEqual(['in-progress', 'completed', 'absent']);
    expect(req.body.RecordingChannels).toBe('dual');
    expect(req.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`);
    expect(fake.recordings.get(created.sid)).toMatchObject({ statusCallback: CALLBACK, callSid: CALL_SID });

    fake.completeRecording(created.sid, 17);
    const fetched = await client.recordings(created.sid).fetch();
    expect(fetched).toMatchObject({ sid: created.sid, callSid: CALL_SID, status: 'completed', duration: '17' });
    expect(fetched.mediaUrl).toBe(`${fake.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${created.sid}`);

    const auth = { authorization: `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}` };
    const wav = await fetch(`${fetched.mediaUrl}.wav`, { headers: auth });
    expect(wav.status).toBe(200);
    expect(wav.headers.get('content-type')).toBe('audio/x-wav');
    const wavBytes = Buffer.from(await wav.arrayBuffer());
    expect(wavBytes.equals(fake.recordingMedia(created.sid))).toBe(true);
    expect(wavBytes.subarray(0, 4).toString('ascii')).toBe('RIFF');
    const bare = Buffer.from(await (await fetch(fetched.mediaUrl, { headers: auth })).arrayBuffer());
    expect(bare.equals(wavBytes)).toBe(true);
    const mp3 = await fetch(`${fetched.mediaUrl}.mp3`, { headers: auth });
    expect(mp3.headers.get('content-type')).toBe('audio/mpeg');
    expect(Buffer.from(await mp3.arrayBuffer()).equals(fake.recordingMedia(created.sid, 'mp3'))).toBe(true);
    expect((await fetch(fetched.mediaUrl)).status).toBe(401);

    await expect(client.recordings(created.sid).remove()).resolves.toBe(true);
    expect(fake.recordings.has(created.sid)).toBe(false);
    expect(fake.deletedRecordings).toEqual([created.sid]);

    const err = await rejection(client.recordings(created.sid).remove());
    expect(err).toBeInstanceOf(twilio.RestException);
    expect(err).toMatchObject({ status: 404, code: 20404, moreInfo: 'https://www.twilio.com/docs/errors/20404' });
    const gone = await fetch(`${fake.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Recordings/${created.sid}.json`, { headers: auth });
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ code: 20404, status: 404, message: expect.any(String), more_info: expect.any(String) });
  });

  it('stops the current recording of a call, notes when, and processes it to completed with the default callback', async () => {
    const rec = await client.calls(CALL_SID).recordings.create({ recordingStatusCallback: CALLBACK });
    expect(fake.recordings.get(rec.sid)?.stoppedAt ?? null).toBeNull();
    const before = Date.now();
    const stopped = await client.calls(CALL_SID).recordings('Twilio.CURRENT').update({ status: 'stopped' });
    expect(stopped).toMatchObject({ sid: rec.sid, status: 'stopped' });
    const stoppedAt = fake.recordings.get(rec.sid)!.stoppedAt!;
    expect(stoppedAt).toBeInstanceOf(Date);
    expect(stoppedAt.getTime()).toBeGreaterThanOrEqual(before - 5);
    await vi.waitFor(() => expect(fake.recordings.get(rec.sid)?.status).toBe('completed'));
    expect(fake.recordings.get(rec.sid)!.stoppedAt).toBe(stoppedAt);
    expect(fake.recordingStatusChanges.map((c) => [c.from, c.to, c.via])).toEqual([
      [null, 'in-progress', 'api'],
      ['in-progress', 'stopped', 'api'],
      ['stopped', 'completed', 'processing'],
    ]);
    // Only `completed` is subscribed by default: one callback, none for in-progress.
    expect(fake.statusCallbacks).toHaveLength(1);
    expect(fake.statusCallbacks[0]).toMatchObject({
      url: CALLBACK,
      method: 'POST',
      params: { RecordingSid: rec.sid, CallSid: CALL_SID, AccountSid: ACCOUNT_SID, RecordingStatus: 'completed', RecordingSource: 'StartCallRecordingAPI' },
    });
    expect(Number(fake.statusCallbacks[0]!.params.RecordingDuration)).toBeGreaterThanOrEqual(0);

    // Deleting is logged too.
    await client.recordings(rec.sid).remove();
    expect(fake.recordingStatusChanges.at(-1)).toMatchObject({ sid: rec.sid, from: 'completed', to: 'deleted' });
  });

  it('ending the call stops and completes its recordings; a recording deleted while in progress is gone', async () => {
    const a = await client.calls(CALL_SID).recordings.create({ recordingStatusCallback: CALLBACK, recordingStatusCallbackEvent: ['in-progress', 'completed'] });
    expect(fake.statusCallbacks.map((c) => c.params.RecordingStatus)).toEqual(['in-progress']);
    await client.calls(CALL_SID).update({ status: 'completed' });
    expect(fake.recordings.get(a.sid)).toMatchObject({ status: 'completed', stoppedAt: expect.any(Date) });
    expect(fake.recordingStatusChanges.at(-1)).toMatchObject({ sid: a.sid, from: 'in-progress', to: 'completed', via: 'call-ended' });
    expect(fake.statusCallbacks.map((c) => c.params.RecordingStatus)).toEqual(['in-progress', 'completed']);

    const other = `CA${'4'.repeat(32)}`;
    const b = await client.calls(other).recordings.create({ recordingStatusCallback: CALLBACK });
    await expect(client.calls(other).recordings(b.sid).remove()).resolves.toBe(true);
    expect(fake.deletedRecordings).toEqual([b.sid]);
  });

  it('delivers recording status callbacks signed like Twilio when asked to', async () => {
    const receiver = await startReceiver(() => ({ status: 204, body: '' }));
    const delivering = await startTwilioFake({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, deliverStatusCallbacks: true, recordingProcessingMs: 20 });
    try {
      const c = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, region: 'ie1', edge: 'dublin', apiBaseUrl: delivering.url });
      const callbackUrl = `${receiver.url}/webhooks/twilio/recording-status?org=o1`;
      const rec = await c.calls(CALL_SID).recordings.create({ recordingStatusCallback: callbackUrl });
      await c.calls(CALL_SID).recordings(rec.sid).update({ status: 'stopped' });
      expect(delivering.recordings.get(rec.sid)?.status).toBe('stopped');
      await vi.waitFor(() => expect(receiver.received).toHaveLength(1));
      await delivering.flushStatusCallbacks();
      const got = receiver.received[0]!;
      expect(got.method).toBe('POST');
      const params = Object.fromEntries(new URLSearchParams(got.body));
      expect(params).toMatchObject({ RecordingSid: rec.sid, RecordingStatus: 'completed', CallSid: CALL_SID });
      expect(twilio.validateRequest(AUTH_TOKEN, String(got.headers['x-twilio-signature']), callbackUrl, params)).toBe(true);
      expect(delivering.statusCallbacks[0]!.result).toEqual({ status: 204 });
    } finally {
      await delivering.close();
      await receiver.close();
    }
  });

  it('sends an SMS', async () => {
    const msg = await client.messages.create({ to: '+353871234567', from: '+35315550100', body: 'Your data was deleted.' });
    expect(msg.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(msg).toMatchObject({ to: '+353871234567', from: '+35315550100', body: 'Your data was deleted.', status: 'queued', direction: 'outbound-api' });
    expect(fake.messages).toEqual([expect.objectContaining({ sid: msg.sid, to: '+353871234567', from: '+35315550100', body: 'Your data was deleted.' })]);
    expect(fake.requests[0]!.body).toMatchObject({ To: '+353871234567', From: '+35315550100', Body: 'Your data was deleted.' });

    const viaService = await client.messages.create({ to: '+353871234567', messagingServiceSid: `MG${'3'.repeat(32)}`, body: 'Hi' });
    expect(viaService).toMatchObject({ from: null, messagingServiceSid: `MG${'3'.repeat(32)}` });

    const noFrom = await rejection(client.messages.create({ to: '+353871234567', body: 'x' }));
    expect(noFrom).toMatchObject({ status: 400, code: 21603 });
  });

  it('updates a call with TwiML, then ends it', async () => {
    const twiml = '<Response><Say language="de-DE">Danke.</Say><Hangup/></Response>';
    const call = await client.calls(CALL_SID).update({ twiml });
    expect(call).toMatchObject({ sid: CALL_SID, accountSid: ACCOUNT_SID, status: 'in-progress' });
    expect(fake.calls.get(CALL_SID)?.twiml).toEqual([twiml]);
    expect(fake.requests[0]!.body).toEqual({ Twiml: twiml });

    const ended = await client.calls(CALL_SID).update({ status: 'completed' });
    expect(ended.status).toBe('completed');
    expect(ended.endTime).toBeInstanceOf(Date);
    const late = await rejection(client.calls(CALL_SID).update({ twiml }));
    expect(late).toMatchObject({ status: 400, code: 21220 });
  });

  it('rejects a wrong auth token with 401', async () => {
    const wrong = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: 'x'.repeat(32), region: 'ie1', edge: 'dublin', apiBaseUrl: fake.url });
    const err = await rejection(wrong.messages.create({ to: '+353871234567', from: '+35315550100', body: 'x' }));
    expect(err).toMatchObject({ status: 401, code: 20003 });
    expect(fake.messages).toHaveLength(0);
  });

  it("failNext('500') makes the next call fail with 500, then the fake recovers", async () => {
    fake.failNext(1, '500');
    const err = await rejection(client.messages.create({ to: '+353871234567', from: '+35315550100', body: 'x' }));
    expect(err).toMatchObject({ status: 500, code: 20500 });
    expect(fake.messages).toHaveLength(0);
    await expect(client.messages.create({ to: '+353871234567', from: '+35315550100', body: 'x' })).resolves.toBeTruthy();
    expect(fake.requests).toHaveLength(2);
  });

  it("failNext('timeout') makes the SDK time out", async () => {
    const impatient = createTwilioClient({
      accountSid: ACCOUNT_SID,
      authToken: AUTH_TOKEN,
      region: 'ie1',
      edge: 'dublin',
      apiBaseUrl: fake.url,
      timeoutMs: 300,
    });
    fake.failNext(1, 'timeout');
    const started = Date.now();
    const err = await rejection(impatient.calls(CALL_SID).recordings.create({ recordingStatusCallback: CALLBACK }));
    expect(String(err.message)).toMatch(/timeout/i);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.recordings.size).toBe(0);
    await expect(impatient.calls(CALL_SID).recordings.create({ recordingStatusCallback: CALLBACK })).resolves.toBeTruthy();
  });

  it('closes while a request hangs', async () => {
    const other = await startTwilioFake();
    const c = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, region: 'ie1', edge: 'dublin', apiBaseUrl: other.url });
    other.failNext(1, 'timeout');
    const pending = rejection(c.messages.create({ to: '+353871234567', from: '+35315550100', body: 'x' }));
    await vi.waitFor(() => expect(other.requests).toHaveLength(1));
    await other.close();
    const err = await pending;
    expect(err).toBeInstanceOf(Error);
  });

  it('uses region and edge when no base URL is set, and rebases URIs when one is', () => {
    const real = createTwilioClient({ accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, region: 'ie1', edge: 'dublin' });
    expect(real.region).toBe('ie1');
    expect(real.edge).toBe('dublin');
    expect(real.httpClient).not.toBeInstanceOf(BaseUrlRequestClient);
    expect(real.getHostname('api.twilio.com', real.edge, real.region)).toBe('api.dublin.ie1.twilio.com');
    expect(client.httpClient).toBeInstanceOf(BaseUrlRequestClient);
    expect(rebase('https://api.dublin.ie1.twilio.com/2010-04-01/Accounts/AC1/Calls.json?Page=2', new URL('http://127.0.0.1:9/base/'))).toBe(
      'http://127.0.0.1:9/base/2010-04-01/Accounts/AC1/Calls.json?Page=2',
    );
  });
});

describe('elevenlabs fake through the elevenlabs SDK', () => {
  const API_KEY = 'sk_test_0123456789abcdef';
  let fake: ElevenLabsFake;
  let client: ReturnType<typeof createElevenLabsClient>;

  beforeAll(async () => {
    fake = await startElevenLabsFake({ apiKey: API_KEY });
    client = createElevenLabsClient({ apiKey: API_KEY, baseUrl: fake.url });
  });
  afterEach(() => fake.reset());
  afterAll(() => fake.close());

  async function createAgent(): Promise<string> {
    const { agentId } = await client.conversationalAi.agents.create({
      name: 'Praxis Dr. Muster',
      conversationConfig: {
        agent: { firstMessage: 'Guten Tag!', language: 'de', prompt: { prompt: 'Du bist die Rezeption.' } },
      },
      platformSettings: {
        privacy: { retentionDays: 30 },
        overrides: { conversationConfigOverride: { agent: { firstMessage: true, language: true } } },
      },
    });
    return agentId;
  }

  it('creates, updates, gets and deletes an agent', async () => {
    const agentId = await createAgent();
    expect(agentId).toMatch(/^agent_[0-9a-z]{26}$/);
    const createReq = fake.requests[0]!;
    expect(createReq).toMatchObject({ method: 'POST', path: '/v1/convai/agents/create' });
    expect(createReq.headers['xi-api-key']).toBe(API_KEY);
    expect(createReq.body.conversation_config.agent.first_message).toBe('Guten Tag!');

    const stored = fake.agents.get(agentId);
    expect(stored.platform_settings.privacy.retention_days).toBe(30);
    expect(stored.name).toBe('Praxis Dr. Muster');
    expect(stored.conversation_config.agent).toMatchObject({ first_message: 'Guten Tag!', language: 'de', prompt: { prompt: 'Du bist die Rezeption.' } });

    const updated = await client.conversationalAi.agents.update(agentId, {
      conversationConfig: { agent: { firstMessage: 'Hallo!' } },
      platformSettings: { privacy: { recordVoice: false } },
    });
    expect(updated.agentId).toBe(agentId);
    expect(updated.conversationConfig.agent?.firstMessage).toBe('Hallo!');
    expect(updated.conversationConfig.agent?.language).toBe('de');
    expect(updated.platformSettings?.privacy).toMatchObject({ retentionDays: 30, recordVoice: false });
    expect(updated.metadata.createdAtUnixSecs).toBeGreaterThan(0);
    expect(fake.requests[1]).toMatchObject({ method: 'PATCH', path: `/v1/convai/agents/${agentId}` });

    const got = await client.conversationalAi.agents.get(agentId);
    expect(got).toMatchObject({ agentId, name: 'Praxis Dr. Muster' });
    expect(got.conversationConfig.agent?.prompt?.prompt).toBe('Du bist die Rezeption.');

    await client.conversationalAi.agents.delete(agentId);
    expect(fake.deletedAgents).toEqual([agentId]);
    const err = await rejection(client.conversationalAi.agents.get(agentId));
    expect(err).toBeInstanceOf(ElevenLabsError);
    expect(err).toMatchObject({ statusCode: 404, body: { detail: { status: 'agent_not_found', message: expect.any(String) } } });
    expect(await rejection(client.conversationalAi.agents.delete(agentId))).toMatchObject({ statusCode: 404 });
  });

  it('registers a Twilio call and returns TwiML; the conversation can be fetched and deleted', async () => {
    const agentId = await createAgent();
    const twiml = await client.conversationalAi.twilio.registerCall({
      agentId,
      fromNumber: '+353871234567',
      toNumber: '+35315550100',
      direction: 'inbound',
      conversationInitiationClientData: {
        dynamicVariables: { call_sid: CALL_SID, org_id: 'org_1' },
        conversationConfigOverride: { agent: { firstMessage: 'Danke für Ihre Zustimmung.' } },
      },
    });
    expect(typeof twiml).toBe('string');
    expect(twiml).toMatch(/<Connect><Stream url="wss:\/\/[^"]+\/v1\/convai\/conversation\/twilio\?[^"]+"/);

    const body = fake.requests.at(-1)!.body;
    expect(body).toMatchObject({ agent_id: agentId, from_number: '+353871234567', to_number: '+35315550100', direction: 'inbound' });
    expect(body.conversation_initiation_client_data.conversation_config_override.agent.first_message).toBe('Danke für Ihre Zustimmung.');
    expect(body.conversation_initiation_client_data.dynamic_variables).toEqual({ call_sid: CALL_SID, org_id: 'org_1' });
    expect(fake.registeredCalls).toEqual([body]);

    expect(fake.conversations.size).toBe(1);
    const [conversationId] = [...fake.conversations.keys()];
    expect(conversationId).toMatch(/^conv_[0-9a-z]{26}$/);
    expect(twiml).toContain(`conversation_id=${conversationId}`);

    const conv = await client.conversationalAi.conversations.get(conversationId!);
    expect(conv).toMatchObject({ conversationId, agentId, status: 'initiated', transcript: [] });
    expect(conv.conversationInitiationClientData?.dynamicVariables).toEqual({ call_sid: CALL_SID, org_id: 'org_1' });
    expect(conv.conversationInitiationClientData?.conversationConfigOverride?.agent?.firstMessage).toBe('Danke für Ihre Zustimmung.');

    await client.conversationalAi.conversations.delete(conversationId!);
    expect(fake.deletedConversations).toEqual([conversationId]);
    const err = await rejection(client.conversationalAi.conversations.delete(conversationId!));
    expect(err).toMatchObject({ statusCode: 404, body: { detail: { status: 'conversation_not_found' } } });
  });

  it('serves conversations added with addConversation', async () => {
    fake.addAgent('agent_seeded', { name: 'Seeded' });
    fake.addConversation('conv_seeded', 'agent_seeded', { metadata: { call_duration_secs: 99 } });
    const conv = await client.conversationalAi.conversations.get('conv_seeded');
    expect(conv).toMatchObject({ conversationId: 'conv_seeded', agentId: 'agent_seeded', agentName: 'Seeded', status: 'done', hasAudio: true });
    expect(conv.metadata.callDurationSecs).toBe(99);
    expect(conv.transcript.length).toBeGreaterThan(0);
  });

  it('rejects an unknown agent on register-call and a wrong API key', async () => {
    const err = await rejection(
      client.conversationalAi.twilio.registerCall({ agentId: 'agent_nope', fromNumber: '+1', toNumber: '+2', direction: 'inbound' }),
    );
    expect(err).toMatchObject({ statusCode: 404 });
    const wrong = createElevenLabsClient({ apiKey: 'sk_wrong', baseUrl: fake.url });
    expect(await rejection(wrong.conversationalAi.agents.get('agent_x'))).toMatchObject({
      statusCode: 401,
      body: { detail: { status: 'invalid_api_key' } },
    });
    const keyless = createElevenLabsClient({ baseUrl: fake.url });
    expect(await rejection(keyless.conversationalAi.agents.get('agent_x'))).toMatchObject({ statusCode: 401 });
  });

  it("failNext('500') makes the next call fail once, without SDK retries", async () => {
    fake.failNext(1, '500');
    const err = await rejection(createAgent());
    expect(err).toBeInstanceOf(ElevenLabsError);
    expect(err).toMatchObject({ statusCode: 500 });
    expect(fake.requests).toHaveLength(1);
    expect(fake.agents.size).toBe(0);
    await expect(createAgent()).resolves.toMatch(/^agent_/);
  });

  it("failNext('timeout') makes the SDK time out", async () => {
    const impatient = createElevenLabsClient({ apiKey: API_KEY, baseUrl: fake.url, timeoutInSeconds: 0.3 });
    fake.failNext(1, 'timeout');
    const started = Date.now();
    const err = await rejection(impatient.conversationalAi.agents.get('agent_x'));
    expect(err).toBeInstanceOf(ElevenLabsTimeoutError);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(fake.requests).toHaveLength(1);
  });
  /** Raw JSON request to the fake, for bodies the SDK would refuse to send. */
  async function raw(method: string, path: string, body?: unknown) {
    const res = await fetch(`${fake.url}${path}`, {
      method,
      headers: { 'xi-api-key': API_KEY, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as { detail: { loc: (string | number)[]; msg: string; type: string }[] } };
  }

  async function agentWith(privacy: ElevenLabs.PrivacyConfigInput = {}, toolIds?: string[]): Promise<string> {
    const { agentId } = await client.conversationalAi.agents.create({
      name: 'Reception',
      conversationConfig: { agent: { firstMessage: 'Hello!', language: 'en', prompt: { prompt: 'Help.', toolIds } } },
      platformSettings: { privacy, overrides: { conversationConfigOverride: { agent: { firstMessage: true, language: true } } } },
    });
    return agentId;
  }

  async function register(agentId: string, dynamicVariables: Record<string, string | number | boolean> = { call_id: 'call-1' }): Promise<string> {
    const twiml = await client.conversationalAi.twilio.registerCall({
      agentId,
      fromNumber: '+353871234567',
      toNumber: '+35315550100',
      direction: 'inbound',
      conversationInitiationClientData: { dynamicVariables },
    });
    return /conversation_id=(conv_[0-9a-z]+)/.exec(twiml)![1]!;
  }

  it("fills privacy settings not sent with ElevenLabs' defaults and refuses wrong types as FastAPI does", async () => {
    const plain = await client.conversationalAi.agents.create({ conversationConfig: {} });
    expect((await client.conversationalAi.agents.get(plain.agentId)).platformSettings?.privacy).toEqual({
      recordVoice: true,
      retentionDays: -1,
      deleteTranscriptAndPii: false,
      deleteAudio: false,
      applyToExistingConversations: false,
      zeroRetentionMode: false,
    });
    const partial = await agentWith({ deleteAudio: true });
    expect(fake.agents.get(partial).platform_settings.privacy).toEqual({ ...ELEVENLABS_PRIVACY_DEFAULTS, delete_audio: true });

    const bad = await raw('POST', '/v1/convai/agents/create', {
      conversation_config: {},
      platform_settings: { privacy: { record_voice: 'perhaps', retention_days: 1.5, zero_retention_mode: null } },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toEqual([
      expect.objectContaining({ type: 'bool_parsing', loc: ['body', 'platform_settings', 'privacy', 'record_voice'] }),
      expect.objectContaining({ type: 'bool_type', loc: ['body', 'platform_settings', 'privacy', 'zero_retention_mode'] }),
      expect.objectContaining({ type: 'int_from_float', loc: ['body', 'platform_settings', 'privacy', 'retention_days'] }),
    ]);
    const notDict = await raw('PATCH', `/v1/convai/agents/${partial}`, { platform_settings: { privacy: 'none' } });
    expect(notDict.status).toBe(422);
    expect(notDict.body.detail[0]).toMatchObject({ type: 'model_attributes_type', loc: ['body', 'platform_settings', 'privacy'] });
    // Lax values are coerced, as pydantic does, and kept with the spec's types.
    const lax = await raw('PATCH', `/v1/convai/agents/${partial}`, { platform_settings: { privacy: { record_voice: 'false', retention_days: '30' } } });
    expect(lax.status).toBe(200);
    expect(fake.agents.get(partial).platform_settings.privacy).toMatchObject({ record_voice: false, retention_days: 30, delete_audio: true });
    expect(fake.agents.size).toBe(2);
  });

  it('refuses a conversation override the agent has not enabled', async () => {
    const { agentId } = await client.conversationalAi.agents.create({
      conversationConfig: { agent: { firstMessage: 'Hello!' } },
      platformSettings: { overrides: { conversationConfigOverride: { agent: { language: true } } } },
    });
    const refused = await rejection(
      client.conversationalAi.twilio.registerCall({
        agentId,
        fromNumber: '+353871234567',
        toNumber: '+35315550100',
        conversationInitiationClientData: { conversationConfigOverride: { agent: { firstMessage: 'Hi there', language: 'de' } } },
      }),
    );
    expect(refused).toBeInstanceOf(ElevenLabsError);
    expect(refused).toMatchObject({
      statusCode: 400,
      body: { detail: { status: 'override_not_allowed', message: "Override for field 'first_message' is not allowed by config." } },
    });
    const prompt = await rejection(
      client.conversationalAi.twilio.registerCall({
        agentId,
        fromNumber: '+353871234567',
        toNumber: '+35315550100',
        conversationInitiationClientData: { conversationConfigOverride: { agent: { prompt: { prompt: 'Be rude.' } }, tts: { voiceId: 'x' } } },
      }),
    );
    expect(prompt).toMatchObject({ statusCode: 400, body: { detail: { field: 'agent.prompt.prompt' } } });
    expect(fake.conversations.size).toBe(0);
    expect(fake.registeredCalls).toHaveLength(0);

    // The enabled override passes.
    await client.conversationalAi.twilio.registerCall({
      agentId,
      fromNumber: '+353871234567',
      toNumber: '+35315550100',
      conversationInitiationClientData: { conversationConfigOverride: { agent: { language: 'de' } } },
    });
    expect(fake.conversations.size).toBe(1);
  });

  it('stores audio from the start of the call only when the agent records the voice', async () => {
    const recording = await register(await agentWith());
    expect(fake.everStoredAudio.has(recording)).toBe(true);
    expect(fake.audio.get(recording)).toMatchObject({ recordedWhileLive: true, since: expect.any(Date) });
    const live = await client.conversationalAi.conversations.get(recording);
    expect(live).toMatchObject({ status: 'initiated', hasAudio: true, hasUserAudio: true, hasResponseAudio: true });
    const stream = await client.conversationalAi.conversations.audio.get(recording);
    const bytes = Buffer.from(await new Response(stream).arrayBuffer());
    expect(bytes.equals(fake.storedAudio(recording)!)).toBe(true);
    expect(bytes.subarray(0, 3).toString('ascii')).toBe('ID3');

    for (const privacy of [{ recordVoice: false }, { zeroRetentionMode: true }]) {
      const silent = await register(await agentWith(privacy));
      expect(fake.everStoredAudio.has(silent)).toBe(false);
      expect(fake.storedAudio(silent)).toBeNull();
      expect((await client.conversationalAi.conversations.get(silent)).hasAudio).toBe(false);
      const none = await rejection(client.conversationalAi.conversations.audio.get(silent));
      expect(none).toMatchObject({ statusCode: 404 });
    }
    expect(await rejection(client.conversationalAi.conversations.audio.get('conv_missing'))).toMatchObject({
      statusCode: 404,
      body: { detail: { status: 'conversation_not_found' } },
    });
  });

  it('ends a conversation applying the privacy settings it took at registration', async () => {
    const cases: { privacy: ElevenLabs.PrivacyConfigInput; audio: boolean; ever: boolean; transcript: boolean }[] = [
      { privacy: {}, audio: true, ever: true, transcript: true },
      { privacy: { deleteAudio: true }, audio: false, ever: true, transcript: true },
      { privacy: { deleteTranscriptAndPii: true }, audio: true, ever: true, transcript: false },
      { privacy: { zeroRetentionMode: true }, audio: false, ever: false, transcript: false },
      { privacy: { recordVoice: false }, audio: false, ever: false, transcript: true },
    ];
    const transcript = [
      { role: 'agent' as const, message: 'Hello, this call is recorded.', time_in_call_secs: 0 },
      { role: 'user' as const, message: 'My name is Erika.', time_in_call_secs: 2 },
    ];
    for (const c of cases) {
      const agentId = await agentWith(c.privacy);
      const conversationId = await register(agentId);
      // A later change of the agent does not reach a conversation already registered.
      await client.conversationalAi.agents.update(agentId, { platformSettings: { privacy: { deleteAudio: !c.privacy.deleteAudio } } });
      expect(fake.conversationPrivacy(conversationId)).toEqual({ ...ELEVENLABS_PRIVACY_DEFAULTS, ...snake(c.privacy) });

      const payload = fake.endConversation(conversationId, { transcript, durationSecs: 61, callSid: CALL_SID, dataCollection: { name: 'Erika' } });
      const what = JSON.stringify(c.privacy);
      expect(payload.type, what).toBe('post_call_transcription');
      expect(payload.data.transcript, what).toEqual(transcript);
      expect(payload.data.has_audio, what).toBe(c.audio);
      expect(fake.storedAudio(conversationId) !== null, what).toBe(c.audio);
      expect(fake.everStoredAudio.has(conversationId), what).toBe(c.ever);
      expect(fake.storedTranscript(conversationId), what).toEqual(c.transcript ? transcript : null);

      const got = await client.conversationalAi.conversations.get(conversationId);
      expect(got.status, what).toBe('done');
      expect(got.hasAudio, what).toBe(c.audio);
      expect(got.transcript.length, what).toBe(c.transcript ? 2 : 0);
      expect(got.metadata.callDurationSecs, what).toBe(61);
      expect(got.metadata.phoneCall, what).toMatchObject({ type: 'twilio', callSid: CALL_SID, externalNumber: '+353871234567', agentNumber: '+35315550100' });
      expect(got.analysis?.dataCollectionResults?.name?.value, what).toBe('Erika');
    }
    expect(() => fake.endConversation([...fake.conversations.keys()][0]!)).toThrow(/already ended/);
  });

  it('sends the post-call webhook signed as ElevenLabs signs it', async () => {
    const receiver = await startReceiver(() => ({ status: 200, body: '{"status":"stored"}' }));
    try {
      const conversationId = await register(await agentWith(), { call_id: '6f1c2f58-8a51-4e0f-9d8e-0c9c8b7a6e5d', recorded: true });
      await expect(fake.sendPostCallWebhook(conversationId, { url: receiver.url, secret: 's' })).rejects.toThrow(/has not ended/);
      fake.endConversation(conversationId, { callSid: CALL_SID, dataCollection: { name: 'Erika Mustermann' } });
      const sent = await fake.sendPostCallWebhook(conversationId, { url: `${receiver.url}/webhooks/elevenlabs/post-call`, secret: 'whsec_test' });
      expect(sent).toEqual({ status: 200, body: { status: 'stored' } });
      const got = receiver.received[0]!;
      expect(got).toMatchObject({ method: 'POST', url: '/webhooks/elevenlabs/post-call' });
      const header = String(got.headers['elevenlabs-signature']);
      expect(header).toMatch(/^t=\d+,v0=[0-9a-f]{64}$/);
      // Our own verifier accepts it, and refuses it under another secret.
      expect(() => verifyElevenLabsSignature(header, Buffer.from(got.body), 'whsec_test', Math.floor(Date.now() / 1000))).not.toThrow();
      expect(() => verifyElevenLabsSignature(header, Buffer.from(got.body), 'other', Math.floor(Date.now() / 1000))).toThrow();
      const body = JSON.parse(got.body);
      expect(body).toMatchObject({
        type: 'post_call_transcription',
        event_timestamp: expect.any(Number),
        data: {
          conversation_id: conversationId,
          status: 'done',
          metadata: { phone_call: { call_sid: CALL_SID } },
          conversation_initiation_client_data: { dynamic_variables: { call_id: '6f1c2f58-8a51-4e0f-9d8e-0c9c8b7a6e5d', recorded: true } },
          analysis: { data_collection_results: { name: { value: 'Erika Mustermann' } } },
        },
      });
      expect(body.data.transcript.length).toBeGreaterThan(0);
    } finally {
      await receiver.close();
    }
  });

  const stopTool = (url: string): ElevenLabs.ToolRequestModel => ({
    toolConfig: {
      type: 'webhook',
      name: 'stop_recording',
      description: 'Stops the recording of this call.',
      responseTimeoutSecs: 10,
      disableInterruptions: true,
      apiSchema: {
        url,
        method: 'POST',
        requestHeaders: { 'x-stop-recording-secret': 'secret-value' },
        requestBodySchema: {
          type: 'object',
          required: ['call_id', 'conversation_id'],
          properties: {
            call_id: { type: 'string', dynamicVariable: 'call_id' },
            conversation_id: { type: 'string', dynamicVariable: 'system__conversation_id' },
          },
        },
      },
    },
  });

  it('creates, lists, gets, updates and deletes tools; agents keep their tool_ids', async () => {
    const created = await client.conversationalAi.tools.create(stopTool('https://voice.example.test/webhooks/elevenlabs/tools/stop-recording'));
    expect(created.id).toMatch(/^tool_[0-9a-z]{26}$/);
    expect(created.toolConfig).toMatchObject({ type: 'webhook', name: 'stop_recording', responseTimeoutSecs: 10, disableInterruptions: true, forcePreToolSpeech: false });
    expect(created.usageStats).toEqual({ totalCalls: 0, avgLatencySecs: 0 });
    expect(fake.tools.get(created.id).tool_config.api_schema).toMatchObject({
      method: 'POST',
      request_headers: { 'x-stop-recording-secret': 'secret-value' },
      request_body_schema: { properties: { call_id: { type: 'string', dynamic_variable: 'call_id' } } },
    });
    expect(fake.requests.at(-1)).toMatchObject({ method: 'POST', path: '/v1/convai/tools' });

    const agentId = await agentWith({}, [created.id]);
    expect((await client.conversationalAi.agents.get(agentId)).conversationConfig.agent?.prompt?.toolIds).toEqual([created.id]);
    const dependent = await client.conversationalAi.tools.getDependentAgents(created.id);
    expect(dependent.agents).toEqual([expect.objectContaining({ type: 'available', id: agentId })]);

    expect((await client.conversationalAi.tools.list()).tools.map((t) => t.id)).toEqual([created.id]);
    const got = await client.conversationalAi.tools.get(created.id);
    expect(got.toolConfig).toMatchObject({ name: 'stop_recording' });
    const changed = stopTool('https://voice.example.test/other');
    const updated = await client.conversationalAi.tools.update(created.id, changed);
    expect(updated.id).toBe(created.id);
    expect(fake.tools.get(created.id).tool_config.api_schema.url).toBe('https://voice.example.test/other');

    await client.conversationalAi.tools.delete(created.id);
    expect(fake.deletedTools).toEqual([created.id]);
    expect(await rejection(client.conversationalAi.tools.get(created.id))).toMatchObject({ statusCode: 404 });
  });

  it('refuses invalid tools with FastAPI-style 422 errors', async () => {
    const base = { type: 'webhook', name: 'stop_recording', description: 'Stops it.', api_schema: { url: 'https://x.test/h', method: 'POST' } };
    const cases: [unknown, { type: string; loc: (string | number)[] }][] = [
      [{}, { type: 'missing', loc: ['body', 'tool_config'] }],
      [{ tool_config: { ...base, type: 'robot' } }, { type: 'union_tag_invalid', loc: ['body', 'tool_config'] }],
      [{ tool_config: { ...base, name: 'stop recording!' } }, { type: 'string_pattern_mismatch', loc: ['body', 'tool_config', 'webhook', 'name'] }],
      [{ tool_config: { ...base, description: undefined } }, { type: 'missing', loc: ['body', 'tool_config', 'webhook', 'description'] }],
      [{ tool_config: { ...base, api_schema: undefined } }, { type: 'missing', loc: ['body', 'tool_config', 'webhook', 'api_schema'] }],
      [{ tool_config: { ...base, api_schema: { method: 'POST' } } }, { type: 'missing', loc: ['body', 'tool_config', 'webhook', 'api_schema', 'url'] }],
      [{ tool_config: { ...base, api_schema: { url: 'https://x.test', method: 'FETCH' } } }, { type: 'enum', loc: ['body', 'tool_config', 'webhook', 'api_schema', 'method'] }],
      [{ tool_config: { ...base, response_timeout_secs: 200 } }, { type: 'less_than_equal', loc: ['body', 'tool_config', 'webhook', 'response_timeout_secs'] }],
      [{ tool_config: { ...base, response_timeout_secs: 4 } }, { type: 'greater_than_equal', loc: ['body', 'tool_config', 'webhook', 'response_timeout_secs'] }],
      [
        { tool_config: { ...base, api_schema: { ...base.api_schema, request_body_schema: { type: 'object', properties: { a: { type: 'string', description: 'x', dynamic_variable: 'call_id' } } } } } },
        { type: 'value_error', loc: ['body', 'tool_config', 'webhook', 'api_schema', 'request_body_schema', 'properties', 'a'] },
      ],
      [
        { tool_config: { ...base, api_schema: { ...base.api_schema, request_body_schema: { type: 'object', properties: { a: { type: 'string' } } } } } },
        { type: 'value_error', loc: ['body', 'tool_config', 'webhook', 'api_schema', 'request_body_schema', 'properties', 'a'] },
      ],
      [
        { tool_config: { ...base, api_schema: { ...base.api_schema, request_body_schema: { type: 'object', extra: 1, properties: {} } } } },
        { type: 'extra_forbidden', loc: ['body', 'tool_config', 'webhook', 'api_schema', 'request_body_schema', 'extra'] },
      ],
      [
        { tool_config: { ...base, api_schema: { ...base.api_schema, request_body_schema: { type: 'object', properties: { a: { type: 'date', description: 'x' } } } } } },
        { type: 'enum', loc: ['body', 'tool_config', 'webhook', 'api_schema', 'request_body_schema', 'properties', 'a', 'type'] },
      ],
    ];
    for (const [body, issue] of cases) {
      const res = await raw('POST', '/v1/convai/tools', body);
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail, JSON.stringify(body)).toContainEqual(expect.objectContaining(issue));
    }
    expect(fake.tools.size).toBe(0);
    // Through the SDK, the refusal is its UnprocessableEntityError.
    const viaSdk = await rejection(client.conversationalAi.tools.create({ toolConfig: { ...stopTool('https://x.test').toolConfig, responseTimeoutSecs: 121 } as never }));
    expect(viaSdk).toMatchObject({ statusCode: 422 });
  });

  it('invokes a webhook tool mid-call the way ElevenLabs does', async () => {
    const receiver = await startReceiver((r) =>
      r.url.startsWith('/fail') ? { status: 503, body: 'down', type: 'text/plain' } : { status: 200, body: '{"say":"The recording has stopped."}' },
    );
    try {
      const { secretId } = await client.conversationalAi.secrets.create({ name: 'tool_secret', value: 'from-the-store' });
      expect((await client.conversationalAi.secrets.list()).secrets.map((s) => s.name)).toEqual(['tool_secret']);
      const tool = await client.conversationalAi.tools.create({
        toolConfig: {
          type: 'webhook',
          name: 'stop_recording',
          description: 'Stops the recording.',
          apiSchema: {
            url: `${receiver.url}/calls/{org}/stop`,
            method: 'POST',
            pathParamsSchema: { org: { type: 'string', dynamicVariable: 'org_id' } },
            requestHeaders: { 'x-plain': 'plain-value', 'x-secret': { secretId }, 'x-org': { variableName: 'org_id' } },
            requestBodySchema: {
              type: 'object',
              required: ['call_id', 'conversation_id', 'reason'],
              properties: {
                call_id: { type: 'string', dynamicVariable: 'call_id' },
                conversation_id: { type: 'string', dynamicVariable: 'system__conversation_id' },
                call_sid: { type: 'string', dynamicVariable: 'system__call_sid' },
                caller: { type: 'string', dynamicVariable: 'system__caller_id' },
                agent: { type: 'string', dynamicVariable: 'system__agent_id' },
                source: { type: 'string', constantValue: 'voice-agent' },
                reason: { type: 'string', description: 'Why, in the caller words.' },
              },
            },
          },
        },
      });
      const other = await client.conversationalAi.tools.create(stopTool(`${receiver.url}/fail`));
      const agentId = await agentWith({}, [tool.id]);
      const conversationId = await register(agentId, { call_id: 'call-42', org_id: 'org-7' });
      fake.startCall(conversationId, { callSid: CALL_SID });

      const before = Date.now();
      const result = await fake.invokeWebhookTool(conversationId, 'stop_recording', { reason: 'I do not want to be recorded.' });
      expect(result).toMatchObject({ status: 200, body: { say: 'The recording has stopped.' } });
      expect(result.at.getTime()).toBeGreaterThanOrEqual(before);
      const got = receiver.received[0]!;
      expect(got).toMatchObject({ method: 'POST', url: '/calls/org-7/stop' });
      expect(got.headers).toMatchObject({ 'x-plain': 'plain-value', 'x-secret': 'from-the-store', 'x-org': 'org-7', 'content-type': 'application/json' });
      expect(JSON.parse(got.body)).toEqual({
        call_id: 'call-42',
        conversation_id: conversationId,
        call_sid: CALL_SID,
        caller: '+353871234567',
        agent: agentId,
        source: 'voice-agent',
        reason: 'I do not want to be recorded.',
      });
      expect(fake.toolCalls).toEqual([expect.objectContaining({ conversationId, toolId: tool.id, toolName: 'stop_recording', response: expect.objectContaining({ status: 200 }) })]);
      expect(fake.tools.get(tool.id).usage_stats.total_calls).toBe(1);

      // The language model must supply what is its to supply.
      await expect(fake.invokeWebhookTool(conversationId, 'stop_recording')).rejects.toThrow(/must supply body\.reason/);
      // Only the agent's own tools can be called.
      await expect(fake.invokeWebhookTool(conversationId, 'no_such_tool')).rejects.toThrow(/has no tool named no_such_tool/);
      expect(other.id).not.toBe(tool.id);
      // A tool answering an error is reported as it answered.
      await client.conversationalAi.agents.update(agentId, { conversationConfig: { agent: { prompt: { toolIds: [other.id] } } } });
      const failed = await fake.invokeWebhookTool(conversationId, 'stop_recording');
      expect(failed).toMatchObject({ status: 503, body: 'down' });
      // After the call no tool runs.
      fake.endConversation(conversationId);
      await expect(fake.invokeWebhookTool(conversationId, 'stop_recording')).rejects.toThrow(/is over/);
      // Before Twilio's stream names the CallSid, system__call_sid is not set.
      await client.conversationalAi.agents.update(agentId, { conversationConfig: { agent: { prompt: { toolIds: [tool.id] } } } });
      const fresh = await register(agentId, { call_id: 'call-43', org_id: 'org-7' });
      await expect(fake.invokeWebhookTool(fresh, 'stop_recording', { reason: 'x' })).rejects.toThrow(/system__call_sid/);
      expect(receiver.received).toHaveLength(2);
    } finally {
      await receiver.close();
    }
  });

  it('lists conversations by agent, page by page', async () => {
    const a = await agentWith();
    const b = await agentWith();
    const ids = [await register(a), await register(a), await register(a), await register(b)];
    const first = await client.conversationalAi.conversations.list({ agentId: a, pageSize: 2 });
    expect(first.conversations).toHaveLength(2);
    expect(first.hasMore).toBe(true);
    const second = await client.conversationalAi.conversations.list({ agentId: a, pageSize: 2, cursor: first.nextCursor! });
    expect(second.hasMore).toBe(false);
    const seen = [...first.conversations, ...second.conversations].map((c) => c.conversationId);
    expect(seen.sort()).toEqual(ids.slice(0, 3).sort());
    expect(first.conversations[0]).toMatchObject({ agentId: a, status: 'initiated', callSuccessful: 'unknown', messageCount: 0 });
    expect((await client.conversationalAi.conversations.list()).conversations).toHaveLength(4);
    expect(await rejection(client.conversationalAi.conversations.list({ pageSize: 101 }))).toMatchObject({ statusCode: 422 });
  });
});

/** PrivacyConfig from the SDK's camelCase to the API's snake_case. */
function snake(p: ElevenLabs.PrivacyConfigInput): Record<string, unknown> {
  return Object.fromEntries(Object.entries(p).map(([k, v]) => [k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`), v]));
}
