import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { buildTestApp, openTestDb, testConfig } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let db: ServiceDb;
let smtp: TestSmtp;
let app: ReturnType<typeof buildTestApp>['app'];

beforeAll(async () => {
  db = openTestDb();
  smtp = await startSmtp();
  ({ app } = buildTestApp(db, testConfig({ SMTP_URL: smtp.url })));
});
afterAll(async () => {
  await smtp.close();
  await db.end();
});

describe('local passwordless sign-in', () => {
  it('e-mails a link that signs in once', async () => {
    const email = `signin-${Date.now()}@example.test`;
    const res = await request(app).post('/auth/magic-link').send({ email });
    expect(res.status).toBe(202);
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const link = /https:\/\/voice\.example\.test(\/auth\/callback\?token=\S+)/.exec(mail.text)![1]!;

    const exchanged = await request(app).get(link);
    expect(exchanged.status).toBe(200);
    expect(exchanged.body).toMatchObject({ token_type: 'bearer', access_token: expect.any(String) });

    const me = await request(app).get('/api/orgs').set('Authorization', `Bearer ${exchanged.body.access_token}`);
    expect(me.status).toBe(200);
    const created = await request(app).post('/api/orgs').set('Authorization', `Bearer ${exchanged.body.access_token}`).send({ name: 'Mine' });
    expect(created.status).toBe(201);

    const reused = await request(app).get(link);
    expect(reused.status).toBe(400);
    expect(reused.body.error.message).toMatch(/already been used/);
  });

  it('refuses a tampered link', async () => {
    const email = `tamper-${Date.now()}@example.test`;
    await request(app).post('/auth/magic-link').send({ email });
    const mail = await smtp.waitFor((m) => m.to.includes(email));
    const token = /token=(\S+)/.exec(mail.text)![1]!;
    const tampered = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    const res = await request(app).get(`/auth/callback?token=${tampered}`);
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/not valid/);
  });

  it('answers the same for any address', async () => {
    const a = await request(app).post('/auth/magic-link').send({ email: 'nobody-known@example.test' });
    expect(a.status).toBe(202);
    expect((await request(app).post('/auth/magic-link').send({ email: 'bad' })).status).toBe(400);
  });
});
