import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createApp } from '../src/http/app.js';
import { observeResponses } from './helpers/openapi-check.js';
import { keyedHash } from '../src/lib/crypto.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { createAgentLine, newCallSid, sleep, TWILIO_TEST_SID, TWILIO_TEST_TOKEN, twilioPost, type AgentLine, type CallWorld } from './helpers/call-harness.js';
import { bearer, openIsolatedTestDb, testConfig } from './helpers/harness.js';
import { startSmtp, type ReceivedMail, type TestSmtp } from './helpers/smtp.js';
import { disclaimerFor } from '../src/agents/disclaimer-catalogue.js';

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let smtp: TestSmtp;
let twilioFake: TwilioFake;
let elFake: ElevenLabsFake;
let config: AppConfig;
let app: ReturnType<typeof createApp>;
let world: CallWorld;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  elFake = await startElevenLabsFake({ apiKey: 'el-test-key' });
  config = testConfig({
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_API_BASE_URL: twilioFake.url,
    TWILIO_SMS_FROM: '+35315550100',
    ELEVENLABS_API_KEY: 'el-test-key',
    ELEVENLABS_BASE_URL: elFake.url,
    SMTP_URL: smtp.url,
  });
  // One proxy in front, as in production: each test speaks from its own client address.
  app = observeResponses(createApp({ ...buildAppDeps(config, db), trustProxy: 1 }));
  world = { config, app, twilioFake, elFake, close: async () => {} };
}, 120_000);
afterAll(async () => {
  await twilioFake.close();
  await elFake.close();
  await smtp.close();
  await isolated.close();
});

let ipCounter = 0;
const newIp = () => {
  ipCounter += 1;
  return `198.51.100.${ipCounter}`;
};
const uniqueEmail = (tag: string) => `${tag}-${randomBytes(5).toString('hex')}@example.test`;
const uniquePhone = () => `+4930${Math.floor(10_000_000 + Math.random() * 89_999_999)}`;
const postJson = (body: unknown, ip = newIp()) => request(app).post('/forget-me').set('X-Forwarded-For', ip).send(body as object);
const postForm = (body: Record<string, string>, ip = newIp()) =>
  request(app).post('/forget-me').set('X-Forwarded-For', ip).set('Accept', 'text/html').type('form').send(body);
const mailTo = (address: string) => smtp.waitFor((m) => m.to.includes(address));
function linkIn(mail: ReceivedMail): string {
  const match = /https:\/\/voice\.example\.test(\/forget-me\/confirm\?token=[A-Za-z0-9._-]+)/.exec(mail.text);
  expect(match, 'a confirmation link in the e-mail').toBeTruthy();
  return match![1]!;
}
const tokenOf = (path: string) => new URL(path, 'http://x').searchParams.get('token')!;
const confirmJson = (token: string) =>
  request(app).post('/forget-me/confirm').set('X-Forwarded-For', newIp()).set('Accept', 'application/json').set('Origin', 'https://voice.example.test').send({ token });
const pathOf = (url: string) => new URL(url).pathname;
const download = (url: string) => request(app).get(pathOf(url)).set('X-Forwarded-For', newIp()).set('Accept', 'application/json');
const smsTo = (phone: string) => twilioFake.messages.filter((m) => m.to === phone);
const codeIn = (body: string) => /(\d{6})/.exec(body)![1]!;

/** A caller who phoned a line and left a lead with their address and number. */
async function seedCaller(line: AgentLine, email: string, phone: string) {
  const sid = newCallSid();
  const res = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, AccountSid: TWILIO_TEST_SID, From: phone, To: line.number, CallStatus: 'ringing' });
  expect(res.status).toBe(200);
  const [call] = await db<{ id: string }[]>`select id from public.calls where twilio_call_sid = ${sid}`;
  await db`
    insert into public.leads (org_id, call_id, name, email, email_hash, phone, phone_hash)
    values (${line.org.id}, ${call!.id}, 'Known Caller', ${email}, ${keyedHash(config.blindIndexKey, 'email', email)},
            ${phone}, ${keyedHash(config.blindIndexKey, 'phone', phone)})`;
  return call!.id;
}

/** Asks for access by e-mail and confirms with the e-mailed link; returns the verified JSON answer. */
async function accessByEmail(email: string) {
  const filed = await postJson({ email, request_type: 'access' });
  expect(filed.status).toBe(202);
  const mail = await mailTo(email);
  expect(mail.subject).toBe('Please confirm your request for a copy of your data');
  const link = linkIn(mail);
  const opened = await request(app).get(link).set('Accept', 'application/json');
  expect(opened.status).toBe(200);
  expect(opened.body.request_type).toBe('access');
  const confirmed = await confirmJson(tokenOf(link));
  expect(confirmed.status).toBe(200);
  return { filed, confirmed };
}

describe('access (Art. 15): send me my data', () => {
  let line: AgentLine;
  let other: AgentLine;
  beforeAll(async () => {
    line = await createAgentLine(db, world, { dtmfConsent: false });
    other = await createAgentLine(db, world, { dtmfConsent: false });
  }, 60_000);

  it('by e-mail link: one single-use download per organisation, equal to the organisation\'s own export, with recipients and retention', async () => {
    const email = uniqueEmail('access');
    const phone = uniquePhone();
    await seedCaller(line, email, phone);
    await seedCaller(other, email, phone);
    await db`update public.privacy_preferences set retention_days = 90 where org_id = ${other.org.id}`;

    const { confirmed } = await accessByEmail(email);
    expect(confirmed.body).toMatchObject({ status: 'confirmed', request_type: 'access', request: { status: 'completed' } });
    const urls = confirmed.body.download_urls as string[];
    expect(urls).toHaveLength(2);
    for (const u of urls) expect(u).toMatch(/^https:\/\/voice\.example\.test\/forget-me\/downloads\/[A-Za-z0-9_-]{43}$/);
    // Only the token's hash is stored.
    const stored = await db`select token_hash, expires_at, created_at from public.access_downloads where request_id = ${confirmed.body.request.id}`;
    expect(stored).toHaveLength(2);
    for (const u of urls) expect(JSON.stringify(stored)).not.toContain(pathOf(u).split('/').at(-1));
    for (const s of stored) expect((s.expires_at as Date).getTime() - (s.created_at as Date).getTime()).toBeGreaterThan(23 * 3600 * 1000);

    const documents = [];
    for (const u of urls) {
      const res = await download(u);
      expect(res.status).toBe(200);
      expect(res.headers['content-disposition']).toMatch(/^attachment; filename="personal-data-[0-9a-f-]{36}\.json"$/);
      expect(res.headers['cache-control']).toBe('no-store');
      documents.push(res.body);
      // Single use: the second GET is refused.
      const again = await download(u);
      expect(again.status).toBe(410);
      expect(again.body.error.code).toBe('download_used');
    }
    const byOrg = new Map(documents.map((d) => [d.organization.id as string, d]));
    expect([...byOrg.keys()].sort()).toEqual([line.org.id, other.org.id].sort());

    for (const l of [line, other]) {
      const mine = byOrg.get(l.org.id)!;
      const theirs = await request(app).post(`/api/orgs/${l.org.id}/exports`).set(...bearer(l.org.owner)).send({ email });
      expect(theirs.status).toBe(200);
      expect(mine.data).toEqual(theirs.body.data);
      expect(mine.counts).toEqual(theirs.body.counts);
      expect(mine.organization).toEqual(theirs.body.organization);
      expect(mine.found).toBe(true);
      expect(mine.data.leads[0].email).toBe(email);
      expect(mine.data.calls).toHaveLength(1);
      expect(mine.recipients.map((r: { name: string }) => r.name)).toEqual(expect.arrayContaining([expect.stringContaining('Twilio'), 'ElevenLabs']));
    }
    expect(byOrg.get(other.org.id)!.retention.retention_days).toBe(90);
    expect(byOrg.get(line.org.id)!.retention.retention_days).toBe(30);

    // Audited in each organisation (keyed hash only) and told to it as a webhook event.
    const hash = keyedHash(config.blindIndexKey, 'email', email).toString('hex');
    for (const l of [line, other]) {
      const audits = await db`select action, metadata from public.audit_logs where org_id = ${l.org.id} and action in ('access.completed', 'export.created') order by created_at`;
      expect(audits.map((a) => a.action)).toEqual(expect.arrayContaining(['access.completed', 'export.created']));
      expect(JSON.stringify(audits)).not.toContain(email);
      expect(audits.find((a) => a.action === 'access.completed')!.metadata.subject_hash).toBe(hash);
    }
  });

  it('an expired download is refused with 410 and gives nothing', async () => {
    const email = uniqueEmail('expired');
    await seedCaller(line, email, uniquePhone());
    const { confirmed } = await accessByEmail(email);
    const [url] = confirmed.body.download_urls as string[];
    await db`update public.access_downloads set expires_at = now() - interval '1 minute' where request_id = ${confirmed.body.request.id}`;
    const res = await download(url!);
    expect(res.status).toBe(410);
    expect(res.body.error.code).toBe('download_expired');
    const page = await request(app).get(pathOf(url!)).set('Accept', 'text/html');
    expect(page.status).toBe(410);
    expect(page.text).toContain('This download has expired');
    const unknown = await download('https://voice.example.test/forget-me/downloads/' + 'A'.repeat(43));
    expect(unknown.status).toBe(404);
  });

  it('an unknown person gets the same answers, and a verified answer of the same shape with an empty list', async () => {
    const known = uniqueEmail('known');
    await seedCaller(line, known, uniquePhone());
    const unknown = uniqueEmail('unknown');
    const a = await accessByEmail(known);
    const b = await accessByEmail(unknown);
    expect(b.filed.status).toBe(a.filed.status);
    expect(b.filed.body).toEqual(a.filed.body);
    expect(Object.keys(b.confirmed.body).sort()).toEqual(Object.keys(a.confirmed.body).sort());
    expect(b.confirmed.body.download_urls).toEqual([]);
    expect(a.confirmed.body.download_urls).toHaveLength(1);

    // The form and the SMS path answer alike too.
    const knownPhone = uniquePhone();
    await seedCaller(line, uniqueEmail('p'), knownPhone);
    const ip = newIp();
    const pa = await postForm({ phone: knownPhone, request_type: 'access' }, ip);
    const pb = await postForm({ phone: uniquePhone(), request_type: 'access' }, ip);
    expect(pa.status).toBe(202);
    expect(pb.status).toBe(pa.status);
    const page = (t: string) => t.replace(/value="[0-9a-f-]{36}"/, 'value="ID"');
    expect(page(pb.text)).toBe(page(pa.text));
    expect(pa.text).toContain('Confirm and get my data');
  });

  it('by SMS code: the verified page lists the download links', async () => {
    const phone = uniquePhone();
    await seedCaller(line, uniqueEmail('sms'), phone);
    const filed = await postJson({ phone, request_type: 'access' });
    expect(filed.status).toBe(202);
    const code = codeIn(smsTo(phone)[0]!.body);
    expect(smsTo(phone)[0]!.body).toContain('request for your data');
    const res = await request(app)
      .post('/forget-me/verify')
      .set('X-Forwarded-For', newIp())
      .set('Accept', 'text/html')
      .type('form')
      .send({ request_id: filed.body.request_id, code, request_type: 'access' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('<h1>Your data</h1>');
    expect(res.text).toMatch(/<a href="https:\/\/voice\.example\.test\/forget-me\/downloads\/[A-Za-z0-9_-]{43}" download>Download 1 \(JSON\)<\/a>/);
  });

  it('known and unknown people take the same time to ask (medians within 25%)', async () => {
    const rounds = 4;
    const known: string[] = [];
    for (let i = 0; i < rounds; i += 1) {
      const email = uniqueEmail('timing');
      await seedCaller(line, email, uniquePhone());
      known.push(email);
    }
    const ip = newIp();
    const timed = async (body: object) => {
      const t0 = performance.now();
      const res = await postJson(body, ip);
      expect(res.status).toBe(202);
      return performance.now() - t0;
    };
    const tk: number[] = [];
    const tu: number[] = [];
    for (let i = 0; i < rounds; i += 1) {
      tk.push(await timed({ email: known[i], request_type: 'access' }));
      tu.push(await timed({ email: uniqueEmail('timing-unknown'), request_type: 'access' }));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(tk) / median(tu);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});

describe('do not record (Art. 21)', () => {
  it('an e-mail address gets 422: it works by phone number only', async () => {
    const res = await postJson({ email: uniqueEmail('dnr'), request_type: 'do_not_record' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('phone_required');
    expect(res.body.error.message).toContain('phone number only');
    const page = await postForm({ email: uniqueEmail('dnr'), request_type: 'do_not_record' });
    expect(page.status).toBe(422);
    expect(page.text).toContain('Not recording calls, and allowing it again, work by phone number only');
    const bad = await postJson({ phone: uniquePhone(), request_type: 'record_everything' });
    expect(bad.status).toBe(400);
  });

  it('by SMS code: the next call from that number, to any organisation (also one never called), connects unrecorded with no prompt', async () => {
    const called = await createAgentLine(db, world, { dtmfConsent: true });
    const neverCalled = await createAgentLine(db, world, { dtmfConsent: true });
    await db`update public.privacy_preferences set consent_scope = 'all_callers' where org_id in ${db([called.org.id, neverCalled.org.id])}`;
    const phone = uniquePhone();
    // Before: this caller is asked.
    const before = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: newCallSid(), AccountSid: TWILIO_TEST_SID, From: phone, To: called.number, CallStatus: 'ringing' });
    expect(before.text).toContain('<Gather');

    const filed = await postJson({ phone, request_type: 'do_not_record' });
    expect(filed.status).toBe(202);
    expect(filed.body).toMatchObject({ status: 'code_sent', channel: 'sms' });
    const sms = smsTo(phone).at(-1)!;
    expect(sms.body).toContain('your calls are not recorded');
    const verified = await request(app).post('/forget-me/verify').set('X-Forwarded-For', newIp()).send({ request_id: filed.body.request_id, code: codeIn(sms.body) });
    expect(verified.status).toBe(200);
    expect(verified.body).toMatchObject({ status: 'confirmed', request_type: 'do_not_record', request: { id: filed.body.request_id, status: 'completed' } });
    // The answer names no organisation.
    expect(JSON.stringify(verified.body)).not.toContain(called.org.id);
    // Kept as the keyed hash only, the same blind index as calls.from_hash.
    const [entry] = await db`select phone_hash from public.do_not_record_numbers where phone_hash = ${keyedHash(config.blindIndexKey, 'phone', phone)}`;
    expect(entry).toBeDefined();

    const en = disclaimerFor('en')!;
    for (const l of [called, neverCalled]) {
      const sid = newCallSid();
      const registeredBefore = elFake.registeredCalls.length;
      const res = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, AccountSid: TWILIO_TEST_SID, From: phone, To: l.number, CallStatus: 'ringing' });
      expect(res.status).toBe(200);
      expect(res.text).not.toContain('<Gather');
      expect(res.text).toContain('<Connect>');
      const [call] = await db`select consent_state, consent_language, recording_allowed, greeting_sha256 from public.calls where twilio_call_sid = ${sid}`;
      expect(call).toMatchObject({ consent_state: 'do_not_record', consent_language: null, recording_allowed: false });
      // Registered against the same unrecorded agent, greeting says it is not recorded.
      const registered = elFake.registeredCalls.slice(registeredBefore).find((c) => c.from_number === phone && c.to_number === l.number);
      const greeting = registered.conversation_initiation_client_data.conversation_config_override.agent.first_message as string;
      expect(greeting).toContain(en.not_recorded_notice);
      expect(greeting).toContain(en.ai_disclosure);
      expect(greeting).not.toContain(en.recording_notice);
      expect(registered.conversation_initiation_client_data.dynamic_variables.recorded).toBe(false);
      // Nothing is recorded at Twilio, and no proof row claims an answer.
      await sleep(200);
      expect(twilioFake.requests.filter((r) => r.method === 'POST' && r.path.includes(`/Calls/${sid}/Recordings`))).toHaveLength(0);
      expect(await db`select 1 from public.call_consents where twilio_call_sid = ${sid}`).toHaveLength(0);
      // A retry of the webhook answers the same.
      const retry = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, AccountSid: TWILIO_TEST_SID, From: phone, To: l.number, CallStatus: 'ringing' });
      expect(retry.text).toBe(res.text);
    }

    // Erasing the caller's data keeps the objection (docs/gdpr.md).
    const erased = await postJson({ phone });
    const erasureSms = smsTo(phone).at(-1)!;
    const ok = await request(app).post('/forget-me/verify').set('X-Forwarded-For', newIp()).send({ request_id: erased.body.request_id, code: codeIn(erasureSms.body) });
    expect(ok.status).toBe(200);
    expect(ok.body.request_type).toBe('erasure');
    expect(await db`select 1 from public.do_not_record_numbers where phone_hash = ${keyedHash(config.blindIndexKey, 'phone', phone)}`).toHaveLength(1);
    const after = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: newCallSid(), AccountSid: TWILIO_TEST_SID, From: phone, To: called.number, CallStatus: 'ringing' });
    expect(after.text).not.toContain('<Gather');
  });

  it('known and unknown numbers get the same answer and take the same time', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const ip = newIp();
    const rounds = 4;
    const tk: number[] = [];
    const tu: number[] = [];
    const strip = (body: Record<string, unknown>) => ({ ...body, request_id: typeof body.request_id === 'string' });
    for (let i = 0; i < rounds; i += 1) {
      const knownPhone = uniquePhone();
      await seedCaller(line, uniqueEmail('k'), knownPhone);
      let t0 = performance.now();
      const a = await postJson({ phone: knownPhone, request_type: 'do_not_record' }, ip);
      tk.push(performance.now() - t0);
      t0 = performance.now();
      const b = await postJson({ phone: uniquePhone(), request_type: 'do_not_record' }, ip);
      tu.push(performance.now() - t0);
      expect(a.status).toBe(202);
      expect(b.status).toBe(a.status);
      expect(strip(b.body)).toEqual(strip(a.body));
    }
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
    const ratio = median(tk) / median(tu);
    expect(ratio).toBeGreaterThan(0.8);
    expect(ratio).toBeLessThan(1.25);
  });
});

describe('allow recording again (the objection withdrawn)', () => {
  const hashOf = (phone: string) => keyedHash(config.blindIndexKey, 'phone', phone);
  const listed = async (phone: string) => (await db`select 1 from public.do_not_record_numbers where phone_hash = ${hashOf(phone)}`).length;
  /** Files a request by phone and confirms it with the texted code; returns both answers and the SMS. */
  async function byCode(phone: string, requestType: 'do_not_record' | 'recording_allowed') {
    const filed = await postJson({ phone, request_type: requestType });
    expect(filed.status).toBe(202);
    const sms = smsTo(phone).at(-1)!;
    const verified = await request(app).post('/forget-me/verify').set('X-Forwarded-For', newIp()).send({ request_id: filed.body.request_id, code: codeIn(sms.body) });
    expect(verified.status).toBe(200);
    return { filed, sms, verified };
  }
  /** A call from the number to the line: its stored consent state. */
  async function callFrom(phone: string, line: AgentLine) {
    const sid = newCallSid();
    const res = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, AccountSid: TWILIO_TEST_SID, From: phone, To: line.number, CallStatus: 'ringing' });
    expect(res.status).toBe(200);
    const [call] = await db<{ consent_state: string; recording_allowed: boolean }[]>`
      select consent_state, recording_allowed from public.calls where twilio_call_sid = ${sid}`;
    return { text: res.text, call: call! };
  }

  it('an e-mail address gets 422: it works by phone number only', async () => {
    const res = await postJson({ email: uniqueEmail('ra'), request_type: 'recording_allowed' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('phone_required');
    expect(res.body.error.message).toContain('phone number only');
    const page = await postForm({ email: uniqueEmail('ra'), request_type: 'recording_allowed' });
    expect(page.status).toBe(422);
  });

  it('by SMS code: a listed number leaves the list, is audited by ids and hashes only, and its next call is asked for consent again', async () => {
    // The default scope: callers from listed countries (Germany, +49) are asked.
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    const phone = uniquePhone();
    expect((await callFrom(phone, line)).call.consent_state).toBe('pending');
    await byCode(phone, 'do_not_record');
    expect(await listed(phone)).toBe(1);
    expect((await callFrom(phone, line)).call.consent_state).toBe('do_not_record');

    const { filed, sms, verified } = await byCode(phone, 'recording_allowed');
    expect(filed.body).toMatchObject({ status: 'code_sent', channel: 'sms' });
    expect(sms.body).toContain('your calls may be recorded again');
    expect(verified.body).toEqual({
      status: 'confirmed',
      request_type: 'recording_allowed',
      request: { id: filed.body.request_id, status: 'completed', received_at: expect.any(String), confirmed_at: expect.any(String) },
    });
    expect(await listed(phone)).toBe(0);

    // The request log: completed, the hash forgotten.
    const [logged] = await db`select request_type, subject_type, status, subject_hash from public.privacy_requests where id = ${filed.body.request_id}`;
    expect(logged).toEqual({ request_type: 'recording_allowed', subject_type: 'phone', status: 'completed', subject_hash: null });

    // Audited in the platform's chain like do_not_record.added: ids and the keyed hash, never the number.
    const rows = await db<{ org_id: string | null; actor_type: string; target_type: string; target_id: string; metadata: Record<string, unknown> }[]>`
      select org_id, actor_type, target_type, target_id, metadata from public.audit_logs
      where action = 'do_not_record.removed' and target_id = ${filed.body.request_id}`;
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ org_id: null, target_type: 'privacy_request', metadata: { subject_hash: hashOf(phone).toString('hex') } });
    const digits = phone.replace(/\D/g, '');
    expect(JSON.stringify(rows[0])).not.toContain(digits);
    expect(JSON.stringify(rows[0])).not.toContain(digits.slice(-7));

    // The next call is asked for consent again, as before the objection.
    const after = await callFrom(phone, line);
    expect(after.call.consent_state).toBe('pending');
    expect(after.text).toContain('<Gather');

    // The SMS code is used up: a second confirmation changes nothing.
    const again = await request(app).post('/forget-me/verify').set('X-Forwarded-For', newIp()).send({ request_id: filed.body.request_id, code: codeIn(sms.body) });
    expect(again.status).toBe(410);
  });

  it('a number that was never listed gets the same answers, and nothing else changes', async () => {
    const listedPhone = uniquePhone();
    const otherListed = uniquePhone();
    const unlisted = uniquePhone();
    await byCode(listedPhone, 'do_not_record');
    await byCode(otherListed, 'do_not_record');
    const shape = (body: Record<string, unknown>) => JSON.parse(JSON.stringify(body).replace(/"[0-9a-f-]{36}"/g, '"<id>"').replace(/"\d{4}-\d\d-\d\dT[^"]+"/g, '"<t>"'));

    const a = await byCode(listedPhone, 'recording_allowed');
    const b = await byCode(unlisted, 'recording_allowed');
    expect(shape(b.filed.body)).toEqual(shape(a.filed.body));
    expect(shape(b.verified.body)).toEqual(shape(a.verified.body));
    expect(b.sms.body.replace(/\d{6}/, '')).toBe(a.sms.body.replace(/\d{6}/, ''));
    expect(await listed(listedPhone)).toBe(0);
    expect(await listed(unlisted)).toBe(0);
    // Another number's objection stays.
    expect(await listed(otherListed)).toBe(1);
    // The unlisted number's request is logged and audited the same way.
    const [audit] = await db`select count(*)::int as n from public.audit_logs where action = 'do_not_record.removed' and target_id = ${b.filed.body.request_id}`;
    expect(audit!.n).toBe(1);

    // The page answers the same (a browser's form post and code).
    const pages: string[] = [];
    for (const phone of [otherListed, uniquePhone()]) {
      const filed = await postForm({ phone, request_type: 'recording_allowed', lang: 'de' });
      expect(filed.status).toBe(202);
      expect(filed.text).toContain('Bestätigen: Aufzeichnung wieder erlauben');
      const requestId = /name="request_id" value="([0-9a-f-]{36})"/.exec(filed.text)![1]!;
      const sms = smsTo(phone).at(-1)!;
      expect(sms.body).toContain('wieder aufgezeichnet werden dürfen');
      const done = await request(app)
        .post('/forget-me/verify')
        .set('X-Forwarded-For', newIp())
        .set('Accept', 'text/html')
        .type('form')
        .send({ request_id: requestId, code: codeIn(sms.body), request_type: 'recording_allowed', lang: 'de' });
      expect(done.status).toBe(200);
      expect(done.text).toContain('Diese Nummer steht nicht auf der Liste');
      pages.push(done.text.replace(requestId, '<id>'));
    }
    expect(pages[1]).toBe(pages[0]);
    expect(await listed(otherListed)).toBe(0);
  });
});

describe('the page offers each right', () => {
  it('in English, German and Polish, with the three choices', async () => {
    const en = await request(app).get('/forget-me');
    expect(en.status).toBe(200);
    for (const s of [
      'Send me my data',
      'Do not record my calls',
      'Allow recording again',
      'Erase my data',
      'name="request_type" value="access"',
      'name="request_type" value="do_not_record"',
      'name="request_type" value="recording_allowed"',
    ])
      expect(en.text).toContain(s);
    const de = await request(app).get('/forget-me?lang=de');
    for (const s of ['Meine Daten zusenden', 'Meine Anrufe nicht aufzeichnen', 'Aufzeichnung wieder erlauben', 'Meine Daten löschen lassen']) expect(de.text).toContain(s);
    const pl = await request(app).get('/forget-me?lang=pl');
    for (const s of ['Prześlij mi moje dane', 'Nie nagrywaj moich połączeń', 'Ponownie zezwól na nagrywanie', 'Usuń moje dane']) expect(pl.text).toContain(s);
  });
});
