import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import request from 'supertest';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { buildAppDeps } from '../src/container.js';
import type { ServiceDb } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { checkEndpointUrl, guardedLookup } from '../src/webhooks/endpoint-url.js';
import { MAX_WEBHOOK_ATTEMPTS, runWebhookDeliveries } from '../src/webhooks/webhook-delivery.js';
import { createAgentLine, newCallSid, startCallWorld, twilioPost, waitFor, type AgentLine, type CallWorld } from './helpers/call-harness.js';
import { bearer, buildTestApp, openIsolatedTestDb, testConfig } from './helpers/harness.js';

/** A customer's receiving server: records what arrives; can be told to fail or hang. */
interface Received {
  path: string;
  headers: Record<string, string>;
  body: string;
}
interface Receiver {
  url: string;
  received: Received[];
  /** The next n requests get this answer instead of 204. */
  failNext(n: number, how: 500 | 'hang'): void;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const received: Received[] = [];
  let failing = 0;
  let how: 500 | 'hang' = 500;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing > 0) {
        failing -= 1;
        if (how === 'hang') return; // never answers
        res.writeHead(500).end('busy');
        return;
      }
      received.push({ path: req.url ?? '', headers: req.headers as Record<string, string>, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    failNext(n, h) {
      failing = n;
      how = h;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let world: CallWorld;
let receiver: Receiver;
let deps: ReturnType<typeof buildAppDeps>;
const allowLocal = { allowPrivateNetwork: true };
const deliver = (timeoutMs = 2000) => runWebhookDeliveries({ serviceDb: db, policy: allowLocal, timeoutMs });

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  // The worker sends every due delivery. The embedded database is shared by the run's files (one
  // after another): deliveries an earlier file left pending would be counted here, so they wait.
  await db`update public.webhook_deliveries set next_attempt_at = 'infinity' where status = 'pending'`;
  world = await startCallWorld(db, { WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'true' });
  deps = buildAppDeps(world.config, db);
  receiver = await startReceiver();
});
afterAll(async () => {
  // The embedded database is shared by the run's files: leave no endpoint with deliveries due behind.
  const port = new URL(receiver.url).port;
  await db`delete from public.webhook_endpoints where url like ${`%:${port}/%`}`;
  await receiver.close();
  await world.close();
  await isolated.close();
});
beforeEach(() => {
  receiver.received.length = 0;
});

/** Registers an endpoint through the API; returns its id and secret. */
async function register(line: AgentLine, path: string, events: string[]): Promise<{ id: string; secret: string }> {
  const res = await request(world.app)
    .post(`/api/orgs/${line.org.id}/webhooks`)
    .set(...bearer(line.org.admin))
    .send({ url: `${receiver.url}${path}`, events, description: 'CRM sync' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return { id: res.body.id, secret: res.body.secret };
}

/** What the customer does: verify the signature with the Standard Webhooks library, then parse. */
function verified(secret: string, r: Received): { id: string; type: string; org_id: string; data: Record<string, unknown> } {
  return new Webhook(secret).verify(r.body, {
    'webhook-id': r.headers['webhook-id']!,
    'webhook-timestamp': r.headers['webhook-timestamp']!,
    'webhook-signature': r.headers['webhook-signature']!,
  }) as never;
}

async function completedCall(line: AgentLine, from = '+4930555123456') {
  const sid = newCallSid();
  await twilioPost(world, '/webhooks/twilio/voice', { CallSid: sid, From: from, To: line.number, FromCountry: 'DE' });
  await twilioPost(world, '/webhooks/twilio/status', { CallSid: sid, CallStatus: 'completed', CallDuration: '42' });
  const [call] = await db`select id from public.calls where twilio_call_sid = ${sid}`;
  return { sid, callId: call!.id as string, from };
}

describe('webhook endpoint URLs', () => {
  const production = { allowPrivateNetwork: false };
  it('production takes public https:// URLs only', () => {
    expect(checkEndpointUrl('https://hooks.example.com/voice?src=eu', production)).toBe('https://hooks.example.com/voice?src=eu');
    for (const bad of [
      'http://hooks.example.com/x',
      'ftp://hooks.example.com/x',
      'https://user:pw@hooks.example.com/x',
      'https://hooks.example.com/x#frag',
      'https://127.0.0.1/x',
      'https://10.1.2.3/x',
      'https://192.168.0.10/x',
      'https://169.254.169.254/latest/meta-data',
      'https://[::1]/x',
      'https://[fd00::1]/x',
      'https://[::ffff:127.0.0.1]/x',
      'https://[::127.0.0.1]/x',
      'https://[64:ff9b::7f00:1]/x',
      'https://0x7f.1/x',
      'https://localhost./x',
      'https://localhost/x',
      'https://api.localhost/x',
      'https://intranet/x',
      'not a url',
    ]) {
      expect(() => checkEndpointUrl(bad, production), bad).toThrow(expect.objectContaining({ code: 'webhook_url_refused' }));
    }
  });
  it('local mode also takes http:// and loopback', () => {
    expect(checkEndpointUrl('http://127.0.0.1:9000/hook', allowLocal)).toBe('http://127.0.0.1:9000/hook');
    expect(() => checkEndpointUrl('https://a:b@127.0.0.1/x', allowLocal)).toThrow();
  });
});

describe('webhook endpoints API', () => {
  it('owners and admins register, list and delete endpoints; the secret is shown once and unreadable afterwards', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const base = `/api/orgs/${line.org.id}/webhooks`;
    expect((await request(world.app).post(base).set(...bearer(line.org.member)).send({ url: `${receiver.url}/m`, events: ['call.completed'] })).status).toBe(403);
    const unknown = await request(world.app).post(base).set(...bearer(line.org.owner)).send({ url: `${receiver.url}/u`, events: ['call.started'] });
    expect(unknown.status).toBe(400);
    expect((await request(world.app).post(base).set(...bearer(line.org.owner)).send({ url: `${receiver.url}/u`, events: [] })).status).toBe(400);

    const created = await register(line, '/crm', ['call.completed', 'erasure.completed']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const list = await request(world.app).get(base).set(...bearer(line.org.owner));
    expect(list.status).toBe(200);
    expect(list.body.webhooks).toEqual([
      expect.objectContaining({ id: created.id, url: `${receiver.url}/crm`, events: ['call.completed', 'erasure.completed'], description: 'CRM sync' }),
    ]);
    expect(JSON.stringify(list.body)).not.toContain(created.secret);
    expect((await request(world.app).get(base).set(...bearer(line.org.member))).status).toBe(403);

    // Under RLS the secret column stays closed, even to the owner, and other organisations see nothing.
    const userDb = createUserDb(db);
    await expect(
      userDb.run({ sub: line.org.owner.id, role: 'authenticated' }, async (tx) => tx`select secret from public.webhook_endpoints`),
    ).rejects.toThrow(/permission denied/);
    const other = await createAgentLine(db, world, { dtmfConsent: false });
    const seen = await userDb.run({ sub: other.org.owner.id, role: 'authenticated' }, async (tx) => tx`select id from public.webhook_endpoints`);
    expect(seen).toHaveLength(0);
    expect((await request(world.app).delete(`/api/orgs/${other.org.id}/webhooks/${created.id}`).set(...bearer(other.org.owner))).status).toBe(404);

    const [audit] = await db`select action, metadata from public.audit_logs where org_id = ${line.org.id} and target_id = ${created.id}`;
    expect(audit).toMatchObject({ action: 'webhook_endpoint.created', metadata: { events: ['call.completed', 'erasure.completed'] } });
    expect(JSON.stringify(audit)).not.toContain(created.secret);

    expect((await request(world.app).delete(`${base}/${created.id}`).set(...bearer(line.org.admin))).status).toBe(204);
    expect((await request(world.app).get(base).set(...bearer(line.org.owner))).body.webhooks).toEqual([]);
    expect((await request(world.app).delete(`${base}/${created.id}`).set(...bearer(line.org.admin))).status).toBe(404);
  });

  it('production settings refuse plain http and private addresses with a clear 422', async () => {
    const config = testConfig({ WEBHOOKS_ALLOW_PRIVATE_NETWORK: 'false' });
    const { app } = buildTestApp(db, config);
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const res = await request(app).post(`/api/orgs/${line.org.id}/webhooks`).set(...bearer(line.org.owner)).send({ url: `${receiver.url}/x`, events: ['call.completed'] });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('webhook_url_refused');
    const res2 = await request(app).post(`/api/orgs/${line.org.id}/webhooks`).set(...bearer(line.org.owner)).send({ url: 'https://10.0.0.8/x', events: ['call.completed'] });
    expect(res2.body.error.code).toBe('webhook_url_refused');
    expect(await db`select 1 from public.webhook_endpoints where org_id = ${line.org.id}`).toHaveLength(0);
  });
});

describe('webhook deliveries', () => {
  it('call.completed: signed, verifiable with the Standard Webhooks library, ids only, sent once per subscribed endpoint', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const crm = await register(line, '/crm', ['call.completed']);
    await register(line, '/incidents-only', ['incident.opened']);
    const elsewhere = await createAgentLine(db, world, { dtmfConsent: false });
    await register(elsewhere, '/elsewhere', ['call.completed']);

    const call = await completedCall(line);
    // Twilio repeats the status callback: still one event.
    await twilioPost(world, '/webhooks/twilio/status', { CallSid: call.sid, CallStatus: 'completed', CallDuration: '42' });
    const counts = await deliver();
    expect(counts).toMatchObject({ delivered: 1, retried: 0, failed: 0 });
    expect(receiver.received.map((r) => r.path)).toEqual(['/crm']);
    const [got] = receiver.received;
    const event = verified(crm.secret, got!);
    expect(event).toMatchObject({
      type: 'call.completed',
      org_id: line.org.id,
      data: { call_id: call.callId, agent_id: line.agentId, status: 'completed', outcome: 'completed', duration_seconds: 42, caller_country: 'DE' },
    });
    expect(got!.headers['webhook-id']).toBe(event.id);
    expect(got!.headers['content-type']).toBe('application/json');
    // No personal data: neither the caller's number nor its digits.
    expect(got!.body).not.toContain(call.from.slice(1));
    // A wrong secret or a changed body does not verify.
    const wrongSecret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    expect(() => verified(wrongSecret, got!)).toThrow();
    expect(() => verified(crm.secret, { ...got!, body: got!.body.replace('completed', 'failed') })).toThrow();

    const rows = await db`select status, attempts, last_status from public.webhook_deliveries where endpoint_id = ${crm.id}`;
    expect(rows).toEqual([{ status: 'delivered', attempts: 1, last_status: 204 }]);
    // Nothing left to send.
    expect(await deliver()).toMatchObject({ claimed: 0 });
    const history = await request(world.app).get(`/api/orgs/${line.org.id}/webhooks/${crm.id}/deliveries`).set(...bearer(line.org.owner));
    expect(history.body.deliveries).toEqual([expect.objectContaining({ event_type: 'call.completed', status: 'delivered', attempts: 1, last_status: 204 })]);
  });

  it('an endpoint that fails or hangs is retried with backoff, keeps its event id, and is marked failed after the last attempt', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    const ep = await register(line, '/flaky', ['call.completed']);
    await completedCall(line);
    receiver.failNext(1, 500);
    expect(await deliver()).toMatchObject({ claimed: 1, retried: 1 });
    const [first] = await db`select status, attempts, last_status, last_error, next_attempt_at > now() + interval '20 seconds' as backed_off from public.webhook_deliveries where endpoint_id = ${ep.id}`;
    expect(first).toMatchObject({ status: 'pending', attempts: 1, last_status: 500, last_error: 'HTTP 500', backed_off: true });
    // Not due yet: nothing is sent.
    expect(await deliver()).toMatchObject({ claimed: 0 });

    receiver.failNext(1, 'hang');
    await db`update public.webhook_deliveries set next_attempt_at = now() where endpoint_id = ${ep.id}`;
    expect(await deliver(300)).toMatchObject({ retried: 1 });
    const [second] = await db`select attempts, last_error from public.webhook_deliveries where endpoint_id = ${ep.id}`;
    expect(second).toMatchObject({ attempts: 2 });
    expect(second!.last_error).toMatch(/ETIMEDOUT|abort/i);

    await db`update public.webhook_deliveries set next_attempt_at = now() where endpoint_id = ${ep.id}`;
    expect(await deliver()).toMatchObject({ delivered: 1 });
    expect(receiver.received).toHaveLength(1);
    const event = verified(ep.secret, receiver.received[0]!);
    const [row] = await db`select event_id, status, attempts from public.webhook_deliveries where endpoint_id = ${ep.id}`;
    expect(row).toMatchObject({ event_id: event.id, status: 'delivered', attempts: 3 });

    // An endpoint that never answers well: failed after the last attempt, kept for the organisation to see.
    const dead = await register(line, '/dead', ['call.completed']);
    await completedCall(line);
    receiver.failNext(1000, 500);
    for (let i = 0; i < MAX_WEBHOOK_ATTEMPTS + 2; i += 1) {
      await db`update public.webhook_deliveries set next_attempt_at = now() where endpoint_id = ${dead.id} and status = 'pending'`;
      await deliver();
    }
    receiver.failNext(0, 500);
    const [gaveUp] = await db`select status, attempts from public.webhook_deliveries where endpoint_id = ${dead.id}`;
    expect(gaveUp).toEqual({ status: 'failed', attempts: MAX_WEBHOOK_ATTEMPTS });

    // History is kept for 30 days, then pruned; a pending delivery is never pruned.
    await completedCall(line);
    await db`update public.webhook_deliveries set created_at = now() - interval '31 days' where endpoint_id in (${ep.id}, ${dead.id})`;
    await db`update public.webhook_deliveries set next_attempt_at = now() + interval '1 hour' where endpoint_id = ${dead.id} and status = 'pending'`;
    const pruning = await deliver();
    expect(pruning.pruned).toBeGreaterThanOrEqual(2);
    expect(await db`select status from public.webhook_deliveries where endpoint_id in (${ep.id}, ${dead.id}) and status <> 'pending'`).toHaveLength(0);
    expect(await db`select 1 from public.webhook_deliveries where endpoint_id = ${ep.id} and status = 'pending'`).toHaveLength(1);
  });

  it('refuses, at connection time, an address that is not public under production settings', async () => {
    const line = await createAgentLine(db, world, { dtmfConsent: false });
    // Endpoints stored while private networks were allowed (the database takes them only then),
    // now worked under production settings: a host name, and IP literals that no DNS lookup sees.
    const port = new URL(receiver.url).port;
    const urls = [`http://localhost:${port}/rebound`, `https://127.0.0.1:${port}/literal`, `https://[::ffff:127.0.0.1]:${port}/mapped`];
    const ids = await db.begin(async (tx) => {
      await tx`select set_config('app.webhooks_allow_private_network', 'on', true)`;
      const out: string[] = [];
      for (const url of urls) {
        const [ep] = await tx`
          insert into public.webhook_endpoints (org_id, url, events, secret)
          values (${line.org.id}, ${url}, '{call.completed}', ${`whsec_${Buffer.alloc(32, 3).toString('base64')}`}) returning id`;
        out.push(ep!.id as string);
      }
      return out;
    });
    await completedCall(line);
    const counts = await runWebhookDeliveries({ serviceDb: db, policy: { allowPrivateNetwork: false }, timeoutMs: 2000 });
    expect(counts).toMatchObject({ retried: 3, delivered: 0 });
    expect(receiver.received).toHaveLength(0);
    const rows = await db`select last_error from public.webhook_deliveries where endpoint_id = any(${ids}::uuid[])`;
    expect(rows).toHaveLength(3);
    for (const row of rows) expect(row.last_error).toMatch(/^webhook_url_refused: /);
  });

  it('refuses, at connection time, a host name whose DNS answer is not public', async () => {
    // As if DNS had changed after registration: the name now leads to loopback.
    const lookup = guardedLookup({ allowPrivateNetwork: false });
    const error = await new Promise<(Error & { code?: string }) | null>((resolve) => lookup('localhost', {}, (err) => resolve(err)));
    expect(error?.code).toBe('EADDRNOTPUBLIC');
    const allowed = await new Promise<string>((resolve, reject) =>
      guardedLookup(allowLocal)('localhost', { family: 4 }, (err, address) => (err ? reject(err) : resolve(address as string))),
    );
    expect(allowed).toBe('127.0.0.1');
  });

  it('erasure.completed goes to the requesting organisation, and for a public request to each organisation it found data in', async () => {
    const a = await createAgentLine(db, world, { dtmfConsent: false });
    const b = await createAgentLine(db, world, { dtmfConsent: false });
    const untouched = await createAgentLine(db, world, { dtmfConsent: false });
    const hookA = await register(a, '/a', ['erasure.completed']);
    const hookB = await register(b, '/b', ['erasure.completed']);
    await register(untouched, '/untouched', ['erasure.completed']);

    // Dashboard request in A for a number with nothing at the providers: completes at once.
    const phone = `+49301${Math.floor(Math.random() * 1e7)}`;
    await completedCall(a, phone);
    const res = await request(world.app).post(`/api/orgs/${a.org.id}/erasure-requests`).set(...bearer(a.org.owner)).send({ phone });
    expect(res.status).toBe(202);
    await waitFor(async () => (await db`select 1 from public.erasure_requests where id = ${res.body.id} and status = 'completed'`).length > 0, 'completion');
    await deliver();
    expect(receiver.received.map((r) => r.path)).toEqual(['/a']);
    expect(verified(hookA.secret, receiver.received[0]!)).toMatchObject({
      type: 'erasure.completed',
      org_id: a.org.id,
      data: { erasure_request_id: res.body.id, source: 'dashboard', subject_type: 'phone' },
    });
    expect(receiver.received[0]!.body).not.toContain(phone.slice(1));

    // A public request for a person who called both A and B.
    receiver.received.length = 0;
    const person = `+49302${Math.floor(Math.random() * 1e7)}`;
    await completedCall(a, person);
    await completedCall(b, person);
    const filed = await deps.erasure.filePublicRequest({ subject: { type: 'phone', value: person }, contactEmail: 'p@example.test' });
    await deps.erasure.confirmPublicRequest(filed.id);
    await deps.erasure.workProviders();
    await waitFor(async () => (await db`select 1 from public.erasure_requests where id = ${filed.id} and status = 'completed'`).length > 0, 'completion');
    await deliver();
    expect(receiver.received.map((r) => r.path).sort()).toEqual(['/a', '/b']);
    const toB = receiver.received.find((r) => r.path === '/b')!;
    expect(verified(hookB.secret, toB)).toMatchObject({ type: 'erasure.completed', org_id: b.org.id, data: { erasure_request_id: filed.id, source: 'public' } });
  });

  it('incident.opened goes to each affected organisation, also one added later', async () => {
    const a = await createAgentLine(db, world, { dtmfConsent: false });
    const b = await createAgentLine(db, world, { dtmfConsent: false });
    const hookA = await register(a, '/a', ['incident.opened']);
    await register(b, '/b', ['incident.opened']);
    const [incident] = await db`
      insert into public.security_incidents (title, severity, detected_at, affected_org_ids, data_categories)
      values ('Leaked API key', 'high', now(), ${[a.org.id]}::uuid[], '{contact details}') returning id`;
    await deliver();
    expect(receiver.received.map((r) => r.path)).toEqual(['/a']);
    const event = verified(hookA.secret, receiver.received[0]!);
    expect(event).toMatchObject({ type: 'incident.opened', org_id: a.org.id, data: { incident_id: incident!.id, severity: 'high', data_categories: ['contact details'] } });
    expect(receiver.received[0]!.body).not.toContain('Leaked API key');

    receiver.received.length = 0;
    await db`update public.security_incidents set affected_org_ids = ${[a.org.id, b.org.id]}::uuid[] where id = ${incident!.id}`;
    await deliver();
    expect(receiver.received.map((r) => r.path)).toEqual(['/b']);
  });
});
