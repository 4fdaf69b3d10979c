import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import net from 'node:net';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueLocalAccessToken } from '../src/auth/tokens.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { keyedHash } from '../src/lib/crypto.js';
import { checkEndpointUrl } from '../src/webhooks/endpoint-url.js';
import { runWebhookDeliveries } from '../src/webhooks/webhook-delivery.js';
import { JWT_SECRET, buildTestApp, createOrg, createUser, openIsolatedTestDb, testConfig, type TestOrg, type TestUser } from './helpers/harness.js';

/**
 * Supabase's Data API, without it: every table in `public` reached the way
 * PostgREST reaches it, in a transaction switched to the request role with the
 * access token's claims set locally, then the INSERT, UPDATE or DELETE a
 * client could send. No code of ours runs in between, so whatever passes here
 * passes on a Supabase project, whatever our routes check. Every attempt is
 * rolled back (a savepoint), so the fixtures stay as they are.
 */

type Role = 'owner' | 'admin' | 'member';

interface Actor {
  name: string;
  /** the request role PostgREST switches to */
  role: 'authenticated' | 'anon';
  /** the access token's payload, as PostgREST sets it in request.jwt.claims */
  claims: Record<string, unknown>;
  userId?: string;
  /** role in each organisation, by organisation id */
  roles: Map<string, Role>;
}

interface Org {
  id: string;
  org: TestOrg;
  /** fixture row ids by table (the table's key column holds them) */
  rows: Record<string, string[]>;
}

interface TableSpec {
  /** the column the fixture ids are in */
  key: string;
  /** false: the table belongs to no organisation (one set of fixture rows, written by nobody) */
  tenant: boolean;
  /** a row as a client would POST it for organisation orgId */
  row: (org: Org, actor: Actor, tx: Tx) => Promise<Record<string, unknown>> | Record<string, unknown>;
  /** a PATCH a client could send */
  patch: Record<string, unknown>;
  /** who, in their own organisation, may insert, update and delete (no one elsewhere) */
  insert: Role[];
  update: Role[];
  delete: Role[];
}

const ADMINS: Role[] = ['owner', 'admin'];
const EVERYONE: Role[] = ['owner', 'admin', 'member'];
const NOBODY: Role[] = [];
const secret = () => `whsec_${randomBytes(32).toString('base64')}`;
const e164 = () => `+49${randomInt(1e9, 9e9)}`;
const sid = (prefix: string) => `${prefix}${randomBytes(16).toString('hex')}`;

let db: ServiceDb;
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
const config = testConfig();
let a: Org;
let b: Org;
let outsider: TestUser;
let actors: Actor[];
let subprocessorId: string;
/** fixture rows of the tables that belong to no organisation */
const globalRows: Record<string, string[]> = {};

// Every table in public, and what a client may write there. A table missing
// here fails the coverage test: decide what the Data API may do with it first.
const TABLES: Record<string, TableSpec> = {
  organizations: {
    key: 'id', tenant: true,
    row: () => ({ name: 'Taken over' }),
    patch: { name: 'Renamed' },
    insert: NOBODY, update: ADMINS, delete: NOBODY,
  },
  users: {
    key: 'id', tenant: true,
    row: (_o, actor) => ({ id: actor.userId ?? randomUUID(), email: 'someone@example.test' }),
    patch: { display_name: 'Defaced' },
    // (a user's own row: see the invitation takeover tests below; these are the other members)
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  memberships: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, user_id: outsider.id, role: 'member' }),
    patch: { role: 'member' },
    insert: ADMINS, update: ADMINS, delete: ADMINS,
  },
  privacy_preferences: {
    key: 'org_id', tenant: true,
    row: (o) => ({ org_id: o.id }),
    // consent_scope: users change it as they change the other switches, no more
    patch: { retention_days: 90, consent_scope: 'all_callers' },
    insert: NOBODY, update: ADMINS, delete: NOBODY,
  },
  agents: {
    key: 'id', tenant: true,
    row: (o, actor) => ({ org_id: o.id, name: 'New', language: 'en', first_message: 'Hello, I am an AI assistant.', created_by: actor.userId ?? null }),
    patch: { name: 'Renamed' },
    insert: ADMINS, update: ADMINS, delete: ADMINS,
  },
  phone_numbers: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, e164: e164() }),
    patch: { agent_id: null },
    insert: ADMINS, update: ADMINS, delete: ADMINS,
  },
  calls: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, twilio_call_sid: sid('CA') }),
    patch: { outcome: 'tampered' },
    insert: NOBODY, update: NOBODY, delete: ADMINS,
  },
  call_consents: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, twilio_call_sid: sid('CA'), prompt_language: 'de', prompt_version: 'v', prompt_hash: 'h', outcome: 'given' }),
    patch: { outcome: 'refused' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  leads: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, name: 'x' }),
    patch: { notes: 'x' },
    // rectification (Art. 16): owners and admins correct a lead
    insert: NOBODY, update: ADMINS, delete: ADMINS,
  },
  legal_holds: {
    key: 'id', tenant: true,
    row: (o, actor) => ({ org_id: o.id, subject_type: 'email', subject_hash: randomBytes(32), subject_hint: 'e•••@example.com', reason: 'Tax records', placed_by: actor.userId ?? null }),
    // a hold's reason is never rewritten (ending one is tested in test/legal-holds.test.ts)
    patch: { reason: 'rewritten' },
    insert: ADMINS, update: NOBODY, delete: NOBODY,
  },
  erasure_request_holds: {
    key: 'id', tenant: true,
    row: (o) => ({ request_id: o.rows.erasure_requests![0], org_id: o.id, reason: 'Tax records' }),
    patch: { erased_at: new Date() },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  recordings: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, twilio_recording_sid: sid('RE'), status: 'completed' }),
    patch: { status: 'deleted' },
    insert: NOBODY, update: NOBODY, delete: ADMINS,
  },
  transcripts: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, content: [] }),
    patch: { content: [] },
    insert: NOBODY, update: NOBODY, delete: ADMINS,
  },
  erasure_requests: {
    key: 'id', tenant: true,
    // what the dashboard route files (the client's clock is the database's here)
    row: async (o, actor, tx) => {
      const [t] = await tx<{ now: string; due: string }[]>`select now()::text as now, (now() + interval '1 month')::text as due`;
      return {
        org_id: o.id, source: 'dashboard', subject_type: 'phone', subject_hash: randomBytes(32), status: 'confirmed',
        requested_by: actor.userId ?? null, confirmed_at: t!.now, due_at: t!.due,
      };
    },
    patch: { status: 'completed' },
    insert: ADMINS, update: NOBODY, delete: NOBODY,
  },
  exports: {
    key: 'id', tenant: true,
    row: (o, actor) => ({ org_id: o.id, requested_by: actor.userId ?? null, subject_type: 'organization', counts: {} }),
    patch: { counts: { leads: 0 } },
    insert: ADMINS, update: NOBODY, delete: NOBODY,
  },
  impersonations: {
    key: 'id', tenant: true,
    row: (o, actor) => ({ operator_id: actor.userId ?? randomUUID(), target_user_id: o.org.member.id, org_id: o.id, reason: 'a long enough reason', expires_at: new Date(Date.now() + 3600_000) }),
    patch: { ended_at: new Date() },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  subprocessor_notices: {
    key: 'id', tenant: true,
    row: (o, actor) => ({ subprocessor_id: subprocessorId, org_id: o.id, user_id: actor.userId ?? o.org.owner.id }),
    patch: { objected_at: new Date(), objection_reason: 'not in the EU' },
    insert: NOBODY, update: ['owner'], delete: NOBODY,
  },
  audit_logs: {
    key: 'id', tenant: true,
    // what the product writes when a member opens a call
    row: (o, actor) => ({
      org_id: o.id, actor_type: 'user', actor_id: actor.userId ?? null, action: 'call.read', target_type: 'call',
      target_id: o.rows.calls![0], request_id: randomUUID(), ip: '203.0.113.0/24', metadata: { transcript: true, recordings: 1 },
    }),
    patch: { action: 'forged.entry' },
    insert: EVERYONE, update: NOBODY, delete: NOBODY,
  },
  audit_chain_checkpoints: {
    // how far the job verified the organisation's audit chain: read by its members, written by the backend only
    key: 'chain_key', tenant: true,
    row: (o) => ({ chain_key: o.id, verified_index: 0 }),
    patch: { verified_index: 0, broken_index: null, broken_problem: null, broken_found_at: null },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  provider_deletions: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, provider: 'twilio', resource_type: 'recording', resource_id: sid('RE'), reason: 'retention' }),
    patch: { status: 'done' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  webhook_endpoints: {
    key: 'id', tenant: true,
    row: (o, actor) => ({ org_id: o.id, url: 'https://hooks.example.com/new', events: ['call.completed'], secret: secret(), created_by: actor.userId ?? null }),
    patch: { description: 'changed' },
    insert: ADMINS, update: ADMINS, delete: ADMINS,
  },
  webhook_deliveries: {
    key: 'id', tenant: true,
    row: (o) => ({ org_id: o.id, endpoint_id: o.rows.webhook_endpoints![0], event_id: randomUUID(), event_type: 'call.completed', payload: {} }),
    patch: { status: 'pending' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  // Platform tables: written by the backend only.
  subprocessors: {
    key: 'id', tenant: false,
    row: () => ({ name: `Rogue ${randomUUID()}`, purpose: 'x', region: 'US', role: 'processor', safeguards: 'none', effective_at: new Date() }),
    patch: { region: 'US' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  security_incidents: {
    key: 'id', tenant: false,
    row: () => ({ title: 'x', severity: 'low', detected_at: new Date() }),
    patch: { notified_at: new Date() },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  security_incident_events: {
    key: 'id', tenant: false,
    row: () => ({ incident_id: globalRows.security_incidents![0], kind: 'updated' }),
    patch: { kind: 'notified' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  incident_pages: {
    key: 'id', tenant: false,
    row: () => ({ incident_id: globalRows.security_incidents![0], recipient: 'dpo@example.test', result: 'sent', hours_left: 10 }),
    patch: { result: 'failed' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  incident_organizations: {
    // what each organisation named by an incident was told: read by its members, written by the backend only
    key: 'id', tenant: true,
    row: () => ({ incident_id: globalRows.security_incidents![0], org_id: b.id }),
    patch: { acknowledged_at: new Date(), acknowledged_via: 'api' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  // A caller's access and do-not-record requests on /forget-me: the backend's alone (no grant to anon or authenticated).
  privacy_requests: {
    key: 'id', tenant: false,
    row: () => ({ request_type: 'access', subject_type: 'email', subject_hash: randomBytes(32) }),
    patch: { status: 'completed' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  access_downloads: {
    key: 'id', tenant: false,
    row: (o) => ({ request_id: globalRows.privacy_requests![0], org_id: o.id, token_hash: randomBytes(32), expires_at: new Date(Date.now() + 86_400_000) }),
    patch: { used_at: new Date() },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  do_not_record_numbers: {
    key: 'id', tenant: false,
    row: () => ({ phone_hash: randomBytes(32) }),
    patch: { request_id: null },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
  job_runs: {
    key: 'id', tenant: false,
    row: () => ({ job_name: 'retention-purge', slot: new Date(), claimed_by: 'me' }),
    patch: { status: 'failed' },
    insert: NOBODY, update: NOBODY, delete: NOBODY,
  },
};

/** The payload of a signed access token, as PostgREST puts it in request.jwt.claims. */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
}

function userActor(name: string, user: TestUser, roles: [Org, Role][]): Actor {
  return { name, role: 'authenticated', claims: claimsOf(user.token), userId: user.id, roles: new Map(roles.map(([o, r]) => [o.id, r])) };
}

const ANON: Actor = { name: 'anon', role: 'anon', claims: { iss: 'supabase', role: 'anon' }, roles: new Map() };

/** One PostgREST request: its own transaction, in the request role, with the token's claims. */
function asClient<T>(actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.begin(async (tx) => {
    await tx`select set_config('role', ${actor.role}, true), set_config('request.jwt.claims', ${JSON.stringify(actor.claims)}, true)`;
    return fn(tx as unknown as Tx);
  }) as Promise<T>;
}

class RolledBack extends Error {
  constructor(readonly count: number) {
    super('rolled back');
  }
}

/** Runs one statement in a savepoint that is always rolled back: the rows it changed, or its error code. */
async function attempt(tx: Tx, fn: (sp: Tx) => Promise<unknown>): Promise<{ count?: number; code?: string; message?: string }> {
  try {
    await tx.savepoint(async (sp) => {
      const result = (await fn(sp as unknown as Tx)) as { count: number };
      throw new RolledBack(result.count);
    });
    return {};
  } catch (err) {
    if (err instanceof RolledBack) return { count: err.count };
    const e = err as { code?: string; message?: string };
    return { code: e.code ?? 'error', message: e.message };
  }
}

const refused = (r: { count?: number; code?: string }) => r.code !== undefined || r.count === 0;

/** Every row a fixture organisation holds in each tenant table (written by the backend, as a fixture). */
async function seed(org: TestOrg): Promise<Org> {
  const o: Org = { id: org.id, org, rows: {} };
  await db.begin(async (tx) => {
    const one = async (table: string, q: Promise<{ id: string }[]>) => {
      const [row] = await q;
      (o.rows[table] ??= []).push(row!.id);
      return row!.id;
    };
    o.rows.organizations = [org.id];
    o.rows.privacy_preferences = [org.id];
    o.rows.users = [org.owner.id, org.admin.id, org.member.id];
    const [m] = await tx<{ id: string }[]>`select id from public.memberships where org_id = ${org.id} and role = 'member'`;
    o.rows.memberships = [m!.id];
    const agent = await one('agents', tx`
      insert into public.agents (org_id, name, language, first_message) values (${org.id}, 'Reception', 'de', 'Guten Tag, hier spricht eine KI.') returning id`);
    await one('phone_numbers', tx`insert into public.phone_numbers (org_id, agent_id, e164) values (${org.id}, ${agent}, ${e164()}) returning id`);
    const callSid = sid('CA');
    const call = await one('calls', tx`
      insert into public.calls (org_id, agent_id, twilio_call_sid, from_number) values (${org.id}, ${agent}, ${callSid}, '+4930123456') returning id`);
    await one('call_consents', tx`
      insert into public.call_consents (org_id, call_id, twilio_call_sid, prompt_language, prompt_version, prompt_hash, digit, outcome)
      values (${org.id}, ${call}, ${callSid}, 'de', 'de-1', 'hash', '1', 'given') returning id`);
    await one('leads', tx`insert into public.leads (org_id, call_id, name, phone) values (${org.id}, ${call}, 'Erika Mustermann', '+4930123456') returning id`);
    await one('recordings', tx`
      insert into public.recordings (org_id, call_id, twilio_recording_sid, status) values (${org.id}, ${call}, ${sid('RE')}, 'completed') returning id`);
    await one('transcripts', tx`insert into public.transcripts (org_id, call_id, content) values (${org.id}, ${call}, '[{"role":"agent","message":"hi"}]') returning id`);
    await one('erasure_requests', tx`
      insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, due_at)
      values (${org.id}, 'dashboard', 'phone', ${randomBytes(32)}, 'in_progress', ${org.owner.id}, now() + interval '1 month') returning id`);
    await one('exports', tx`insert into public.exports (org_id, requested_by, subject_type) values (${org.id}, ${org.owner.id}, 'organization') returning id`);
    const hold = await one('legal_holds', tx`
      insert into public.legal_holds (org_id, subject_type, subject_hash, subject_hint, reason, placed_by)
      values (${org.id}, 'phone', ${randomBytes(32)}, '+49•••56', 'Court proceedings', ${org.owner.id}) returning id`);
    await one('erasure_request_holds', tx`
      insert into public.erasure_request_holds (request_id, org_id, hold_id, reason)
      values (${o.rows.erasure_requests![0]!}, ${org.id}, ${hold}, 'Court proceedings') returning id`);
    await one('impersonations', tx`
      insert into public.impersonations (operator_id, target_user_id, org_id, reason, expires_at)
      values (${randomUUID()}, ${org.member.id}, ${org.id}, 'support ticket 1234', now() + interval '1 hour') returning id`);
    await one('subprocessor_notices', tx`
      insert into public.subprocessor_notices (subprocessor_id, org_id, user_id) values (${subprocessorId}, ${org.id}, ${org.owner.id}) returning id`);
    await one('audit_logs', tx`
      insert into public.audit_logs (org_id, actor_type, action) values (${org.id}, 'system', 'organization.seeded') returning id`);
    await one('audit_chain_checkpoints', tx`
      insert into public.audit_chain_checkpoints (chain_key) values (${org.id}) returning chain_key as id`);
    await one('provider_deletions', tx`
      insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason, status)
      values (${org.id}, 'elevenlabs', 'conversation', ${sid('conv_')}, 'retention', 'done') returning id`);
    const endpoint = await one('webhook_endpoints', tx`
      insert into public.webhook_endpoints (org_id, url, events, secret) values (${org.id}, 'https://hooks.example.com/crm', '{call.completed}', ${secret()}) returning id`);
    await one('webhook_deliveries', tx`
      insert into public.webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload, status, delivered_at)
      values (${org.id}, ${endpoint}, gen_random_uuid(), 'call.completed', '{}', 'delivered', now()) returning id`);
  });
  return o;
}

beforeAll(async () => {
  // Its own database: the webhook test below runs the delivery worker, which works every due delivery.
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  const [sp] = await db<{ id: string }[]>`
    insert into public.subprocessors (name, purpose, region, role, safeguards, effective_at)
    values (${`Data API test processor ${randomUUID()}`}, 'tests', 'EU', 'processor', 'DPA', now() + interval '31 days') returning id`;
  subprocessorId = sp!.id;
  a = await seed(await createOrg(db, config));
  b = await seed(await createOrg(db, config));
  outsider = await createUser(db, config);

  globalRows.subprocessors = [subprocessorId];
  const [incident] = await db<{ id: string }[]>`
    insert into public.security_incidents (title, severity, detected_at, affected_org_ids) values ('Test incident', 'low', now(), ${[a.id, b.id]}::uuid[]) returning id`;
  globalRows.security_incidents = [incident!.id];
  // the trigger wrote one notice row per organisation named
  for (const o of [a, b]) {
    const [notice] = await db<{ id: string }[]>`select id from public.incident_organizations where incident_id = ${incident!.id} and org_id = ${o.id}`;
    o.rows.incident_organizations = [notice!.id];
  }
  const [event] = await db<{ id: string }[]>`insert into public.security_incident_events (incident_id, kind) values (${incident!.id}, 'created') returning id`;
  globalRows.security_incident_events = [event!.id];
  const [page] = await db<{ id: string }[]>`
    insert into public.incident_pages (incident_id, recipient, result, hours_left) values (${incident!.id}, 'dpo@example.test', 'sent', 70) returning id`;
  globalRows.incident_pages = [page!.id];
  const [run] = await db<{ id: string }[]>`
    insert into public.job_runs (job_name, slot, claimed_by, status) values ('data-api-test', now(), 'test', 'succeeded') returning id`;
  globalRows.job_runs = [run!.id];
  const [privacyRequest] = await db<{ id: string }[]>`
    insert into public.privacy_requests (request_type, subject_type, subject_hash) values ('access', 'email', ${randomBytes(32)}) returning id`;
  globalRows.privacy_requests = [privacyRequest!.id];
  const [download] = await db<{ id: string }[]>`
    insert into public.access_downloads (request_id, org_id, token_hash, expires_at)
    values (${privacyRequest!.id}, ${a.id}, ${randomBytes(32)}, now() + interval '1 day') returning id`;
  globalRows.access_downloads = [download!.id];
  const [objection] = await db<{ id: string }[]>`
    insert into public.do_not_record_numbers (phone_hash) values (${randomBytes(32)}) returning id`;
  globalRows.do_not_record_numbers = [objection!.id];

  actors = [
    userActor('member of A', a.org.member, [[a, 'member']]),
    userActor('admin of A', a.org.admin, [[a, 'admin']]),
    userActor('owner of A', a.org.owner, [[a, 'owner']]),
    userActor('owner of B', b.org.owner, [[b, 'owner']]),
    userActor('user of no organisation', outsider, []),
    ANON,
  ];
});
afterAll(async () => {
  await isolated.close();
});

describe('the Data API: every table in public', () => {
  it('covers every table and view in public', async () => {
    const rows = await db<{ relname: string }[]>`
      select c.relname from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f') order by 1`;
    expect(rows.map((r) => r.relname)).toEqual(Object.keys(TABLES).sort());
  });

  it('exposes no function in public to anon or authenticated (PostgREST rpc)', async () => {
    const rows = await db`
      select p.oid::regprocedure::text as fn from pg_catalog.pg_proc p
      where p.pronamespace = 'public'::regnamespace
        and (has_function_privilege('anon', p.oid, 'EXECUTE') or has_function_privilege('authenticated', p.oid, 'EXECUTE'))`;
    expect(rows).toEqual([]);
  });

  it('lets each role insert, update and delete only what its organisation role allows, and nothing of another organisation', async () => {
    let checks = 0;
    for (const actor of actors) {
      for (const [table, spec] of Object.entries(TABLES)) {
        const targets: [Org | null, string[]][] = spec.tenant
          ? [a, b].map((o) => [o, table === 'users' ? o.rows.users!.filter((id) => id !== actor.userId) : o.rows[table]!])
          : [[null, globalRows[table]!]];
        for (const [org, ids] of targets) {
          const role = org ? actor.roles.get(org.id) : undefined;
          const may = (who: Role[]) => role !== undefined && who.includes(role);
          const where = `${actor.name} on ${table}${org ? ` of ${org === a ? 'A' : 'B'}` : ''}`;
          await asClient(actor, async (tx) => {
            if (org) {
              const row = await spec.row(org, actor, tx);
              const ins = await attempt(tx, (sp) => sp`insert into ${sp(table)} ${sp(row)}`);
              if (may(spec.insert)) expect(ins, `${where}: insert`).toEqual({ count: 1 });
              else expect(ins.code, `${where}: insert must be refused`).toBe('42501');
            } else {
              const ins = await attempt(tx, async (sp) => sp`insert into ${sp(table)} ${sp(await spec.row(a, actor, tx))}`);
              expect(ins.code, `${where}: insert must be refused`).toBe('42501');
            }
            const upd = await attempt(tx, (sp) => sp`update ${sp(table)} set ${sp(spec.patch)} where ${sp(spec.key)} = any(${ids}::uuid[])`);
            if (may(spec.update)) expect(upd.count, `${where}: update`).toBe(ids.length);
            else expect(refused(upd), `${where}: update must change nothing (${JSON.stringify(upd)})`).toBe(true);
            const del = await attempt(tx, (sp) => sp`delete from ${sp(table)} where ${sp(spec.key)} = any(${ids}::uuid[])`);
            if (may(spec.delete)) expect(del.count, `${where}: delete`).toBe(ids.length);
            else expect(refused(del), `${where}: delete must change nothing (${JSON.stringify(del)})`).toBe(true);
            // and reads: nothing of an organisation the actor is not in
            if (org && !role && table !== 'users') {
              const read = await attempt(tx, (sp) => sp`select 1 from ${sp(table)} where ${sp(spec.key)} = any(${ids}::uuid[])`);
              expect(refused(read), `${where}: read must show nothing`).toBe(true);
            }
            checks += 4;
          });
        }
      }
    }
    expect(checks).toBeGreaterThan(500);
  });

  it('shows anon nothing but the public sub-processor list', async () => {
    await asClient(ANON, async (tx) => {
      for (const table of Object.keys(TABLES)) {
        const read = await attempt(tx, (sp) => sp`select count(*) from ${sp(table)}`);
        if (table === 'subprocessors') expect(read.code).toBeUndefined();
        else expect(read.code, `anon reads ${table}`).toBe('42501');
      }
    });
  });
});

describe('invitation takeover (a user claims only their own verified e-mail address)', () => {
  it('a user cannot create their own users row, least of all with somebody else’s address and its keyed hash', async () => {
    const victim = `victim-${randomUUID()}@example.test`;
    // A signed-in newcomer, before their first request to our API: no users row yet.
    const attackerId = randomUUID();
    const token = await issueLocalAccessToken(JWT_SECRET, { sub: attackerId, email: `attacker-${randomUUID()}@example.test` });
    const attacker: Actor = { name: 'newcomer', role: 'authenticated', claims: claimsOf(token), userId: attackerId, roles: new Map() };
    // POST /rest/v1/users: PostgREST runs it in a transaction of its own, committed if allowed.
    const forged = await asClient(attacker, (tx) => tx`
      insert into public.users (id, email, email_hash) values (${attackerId}, ${victim}, ${keyedHash(config.blindIndexKey, 'email', victim)})`).then(
      () => ({ code: undefined as string | undefined }),
      (err: { code?: string }) => ({ code: err.code }),
    );

    // Then the victim is invited: the membership must go to them, not to the attacker.
    const { app } = buildTestApp(db, config);
    const res = await request(app).post(`/api/orgs/${a.id}/members`).set('Authorization', `Bearer ${a.org.owner.token}`).send({ email: victim, role: 'member' });
    expect(res.status).toBe(201);
    expect(await db`select 1 from public.memberships where user_id = ${attackerId}`).toHaveLength(0);
    expect(res.body.user_id).not.toBe(attackerId);
    const [invited] = await db`select id, email from public.users where email_hash = ${keyedHash(config.blindIndexKey, 'email', victim)}`;
    expect(invited).toEqual({ id: res.body.user_id, email: victim });
    expect(forged.code).toBe('42501');
  });

  it('the first request creates the row with the verified token’s address; a user cannot change it', async () => {
    const id = randomUUID();
    const email = `first-${randomUUID()}@example.test`;
    const token = await issueLocalAccessToken(JWT_SECRET, { sub: id, email });
    const { app } = buildTestApp(db, config);
    expect((await request(app).get('/api/orgs').set('Authorization', `Bearer ${token}`)).status).toBe(200);
    const [row] = await db<{ email: string; email_hash: Buffer }[]>`select email, email_hash from public.users where id = ${id}`;
    expect(row!.email).toBe(email);
    expect(row!.email_hash.equals(keyedHash(config.blindIndexKey, 'email', email))).toBe(true);

    const me: Actor = { name: 'user', role: 'authenticated', claims: claimsOf(token), userId: id, roles: new Map() };
    await asClient(me, async (tx) => {
      const other = 'someone-else@example.test';
      expect((await attempt(tx, (sp) => sp`update public.users set email = ${other} where id = ${id}`)).code).toBe('42501');
      expect((await attempt(tx, (sp) => sp`update public.users set email_hash = ${keyedHash(config.blindIndexKey, 'email', other)} where id = ${id}`)).code).toBe('42501');
      expect(await attempt(tx, (sp) => sp`update public.users set display_name = 'Me' where id = ${id}`)).toEqual({ count: 1 });
    });
  });
});

describe('audit rows written by users', () => {
  const product = (o: Org, userId: string) => ({
    org_id: o.id, actor_type: 'user', actor_id: userId, action: 'call.read', target_type: 'call', target_id: o.rows.calls![0],
    request_id: randomUUID(), ip: '203.0.113.0/24', metadata: { transcript: true, recordings: 1 },
  });

  it('are what the product writes, and carry no personal data', async () => {
    const member = actors[0]!;
    const ok = product(a, member.userId!);
    const forged: [string, Record<string, unknown>][] = [
      ['an action the product never writes', { ...ok, action: 'forged.entry', target_type: null, target_id: null }],
      ['a product action with another target type', { ...ok, target_type: 'organization' }],
      ['no target', { ...ok, target_id: null }],
      ['an e-mail address as the target', { ...ok, target_id: 'erika.mustermann@example.com' }],
      ['an e-mail address in the metadata', { ...ok, metadata: { note: 'erika.mustermann@example.com' } }],
      ['a phone number in the metadata', { ...ok, metadata: { caller: '+49 151 2345 6789' } }],
      ['a bare phone number in the metadata', { ...ok, metadata: { caller: '015123456789' } }],
      ['a phone number in a metadata key', { ...ok, metadata: { '+4915123456789': true } }],
      ['a large blob', { ...ok, metadata: { blob: 'x'.repeat(5000) } }],
      ['metadata that is not an object', { ...ok, metadata: 'erika' }],
      ['an address as the network', { ...ok, ip: 'erika.mustermann@example.com' }],
      ['a full client address', { ...ok, ip: '203.0.113.7' }],
      ['personal data as the request id', { ...ok, request_id: 'erika@example.com' }],
      ['another actor', { ...ok, actor_id: a.org.owner.id }],
      ['a system row', { ...ok, actor_type: 'system', actor_id: null }],
      ['another organisation', { ...ok, org_id: b.id }],
    ];
    await asClient(member, async (tx) => {
      expect(await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp(ok)}`)).toEqual({ count: 1 });
      for (const [what, row] of forged) {
        expect((await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp(row)}`)).code, what).toBe('42501');
      }
    });
    // Owners and admins likewise; erasure rows keep to the keyed hash.
    await asClient(actors[1]!, async (tx) => {
      const erasure = { ...ok, actor_id: a.org.admin.id, action: 'erasure.requested', target_type: 'erasure_request', target_id: randomUUID() };
      expect(await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp({ ...erasure, metadata: { source: 'dashboard', subject_type: 'email' } })}`)).toEqual({ count: 1 });
      expect((await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp({ ...erasure, metadata: { subject: 'erika.mustermann@example.com' } })}`)).code).toBe('42501');
    });
  });

  it('keep their rules while an operator impersonates a user', async () => {
    const operator = randomUUID();
    const impersonated: Actor = { ...actors[0]!, claims: { ...actors[0]!.claims, impersonator_id: operator } };
    const row = { ...product(a, operator), actor_type: 'operator', acting_as_id: a.org.member.id };
    await asClient(impersonated, async (tx) => {
      expect(await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp(row)}`)).toEqual({ count: 1 });
      expect((await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp({ ...row, metadata: { phone: '+4915123456789' } })}`)).code).toBe('42501');
      expect((await attempt(tx, (sp) => sp`insert into public.audit_logs ${sp({ ...row, action: 'impersonation.ended', target_type: 'impersonation' })}`)).code).toBe('42501');
    });
  });
});

describe('references never cross organisations', () => {
  it('a phone number of A cannot point at an agent of B, even for an admin of both', async () => {
    const both = await createUser(db, config);
    await db`insert into public.memberships (org_id, user_id, role, accepted_at) values (${a.id}, ${both.id}, 'admin', now()), (${b.id}, ${both.id}, 'admin', now())`;
    const agentOfB = b.rows.agents![0]!;
    for (const actor of [actors[1]!, userActor('admin of A and B', both, [[a, 'admin'], [b, 'admin']])]) {
      await asClient(actor, async (tx) => {
        const inserted = await attempt(tx, (sp) => sp`insert into public.phone_numbers (org_id, agent_id, e164) values (${a.id}, ${agentOfB}, ${e164()})`);
        expect(inserted.code, `${actor.name}: insert`).toMatch(/^(23503|42501)$/);
        const updated = await attempt(tx, (sp) => sp`update public.phone_numbers set agent_id = ${agentOfB} where id = ${a.rows.phone_numbers![0]!}`);
        expect(refused(updated), `${actor.name}: update`).toBe(true);
        // their own organisation's agent is fine
        expect(await attempt(tx, (sp) => sp`update public.phone_numbers set agent_id = ${a.rows.agents![0]!} where id = ${a.rows.phone_numbers![0]!}`)).toEqual({ count: 1 });
        // nor does a row move to another organisation with its references
        const moved = await attempt(tx, (sp) => sp`update public.agents set org_id = ${b.id} where id = ${a.rows.agents![0]!}`);
        expect(refused(moved), `${actor.name}: moving an agent`).toBe(true);
        const movedNumber = await attempt(tx, (sp) => sp`update public.phone_numbers set org_id = ${b.id} where id = ${a.rows.phone_numbers![0]!}`);
        expect(refused(movedNumber), `${actor.name}: moving a number`).toBe(true);
      });
    }
    const [crossing] = await db`
      select count(*)::int as n from public.phone_numbers n join public.agents g on g.id = n.agent_id where g.org_id <> n.org_id`;
    expect(crossing!.n).toBe(0);
  });
});

describe('erasure requests', () => {
  it('a user files only what the dashboard route files; state, dates and contact address are the backend’s', async () => {
    const admin = actors[1]!;
    await asClient(admin, async (tx) => {
      const route = await TABLES.erasure_requests!.row(a, admin, tx);
      expect(await attempt(tx, (sp) => sp`insert into public.erasure_requests ${sp(route)}`)).toEqual({ count: 1 });
      const forged: [string, Record<string, unknown>][] = [
        ['a contact address the platform would e-mail', { ...route, contact_email: 'victim@example.com' }],
        ['a request that is done already', { ...route, status: 'completed', completed_at: new Date() }],
        ['a public request', { ...route, org_id: null, source: 'public' }],
        ['an unconfirmed request', { ...route, status: 'pending_confirmation', confirmed_at: null }],
        ['a deadline in the past', { ...route, due_at: new Date(Date.now() - 86_400_000) }],
        ['a confirmation long ago', { ...route, confirmed_at: new Date(Date.now() - 40 * 86_400_000), due_at: new Date(Date.now() - 10 * 86_400_000) }],
        ['a notice marked sent already', { ...route, completion_notified_at: new Date() }],
        ['counts', { ...route, counts: { leads_deleted: 100 } }],
        ['a whole organisation', { ...route, subject_type: 'organization', subject_hash: null }],
        ['no subject', { ...route, subject_hash: null }],
        ['somebody else as the requester', { ...route, requested_by: a.org.owner.id }],
      ];
      for (const [what, row] of forged) {
        expect((await attempt(tx, (sp) => sp`insert into public.erasure_requests ${sp(row)}`)).code, what).toBe('42501');
      }
    });
  });
});

describe('webhook endpoint URLs (SSRF)', () => {
  const BAD = [
    'http://hooks.example.com/x',
    'https://user:pw@hooks.example.com/x',
    'https://hooks.example.com/x#frag',
    'https://127.0.0.1/x',
    'https://10.0.0.8/x',
    'https://192.168.1.1/x',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/x',
    'https://0.0.0.0/x',
    'https://[::1]/x',
    'https://[fd00::1]/x',
    'https://[fe80::1]/x',
    'https://[::ffff:127.0.0.1]/x',
    'https://[::127.0.0.1]/x',
    'https://[64:ff9b::a9fe:a9fe]/x',
    'https://[2002:7f00:1::]/x',
    'https://localhost/x',
    'https://api.localhost/x',
    'https://localhost./x',
    'https://intranet/x',
    'https://0x7f.1/x',
    'https://2130706433/x',
    'https://127.1/x',
    'https://0177.0.0.1/x',
    'not a url',
  ];
  // Text a URL parser would rewrite (the backend stores the rewritten URL): the database refuses it as written.
  const UNNORMALISED = ['https://hooks.example.com\\@127.0.0.1/x', 'https://exa\tmple.com/x', 'https://hooks.example.com/a b', 'https://bücher.example/x'];

  it('the URL check refuses IPv4-compatible IPv6 loopback and the other special addresses', () => {
    for (const url of BAD) {
      expect(() => checkEndpointUrl(url, { allowPrivateNetwork: false }), url).toThrow(expect.objectContaining({ code: 'webhook_url_refused' }));
    }
    expect(checkEndpointUrl('https://[2606:4700:4700::1111]/hook', { allowPrivateNetwork: false })).toBe('https://[2606:4700:4700::1111]/hook');
  });

  it('the database checks a URL on every insert and every change of url, whoever writes it', async () => {
    const admin = actors[1]!;
    const endpoint = a.rows.webhook_endpoints![0]!;
    await asClient(admin, async (tx) => {
      for (const url of [...BAD, ...UNNORMALISED]) {
        const row = { org_id: a.id, url, events: ['call.completed'], secret: secret(), created_by: admin.userId };
        const inserted = await attempt(tx, (sp) => sp`insert into public.webhook_endpoints ${sp(row)}`);
        expect(inserted.code, `insert ${url}`).toBe('23514');
        const updated = await attempt(tx, (sp) => sp`update public.webhook_endpoints set url = ${url} where id = ${endpoint}`);
        expect(updated.code, `update to ${url}`).toBe('23514');
      }
      for (const url of ['https://hooks.example.com/crm?tenant=a', 'https://[2606:4700:4700::1111]/hook', 'https://8.8.8.8:8443/x']) {
        expect(await attempt(tx, (sp) => sp`update public.webhook_endpoints set url = ${url} where id = ${endpoint}`), url).toEqual({ count: 1 });
      }
    });
    // The backend's own connection is held to the same rules.
    await expect(db`update public.webhook_endpoints set url = 'https://127.0.0.1/x' where id = ${endpoint}`).rejects.toMatchObject({ code: '23514' });
  });

  it('deliveries never connect to a non-public IP literal under production settings', async () => {
    // Something listening on loopback that a delivery must not reach.
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      // Stored while private networks were allowed (local mode tells the database so, per transaction).
      const urls = [`https://127.0.0.1:${port}/x`, `https://[::ffff:127.0.0.1]:${port}/x`, `http://127.0.0.1:${port}/x`];
      const ids = await db.begin(async (tx) => {
        await tx`select set_config('app.webhooks_allow_private_network', 'on', true)`;
        const out: string[] = [];
        for (const url of urls) {
          const [ep] = await tx<{ id: string }[]>`
            insert into public.webhook_endpoints (org_id, url, events, secret) values (${a.id}, ${url}, '{call.completed}', ${secret()}) returning id`;
          await tx`
            insert into public.webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload)
            values (${a.id}, ${ep!.id}, gen_random_uuid(), 'call.completed', '{"type": "call.completed"}')`;
          out.push(ep!.id);
        }
        return out;
      });
      await runWebhookDeliveries({ serviceDb: db, policy: { allowPrivateNetwork: false }, timeoutMs: 2000 });
      expect(connections).toBe(0);
      const rows = await db<{ status: string; last_error: string | null }[]>`
        select status, last_error from public.webhook_deliveries where endpoint_id = any(${ids}::uuid[])`;
      expect(rows).toHaveLength(urls.length);
      for (const row of rows) {
        expect(row.status).toBe('pending');
        expect(row.last_error).toMatch(/^webhook_url_refused: /);
      }
      await db`delete from public.webhook_endpoints where id = any(${ids}::uuid[])`;
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
