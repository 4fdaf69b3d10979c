import { randomBytes, randomInt, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/audit/audit.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { createUser, openTestDb, testConfig, type TestUser } from './helpers/harness.js';

/**
 * Isolation is enforced by PostgreSQL, not by our code: these queries run
 * straight against the tables as the `authenticated` role with each user's
 * claims, with no application code in between.
 */
type Role = 'owner' | 'admin' | 'member';
interface Org {
  id: string;
  users: { user: TestUser; role: Role }[];
}

// Tables with an organisation column, and a row (for that organisation) that a
// user might try to insert there.
const TENANT_TABLES: Record<string, { orgColumn: string; insert: (tx: Tx, orgId: string, me: string) => Promise<unknown> }> = {
  organizations: { orgColumn: 'id', insert: (tx, orgId) => tx`insert into public.organizations (id, name) values (${orgId}, 'x')` },
  memberships: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`insert into public.memberships (org_id, user_id, role) values (${orgId}, ${me}, 'owner')`,
  },
  privacy_preferences: { orgColumn: 'org_id', insert: (tx, orgId) => tx`insert into public.privacy_preferences (org_id) values (${orgId})` },
  agents: {
    orgColumn: 'org_id',
    insert: (tx, orgId) => tx`insert into public.agents (org_id, name, language, first_message) values (${orgId}, 'a', 'en', 'hi')`,
  },
  phone_numbers: {
    orgColumn: 'org_id',
    insert: (tx, orgId) => tx`insert into public.phone_numbers (org_id, e164) values (${orgId}, ${`+49${randomInt(1e9, 9e9)}`})`,
  },
  calls: {
    orgColumn: 'org_id',
    insert: (tx, orgId) => tx`insert into public.calls (org_id, twilio_call_sid) values (${orgId}, ${`CA${randomBytes(16).toString('hex')}`})`,
  },
  call_consents: {
    orgColumn: 'org_id',
    insert: (tx, orgId) => tx`
      insert into public.call_consents (org_id, twilio_call_sid, prompt_language, prompt_version, prompt_hash, outcome)
      values (${orgId}, 'CAx', 'de', 'v', 'h', 'given')`,
  },
  leads: { orgColumn: 'org_id', insert: (tx, orgId) => tx`insert into public.leads (org_id, name) values (${orgId}, 'x')` },
  recordings: {
    orgColumn: 'org_id',
    insert: (tx, orgId) => tx`
      insert into public.recordings (org_id, twilio_recording_sid, status) values (${orgId}, ${`RE${randomBytes(16).toString('hex')}`}, 'completed')`,
  },
  transcripts: { orgColumn: 'org_id', insert: (tx, orgId) => tx`insert into public.transcripts (org_id, content) values (${orgId}, '[]')` },
  erasure_requests: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`
      insert into public.erasure_requests (org_id, source, subject_type, due_at, requested_by)
      values (${orgId}, 'dashboard', 'email', now(), ${me})`,
  },
  exports: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`insert into public.exports (org_id, subject_type, requested_by) values (${orgId}, 'organization', ${me})`,
  },
  audit_logs: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`insert into public.audit_logs (org_id, actor_id, action) values (${orgId}, ${me}, 'forged.entry')`,
  },
  impersonations: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`
      insert into public.impersonations (operator_id, target_user_id, org_id, reason, expires_at)
      values (${me}, ${me}, ${orgId}, 'a long enough reason', now() + interval '1 hour')`,
  },
  webhook_endpoints: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`
      insert into public.webhook_endpoints (org_id, url, events, secret, created_by)
      values (${orgId}, 'https://hooks.example.com/x', '{call.completed}', ${`whsec_${randomBytes(32).toString('base64')}`}, ${me})`,
  },
  webhook_deliveries: {
    orgColumn: 'org_id',
    insert: (tx, orgId) => tx`
      insert into public.webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload)
      select org_id, id, gen_random_uuid(), 'call.completed', '{}' from public.webhook_endpoints where org_id = ${orgId}`,
  },
  subprocessor_notices: {
    orgColumn: 'org_id',
    insert: (tx, orgId, me) => tx`
      insert into public.subprocessor_notices (subprocessor_id, org_id, user_id)
      select id, ${orgId}, ${me} from public.subprocessors limit 1`,
  },
};

let db: ServiceDb;
const config = testConfig();
const orgs: Org[] = [];
const seeded = new Map<string, number>(); // `${table}:${orgId}` -> rows

async function seedOrg(): Promise<Org> {
  const id = randomUUID();
  const users: Org['users'] = [];
  const roles: Role[] = ['owner', ...Array.from({ length: randomInt(1, 4) }, () => (['owner', 'admin', 'member'] as const)[randomInt(3)]!)];
  for (const role of roles) users.push({ user: await createUser(db, config), role });
  await db.begin(async (tx) => {
    await tx`insert into public.organizations (id, name) values (${id}, ${`Org ${id.slice(0, 6)}`})`;
    await tx`insert into public.privacy_preferences (org_id) values (${id})`;
    for (const { user, role } of users) await tx`insert into public.memberships (org_id, user_id, role, accepted_at) values (${id}, ${user.id}, ${role}, now())`;
    const n = randomInt(1, 4);
    for (let i = 0; i < n; i += 1) {
      const [agent] = await tx`insert into public.agents (org_id, name, language, first_message) values (${id}, 'Agent', 'en', 'Hi') returning id`;
      await tx`insert into public.phone_numbers (org_id, agent_id, e164) values (${id}, ${agent!.id}, ${`+49${randomInt(1e9, 9e9)}`})`;
      const sid = `CA${randomBytes(16).toString('hex')}`;
      const [call] = await tx`
        insert into public.calls (org_id, agent_id, twilio_call_sid, from_number) values (${id}, ${agent!.id}, ${sid}, '+4930123456') returning id`;
      await tx`
        insert into public.call_consents (org_id, call_id, twilio_call_sid, prompt_language, prompt_version, prompt_hash, digit, outcome)
        values (${id}, ${call!.id}, ${sid}, 'de', 'de-1', 'hash', '1', 'given')`;
      await tx`insert into public.leads (org_id, call_id, name, phone) values (${id}, ${call!.id}, 'Erika Mustermann', '+4930123456')`;
      await tx`
        insert into public.recordings (org_id, call_id, twilio_recording_sid, status) values (${id}, ${call!.id}, ${`RE${randomBytes(16).toString('hex')}`}, 'completed')`;
      await tx`insert into public.transcripts (org_id, call_id, content) values (${id}, ${call!.id}, '[{"role":"agent","message":"hi"}]')`;
      await tx`insert into public.erasure_requests (org_id, source, subject_type, due_at) values (${id}, 'dashboard', 'phone', now() + interval '1 month')`;
      await tx`insert into public.exports (org_id, subject_type) values (${id}, 'organization')`;
      await writeAudit(tx, { type: 'system' }, { orgId: id, action: 'test.seeded' });
    }
    for (const t of ['agents', 'phone_numbers', 'calls', 'call_consents', 'leads', 'recordings', 'transcripts', 'erasure_requests', 'exports', 'audit_logs']) {
      seeded.set(`${t}:${id}`, n);
    }
    await tx`
      insert into public.impersonations (operator_id, target_user_id, org_id, reason, expires_at)
      values (${randomUUID()}, ${users[0]!.user.id}, ${id}, 'support ticket 1234', now() + interval '1 hour')`;
    // Delivered already: on a database shared by test files, no delivery worker picks it up.
    const [endpoint] = await tx`
      insert into public.webhook_endpoints (org_id, url, events, secret)
      values (${id}, 'https://hooks.example.com/crm', '{call.completed}', ${`whsec_${randomBytes(32).toString('base64')}`}) returning id`;
    await tx`
      insert into public.webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload, status, delivered_at)
      values (${id}, ${endpoint!.id}, gen_random_uuid(), 'call.completed', '{}', 'delivered', now())`;
    const [sp] = await tx`select id from public.subprocessors where name = 'RLS test processor'`;
    for (const { user } of users) {
      await tx`insert into public.subprocessor_notices (subprocessor_id, org_id, user_id) values (${sp!.id}, ${id}, ${user.id})`;
    }
  });
  return { id, users };
}

beforeAll(async () => {
  db = openTestDb();
  await db`
    insert into public.subprocessors (name, purpose, region, role, safeguards, effective_at)
    values ('RLS test processor', 'tests', 'EU', 'processor', 'DPA', now() + interval '31 days')
    on conflict (name) do nothing`;
  const count = randomInt(3, 6);
  for (let i = 0; i < count; i += 1) orgs.push(await seedOrg());
});
afterAll(async () => {
  await db.end();
});

/** Runs a statement in a savepoint and reports rows affected, or the error code. */
async function attempt(tx: Tx, fn: (sp: Tx) => Promise<unknown>): Promise<{ count?: number; code?: string }> {
  try {
    const result = (await tx.savepoint((sp) => fn(sp as unknown as Tx))) as { count: number };
    return { count: result.count };
  } catch (err) {
    return { code: (err as { code?: string }).code ?? 'error' };
  }
}

describe('row-level security keeps organisations apart', () => {
  it('no user sees, changes or inserts another organisation’s rows, in any personal-data table', async () => {
    const userDb = createUserDb(db);
    const before = await db`select count(*)::int as n, md5(string_agg(t::text, ',' order by t::text)) as h from public.leads t`;
    let checks = 0;
    for (const org of orgs) {
      const foreign = orgs.filter((o) => o.id !== org.id && !o.users.some((u) => org.users.some((v) => v.user.id === u.user.id)));
      for (const { user, role } of org.users) {
        const myOrgs = orgs.filter((o) => o.users.some((u) => u.user.id === user.id)).map((o) => o.id);
        await userDb.run({ sub: user.id, role: 'authenticated' }, async (tx) => {
          for (const [table, spec] of Object.entries(TENANT_TABLES)) {
            const col = tx(spec.orgColumn);
            const [{ n }] = (await tx`
              select count(*)::int as n from ${tx(table)} where not (${col} = any(${myOrgs}::uuid[]))`) as unknown as [{ n: number }];
            expect(n, `${role} sees foreign rows in ${table}`).toBe(0);
            checks += 1;

            for (const other of foreign) {
              const upd = await attempt(tx, (sp) => sp`update ${sp(table)} set ${sp(spec.orgColumn)} = ${sp(spec.orgColumn)} where ${sp(spec.orgColumn)} = ${other.id}`);
              expect(upd.count ?? 0, `${role} updated ${table} of another organisation`).toBe(0);
              const del = await attempt(tx, (sp) => sp`delete from ${sp(table)} where ${sp(spec.orgColumn)} = ${other.id}`);
              expect(del.count ?? 0, `${role} deleted from ${table} of another organisation`).toBe(0);
              const ins = await attempt(tx, (sp) => spec.insert(sp, other.id, user.id));
              expect(ins.code, `${role} inserted into ${table} for another organisation`).toBe('42501');
              checks += 3;
            }
          }
          // Users: only themselves and people they share an organisation with.
          const visible = await tx`select id from public.users`;
          const allowed = new Set(orgs.filter((o) => myOrgs.includes(o.id)).flatMap((o) => o.users.map((u) => u.user.id)));
          for (const v of visible) expect(allowed.has(v.id as string)).toBe(true);
          const forged = await attempt(tx, (sp) => sp`insert into public.users (id, email) values (${randomUUID()}, 'x@example.test')`);
          expect(forged.code).toBe('42501');
          checks += 2;

          // And their own organisation's rows are there to read, as their role allows.
          const [{ n: leads }] = (await tx`select count(*)::int as n from public.leads where org_id = ${org.id}`) as unknown as [{ n: number }];
          expect(leads).toBe(seeded.get(`leads:${org.id}`));
          const [{ n: audit }] = (await tx`select count(*)::int as n from public.audit_logs where org_id = ${org.id}`) as unknown as [{ n: number }];
          expect(audit).toBe(role === 'member' ? 0 : seeded.get(`audit_logs:${org.id}`));
        });
      }
    }
    const after = await db`select count(*)::int as n, md5(string_agg(t::text, ',' order by t::text)) as h from public.leads t`;
    expect(after).toEqual(before);
    expect(checks).toBeGreaterThan(100);
  });

  it('anon reads nothing of an organisation', async () => {
    await db.begin(async (tx) => {
      await tx`select set_config('role', 'anon', true)`;
      for (const table of Object.keys(TENANT_TABLES)) {
        const res = await attempt(tx as unknown as Tx, (sp) => sp`select count(*) from ${sp(table)}`);
        expect(res.code, `anon can read ${table}`).toBe('42501');
      }
    });
  });
});
