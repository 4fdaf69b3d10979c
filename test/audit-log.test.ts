import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { assertNoPersonalData, writeAudit } from '../src/audit/audit.js';
import { advanceChain, sweepChain, type ChainCheckpoint } from '../src/audit/audit-checkpoints.js';
import { verifyAuditChains } from '../src/audit/audit-verify.js';
import type { ServiceDb } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { createOrg, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

const run = promisify(execFile);
let db: ServiceDb;
const config = testConfig();

beforeAll(() => {
  db = openTestDb();
});
afterAll(async () => {
  await db.end();
});

async function rowsOf(orgId: string) {
  return db`select * from public.audit_logs where org_id = ${orgId} order by chain_index`;
}

async function attemptAs(role: 'authenticated' | 'service_role', claims: object | null, statement: string) {
  try {
    return await db.begin(async (tx) => {
      await tx`select set_config('role', ${role}, true), set_config('request.jwt.claims', ${claims ? JSON.stringify(claims) : ''}, true)`;
      const result = await tx.unsafe(statement);
      return { count: result.count, code: undefined as string | undefined };
    });
  } catch (err) {
    return { count: 0, code: (err as { code?: string }).code };
  }
}

describe('audit log', () => {
  let org: TestOrg;
  beforeAll(async () => {
    org = await createOrg(db, config);
    for (let i = 0; i < 3; i += 1) {
      await writeAudit(db, { type: 'user', id: org.owner.id }, { orgId: org.id, action: 'test.event', metadata: { i } });
    }
  });

  it('cannot be updated, deleted or truncated by the application roles', async () => {
    const before = await rowsOf(org.id);
    expect(before).toHaveLength(3);
    const owner = { sub: org.owner.id, role: 'authenticated' };
    const attempts = [
      await attemptAs('authenticated', owner, `update public.audit_logs set action = 'tampered' where org_id = '${org.id}'`),
      await attemptAs('authenticated', owner, `delete from public.audit_logs where org_id = '${org.id}'`),
      await attemptAs('authenticated', owner, 'truncate public.audit_logs'),
      await attemptAs('service_role', null, `update public.audit_logs set action = 'tampered' where org_id = '${org.id}'`),
      await attemptAs('service_role', null, `delete from public.audit_logs where org_id = '${org.id}'`),
      await attemptAs('service_role', null, 'truncate public.audit_logs'),
    ];
    for (const a of attempts) expect(a.count).toBe(0);
    // TRUNCATE is refused outright (privilege, and the trigger behind it).
    expect(attempts[2]!.code).toBe('42501');
    expect(attempts[5]!.code).toBe('42501');
    expect(await rowsOf(org.id)).toEqual(before);
  });

  it('is append-only even for the table owner: the rules make UPDATE and DELETE do nothing, TRUNCATE is refused', async () => {
    const before = await rowsOf(org.id);
    const upd = await db`update public.audit_logs set action = 'tampered' where org_id = ${org.id}`;
    const del = await db`delete from public.audit_logs where org_id = ${org.id}`;
    expect(upd.count).toBe(0);
    expect(del.count).toBe(0);
    await expect(db`truncate public.audit_logs`).rejects.toMatchObject({ code: '42501' });
    expect(await rowsOf(org.id)).toEqual(before);
    const rules = await db`select rulename from pg_rules where tablename = 'audit_logs' order by rulename`;
    expect(rules.map((r) => r.rulename)).toEqual(['prevent_audit_delete', 'prevent_audit_update']);
  });

  it('chains each organisation’s rows by hash', async () => {
    const rows = await rowsOf(org.id);
    rows.forEach((row, i) => {
      expect(Number(row.chain_index)).toBe(i + 1);
      expect(row.prev_hash).toBe(i === 0 ? null : rows[i - 1]!.row_hash);
    });
    const report = await verifyAuditChains(db, { orgId: org.id });
    expect(report).toEqual({ rows: 3, chains: 1, broken: [] });
  });

  it('keeps the chain whole under concurrent writers', async () => {
    const busy = await createOrg(db, config);
    await Promise.all(
      Array.from({ length: 40 }, (_, i) => writeAudit(db, { type: 'system' }, { orgId: busy.id, action: 'test.concurrent', metadata: { i } })),
    );
    const report = await verifyAuditChains(db, { orgId: busy.id });
    expect(report.rows).toBe(40);
    expect(report.broken).toEqual([]);
  });

  it('a user can only append rows about their own actions, in their own organisations', async () => {
    const userDb = createUserDb(db);
    const other = await createOrg(db, config);
    await expect(
      userDb.run({ sub: org.member.id, role: 'authenticated' }, (tx) =>
        writeAudit(tx, { type: 'user', id: org.owner.id }, { orgId: org.id, action: 'forged.as_owner' }),
      ),
    ).rejects.toMatchObject({ code: '42501' });
    await expect(
      userDb.run({ sub: org.member.id, role: 'authenticated' }, (tx) =>
        writeAudit(tx, { type: 'user', id: org.member.id }, { orgId: other.id, action: 'forged.elsewhere' }),
      ),
    ).rejects.toMatchObject({ code: '42501' });
  });

  it('refuses personal data in metadata', () => {
    expect(() => assertNoPersonalData({ email: 'erika@example.de' })).toThrow(/personal data/);
    expect(() => assertNoPersonalData({ nested: ['+49 30 1234567'] })).toThrow(/personal data/);
    expect(() => assertNoPersonalData({ caller: '4930123456789' })).toThrow(/personal data/);
    expect(() => assertNoPersonalData({ version: 'de-2026-11-01', day: '2026-11-22' })).not.toThrow();
    expect(() => assertNoPersonalData({ id: randomUUID(), at: new Date().toISOString(), n: 5 })).not.toThrow();
    expect(() => assertNoPersonalData({ path: '/api/orgs/40250e92-0bb1-44bc-b7c0-56d26bd5e588/members/12345678-1234-1234-1234-123456789012' })).not.toThrow();
  });

  it('a row altered by the superuser is reported by `npm run audit:verify`', async () => {
    const victim = await createOrg(db, config);
    for (let i = 0; i < 4; i += 1) await writeAudit(db, { type: 'system' }, { orgId: victim.id, action: 'test.event', metadata: { i } });
    const [third] = await db`select id from public.audit_logs where org_id = ${victim.id} and chain_index = 3`;
    // A superuser goes around the rules: disable them, edit, restore.
    await db.begin(async (tx) => {
      await tx`alter table public.audit_logs disable rule prevent_audit_update`;
      await tx`update public.audit_logs set metadata = '{"i": 99}' where id = ${third!.id}`;
      await tx`alter table public.audit_logs enable rule prevent_audit_update`;
    });
    const report = await verifyAuditChains(db, { orgId: victim.id });
    expect(report.broken).toEqual([{ chainKey: victim.id, chainIndex: '3', id: third!.id, problem: 'content_changed' }]);

    const cli = await run('npx', ['tsx', 'src/cli/audit-verify.ts', '--org', victim.id], {
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), ...secretsEnv() },
    }).catch((err: { code: number; stdout: string }) => err);
    expect((cli as { code?: number }).code).toBe(1);
    expect((cli as { stdout: string }).stdout).toContain(`first broken link at #3 (row ${third!.id}): content_changed`);
  });

  it('a deleted row is reported as a gap in the chain', async () => {
    const victim = await createOrg(db, config);
    for (let i = 0; i < 3; i += 1) await writeAudit(db, { type: 'system' }, { orgId: victim.id, action: 'test.event', metadata: { i } });
    await db.begin(async (tx) => {
      await tx`alter table public.audit_logs disable rule prevent_audit_delete`;
      await tx`delete from public.audit_logs where org_id = ${victim.id} and chain_index = 2`;
      await tx`alter table public.audit_logs enable rule prevent_audit_delete`;
    });
    const report = await verifyAuditChains(db, { orgId: victim.id });
    expect(report.broken).toMatchObject([{ chainIndex: '3', problem: 'missing_rows' }]);
  });
});

async function seedAudit(orgId: string, n: number): Promise<void> {
  await db`
    insert into public.audit_logs (org_id, actor_type, action, metadata)
    select ${orgId}, 'system', 'test.bulk', jsonb_build_object('i', i) from generate_series(1, ${n}) as i`;
}

async function checkpointOf(chainKey: string): Promise<ChainCheckpoint | undefined> {
  const [cp] = await db<ChainCheckpoint[]>`
    select chain_key, verified_index::text as verified_index, verified_hash, verified_row_id, verified_at,
      sweep_index::text as sweep_index, sweep_hash, sweep_started_at, full_verified_at, full_verified_index::text as full_verified_index,
      broken_index::text as broken_index, broken_row_id, broken_problem, broken_found_at
    from public.audit_chain_checkpoints where chain_key = ${chainKey}`;
  return cp;
}

/** A superuser removes an entry around the rules. */
async function deleteEntry(orgId: string, index: number): Promise<void> {
  await db.begin(async (tx) => {
    await tx`alter table public.audit_logs disable rule prevent_audit_delete`;
    await tx`delete from public.audit_logs where org_id = ${orgId} and chain_index = ${index}`;
    await tx`alter table public.audit_logs enable rule prevent_audit_delete`;
  });
}

describe('audit chain checkpoints (the audit-chain-verify job)', () => {
  it('`npm run job -- audit-chain-verify` verifies every chain up to its last entry and records where and when', async () => {
    const org = await createOrg(db, config);
    await seedAudit(org.id, 12);
    const started = new Date();
    const cli = await run('npx', ['tsx', 'src/cli/job.ts', 'audit-chain-verify'], {
      env: { ...process.env, DATABASE_URL: inject('databaseUrl'), ...secretsEnv() },
    });
    const counts = JSON.parse(cli.stdout.trim().split('\n').at(-1)!) as Record<string, number>;
    expect(counts.chains).toBeGreaterThanOrEqual(1);
    const [last] = await db`select id, row_hash from public.audit_logs where org_id = ${org.id} and chain_index = 12`;
    const cp = await checkpointOf(org.id);
    expect(cp).toMatchObject({ verified_index: '12', verified_hash: last!.row_hash, verified_row_id: last!.id, broken_problem: null });
    expect(cp!.verified_at!.getTime()).toBeGreaterThanOrEqual(started.getTime() - 1000);
    const [jobRun] = await db`select status from public.job_runs where job_name = 'audit-chain-verify' order by started_at desc limit 1`;
    expect(jobRun!.status).toBe('succeeded');

    // New entries: verified from the checkpoint on, in batches, nothing before it again.
    await seedAudit(org.id, 7);
    expect(await advanceChain(db, org.id, new Date(), 3)).toEqual({ verified: 7, broken: 0 });
    expect(await advanceChain(db, org.id, new Date(), 3)).toEqual({ verified: 0, broken: 0 });
    expect((await checkpointOf(org.id))!.verified_index).toBe('19');
  });

  it('members read their organisation’s checkpoint; only the service role writes checkpoints', async () => {
    const org = await createOrg(db, config);
    const other = await createOrg(db, config);
    for (const o of [org, other]) {
      await seedAudit(o.id, 2);
      await advanceChain(db, o.id, new Date());
    }
    const member = { sub: org.member.id, role: 'authenticated' };
    const visible = await db.begin(async (tx) => {
      await tx`select set_config('role', 'authenticated', true), set_config('request.jwt.claims', ${JSON.stringify(member)}, true)`;
      return tx`select chain_key, verified_index::int as verified_index from public.audit_chain_checkpoints`;
    });
    expect(visible).toEqual([{ chain_key: org.id, verified_index: 2 }]);
    for (const statement of [
      `update public.audit_chain_checkpoints set verified_index = 0 where chain_key = '${org.id}'`,
      `delete from public.audit_chain_checkpoints where chain_key = '${org.id}'`,
      `insert into public.audit_chain_checkpoints (chain_key) values ('${randomUUID()}')`,
    ]) {
      expect(await attemptAs('authenticated', member, statement)).toEqual({ count: 0, code: '42501' });
    }
    const anon = await db
      .begin(async (tx) => {
        await tx`select set_config('role', 'anon', true)`;
        return tx`select 1 from public.audit_chain_checkpoints`;
      })
      .catch((err: { code?: string }) => err.code);
    expect(anon).toBe('42501');
    expect((await checkpointOf(org.id))!.verified_index).toBe('2');
  });

  it('two runs at once verify each entry once', async () => {
    const org = await createOrg(db, config);
    await seedAudit(org.id, 40);
    const [a, b] = await Promise.all([advanceChain(db, org.id, new Date(), 7), advanceChain(db, org.id, new Date(), 7)]);
    expect(a.verified + b.verified).toBe(40);
    expect((await checkpointOf(org.id))!.verified_index).toBe('40');
  });

  it('the sweep walks the chain again from #1 in bounded steps and finds an entry removed behind the checkpoint', async () => {
    const org = await createOrg(db, config);
    await seedAudit(org.id, 20);
    await advanceChain(db, org.id, new Date());
    await deleteEntry(org.id, 5);
    // The checkpoint (#20) still stands: only a walk from #1 can see the gap.
    const first = new Date();
    expect(await sweepChain(db, org.id, first, 8, 4)).toMatchObject({ verified: 8, broken: 1, completed: false });
    expect(await checkpointOf(org.id)).toMatchObject({ sweep_index: '9', sweep_started_at: first, broken_index: '6', broken_problem: 'missing_rows', full_verified_at: null });
    expect(await sweepChain(db, org.id, new Date(), 100, 4)).toMatchObject({ verified: 11, broken: 0, completed: true });
    // The pass is dated from its start; the break stays recorded.
    expect(await checkpointOf(org.id)).toMatchObject({ sweep_index: '0', full_verified_at: first, full_verified_index: '20', broken_index: '6', broken_problem: 'missing_rows' });
  });

  it('finds an edited entry behind the checkpoint, and the checkpoint’s own entry removed', async () => {
    const org = await createOrg(db, config);
    await seedAudit(org.id, 10);
    await advanceChain(db, org.id, new Date());
    const [third] = await db`select id from public.audit_logs where org_id = ${org.id} and chain_index = 3`;
    await db.begin(async (tx) => {
      await tx`alter table public.audit_logs disable rule prevent_audit_update`;
      await tx`update public.audit_logs set action = 'test.rewritten' where id = ${third!.id}`;
      await tx`alter table public.audit_logs enable rule prevent_audit_update`;
    });
    expect(await sweepChain(db, org.id, new Date(), 1000)).toMatchObject({ broken: 1, completed: true });
    expect(await checkpointOf(org.id)).toMatchObject({ broken_index: '3', broken_row_id: third!.id, broken_problem: 'content_changed' });

    const other = await createOrg(db, config);
    await seedAudit(other.id, 10);
    await advanceChain(db, other.id, new Date());
    await deleteEntry(other.id, 10);
    expect(await advanceChain(db, other.id, new Date())).toEqual({ verified: 0, broken: 1 });
    expect(await checkpointOf(other.id)).toMatchObject({ broken_index: '10', broken_problem: 'checkpoint_changed', verified_index: '9' });
    // Verification goes on over the chain as it now is.
    await seedAudit(other.id, 2);
    expect(await advanceChain(db, other.id, new Date())).toEqual({ verified: 2, broken: 0 });
  });
});

function secretsEnv(): Record<string, string> {
  return {
    SUPABASE_JWT_SECRET: config.supabase.jwtSecret!,
    TWILIO_AUTH_TOKEN: config.twilio.authToken,
    TWILIO_ACCOUNT_SID: config.twilio.accountSid,
    ELEVENLABS_WEBHOOK_SECRET: config.elevenlabs.webhookSecret,
    TRANSCRIPT_KEYS: `k1:${config.transcriptKeys.get('k1')!.toString('base64')}`,
    FORGET_ME_SECRET: config.forgetMeSecret,
    BLIND_INDEX_KEY: config.blindIndexKey.toString('utf8'),
    DATA_DIR: config.dataDir,
    LOG_LEVEL: 'silent',
  };
}
