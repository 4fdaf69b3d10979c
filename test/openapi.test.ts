import SwaggerParser from '@apidevtools/swagger-parser';
import { Router } from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../src/http/openapi.js';
import { buildTestApp, createOrg, openTestDb, testConfig, bearer, type TestOrg } from './helpers/harness.js';
import { describedButAbsent, listRoutes, ResponseChecker, undescribedRoutes } from './helpers/openapi-check.js';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let doc: OpenApiDocument;
const config = testConfig();
let org: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ app } = buildTestApp(db, config));
  doc = buildOpenApiDocument();
  org = await createOrg(db, config);
});
afterAll(async () => {
  await db.end();
});

const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;
const operations = (d: OpenApiDocument) =>
  Object.entries(d.paths ?? {}).flatMap(([path, item]) => METHODS.filter((m) => (item as Record<string, unknown>)[m]).map((m) => `${m.toUpperCase()} ${path}`));

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document (swagger-parser)', async () => {
    expect(doc.openapi).toBe('3.1.0');
    // The validator dereferences in place: it gets a copy.
    await expect(SwaggerParser.validate(structuredClone(doc) as never)).resolves.toBeTruthy();
  });

  it('names the security schemes: bearer, session cookie, Twilio and ElevenLabs signatures, the tool secret, the metrics token', () => {
    const schemes = doc.components?.securitySchemes ?? {};
    expect(Object.keys(schemes).sort()).toEqual(['bearerAuth', 'elevenLabsSignature', 'metricsToken', 'sessionCookie', 'stopRecordingSecret', 'twilioSignature']);
    expect(schemes.twilioSignature).toMatchObject({ type: 'apiKey', in: 'header', name: 'X-Twilio-Signature' });
    expect((doc.paths!['/api/orgs/{orgId}/calls'] as { get: { security: unknown } }).get.security).toEqual([{ bearerAuth: [] }]);
    expect((doc.paths!['/webhooks/twilio/voice'] as { post: { security: unknown } }).post.security).toEqual([{ twilioSignature: [] }]);
  });

  it('uses the schemas the routes parse with (a body the route refuses is refused by the document too)', () => {
    const post = (doc.paths!['/api/orgs/{orgId}/agents'] as { post: { requestBody: { content: Record<string, { schema: { required: string[]; additionalProperties: boolean } }> } } }).post;
    const schema = post.requestBody.content['application/json']!.schema;
    expect(schema.required.sort()).toEqual(['first_message', 'language', 'name']);
    expect(schema.additionalProperties).toBe(false);
  });
});

describe('every route is described', () => {
  it('lists the routes of the live app (including nested routers and the Twilio routes of the app itself)', () => {
    const routes = listRoutes(app).map((r) => `${r.method.toUpperCase()} ${r.path}`);
    expect(routes.length).toBeGreaterThan(100);
    expect(routes).toEqual(expect.arrayContaining(['POST /webhooks/twilio/voice', 'GET /api/orgs/{orgId}/calls/{callId}', 'DELETE /api/orgs/{orgId}', 'GET /app/orgs/{orgId}/leads/{leadId}', 'GET /openapi.json']));
  });

  it('each route of the app has a description, and each description a route', () => {
    const routes = listRoutes(app);
    const missing = undescribedRoutes(routes, doc);
    expect(missing, `routes without a description in /openapi.json (describe each in its feature's *-openapi.ts):\n${missing.join('\n')}`).toEqual([]);
    expect(describedButAbsent(routes, doc)).toEqual([]);
  });

  it('a route added without a description is reported, exactly it', () => {
    const { app: extended } = buildTestApp(db, config);
    const nested = Router({ mergeParams: true });
    nested.post('/:thingId/frobnicate', (_req, res) => {
      res.status(204).end();
    });
    extended.use('/api/orgs/:orgId/things', nested);
    extended.get('/undescribed', (_req, res) => {
      res.json({});
    });
    expect(undescribedRoutes(listRoutes(extended), doc)).toEqual(['POST /api/orgs/{orgId}/things/{thingId}/frobnicate', 'GET /undescribed']);
  });
});

describe('GET /openapi.json and GET /docs/api', () => {
  it('serves the document as JSON, without signing in', async () => {
    const res = await request(app).get('/openapi.json').expect(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(operations(res.body as OpenApiDocument)).toEqual(operations(doc));
    expect(res.body.servers).toEqual([{ url: config.publicBaseUrl }]);
  });

  it('serves a page of every operation grouped by tag, under the strict CSP, without inline script or style', async () => {
    const res = await request(app).get('/docs/api').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("style-src 'self'");
    const html = res.text;
    expect(html).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
    expect(html.match(/<section class="op"/g)?.length).toBe(operations(doc).length);
    for (const tag of ['Organisations', 'Calls', 'Provider webhooks', 'Dashboard']) expect(html).toContain(`<h2>${tag}</h2>`);
    expect(html).toContain('/api/orgs/{orgId}/calls/{callId}/recording');
  });
});

describe('answers are checked against the document', () => {
  const checker = () => new ResponseChecker(doc);

  it('accepts an answer that matches, and says which operation it was', () => {
    const r = checker().check({ method: 'GET', path: '/healthz', status: 200, contentType: 'application/json; charset=utf-8', body: '{"status":"ok"}' });
    expect(r).toEqual({ operation: 'GET /healthz', problems: [] });
  });

  it('refuses an undocumented status, an undocumented content type and a body off its schema', () => {
    const path = `/api/orgs/${org.id}`;
    expect(checker().check({ method: 'GET', path, status: 418, contentType: 'application/json', body: '{}' }).problems[0]).toMatch(/status 418 is not documented/);
    expect(checker().check({ method: 'GET', path, status: 200, contentType: 'text/plain', body: 'hello' }).problems[0]).toMatch(/content type text\/plain is not documented/);
    const off = checker().check({ method: 'GET', path, status: 200, contentType: 'application/json', body: JSON.stringify({ id: 'not-a-uuid', name: 3 }) });
    expect(off.operation).toBe('GET /api/orgs/{orgId}');
    expect(off.problems[0]).toMatch(/does not match its schema/);
    expect(off.problems[0]).toMatch(/\/id must match format "uuid"/);
    const error = checker().check({ method: 'GET', path, status: 404, contentType: 'application/json', body: JSON.stringify({ message: 'no error object' }) });
    expect(error.problems[0]).toMatch(/must have required property 'error'/);
  });

  it('the harness observes what the app answers: a live answer is matched to its operation and checked', async () => {
    const res = await request(app).get(`/api/orgs/${org.id}`).set(...bearer(org.owner)).expect(200);
    expect(checker().check({ method: 'GET', path: `/api/orgs/${org.id}`, status: 200, contentType: res.headers['content-type'], body: res.text }).problems).toEqual([]);
    const { observed } = await import('./helpers/openapi-check.js');
    expect(observed.exercised.get('GET /api/orgs/{orgId}')).toContain(200);
  });
});
