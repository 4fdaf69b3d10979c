import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { buildTestApp, JWT_SECRET, openTestDb, testConfig } from './helpers/harness.js';

let db: ServiceDb;

beforeAll(() => {
  db = openTestDb();
});
afterAll(async () => {
  await db.end();
});

/** A Twilio account but no TWILIO_SMS_FROM: SMS codes cannot be sent. */
const config = testConfig({ TWILIO_SMS_FROM: undefined });

describe('forget-me by phone without TWILIO_SMS_FROM is visibly off', () => {
  it('the page offers no phone form and says why, in English and German', async () => {
    expect(config.features.smsVerification.on).toBe(false);
    const { app } = buildTestApp(db, config);
    const en = await request(app).get('/forget-me');
    expect(en.status).toBe(200);
    expect(en.text).not.toContain('name="phone"');
    expect(en.text).toContain('Erasure by phone number is not available here at the moment');
    expect(en.text).toContain('name="email"');
    const de = await request(app).get('/forget-me?lang=de');
    expect(de.text).not.toContain('name="phone"');
    expect(de.text).toContain('Die Löschung per Telefonnummer ist hier derzeit nicht möglich');
  });

  it('a request by phone answers 503 feature_unavailable (JSON or a page) and files nothing; by e-mail it still works', async () => {
    const { app } = buildTestApp(db, config);
    const phone = `+4930${randomBytes(4).readUInt32BE() % 90_000_000 + 10_000_000}`;
    const json = await request(app).post('/forget-me').send({ phone });
    expect(json.status).toBe(503);
    expect(json.body.error).toMatchObject({ code: 'feature_unavailable', message: expect.stringMatching(/by phone number are not available/) });
    expect(json.body.request_id).toEqual(expect.any(String));
    const page = await request(app).post('/forget-me').set('Accept', 'text/html').type('form').send({ phone, lang: 'en' });
    expect(page.status).toBe(503);
    expect(page.text).toContain('Erasure by phone number is not available');
    expect(await db`select 1 from public.erasure_requests where subject_hash = ${keyedHash(config.blindIndexKey, 'phone', phone)}`).toHaveLength(0);

    const byEmail = await request(app).post('/forget-me').send({ email: `someone-${randomBytes(4).toString('hex')}@example.test` });
    expect(byEmail.status).toBe(202);
  });

  it('the start log lists the features that are off', { timeout: 120_000 }, async () => {
    const env: Record<string, string | undefined> = {
      ...process.env,
      DATABASE_URL: inject('databaseUrl'),
      DATA_DIR: config.dataDir,
      PORT: '0',
      LOG_LEVEL: 'info',
      CRON_ENABLED: 'false',
      SUPABASE_JWT_SECRET: JWT_SECRET,
      TWILIO_ACCOUNT_SID: config.twilio.accountSid,
      TWILIO_AUTH_TOKEN: config.twilio.authToken,
      BLIND_INDEX_KEY: config.blindIndexKey.toString('utf8'),
      FORGET_ME_SECRET: config.forgetMeSecret,
    };
    delete env.NODE_ENV;
    delete env.TWILIO_SMS_FROM;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    try {
      const line = await new Promise<Record<string, unknown>>((resolve, reject) => {
        const look = (d: Buffer) => {
          output += String(d);
          for (const l of output.split('\n')) if (l.includes('"msg":"features off')) resolve(JSON.parse(l) as Record<string, unknown>);
          if (output.includes('"msg":"listening"')) reject(new Error(`listening without a features-off line:\n${output}`));
        };
        child.stdout.on('data', look);
        child.stderr.on('data', look);
        child.once('exit', () => reject(new Error(`the server exited:\n${output}`)));
      });
      expect(line).toMatchObject({
        level: 40,
        features_off: [{ feature: 'smsVerification', reason: 'TWILIO_SMS_FROM is not set' }],
      });
    } finally {
      child.kill('SIGKILL');
    }
  });
});
