import { createHash, createHmac, randomBytes, randomInt, randomUUID } from 'node:crypto';
import request from 'supertest';
import twilio from 'twilio';
import type { AppConfig } from '../../src/config/env.js';
import type { ServiceDb } from '../../src/db/database.js';
import { disclaimerFor } from '../../src/agents/disclaimer-catalogue.js';
import { startElevenLabsFake, type ElevenLabsFake } from '../fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from '../fakes/twilio-fake.js';
import { bearer, buildTestApp, createOrg, testConfig, type TestOrg } from './harness.js';

export const TWILIO_TEST_SID = `AC${'1'.repeat(32)}`;
export const TWILIO_TEST_TOKEN = 'test-twilio-auth-token-0123456789';

export interface CallWorld {
  config: AppConfig;
  app: ReturnType<typeof buildTestApp>['app'];
  twilioFake: TwilioFake;
  elFake: ElevenLabsFake;
  close(): Promise<void>;
}

/** The app wired to real SDKs pointed at the Twilio and ElevenLabs fakes. */
export async function startCallWorld(db: ServiceDb, env: Record<string, string> = {}): Promise<CallWorld> {
  const twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  const elFake = await startElevenLabsFake({ apiKey: 'el-test-key' });
  const config = testConfig({
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_API_BASE_URL: twilioFake.url,
    ELEVENLABS_API_KEY: 'el-test-key',
    ELEVENLABS_BASE_URL: elFake.url,
    ...env,
  });
  const { app } = buildTestApp(db, config);
  return {
    config,
    app,
    twilioFake,
    elFake,
    async close() {
      await twilioFake.close();
      await elFake.close();
    },
  };
}

export interface AgentLine {
  org: TestOrg;
  agentId: string;
  externalAgentId: string;
  number: string;
  firstMessage: string;
}

/**
 * An organisation with an agent (English unless told) on a fresh number, created as a customer
 * would: through our API, so the backend creates it at the ElevenLabs fake with its tool and
 * privacy settings.
 */
export async function createAgentLine(
  db: ServiceDb,
  world: CallWorld,
  opts: { dtmfConsent: boolean; language?: string },
): Promise<AgentLine> {
  const org = await createOrg(db, world.config);
  const language = opts.language ?? 'en';
  const d = disclaimerFor(language)!;
  const firstMessage = `Hello! ${d.ai_disclosure} ${d.recording_notice} How can I help?`;
  const number = `+3531${randomInt(1_000_000, 9_999_999)}`;
  const res = await request(world.app)
    .post(`/api/orgs/${org.id}/agents`)
    .set(...bearer(org.owner))
    .send({ name: 'Reception', language, first_message: firstMessage, phone_number: number });
  if (res.status !== 201) throw new Error(`agent not created: ${res.status} ${JSON.stringify(res.body)}`);
  await db`update public.privacy_preferences set dtmf_consent = ${opts.dtmfConsent} where org_id = ${org.id}`;
  return { org, agentId: res.body.id as string, externalAgentId: res.body.elevenlabs_agent_id as string, number, firstMessage };
}

export const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;

/** Posts form params the way Twilio does, signed against PUBLIC_BASE_URL + path. */
export function twilioPost(world: CallWorld, path: string, params: Record<string, string>, token = world.config.twilio.authToken) {
  const signature = twilio.getExpectedTwilioSignature(token, `${world.config.publicBaseUrl}${path}`, params);
  return request(world.app).post(path).type('form').set('X-Twilio-Signature', signature).send(params);
}

/** Signs an ElevenLabs webhook body: `t=<seconds>,v0=<hex HMAC-SHA256 of "t.body">`. */
export function elevenLabsSignature(secret: string, body: string, t = Math.floor(Date.now() / 1000)): string {
  return `t=${t},v0=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

export function postCallBody(callId: string, conversationId = `conv_${randomUUID().replace(/-/g, '')}`, extra: Record<string, unknown> = {}) {
  return JSON.stringify({
    type: 'post_call_transcription',
    event_timestamp: Math.floor(Date.now() / 1000),
    data: {
      agent_id: 'agent_x',
      conversation_id: conversationId,
      status: 'done',
      transcript: [
        { role: 'agent', message: 'Hello! You are speaking with an AI assistant.', time_in_call_secs: 0 },
        { role: 'user', message: 'My name is Erika, I would like an appointment.', time_in_call_secs: 4 },
      ],
      metadata: { start_time_unix_secs: Math.floor(Date.now() / 1000) - 60, call_duration_secs: 60 },
      analysis: { data_collection_results: { name: { value: 'Erika Mustermann' } } },
      conversation_initiation_client_data: { dynamic_variables: { call_id: callId } },
      ...extra,
    },
  });
}

export async function waitFor<T>(fn: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
