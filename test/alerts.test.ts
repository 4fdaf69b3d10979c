import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALERT_CONDITIONS, createAlertsService, type AlertCondition } from '../src/alerts/alerts-service.js';
import { buildJobContext } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import type { JobContext } from '../src/jobs/job-context.js';
import { runJobNow } from '../src/jobs/scheduler.js';
import type { JobDefinition } from '../src/lib/job.js';
import { createMailer, type Mailer } from '../src/lib/mailer.js';
import { createOrg, openIsolatedTestDb, testConfig } from './helpers/harness.js';
import { startSmtp, type TestSmtp } from './helpers/smtp.js';

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let smtp: TestSmtp;
let config: ReturnType<typeof testConfig>;
let ctx: JobContext;
let mailer: Mailer;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  smtp = await startSmtp();
  config = testConfig({ SMTP_URL: smtp.url, OPS_EMAIL: 'ops@voice.example.test' });
  ctx = buildJobContext(config, db);
  mailer = createMailer(config);
});
afterAll(async () => {
  await smtp.close();
  await isolated.close();
});

const jobFailing = ALERT_CONDITIONS.find((c) => c.kind === 'job_failing')!;

describe('operational alerts', () => {
  it('a job failing three runs in a row sends exactly one alert, and another only after it has cleared and returned', async () => {
    const name = `flaky-${randomBytes(4).toString('hex')}`;
    let failing = true;
    const defs: JobDefinition<JobContext>[] = [
      {
        name,
        schedule: '* * * * *',
        run: async () => {
          if (failing) throw new Error('the provider answered 503');
          return { done: 1 };
        },
      },
    ];
    let clock = new Date();
    const alerts = createAlertsService({ serviceDb: db, mailer, opsEmail: config.opsEmail, now: () => clock, conditions: [jobFailing] });
    const mails = () => smtp.messages.filter((m) => m.subject.includes(name));
    const tick = async () => {
      clock = new Date(clock.getTime() + 60_000);
      return alerts.evaluate();
    };

    await expect(runJobNow(ctx, name, defs)).rejects.toThrow('503');
    await expect(runJobNow(ctx, name, defs)).rejects.toThrow('503');
    expect(await tick()).toMatchObject({ raised: 0 });
    await expect(runJobNow(ctx, name, defs)).rejects.toThrow('503');
    expect(await tick()).toMatchObject({ raised: 1, notified: 1 });
    await smtp.waitFor((m) => m.subject.includes(name));
    expect(mails()).toHaveLength(1);
    expect(mails()[0]!.to).toContain('ops@voice.example.test');
    expect(mails()[0]!.subject).toBe(`[alert] Job ${name} failed three runs in a row`);

    // Still failing: no second mail, however many runs.
    await expect(runJobNow(ctx, name, defs)).rejects.toThrow('503');
    expect(await tick()).toMatchObject({ raised: 0, notified: 0 });
    expect(await tick()).toMatchObject({ raised: 0, notified: 0 });
    expect(mails()).toHaveLength(1);

    // A run succeeds: the condition clears.
    failing = false;
    await runJobNow(ctx, name, defs);
    expect(await tick()).toMatchObject({ cleared: 1 });
    expect((await alerts.open()).filter((a) => a.condition === `job_failing:${name}`)).toEqual([]);
    expect(mails()).toHaveLength(1);

    // It returns: a new episode, one new mail.
    failing = true;
    for (let i = 0; i < 3; i++) await expect(runJobNow(ctx, name, defs)).rejects.toThrow('503');
    expect(await tick()).toMatchObject({ raised: 1, notified: 1 });
    await smtp.waitFor(() => mails().length === 2);
    expect(await tick()).toMatchObject({ raised: 0, notified: 0 });
    expect(mails()).toHaveLength(2);
    const episodes = await db`select opened_at, cleared_at, notified_at from app.ops_alerts where condition = ${`job_failing:${name}`} order by opened_at`;
    expect(episodes).toHaveLength(2);
    expect(episodes[0]!.cleared_at).not.toBeNull();
    expect(episodes[1]!.cleared_at).toBeNull();
  });

  it('an alert whose e-mail cannot be sent is sent on a later run, once', async () => {
    const condition = `test_condition_${randomBytes(3).toString('hex')}`;
    let holds = true;
    const custom: AlertCondition = { kind: condition, title: () => `Test condition ${condition}`, advice: 'none', holding: async () => (holds ? [{ condition, details: { n: 2 } }] : []) };
    let clock = new Date();
    const down: Mailer = { send: async () => Promise.reject(new Error('SMTP down')) };
    const failingAlerts = createAlertsService({ serviceDb: db, mailer: down, opsEmail: config.opsEmail, now: () => clock, conditions: [custom] });
    expect(await failingAlerts.evaluate()).toMatchObject({ raised: 1, notified: 0, notify_failed: 1 });
    expect(await failingAlerts.evaluate()).toMatchObject({ raised: 0, notified: 0, notify_failed: 1 });

    clock = new Date(clock.getTime() + 60_000);
    const alerts = createAlertsService({ serviceDb: db, mailer, opsEmail: config.opsEmail, now: () => clock, conditions: [custom] });
    expect(await alerts.evaluate()).toMatchObject({ raised: 0, notified: 1 });
    expect(await alerts.evaluate()).toMatchObject({ notified: 0 });
    const mail = await smtp.waitFor((m) => m.subject.includes(condition));
    expect(mail.text).toContain('n 2');
    expect(smtp.messages.filter((m) => m.subject.includes(condition))).toHaveLength(1);
    const [row] = await db`select notify_attempts, notified_at from app.ops_alerts where condition = ${condition}`;
    expect(row).toMatchObject({ notify_attempts: 3 });
    holds = false;
    expect(await alerts.evaluate()).toMatchObject({ cleared: 1 });
  });

  it('raises on failed provider deletions and overdue erasure requests, with counts only', async () => {
    const org = await createOrg(db, config);
    await db`insert into public.provider_deletions (org_id, provider, resource_type, resource_id, status, reason)
             values (${org.id}, 'twilio', 'recording', ${`RE${randomBytes(16).toString('hex')}`}, 'failed', 'retention')`;
    await db`insert into public.erasure_requests (org_id, subject_type, subject_hash, status, source, received_at, due_at)
             values (${org.id}, 'email', ${randomBytes(32)}, 'confirmed', 'dashboard', now() - interval '40 days', now() - interval '5 days')`;
    // On the embedded database (shared by every file) another file may have left these
    // conditions open and already e-mailed: close them, so this raise is a new episode.
    await db`update app.ops_alerts set cleared_at = now() where cleared_at is null and condition in ('provider_deletions_failed', 'erasure_requests_overdue')`;
    const alerts = createAlertsService({ serviceDb: db, mailer, opsEmail: config.opsEmail, now: () => new Date() });
    await alerts.evaluate();
    const open = await alerts.open();
    const conditions = open.map((a) => a.condition);
    expect(conditions).toEqual(expect.arrayContaining(['provider_deletions_failed', 'erasure_requests_overdue']));
    const deletions = open.find((a) => a.condition === 'provider_deletions_failed')!;
    expect(deletions.details.failed).toBeGreaterThanOrEqual(1);
    const mail = await smtp.waitFor((m) => m.subject === '[alert] Deletions at Twilio or ElevenLabs marked failed');
    expect(mail.text).not.toContain(org.id);
  });
});
