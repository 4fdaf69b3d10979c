import { existsSync, mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, ELEVENLABS_EU_BASE_URL, featuresOff, loadConfig } from '../src/config/env.js';

const tmp = () => mkdtempSync(path.join(tmpdir(), 'voice-gdpr-config-'));

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}

describe('configuration', () => {
  it('production refuses to start and lists every missing variable', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATA_DIR: tmp() });
    for (const name of [
      'DATABASE_URL',
      'PUBLIC_BASE_URL',
      'SUPABASE_URL',
      'SUPABASE_SERVICE_ROLE_KEY',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'ELEVENLABS_API_KEY',
      'ELEVENLABS_WEBHOOK_SECRET',
      'SMTP_URL',
      'MAIL_FROM',
      'DPO_EMAIL',
      'TRANSCRIPT_KEYS',
      'TRANSCRIPT_KEY_ID',
      'FORGET_ME_SECRET',
      'BLIND_INDEX_KEY',
    ]) {
      expect(problems.some((p) => p.startsWith(`${name}:`)), name).toBe(true);
    }
  });

  it('production lists invalid values with the variable name', () => {
    const problems = problemsOf({ NODE_ENV: 'production', DATABASE_URL: 'mysql://x', MAIL_FROM: 'nope', PORT: 'eighty', TRANSCRIPT_KEYS: 'k1:short' });
    expect(problems).toEqual(expect.arrayContaining([expect.stringMatching(/^DATABASE_URL: /), expect.stringMatching(/^MAIL_FROM: /), expect.stringMatching(/^PORT: /)]));
  });

  it('local mode generates missing secrets once into the data folder and says so', () => {
    const dir = tmp();
    const told: string[][] = [];
    const first = loadConfig({ DATA_DIR: dir }, { onGenerated: (names) => told.push(names) });
    expect(told).toHaveLength(1);
    expect(told[0]).toEqual(expect.arrayContaining(['SUPABASE_JWT_SECRET', 'TWILIO_AUTH_TOKEN', 'BLIND_INDEX_KEY', 'FORGET_ME_SECRET', 'TRANSCRIPT_KEYS']));
    const file = path.join(dir, 'secrets.json');
    expect(existsSync(file)).toBe(true);
    expect(statSync(file).mode & 0o777).toBe(0o600);

    const second = loadConfig({ DATA_DIR: dir }, { onGenerated: (names) => told.push(names) });
    expect(told).toHaveLength(1);
    expect(second.supabase.jwtSecret).toBe(first.supabase.jwtSecret);
    expect(second.blindIndexKey.equals(first.blindIndexKey)).toBe(true);
    expect(second.transcriptKeys.get(second.transcriptKeyId)!.length).toBe(32);
    expect(JSON.parse(readFileSync(file, 'utf8')).SUPABASE_JWT_SECRET).toBe(first.supabase.jwtSecret);
  });

  it('defaults to the EU endpoints', () => {
    const config = loadConfig({ DATA_DIR: tmp() });
    expect(config.twilio.region).toBe('ie1');
    expect(config.twilio.edge).toBe('dublin');
    expect(config.elevenlabs.baseUrl).toBe(ELEVENLABS_EU_BASE_URL);
  });

  it('refuses a non-EU endpoint unless explicitly allowed', () => {
    expect(problemsOf({ DATA_DIR: tmp(), TWILIO_REGION: 'us1' })).toEqual([expect.stringMatching(/^TWILIO_REGION: .*outside the EU/)]);
    expect(problemsOf({ DATA_DIR: tmp(), ELEVENLABS_BASE_URL: 'https://api.elevenlabs.io' })).toEqual([
      expect.stringMatching(/^ELEVENLABS_BASE_URL: /),
    ]);
    expect(problemsOf({ DATA_DIR: tmp(), TWILIO_REGION: 'us1', ALLOW_NON_EU_ENDPOINTS: 'true' })).toEqual([]);
    // A local fake on this machine is not a transfer anywhere.
    expect(problemsOf({ DATA_DIR: tmp(), ELEVENLABS_BASE_URL: 'http://127.0.0.1:9999', TWILIO_API_BASE_URL: 'http://127.0.0.1:9998' })).toEqual([]);
  });

  it('trusts no proxy by default, in production too; TRUST_PROXY takes a hop count or addresses', () => {
    expect(loadConfig(PRODUCTION).trustProxy).toBe(false);
    expect(loadConfig({ DATA_DIR: tmp() }).trustProxy).toBe(false);
    expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: '1' }).trustProxy).toBe(1);
    expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: '0' }).trustProxy).toBe(false);
    expect(loadConfig({ ...PRODUCTION, TRUST_PROXY: 'loopback, 10.0.0.0/8,2001:db8::1' }).trustProxy).toEqual(['loopback', '10.0.0.0/8', '2001:db8::1']);
    expect(problemsOf({ DATA_DIR: tmp(), TRUST_PROXY: 'true' })).toEqual([expect.stringMatching(/^TRUST_PROXY: "true"/)]);
    expect(problemsOf({ DATA_DIR: tmp(), TRUST_PROXY: '10.0.0.0/99,proxy.example' })).toEqual([
      expect.stringMatching(/^TRUST_PROXY: "10.0.0.0\/99"/),
      expect.stringMatching(/^TRUST_PROXY: "proxy.example"/),
    ]);
  });

  it('listens on 127.0.0.1 only in local mode, on every address in production; HOST overrides either', () => {
    expect(loadConfig({ DATA_DIR: tmp() }).host).toBe('127.0.0.1');
    expect(loadConfig(PRODUCTION).host).toBe('0.0.0.0');
    expect(loadConfig({ ...PRODUCTION, HOST: '10.0.0.5' }).host).toBe('10.0.0.5');
    expect(loadConfig({ DATA_DIR: tmp(), HOST: '::' }).host).toBe('::');
    expect(problemsOf({ DATA_DIR: tmp(), HOST: 'not a host!' })).toEqual([expect.stringMatching(/^HOST: /)]);
  });

  it("reads SUPABASE_ANON_KEY (production's e-mailed sign-in), trimmed; blank is absent", () => {
    expect(loadConfig({ ...PRODUCTION, SUPABASE_ANON_KEY: ' anon-key ' }).supabase.anonKey).toBe('anon-key');
    expect(loadConfig({ ...PRODUCTION, SUPABASE_ANON_KEY: '  ' }).supabase.anonKey).toBeUndefined();
    expect(loadConfig(PRODUCTION).supabase.anonKey).toBeUndefined();
  });

  it('serves /metrics in production only with METRICS_TOKEN (at least 32 characters); alerts go to OPS_EMAIL, else the DPO', () => {
    expect(featuresOff(loadConfig({ ...PRODUCTION, TWILIO_SMS_FROM: '+35315550100' }))).toEqual([
      { feature: 'metrics', reason: 'METRICS_TOKEN is not set: /metrics is served only to a scraper that sends it.' },
    ]);
    expect(loadConfig({ ...PRODUCTION, METRICS_TOKEN: 'm'.repeat(32) }).features.metrics).toEqual({ on: true });
    expect(problemsOf({ ...PRODUCTION, METRICS_TOKEN: 'short' })).toEqual([expect.stringMatching(/^METRICS_TOKEN: must be at least 32 characters/)]);
    expect(loadConfig({ DATA_DIR: tmp() }).features.metrics).toEqual({ on: true });
    expect(loadConfig(PRODUCTION).opsEmail).toBe('dpo@voice.example.test');
    expect(loadConfig({ ...PRODUCTION, OPS_EMAIL: 'ops@voice.example.test' }).opsEmail).toBe('ops@voice.example.test');
  });

  it('forget-me by phone is visibly off without TWILIO_SMS_FROM, and says why', () => {
    const off = loadConfig({ ...PRODUCTION, METRICS_TOKEN: 'm'.repeat(32) });
    expect(off.features.smsVerification).toEqual({ on: false, reason: 'TWILIO_SMS_FROM is not set' });
    expect(featuresOff(off)).toEqual([{ feature: 'smsVerification', reason: 'TWILIO_SMS_FROM is not set' }]);
    const on = loadConfig({ ...PRODUCTION, METRICS_TOKEN: 'm'.repeat(32), TWILIO_SMS_FROM: '+35315550100' });
    expect(on.features.smsVerification).toEqual({ on: true });
    expect(featuresOff(on)).toEqual([]);
    // Local mode without a Twilio account cannot send an SMS either.
    expect(loadConfig({ DATA_DIR: tmp(), TWILIO_SMS_FROM: '+35315550100' }).features.smsVerification.on).toBe(false);
  });

  it('names the operator and the privacy contact; unset, production says so and falls back to the DPO', () => {
    expect(loadConfig({ ...PRODUCTION, OPERATOR_NAME: ' Voice GmbH ', PRIVACY_CONTACT_EMAIL: 'privacy@voice.example.test' }).operator).toEqual({
      name: 'Voice GmbH',
      privacyEmail: 'privacy@voice.example.test',
    });
    expect(loadConfig(PRODUCTION).operator).toEqual({ name: 'Operator not named (OPERATOR_NAME is not set)', privacyEmail: 'dpo@voice.example.test' });
    expect(loadConfig({ DATA_DIR: tmp() }).operator).toEqual({ name: 'Local development instance', privacyEmail: 'dpo@localhost' });
    expect(problemsOf({ ...PRODUCTION, PRIVACY_CONTACT_EMAIL: 'not-an-address' })).toEqual([expect.stringMatching(/^PRIVACY_CONTACT_EMAIL: /)]);
    expect(problemsOf({ ...PRODUCTION, OPERATOR_NAME: 'x'.repeat(201) })).toEqual([expect.stringMatching(/^OPERATOR_NAME: /)]);
  });

  it('reads OPERATOR_EMAILS in local mode: trimmed, lower-cased, blanks skipped; a non-address is refused; production ignores it', () => {
    expect(loadConfig({ DATA_DIR: tmp() }).operatorEmails).toEqual([]);
    expect(loadConfig({ DATA_DIR: tmp(), OPERATOR_EMAILS: ' Ops@Example.TEST , ,second@example.test,ops@example.test ' }).operatorEmails).toEqual([
      'ops@example.test',
      'second@example.test',
    ]);
    expect(problemsOf({ DATA_DIR: tmp(), OPERATOR_EMAILS: 'ops@example.test, not-an-address' })).toEqual(['OPERATOR_EMAILS: "not-an-address" is not an e-mail address']);
    expect(loadConfig({ ...PRODUCTION, OPERATOR_EMAILS: 'ops@example.test' }).operatorEmails).toEqual([]);
  });
});

/** Every variable production requires, with well-formed values. */
const PRODUCTION: Record<string, string> = {
  NODE_ENV: 'production',
  DATA_DIR: tmp(),
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/postgres',
  PUBLIC_BASE_URL: 'https://voice.example.test',
  SUPABASE_URL: 'https://project.supabase.example',
  SUPABASE_SERVICE_ROLE_KEY: 'service-role-key',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'test-twilio-auth-token-0123456789',
  ELEVENLABS_API_KEY: 'el-key',
  ELEVENLABS_WEBHOOK_SECRET: 'wsec_test_0123456789abcdef',
  SMTP_URL: 'smtp://127.0.0.1:2525',
  MAIL_FROM: 'privacy@voice.example.test',
  DPO_EMAIL: 'dpo@voice.example.test',
  TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
  TRANSCRIPT_KEY_ID: 'k1',
  STORAGE_KEYS: `s1:${Buffer.alloc(32, 3).toString('base64')}`,
  FORGET_ME_SECRET: 'forget-me-secret-'.padEnd(40, 'f'),
  BLIND_INDEX_KEY: 'blind-index-key-'.padEnd(40, 'b'),
};
