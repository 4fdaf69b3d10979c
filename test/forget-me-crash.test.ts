import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { keyedHash } from '../src/lib/crypto.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { sleep, TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from './helpers/call-harness.js';
import { testConfig } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

/**
 * Finding: a crash between using a confirmation link (or SMS code) and
 * committing the erasure must not lose the request. The real server process
 * is stopped inside the confirmation, right where it starts the erasure, and
 * killed with SIGKILL; after a restart the link or code must still work and
 * the person must be erased.
 *
 * How the server is stopped there, with nothing in src/ knowing about tests:
 * - PostgreSQL: this test holds the erasure request's row lock (SELECT … FOR
 *   NO KEY UPDATE in its own transaction), which the confirmation needs; the
 *   server's backend shows up waiting on it in pg_stat_activity.
 * - Embedded database (owned by the server process, as in `npm start`): PGlite
 *   runs one transaction at a time, so a row lock held here would stop the
 *   server before it even used the link. Instead a trigger of this test on the
 *   request's row sleeps when the request turns confirmed; PGlite sleeps in the
 *   server's thread, so the server stops answering /healthz right there.
 */

const EL_KEY = 'el-test-key';
const SMS_FROM = '+35315550100';
const embedded = inject('embedded');

let config: AppConfig;
let smtp: TestSmtp;
let twilioFake: TwilioFake;
let elFake: ElevenLabsFake;
let port: number;
let base: string;
const dirs: string[] = [];
const cleanups: (() => Promise<void>)[] = [];
let server: { child: ChildProcess; output: string[] } | undefined;
/** Where the server keeps its data: its own PostgreSQL database, or its embedded one. */
let target: { env: Record<string, string>; url(): string };

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
}

function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    ...process.env,
    PORT: String(port),
    PUBLIC_BASE_URL: base,
    SUPABASE_JWT_SECRET: config.supabase.jwtSecret!,
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_API_BASE_URL: twilioFake.url,
    TWILIO_SMS_FROM: SMS_FROM,
    ELEVENLABS_API_KEY: EL_KEY,
    ELEVENLABS_BASE_URL: elFake.url,
    ELEVENLABS_WEBHOOK_SECRET: config.elevenlabs.webhookSecret,
    TRANSCRIPT_KEYS: `k1:${config.transcriptKeys.get('k1')!.toString('base64')}`,
    FORGET_ME_SECRET: config.forgetMeSecret,
    BLIND_INDEX_KEY: config.blindIndexKey.toString('utf8'),
    SMTP_URL: smtp.url,
    MAIL_FROM: 'privacy@voice.example.test',
    DPO_EMAIL: 'dpo@voice.example.test',
    // No jobs: the request must complete through the person's own link or code.
    CRON_ENABLED: 'false',
    LOG_LEVEL: 'warn',
    ...extra,
  };
  delete env.NODE_ENV;
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  return env as NodeJS.ProcessEnv;
}

async function startServer(): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: childEnv(target.env), stdio: ['ignore', 'pipe', 'pipe'] });
  const output: string[] = [];
  child.stdout!.on('data', (d) => output.push(String(d)));
  child.stderr!.on('data', (d) => output.push(String(d)));
  server = { child, output };
  const deadline = Date.now() + 120_000;
  for (;;) {
    const ready = await fetch(`${base}/readyz`).catch(() => undefined);
    if (ready?.ok) return;
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${output.join('')}`);
    await sleep(200);
  }
}

async function killServer(): Promise<void> {
  const { child } = server!;
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  child.kill('SIGKILL');
  expect(await exited).toBe('SIGKILL');
  server = undefined;
}

async function stopServer(): Promise<void> {
  const { child, output } = server!;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.kill('SIGTERM');
  expect(await exited, output.join('')).toBe(0);
  server = undefined;
}

/** A connection to the server's database (for the embedded one: through the running server's port). */
function connect(): ServiceDb {
  return postgres(target.url(), { max: embedded ? 1 : 3, onnotice: () => {} });
}

beforeAll(async () => {
  config = testConfig();
  smtp = await startSmtp();
  twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  elFake = await startElevenLabsFake({ apiKey: EL_KEY });
  port = await freePort();
  base = `http://127.0.0.1:${port}`;
  if (embedded) {
    const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-crash-'));
    dirs.push(dir);
    target = {
      env: { DATA_DIR: dir },
      url() {
        const lock = JSON.parse(readFileSync(path.join(dir, 'db', 'pglite.lock'), 'utf8')) as { port: number };
        return `postgres://postgres@127.0.0.1:${lock.port}/postgres`;
      },
    };
  } else {
    // A database of its own: the server works the global provider-deletion queue after an erasure.
    const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
    const name = `crash_${Date.now()}_${randomBytes(3).toString('hex')}`;
    await admin.unsafe(`create database ${name}`);
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${name}`;
    const own = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await migrate(own);
    await own.end();
    const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-crash-'));
    dirs.push(dir);
    target = { env: { DATABASE_URL: url.toString(), DATA_DIR: dir }, url: () => url.toString() };
    cleanups.push(async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    });
  }
}, 180_000);

afterAll(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
  await twilioFake?.close();
  await elFake?.close();
  await smtp?.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** Confirms with the e-mailed link: the button on its page posts the token, from our origin. */
const useLink = (link: string) =>
  fetch(`${base}/forget-me/confirm`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json', Origin: base },
    body: JSON.stringify({ token: new URL(link).searchParams.get('token') }),
  });
const useCode = (requestId: string, code: string) =>
  fetch(`${base}/forget-me/verify`, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify({ request_id: requestId, code }) });

/**
 * Sends `confirm`, lets the server run until it is about to start the erasure
 * of `requestId`, and kills it there with SIGKILL.
 */
async function crashWhileConfirming(requestId: string, confirm: () => Promise<Response>): Promise<void> {
  const sql = connect();
  try {
    if (embedded) {
      await sql.unsafe(`
        create schema crash_test;
        create function crash_test.hold() returns trigger language plpgsql as $$ begin perform pg_sleep(3600); return new; end $$;
        create trigger crash_test_hold before update on public.erasure_requests for each row
          when (new.id = '${requestId}'::uuid and new.status = 'confirmed') execute function crash_test.hold();`);
      await sql.end();
      const answer = confirm().then(
        (r) => `answered ${r.status}`,
        () => 'no answer',
      );
      // The server stops answering once PGlite sleeps in the trigger.
      const deadline = Date.now() + 30_000;
      for (;;) {
        const alive = await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(2000) }).then(
          (r) => r.ok,
          () => false,
        );
        if (!alive) break;
        const settled = await Promise.race([answer, sleep(50).then(() => undefined)]);
        if (settled) throw new Error(`the confirmation ${settled} before the erasure started`);
        if (Date.now() > deadline) throw new Error('the server never reached the erasure');
      }
      await killServer();
      expect(await answer).toBe('no answer');
      return;
    }

    const lock = await sql.reserve();
    try {
      await lock`begin`;
      // NO KEY UPDATE: the code's foreign-key check (KEY SHARE) passes, the server's FOR UPDATE waits.
      await lock`select id from public.erasure_requests where id = ${requestId} for no key update`;
      const answer = confirm().then(
        (r) => `answered ${r.status}`,
        () => 'no answer',
      );
      const deadline = Date.now() + 30_000;
      let blocked: number | undefined;
      while (!blocked) {
        const [row] = await sql<{ pid: number }[]>`
          select pid from pg_stat_activity
          where datname = current_database() and wait_event_type = 'Lock' and query ilike '%erasure_requests%for update%'`;
        blocked = row?.pid;
        const settled = await Promise.race([answer, sleep(20).then(() => undefined)]);
        if (settled) throw new Error(`the confirmation ${settled} before the erasure started`);
        if (!blocked && Date.now() > deadline) {
          const all = await sql`select pid, state, wait_event_type, wait_event, query from pg_stat_activity where datname = current_database()`;
          throw new Error(`the server never reached the erasure: ${JSON.stringify(all)}\n${server?.output.join('')}`);
        }
      }
      await killServer();
      expect(await answer).toBe('no answer');
      // The dead process's connection goes away (PostgreSQL would notice on its next write).
      await sql`select pg_terminate_backend(${blocked})`;
      await lock`rollback`;
    } finally {
      lock.release();
    }
  } finally {
    await sql.end();
  }
}

describe('a crash while confirming loses nothing', () => {
  it('the link and the SMS code still work after a SIGKILL between using them and erasing', { timeout: 300_000 }, async () => {
    await startServer();
    const email = `crash-${randomBytes(5).toString('hex')}@example.test`;
    const phone = `+4930${randomInt(10_000_000, 99_999_999)}`;
    const emailHash = keyedHash(config.blindIndexKey, 'email', email);
    const phoneHash = keyedHash(config.blindIndexKey, 'phone', phone);

    let sql = connect();
    const [org] = await sql<{ id: string }[]>`select id from public.organizations order by created_at limit 1`;
    await sql`insert into public.leads (org_id, name, email, email_hash) values (${org!.id}, 'Erika Mustermann', ${email}, ${emailHash})`;
    await sql`insert into public.leads (org_id, name, phone, phone_hash) values (${org!.id}, 'Max Mustermann', ${phone}, ${phoneHash})`;
    await sql.end();

    // The person asks by e-mail and by phone.
    const byEmail = await fetch(`${base}/forget-me`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ email }) });
    expect(byEmail.status).toBe(202);
    const mail = await smtp.waitFor((m) => m.to.includes(email), 15_000);
    const link = new RegExp(`${base.replace(/[.:/]/g, '\\$&')}/forget-me/confirm\\?token=[A-Za-z0-9._-]+`).exec(mail.text)![0];
    const byPhone = await fetch(`${base}/forget-me`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ phone }) });
    expect(byPhone.status).toBe(202);
    const phoneRequestId = ((await byPhone.json()) as { request_id: string }).request_id;
    const code = /\b(\d{6})\b/.exec(twilioFake.messages.find((m) => m.to === phone)!.body)![1]!;

    sql = connect();
    const requestOf = async (hash: Buffer) => {
      const [row] = await sql<{ id: string; status: string }[]>`select id, status from public.erasure_requests where subject_hash = ${hash}`;
      return row!;
    };
    const emailRequestId = (await requestOf(emailHash)).id;
    await sql.end();

    // 1. The link: killed between using it and erasing.
    await crashWhileConfirming(emailRequestId, () => useLink(link));
    await startServer();
    sql = connect();
    if (embedded) await sql`drop schema crash_test cascade`;
    expect(await requestOf(emailHash)).toEqual({ id: emailRequestId, status: 'pending_confirmation' });
    expect(await sql`select 1 from app.used_nonces where kind = 'forget_me_link' and nonce = ${emailRequestId}`).toHaveLength(0);
    await sql.end();

    // The person opens the link again: it works, and they are erased.
    const again = await useLink(link);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'confirmed', request: { id: emailRequestId } });
    sql = connect();
    expect(['in_progress', 'completed']).toContain((await requestOf(emailHash)).status);
    expect(await sql`select 1 from public.leads where email_hash = ${emailHash}`).toHaveLength(0);
    await sql.end();

    // 2. The SMS code: the same.
    await crashWhileConfirming(phoneRequestId, () => useCode(phoneRequestId, code));
    await startServer();
    sql = connect();
    if (embedded) await sql`drop schema crash_test cascade`;
    expect(await requestOf(phoneHash)).toEqual({ id: phoneRequestId, status: 'pending_confirmation' });
    expect(await sql`select consumed_at from app.forget_me_codes where request_id = ${phoneRequestId}`).toEqual([{ consumed_at: null }]);
    await sql.end();

    const verified = await useCode(phoneRequestId, code);
    expect(verified.status).toBe(200);
    expect(await verified.json()).toMatchObject({ status: 'confirmed', request: { id: phoneRequestId } });
    sql = connect();
    expect(['in_progress', 'completed']).toContain((await requestOf(phoneHash)).status);
    expect(await sql`select 1 from public.leads where phone_hash = ${phoneHash}`).toHaveLength(0);
    await sql.end();

    await stopServer();
  });
});
