import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { createApp } from '../src/http/app.js';
import { buildTestApp, openTestDb, testConfig } from './helpers/harness.js';

let db: ServiceDb;

beforeAll(() => {
  db = openTestDb();
});
afterAll(async () => {
  await db.end();
});

/** Eleven refused forget-me requests at once, each claiming another client address in X-Forwarded-For. */
async function elevenFromDifferentAddresses(app: ReturnType<typeof createApp>): Promise<number[]> {
  const answers = await Promise.all(
    Array.from({ length: 11 }, (_, i) => request(app).post('/forget-me').set('X-Forwarded-For', `198.51.100.${i + 1}`).send({})),
  );
  return answers.map((r) => r.status);
}

describe('TRUST_PROXY and the client address', () => {
  it('by default (production included) X-Forwarded-For is ignored: a client reaching us directly cannot dodge the per-address limit', async () => {
    const production = loadConfig({
      ...process.env,
      NODE_ENV: 'production',
      DATA_DIR: testConfig().dataDir,
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
      FORGET_ME_SECRET: 'forget-me-secret-'.padEnd(40, 'f'),
      BLIND_INDEX_KEY: 'blind-index-key-'.padEnd(40, 'b'),
      TRUST_PROXY: undefined,
    });
    expect(production.trustProxy).toBe(false);
    const { deps } = buildTestApp(db, testConfig());
    const statuses = await elevenFromDifferentAddresses(createApp({ ...deps, trustProxy: production.trustProxy }));
    // The limit is 10 per address: all eleven came from the one real address.
    expect(statuses.filter((s) => s === 429)).toHaveLength(1);
    expect(statuses.filter((s) => s === 400)).toHaveLength(10);
  });

  it('with TRUST_PROXY=1 (one proxy in front) the address the proxy adds is the client', async () => {
    const { app, config } = buildTestApp(db, testConfig({ TRUST_PROXY: '1' }));
    expect(config.trustProxy).toBe(1);
    const statuses = await elevenFromDifferentAddresses(app);
    expect(statuses).toEqual(Array.from({ length: 11 }, () => 400));
  });

  it('with TRUST_PROXY naming the proxy, only that proxy is believed', async () => {
    const believed = buildTestApp(db, testConfig({ TRUST_PROXY: 'loopback' })).app;
    expect((await elevenFromDifferentAddresses(believed)).filter((s) => s === 429)).toHaveLength(0);
    const other = buildTestApp(db, testConfig({ TRUST_PROXY: '10.0.0.0/8' })).app;
    expect((await elevenFromDifferentAddresses(other)).filter((s) => s === 429)).toHaveLength(1);
  });
});
