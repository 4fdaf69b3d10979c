import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, inject } from 'vitest';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

/**
 * `npm start` as a deployment runs it: NODE_ENV=production with every variable
 * production requires, on this Node (20 has no global WebSocket, which
 * supabase-js's realtime client otherwise insists on). On PostgreSQL the server
 * gets an empty database of its own and migrates it on start; on the embedded
 * database it joins the run's database (already migrated) over its socket.
 */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-production-'));
let server: ChildProcess | undefined;
let smtp: TestSmtp;
let twilio: TwilioFake;
let elevenlabs: ElevenLabsFake;
let databaseUrl = inject('databaseUrl');
let dropDatabase: (() => Promise<void>) | undefined;

beforeAll(async () => {
  [smtp, twilio, elevenlabs] = await Promise.all([startSmtp(), startTwilioFake(), startElevenLabsFake()]);
  if (!inject('embedded')) {
    const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
    const name = `production_start_${Date.now()}_${randomBytes(3).toString('hex')}`;
    await admin.unsafe(`create database ${name}`);
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${name}`;
    databaseUrl = url.toString();
    dropDatabase = async () => {
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  }
});

afterAll(async () => {
  server?.kill('SIGKILL');
  await dropDatabase?.();
  await Promise.all([smtp?.close(), twilio?.close(), elevenlabs?.close()]);
  rmSync(dataDir, { recursive: true, force: true });
});

const METRICS_TOKEN = randomBytes(32).toString('base64url');

/** Every variable production requires (src/config/env.ts), and nothing from the test's own environment. */
function productionEnv(port: number): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    NODE_ENV: 'production',
    LOG_LEVEL: 'info',
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PUBLIC_BASE_URL: 'https://voice.example.test',
    SUPABASE_URL: 'http://127.0.0.1:9',
    SUPABASE_SERVICE_ROLE_KEY: 'service-role-key-for-tests',
    SUPABASE_JWT_SECRET: 'production-start-jwt-secret-'.padEnd(48, 'j'),
    TWILIO_ACCOUNT_SID: twilio.accountSid,
    TWILIO_AUTH_TOKEN: 'production-start-twilio-token-0123456789',
    TWILIO_API_BASE_URL: twilio.url,
    TWILIO_SMS_FROM: '+4930123456780',
    ELEVENLABS_API_KEY: 'production-start-elevenlabs-key',
    ELEVENLABS_BASE_URL: elevenlabs.url,
    ELEVENLABS_WEBHOOK_SECRET: 'wsec_production_start_0123456789',
    SMTP_URL: smtp.url,
    MAIL_FROM: 'privacy@voice.example.test',
    DPO_EMAIL: 'dpo@voice.example.test',
    TRANSCRIPT_KEYS: `k1:${randomBytes(32).toString('base64')}`,
    TRANSCRIPT_KEY_ID: 'k1',
    FORGET_ME_SECRET: randomBytes(32).toString('base64url'),
    BLIND_INDEX_KEY: randomBytes(32).toString('base64url'),
    METRICS_TOKEN: METRICS_TOKEN,
  };
}

describe('npm start with NODE_ENV=production', () => {
  it(`starts on Node ${process.versions.node} with every required variable, serves /readyz and shuts down cleanly`, async () => {
    const port = await freePort();
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
      env: productionEnv(port),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    let exitCode: number | null | undefined;
    void exited.then((code) => (exitCode = code));

    const deadline = Date.now() + 90_000;
    let ready: Response | undefined;
    while (Date.now() < deadline && exitCode === undefined) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (ready?.ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(exitCode, output).toBeUndefined();
    expect(ready?.status, output).toBe(200);
    expect(await ready!.json()).toEqual({ status: 'ready', database: 'ok' });
    // The start-up line goes down a pipe that may be read after the answer above arrives.
    for (let i = 0; i < 40 && !output.includes('"mode":"production"'); i += 1) await new Promise((r) => setTimeout(r, 50));
    expect(output).toContain('"mode":"production"');
    expect(output).not.toContain('could not start');

    // The metrics are served only to a scraper with the token.
    const anonymous = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(await anonymous.text()).not.toContain('voice_gdpr_');
    const wrong = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${'x'.repeat(METRICS_TOKEN.length)}` } });
    expect(wrong.status).toBe(401);
    const scrape = await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(scrape.status).toBe(200);
    const figures = await scrape.text();
    expect(figures).toContain('voice_gdpr_http_request_duration_seconds_count{route="/readyz",method="GET",status="200"');
    expect(figures).toContain('voice_gdpr_queue_depth{queue="provider_deletions_pending"');

    server.kill('SIGTERM');
    expect(await exited, output).toBe(0);
  }, 120_000);
});
