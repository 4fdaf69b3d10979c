import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { runJobNow } from '../src/jobs/scheduler.js';
import type { JobContext } from '../src/jobs/job-context.js';
import type { JobDefinition } from '../src/lib/job.js';
import { bearer, buildTestApp, createOrg, openTestDb, testConfig } from './helpers/harness.js';

let db: ServiceDb;

beforeAll(() => {
  db = openTestDb();
});
afterAll(async () => {
  await db.end();
});

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/i;

describe('/metrics', () => {
  it('after real traffic and job runs, holds every family: requests, webhooks, jobs, queues, alerts, database pool; no id in any label', async () => {
    const config = testConfig();
    const { app, deps } = buildTestApp(db, config);
    const org = await createOrg(db, config);
    await request(app).get('/healthz').expect(200);
    await request(app).get(`/api/orgs/${org.id}/calls`).set(...bearer(org.owner)).expect(200);
    await request(app).get(`/api/orgs/${org.id}/calls/${org.id}`).set(...bearer(org.owner)).expect(404);
    await request(app).get(`/no/such/${randomBytes(8).toString('hex')}`).expect(404);
    // Unsigned webhooks are refused, and still timed per provider.
    await request(app).post('/webhooks/twilio/voice').type('form').send({ CallSid: `CA${'0'.repeat(32)}` }).expect(403);
    await request(app).post('/webhooks/elevenlabs/post-call').send({}).expect(401);
    const name = `metered-${randomBytes(3).toString('hex')}`;
    const defs: JobDefinition<JobContext>[] = [
      { name, schedule: '* * * * *', run: async () => ({ n: 1 }) },
      { name: `${name}-bad`, schedule: '* * * * *', run: async () => Promise.reject(new Error('boom')) },
    ];
    await runJobNow(deps.jobs, name, defs);
    await expect(runJobNow(deps.jobs, `${name}-bad`, defs)).rejects.toThrow('boom');

    const res = await request(app).get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).toContain('voice_gdpr_http_request_duration_seconds_count{route="/healthz",method="GET",status="200"');
    expect(text).toContain('voice_gdpr_http_request_duration_seconds_count{route="/api/orgs/:id/calls",method="GET",status="200"');
    expect(text).toContain('voice_gdpr_http_request_duration_seconds_count{route="/api/orgs/:id/calls/:id",method="GET",status="404"');
    expect(text).toContain('route="unmatched"');
    expect(text).toMatch(/voice_gdpr_webhook_response_duration_seconds_count\{provider="twilio"\} [1-9]/);
    expect(text).toMatch(/voice_gdpr_webhook_response_duration_seconds_count\{provider="elevenlabs"\} [1-9]/);
    expect(text).toContain(`voice_gdpr_job_runs_total{job="${name}"} 1`);
    expect(text).toContain(`voice_gdpr_job_failures_total{job="${name}-bad"} 1`);
    expect(text).toContain(`voice_gdpr_job_duration_seconds_count{job="${name}"} 1`);
    for (const queue of [
      'provider_deletions_pending',
      'provider_deletions_failed',
      'webhook_deliveries_pending',
      'webhook_deliveries_failed',
      'erasure_requests_open',
      'erasure_requests_overdue',
      'incidents_not_notified',
      'recordings_without_sha256',
    ]) {
      expect(text).toMatch(new RegExp(`voice_gdpr_queue_depth\\{queue="${queue}"\\} \\d+`));
    }
    expect(text).toMatch(/voice_gdpr_db_pool_max_connections [1-9]/);
    expect(text).toMatch(/voice_gdpr_db_pool_connections\{state="open"\} \d+/);
    expect(text).toContain('# TYPE voice_gdpr_alerts_open gauge');
    expect(text).toContain('# TYPE voice_gdpr_alerts_raised_total counter');
    // Labels never carry an id (the organisation's, the call's) or anything about a person.
    const labels = text.split('\n').filter((l) => !l.startsWith('#')).map((l) => l.slice(0, l.lastIndexOf(' ')));
    expect(labels.filter((l) => UUID.test(l))).toEqual([]);
    expect(text).not.toContain(org.owner.email);
  });

  it('a queue depth follows the database', async () => {
    const config = testConfig();
    const { app } = buildTestApp(db, config);
    const depth = async () => Number(/voice_gdpr_queue_depth\{queue="incidents_not_notified"\} (\d+)/.exec((await request(app).get('/metrics')).text)![1]);
    const before = await depth();
    await db`insert into public.security_incidents (title, severity, detected_at) values (${`metrics-${randomBytes(3).toString('hex')}`}, 'low', now())`;
    expect(await depth()).toBe(before + 1);
  });

  it('with METRICS_TOKEN, a scrape must send it; in production without one, the metrics are off', async () => {
    const token = randomBytes(32).toString('base64url');
    const { app } = buildTestApp(db, testConfig({ METRICS_TOKEN: token }));
    const refused = await request(app).get('/metrics').expect(401);
    expect(refused.body.error.code).toBe('unauthorized');
    expect(refused.text).not.toContain('voice_gdpr_');
    await request(app).get('/metrics').set('Authorization', `Bearer ${token}x`).expect(401);
    await request(app).get('/metrics').set('Authorization', `Bearer ${token}`).expect(200);

    const production = testConfig({
      NODE_ENV: 'production',
      SUPABASE_URL: 'http://127.0.0.1:9',
      SUPABASE_SERVICE_ROLE_KEY: 'service-role-key',
      ELEVENLABS_API_KEY: 'el-key',
      SMTP_URL: 'smtp://127.0.0.1:9',
    });
    expect(production.features.metrics.on).toBe(false);
    const { app: prodApp } = buildTestApp(db, production);
    const off = await request(prodApp).get('/metrics').expect(503);
    expect(off.body.error).toMatchObject({ code: 'feature_unavailable' });
    expect(off.body.error.message).toContain('METRICS_TOKEN');
  });
});
