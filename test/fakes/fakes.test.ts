/**
 * The provider fakes, driven through the real SDKs via our client factories: what the SDK sends
 * must be what the fake understands, and what the fake answers must satisfy the SDK.
 */
import { ElevenLabsError, ElevenLabsTimeoutError } from '@elevenlabs/elevenlabs-js';
import twilio from 'twilio';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createElevenLabsClient } from '../../src/providers/elevenlabs-client.js';
import { BaseUrlRequestClient, createTwilioClient, rebase } from '../../src/providers/twilio-client.js';
import { startElevenLabsFake, type ElevenLabsFake } from './elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './twilio-fake.js';

const ACCOUNT_SID = `AC${'1'.repeat(32)}`;
const AUTH_TOKEN = 'f'.repeat(32);
const CALL_SID = `CA${'2'.repeat(32)}`;
const CALLBACK = 'https://voice.example.eu/webhooks/twilio/recording-status?org=o1';

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

  it('stops the current recording of a call', async () => {
    const rec = await client.calls(CALL_SID).recordings.create({ recordingStatusCallback: CALLBACK });
    const stopped = await client.calls(CALL_SID).recordings('Twilio.CURRENT').update({ status: 'stopped' });
    expect(stopped).toMatchObject({ sid: rec.sid, status: 'stopped' });
    expect(fake.recordings.get(rec.sid)?.status).toBe('stopped');
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
      platformSettings: { privacy: { retentionDays: 30 } },
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
});
