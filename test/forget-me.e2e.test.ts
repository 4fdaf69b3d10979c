import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createApp } from '../src/http/app.js';
import { keyedHash } from '../src/lib/crypto.js';
import { startElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake } from './fakes/twilio-fake.js';
import {
  createAgentLine,
  elevenLabsSignature,
  newCallSid,
  postCallBody,
  TWILIO_TEST_SID,
  TWILIO_TEST_TOKEN,
  twilioPost,
  waitFor,
  type AgentLine,
  type CallWorld,
} from './helpers/call-harness.js';
import { openIsolatedTestDb, testConfig } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let smtp: TestSmtp;
let world: CallWorld;
let server: Server;
let base: string;
let profileDir: string;
let browser: BrowserContext;
/** The Origin and Sec-Fetch-Site of every POST /forget-me/confirm, as the browser sent them. */
const confirmPosts: { origin?: string; site?: string }[] = [];

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  const twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  const elFake = await startElevenLabsFake({ apiKey: 'el-test-key' });

  // Listen first: links in e-mails and Twilio's signatures use the real address.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === '/forget-me/confirm') {
      confirmPosts.push({ origin: req.headers.origin, site: req.headers['sec-fetch-site'] as string | undefined });
    }
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const config = testConfig({
    PUBLIC_BASE_URL: base,
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_API_BASE_URL: twilioFake.url,
    TWILIO_SMS_FROM: '+35315550100',
    ELEVENLABS_API_KEY: 'el-test-key',
    ELEVENLABS_BASE_URL: elFake.url,
    SMTP_URL: smtp.url,
  });
  const app = createApp(buildAppDeps(config, db));
  handler = app;
  world = {
    config,
    app,
    twilioFake,
    elFake,
    async close() {
      await twilioFake.close();
      await elFake.close();
    },
  };

  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: install Debian's chromium (apt-get install chromium), as .ci/run does`);
  // A new, empty profile for every run.
  profileDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
  });
});

afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await world.close();
  await smtp.close();
  await isolated.close();
});

/**
 * A page that records any script error or CSP violation. (Chromium also logs
 * every non-2xx answer, e.g. the favicon's 404 or an expected 410, as a
 * console error; those are statuses the tests check themselves.)
 */
async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of')) {
      problems.push(`console: ${msg.text()}`);
    }
  });
  return { page, problems };
}

interface SeededCall {
  callId: string;
  recordingSid: string;
  conversationId: string;
}

/**
 * One call from the person to an organisation's agent, through the webhooks:
 * consent by keypad where asked, a completed recording, and ElevenLabs'
 * post-call webhook with a transcript and the person's e-mail address.
 */
async function callFromPerson(line: AgentLine, from: string, email: string): Promise<SeededCall> {
  const sid = newCallSid();
  const voice = await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, AccountSid: TWILIO_TEST_SID, From: from, To: line.number, FromCountry: 'DE' });
  expect(voice.status).toBe(200);
  if (voice.text.includes('<Gather')) {
    const consent = await twilioPost(world, '/webhooks/twilio/consent?attempt=1', { CallSid: sid, AccountSid: TWILIO_TEST_SID, Digits: '1' });
    expect(consent.text).toContain('<Connect>');
  }
  const rec = await waitFor(() => [...world.twilioFake.recordings.values()].find((r) => r.callSid === sid), 'the recording to start');
  world.twilioFake.completeRecording(rec.sid, 30);
  const done = await twilioPost(world, '/webhooks/twilio/recording', {
    CallSid: sid,
    AccountSid: TWILIO_TEST_SID,
    RecordingSid: rec.sid,
    RecordingStatus: 'completed',
    RecordingDuration: '30',
    RecordingChannels: '2',
  });
  expect(done.status).toBe(204);
  await waitFor(async () => (await db`select 1 from public.recordings where twilio_recording_sid = ${rec.sid} and sha256 is not null`).length === 1, 'the recording fingerprint');

  const [call] = await db<{ id: string }[]>`select id from public.calls where twilio_call_sid = ${sid}`;
  const conversationId = `conv_${randomBytes(10).toString('hex')}`;
  world.elFake.addConversation(conversationId, line.externalAgentId);
  const body = postCallBody(call!.id, conversationId, {
    analysis: { data_collection_results: { name: { value: 'Erika Mustermann' }, email: { value: email } } },
  });
  const post = await request(world.app)
    .post('/webhooks/elevenlabs/post-call')
    .set('content-type', 'application/json')
    .set('ElevenLabs-Signature', elevenLabsSignature(world.config.elevenlabs.webhookSecret, body))
    .send(body);
  expect(post.body).toEqual({ status: 'stored', call_id: call!.id });
  return { callId: call!.id, recordingSid: rec.sid, conversationId };
}

/** Rows in any text or JSON column of schemas public and app that contain `needle`, as table.column. */
async function whereFound(needle: string): Promise<string[]> {
  const columns = await db<{ table_schema: string; table_name: string; column_name: string }[]>`
    select c.table_schema, c.table_name, c.column_name
    from information_schema.columns c
    join information_schema.tables t on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_type = 'BASE TABLE'
    where c.table_schema in ('public', 'app') and c.data_type in ('text', 'character varying', 'jsonb', 'json', 'ARRAY')`;
  const found: string[] = [];
  for (const c of columns) {
    const [row] = await db.unsafe<{ n: number }[]>(
      `select count(*)::int as n from "${c.table_schema}"."${c.table_name}" where position($1 in "${c.column_name}"::text) > 0`,
      [needle],
    );
    if (row!.n > 0) found.push(`${c.table_schema}.${c.table_name}.${c.column_name}`);
  }
  return found;
}

describe('forget me, in a real browser', () => {
  it('an e-mailed link erases the person everywhere: every table, Twilio and ElevenLabs', async () => {
    const email = `erika-${randomBytes(5).toString('hex')}@example.test`;
    const phone = `+4930${randomInt(10_000_000, 99_999_999)}`;
    const lineA = await createAgentLine(db, world, { dtmfConsent: true });
    const lineB = await createAgentLine(db, world, { dtmfConsent: false });
    const calls = [await callFromPerson(lineA, phone, email), await callFromPerson(lineB, phone, email)];
    const callIds = calls.map((c) => c.callId);
    const emailHash = keyedHash(world.config.blindIndexKey, 'email', email);
    const phoneHash = keyedHash(world.config.blindIndexKey, 'phone', phone);

    // Before: the person is there, in both organisations.
    const leads = await db`select org_id from public.leads where email_hash = ${emailHash}`;
    expect(new Set(leads.map((l) => l.org_id))).toEqual(new Set([lineA.org.id, lineB.org.id]));
    expect(await db`select 1 from public.transcripts where call_id = any(${callIds}::uuid[])`).toHaveLength(2);
    expect(await db`select 1 from public.recordings where call_id = any(${callIds}::uuid[])`).toHaveLength(2);
    expect(await db`select 1 from public.call_consents where caller_hash = ${phoneHash}`).toHaveLength(1);
    expect((await whereFound(email)).length).toBeGreaterThan(0);
    expect((await whereFound(phone)).length).toBeGreaterThan(0);

    const { page, problems } = await newPage();
    const form = await page.goto(`${base}/forget-me`);
    expect(form!.status()).toBe(200);
    expect(await page.getAttribute('html', 'lang')).toBe('en');
    await page.getByLabel('Your e-mail address').fill(email);
    await Promise.all([page.waitForURL(`${base}/forget-me`), page.getByRole('button', { name: 'Send confirmation link' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');

    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Please confirm your erasure request');
    const link = new RegExp(`${base.replace(/[.:/]/g, '\\$&')}/forget-me/confirm\\?token=[A-Za-z0-9._-]+`).exec(mail.text)![0];
    // Opening the link asks; it erases nothing.
    const opened = await page.goto(link);
    expect(opened!.status()).toBe(200);
    expect(opened!.headers()['referrer-policy']).toBe('same-origin');
    expect(opened!.headers()['cache-control']).toBe('no-store');
    expect(await page.locator('h1').textContent()).toBe('Confirm your erasure request');
    expect(await db`select 1 from public.leads where email_hash = ${emailHash}`).toHaveLength(2);
    expect(await db`select status from public.erasure_requests where subject_hash = ${emailHash}`).toEqual([{ status: 'pending_confirmation' }]);

    // The person presses the button (the form is named by its heading; the button by its text).
    const confirmForm = page.getByRole('form', { name: 'Confirm your erasure request' });
    await Promise.all([page.waitForURL(`${base}/forget-me/confirm`), confirmForm.getByRole('button', { name: 'Erase my data now' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your request is confirmed');
    // Under Referrer-Policy same-origin the browser names our own origin on the post.
    expect(confirmPosts.at(-1)).toEqual({ origin: base, site: 'same-origin' });

    const shot = path.join(mkdtempSync(path.join(tmpdir(), 'voice-gdpr-shot-')), 'confirmed.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(0);
    rmSync(path.dirname(shot), { recursive: true, force: true });

    // The erasure reaches both providers, completes, and the person is told.
    await waitFor(
      () => calls.every((c) => world.twilioFake.deletedRecordings.includes(c.recordingSid) && world.elFake.deletedConversations.includes(c.conversationId)),
      'the DELETEs at Twilio and ElevenLabs',
      15_000,
    );
    await smtp.waitFor((m) => m.to.includes(email) && m.subject.startsWith('Your erasure request is complete'), 15_000);

    // After: nothing of the person is left in any table.
    expect(await db`select 1 from public.leads where email_hash = ${emailHash} or phone_hash = ${phoneHash} or call_id = any(${callIds}::uuid[])`).toHaveLength(0);
    expect(await db`select 1 from public.transcripts where call_id = any(${callIds}::uuid[])`).toHaveLength(0);
    expect(await db`select 1 from public.recordings where call_id = any(${callIds}::uuid[])`).toHaveLength(0);
    expect(await db`select 1 from public.calls where from_hash = ${phoneHash}`).toHaveLength(0);
    const scrubbed = await db`select from_number, from_hash, elevenlabs_conversation_id from public.calls where id = any(${callIds}::uuid[])`;
    expect(scrubbed).toEqual([
      { from_number: null, from_hash: null, elevenlabs_conversation_id: null },
      { from_number: null, from_hash: null, elevenlabs_conversation_id: null },
    ]);
    expect(await db`select 1 from public.call_consents where caller_hash = ${phoneHash}`).toHaveLength(0);
    expect(await whereFound(email)).toEqual([]);
    expect(await whereFound(phone)).toEqual([]);
    const receipts = await db`select provider, status from public.provider_deletions where resource_id = any(${calls.flatMap((c) => [c.recordingSid, c.conversationId])}) order by provider`;
    expect(receipts).toEqual([
      { provider: 'elevenlabs', status: 'done' },
      { provider: 'elevenlabs', status: 'done' },
      { provider: 'twilio', status: 'done' },
      { provider: 'twilio', status: 'done' },
    ]);

    // The link works once: opened again, it changes nothing.
    const again = await page.goto(link);
    expect(again!.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This link has already been used');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('in German, and a form on another website that posts the token is refused with a clear page', async () => {
    const email = `max-${randomBytes(5).toString('hex')}@example.test`;
    const { page, problems } = await newPage();
    await page.goto(`${base}/forget-me?lang=de`);
    await page.getByLabel('Ihre E-Mail-Adresse').fill(email);
    await Promise.all([page.waitForURL(`${base}/forget-me`), page.getByRole('button', { name: 'Bestätigungslink senden' }).click()]);
    const mail = await smtp.waitFor((m) => m.to.includes(email) && m.subject === 'Bitte bestätigen Sie Ihren Löschantrag');
    const link = new RegExp(`${base.replace(/[.:/]/g, '\\$&')}/forget-me/confirm\\?token=[A-Za-z0-9._-]+&lang=de`).exec(mail.text)![0];
    const token = new URL(link).searchParams.get('token')!;

    // Another website (another origin) posts the same form on the person's behalf.
    const evil = createServer((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end(
        `<!doctype html><html lang="en"><title>Win a prize</title><form method="post" action="${base}/forget-me/confirm"><input type="hidden" name="token" value="${token}"><input type="hidden" name="lang" value="de"><button>Win</button></form>`,
      );
    });
    await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
    try {
      const evilOrigin = `http://127.0.0.1:${(evil.address() as AddressInfo).port}`;
      await page.goto(evilOrigin);
      const [refused] = await Promise.all([page.waitForResponse(`${base}/forget-me/confirm`), page.getByRole('button', { name: 'Win' }).click()]);
      expect(refused.status()).toBe(403);
      expect(confirmPosts.at(-1)!.origin).toBe(evilOrigin);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Diese Bestätigung kam von einer anderen Website');
      const hash = keyedHash(world.config.blindIndexKey, 'email', email);
      expect(await db`select status from public.erasure_requests where subject_hash = ${hash}`).toEqual([{ status: 'pending_confirmation' }]);

      // The link itself still works, in German.
      await page.goto(link);
      expect(await page.getAttribute('html', 'lang')).toBe('de');
      expect(await page.locator('h1').textContent()).toBe('Bitte bestätigen Sie Ihren Löschantrag');
      await Promise.all([page.waitForURL(`${base}/forget-me/confirm`), page.getByRole('button', { name: 'Meine Daten jetzt löschen' }).click()]);
      await expect.poll(() => page.locator('h1').textContent()).toBe('Ihr Antrag ist bestätigt');
      expect((await db`select status from public.erasure_requests where subject_hash = ${hash}`)[0]!.status).not.toBe('pending_confirmation');
    } finally {
      evil.closeAllConnections();
      await new Promise<void>((resolve) => evil.close(() => resolve()));
    }
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the German page and its link to switch language', async () => {
    const { page, problems } = await newPage();
    await page.goto(`${base}/forget-me?lang=de`);
    expect(await page.getAttribute('html', 'lang')).toBe('de');
    expect(await page.locator('h1').textContent()).toBe('Ihre Daten: Auskunft, keine Aufzeichnung, Löschung');
    await page.getByRole('link', { name: 'English' }).click();
    await page.waitForURL(`${base}/forget-me?lang=en`);
    expect(await page.locator('h1').textContent()).toBe('Your data: get a copy, stop recording, erase it');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('the Polish page at 375 px names the operator and the privacy contact', async () => {
    const { page, problems } = await newPage();
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${base}/forget-me?lang=de`);
    await page.getByRole('link', { name: 'Polski' }).click();
    await page.waitForURL(`${base}/forget-me?lang=pl`);
    expect(await page.getAttribute('html', 'lang')).toBe('pl');
    expect(await page.locator('h1').textContent()).toBe('Pana/Pani dane: kopia, bez nagrywania, usunięcie');
    const contact = page.getByRole('link', { name: world.config.operator.privacyEmail });
    await expect.poll(() => contact.isVisible()).toBe(true);
    expect(await contact.getAttribute('href')).toBe(`mailto:${world.config.operator.privacyEmail}`);
    expect(await page.locator('#operator-name').textContent()).toBe(world.config.operator.name);
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    expect(problems).toEqual([]);
    await page.close();
  });
});
