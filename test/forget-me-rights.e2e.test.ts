import { randomBytes, randomInt } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disclaimerFor } from '../src/agents/disclaimer-catalogue.js';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createApp } from '../src/http/app.js';
import { keyedHash } from '../src/lib/crypto.js';
import { startElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake } from './fakes/twilio-fake.js';
import { createAgentLine, newCallSid, sleep, TWILIO_TEST_SID, TWILIO_TEST_TOKEN, twilioPost, type AgentLine, type CallWorld } from './helpers/call-harness.js';
import { bearer, openIsolatedTestDb, testConfig } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let smtp: TestSmtp;
let world: CallWorld;
let server: Server;
let base: string;
let profileDir: string;
let browser: BrowserContext;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  const twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  const elFake = await startElevenLabsFake({ apiKey: 'el-test-key' });
  // Listen first: links in e-mails and Twilio's signatures use the real address.
  let handler: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => res.writeHead(503).end();
  server = createServer((req, res) => handler(req, res));
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
  profileDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-chromium-'));
  browser = await chromium.launchPersistentContext(profileDir, { executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, acceptDownloads: true });
}, 120_000);

afterAll(async () => {
  await browser?.close();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await world.close();
  await smtp.close();
  await isolated.close();
});

/** A page that records any script error or CSP violation. */
async function newPage(): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource: the server responded with a status of')) problems.push(`console: ${msg.text()}`);
  });
  return { page, problems };
}

const voice = (line: AgentLine, sid: string, from: string) =>
  twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, AccountSid: TWILIO_TEST_SID, From: from, To: line.number, FromCountry: 'DE', CallStatus: 'ringing' });

describe('a caller exercises their rights, in a real browser', () => {
  it('asks for their data by e-mail link and downloads a JSON export matching the organisation\'s own export of them', async () => {
    const email = `erika-${randomBytes(5).toString('hex')}@example.test`;
    const phone = `+4930${randomInt(10_000_000, 99_999_999)}`;
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const sid = newCallSid();
    expect((await voice(line, sid, phone)).status).toBe(200);
    const [call] = await db<{ id: string }[]>`select id from public.calls where twilio_call_sid = ${sid}`;
    await db`
      insert into public.leads (org_id, call_id, name, email, email_hash, phone, phone_hash)
      values (${line.org.id}, ${call!.id}, 'Erika Mustermann', ${email}, ${keyedHash(world.config.blindIndexKey, 'email', email)},
              ${phone}, ${keyedHash(world.config.blindIndexKey, 'phone', phone)})`;

    const { page, problems } = await newPage();
    await page.setViewportSize({ width: 375, height: 812 });
    expect((await page.goto(`${base}/forget-me`))!.status()).toBe(200);
    await page.getByLabel('E-mail address for the copy').fill(email);
    await Promise.all([page.waitForURL(`${base}/forget-me`), page.getByRole('button', { name: 'Send me a link to get my data' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Check your inbox');

    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const link = /(http:\/\/127\.0\.0\.1:\d+\/forget-me\/confirm\?token=[A-Za-z0-9._-]+)/.exec(mail.text)![1]!;
    await page.goto(link);
    expect(await page.locator('h1').textContent()).toBe('Confirm your request for your data');
    await Promise.all([page.waitForURL(`${base}/forget-me/confirm`), page.getByRole('button', { name: 'Show my downloads' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your data');
    const links = page.locator('#downloads a');
    expect(await links.count()).toBe(1);

    const [download] = await Promise.all([page.waitForEvent('download'), links.first().click()]);
    const file = await download.path();
    const document = JSON.parse(readFileSync(file, 'utf8'));
    expect(download.suggestedFilename()).toBe(`personal-data-${line.org.id}.json`);

    const theirs = await request(world.app).post(`/api/orgs/${line.org.id}/exports`).set(...bearer(line.org.owner)).send({ email });
    expect(theirs.status).toBe(200);
    expect(document.data).toEqual(theirs.body.data);
    expect(document.organization).toEqual(theirs.body.organization);
    expect(document.data.leads[0].email).toBe(email);
    expect(document.recipients.length).toBeGreaterThan(0);
    expect(document.retention.retention_days).toBe(30);

    // The link worked once.
    const again = await page.goto(await links.first().getAttribute('href').then((h) => h!));
    expect(again!.status()).toBe(410);
    expect(await page.locator('h1').textContent()).toBe('This download has already been used');
    expect(problems).toEqual([]);
    await page.close();
  });

  it('asks not to be recorded by SMS code; the next call from that number is connected unrecorded, with no prompt and a greeting saying so; allowing recording again brings the prompt back', async () => {
    const phone = `+4930${randomInt(10_000_000, 99_999_999)}`;
    const line = await createAgentLine(db, world, { dtmfConsent: true });
    // Before: a German caller of this organisation is asked.
    expect((await voice(line, newCallSid(), phone)).text).toContain('<Gather');

    const { page, problems } = await newPage();
    await page.goto(`${base}/forget-me`);
    await page.getByLabel('The number you call from').fill(phone);
    await Promise.all([page.waitForURL(`${base}/forget-me`), page.getByRole('button', { name: 'Text me a code to stop recording' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Enter the code from the SMS');
    const sms = world.twilioFake.messages.filter((m) => m.to === phone).at(-1)!;
    const code = /(\d{6})/.exec(sms.body)![1]!;
    await page.getByLabel('Code (6 digits)').fill(code);
    await Promise.all([page.waitForURL(`${base}/forget-me/verify`), page.getByRole('button', { name: 'Confirm: do not record my calls' }).click()]);
    await expect.poll(() => page.locator('h1').textContent()).toBe('Your calls will not be recorded');
    expect(problems).toEqual([]);
    await page.close();

    const sid = newCallSid();
    const before = world.elFake.registeredCalls.length;
    const res = await voice(line, sid, phone);
    expect(res.status).toBe(200);
    expect(res.text).not.toContain('<Gather');
    expect(res.text).toContain('<Connect>');
    const [row] = await db`select consent_state, recording_allowed from public.calls where twilio_call_sid = ${sid}`;
    expect(row).toEqual({ consent_state: 'do_not_record', recording_allowed: false });
    const registered = world.elFake.registeredCalls.slice(before).find((c) => c.from_number === phone);
    const greeting = registered.conversation_initiation_client_data.conversation_config_override.agent.first_message as string;
    const en = disclaimerFor('en')!;
    expect(greeting).toContain(en.not_recorded_notice);
    expect(greeting).not.toContain(en.recording_notice);
    await sleep(200);
    expect(world.twilioFake.requests.filter((r) => r.method === 'POST' && r.path.includes(`/Calls/${sid}/Recordings`))).toHaveLength(0);

    // Then allows recording again on the same page: the next call is asked for consent again.
    const again = await newPage();
    await again.page.goto(`${base}/forget-me`);
    await again.page.getByLabel('Number to allow recording for').fill(phone);
    await Promise.all([again.page.waitForURL(`${base}/forget-me`), again.page.getByRole('button', { name: 'Text me a code to allow recording again' }).click()]);
    await expect.poll(() => again.page.locator('h1').textContent()).toBe('Enter the code from the SMS');
    const allowSms = world.twilioFake.messages.filter((m) => m.to === phone).at(-1)!;
    expect(allowSms.body).toContain('may be recorded again');
    await again.page.getByLabel('Code (6 digits)').fill(/(\d{6})/.exec(allowSms.body)![1]!);
    await Promise.all([again.page.waitForURL(`${base}/forget-me/verify`), again.page.getByRole('button', { name: 'Confirm: allow recording again' }).click()]);
    await expect.poll(() => again.page.locator('h1').textContent()).toBe('This number is not on the do-not-record list');
    expect(again.problems).toEqual([]);
    await again.page.close();
    expect(await db`select 1 from public.do_not_record_numbers where phone_hash = ${keyedHash(world.config.blindIndexKey, 'phone', phone)}`).toHaveLength(0);
    const askedSid = newCallSid();
    expect((await voice(line, askedSid, phone)).text).toContain('<Gather');
    const [asked] = await db`select consent_state from public.calls where twilio_call_sid = ${askedSid}`;
    expect(asked).toEqual({ consent_state: 'pending' });
  });
});
