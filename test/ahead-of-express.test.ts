import express from 'express';
import helmet from 'helmet';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { serveAheadOfExpress, routesAheadOfExpress } from '../src/http/ahead-of-express.js';
import type { PlainRequest } from '../src/lib/plain-route.js';
import { errorHandler } from '../src/http/error-handler.js';
import { AppError } from '../src/lib/errors.js';
import { currentContext } from '../src/lib/request-context.js';
import { createMetrics, type Metrics } from '../src/metrics/metrics.js';
import { openTestDb } from './helpers/harness.js';

let db: ServiceDb;
let metrics: Metrics;
const seen: { ctx: ReturnType<typeof currentContext>; req: Omit<PlainRequest, 'raw'> }[] = [];
const afterWork: string[] = [];

function appWith(trustProxy: number | false = false) {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', trustProxy);
  app.use(helmet());
  app.get('/webhooks/ahead/ok', (_req, res) => {
    res.json({ served_by: 'express' });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'not_found', message: 'No such endpoint.' } });
  });
  app.use(errorHandler);
  const headers: [string, string][] = [['x-content-type-options', 'nosniff'], ['x-frame-options', 'SAMEORIGIN']];
  serveAheadOfExpress(
    app,
    [
      {
        method: 'POST',
        path: '/webhooks/ahead/ok',
        async handle(req) {
          seen.push({ ctx: currentContext(), req: { url: req.url, path: req.path, query: req.query } });
          return { status: 200, contentType: 'text/xml; charset=utf-8', body: '<Response/>', after: async () => void afterWork.push(req.url) };
        },
      },
      {
        method: 'POST',
        path: '/webhooks/ahead/refused',
        async handle() {
          throw new AppError(403, 'invalid_signature', 'X-Twilio-Signature is missing or does not match this request.');
        },
      },
      {
        method: 'POST',
        path: '/webhooks/ahead/broken',
        async handle() {
          throw new Error('a value someone typed: +49 30 1234567');
        },
      },
      {
        method: 'POST',
        path: '/webhooks/ahead/empty',
        async handle() {
          return { status: 204 };
        },
      },
    ],
    { headers, metrics, onAfterError: () => undefined },
  );
  return app;
}

beforeAll(() => {
  db = openTestDb();
  metrics = createMetrics({ serviceDb: db, now: () => new Date() });
});
afterAll(async () => {
  await db.end();
});

describe('routes served ahead of Express', () => {
  it('answers its route with the fixed headers, a request id, the body and the work for afterwards; the query string is the route\'s', async () => {
    seen.length = 0;
    const res = await request(appWith()).post('/webhooks/ahead/ok?attempt=2').type('form').send('a=1');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('text/xml; charset=utf-8');
    expect(res.text).toBe('<Response/>');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(res.headers.etag).toBeUndefined();
    expect(seen).toHaveLength(1);
    expect(seen[0]!.req).toEqual({ url: '/webhooks/ahead/ok?attempt=2', path: '/webhooks/ahead/ok', query: 'attempt=2' });
    // The handler ran in the request's context: its id, and the network prefix of the client (never the address).
    expect(seen[0]!.ctx?.requestId).toBe(res.headers['x-request-id']);
    expect(seen[0]!.ctx?.ip).toMatch(/^127\.0\.0\.0\/24$|^::?/);
    await expect.poll(() => afterWork).toContain('/webhooks/ahead/ok?attempt=2');
  });

  it('keeps a well-formed X-Request-Id and replaces a malformed one', async () => {
    const app = appWith();
    expect((await request(app).post('/webhooks/ahead/empty').set('X-Request-Id', 'trace-1234abcd')).headers['x-request-id']).toBe('trace-1234abcd');
    const bad = await request(app).post('/webhooks/ahead/empty').set('X-Request-Id', 'no\ttabs or spaces allowed');
    expect(bad.status).toBe(204);
    expect(bad.headers['x-request-id']).not.toContain('tabs');
  });

  it('behind a trusted proxy, the context holds the prefix of the address the proxy names', async () => {
    seen.length = 0;
    await request(appWith(1)).post('/webhooks/ahead/ok').set('X-Forwarded-For', '203.0.113.77').expect(200);
    expect(seen[0]!.ctx?.ip).toBe('203.0.113.0/24');
    seen.length = 0;
    await request(appWith(false)).post('/webhooks/ahead/ok').set('X-Forwarded-For', '203.0.113.77').expect(200);
    expect(seen[0]!.ctx?.ip).not.toBe('203.0.113.0/24');
  });

  it('answers errors as the app\'s error handler does, with the request id; an unexpected error says nothing about itself', async () => {
    const app = appWith();
    const refused = await request(app).post('/webhooks/ahead/refused').set('X-Request-Id', 'trace-refused-1');
    expect(refused.status).toBe(403);
    expect(refused.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(refused.body).toEqual({ error: { code: 'invalid_signature', message: 'X-Twilio-Signature is missing or does not match this request.' }, request_id: 'trace-refused-1' });
    expect(refused.headers['x-content-type-options']).toBe('nosniff');

    const broken = await request(app).post('/webhooks/ahead/broken');
    expect(broken.status).toBe(500);
    expect(broken.body).toEqual({ error: { code: 'internal', message: 'Something went wrong on our side.' }, request_id: broken.headers['x-request-id'] });
    expect(broken.text).not.toContain('+49');
  });

  it('leaves every other method and path to Express: a GET, a trailing slash, another case, an unknown path', async () => {
    const app = appWith();
    expect((await request(app).get('/webhooks/ahead/ok')).body).toEqual({ served_by: 'express' });
    expect((await request(app).post('/webhooks/ahead/ok/')).status).toBe(404);
    expect((await request(app).post('/WEBHOOKS/ahead/ok')).status).toBe(404);
    expect((await request(app).post('/webhooks/ahead/other')).status).toBe(404);
  });

  it('counts its answers in the HTTP metrics by route and status', async () => {
    const app = appWith();
    await request(app).post('/webhooks/ahead/empty').expect(204);
    await request(app).post('/webhooks/ahead/refused').expect(403);
    const text = await metrics.registry.getSingleMetricAsString('voice_gdpr_http_request_duration_seconds');
    expect(text).toMatch(/_count\{route="\/webhooks\/ahead\/empty",method="POST",status="204"\} [1-9]/);
    expect(text).toMatch(/_count\{route="\/webhooks\/ahead\/refused",method="POST",status="403"\} [1-9]/);
  });

  it('lists its routes for the API description check', () => {
    expect(routesAheadOfExpress(appWith())).toEqual([
      { method: 'post', path: '/webhooks/ahead/ok' },
      { method: 'post', path: '/webhooks/ahead/refused' },
      { method: 'post', path: '/webhooks/ahead/broken' },
      { method: 'post', path: '/webhooks/ahead/empty' },
    ]);
  });
});
