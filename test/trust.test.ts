import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/audit/audit.js';
import { advanceChain, sweepChain } from '../src/audit/audit-checkpoints.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { createTrustService, PUBLIC_TRUST_CACHE_SECONDS, TRUST_CHAIN_MAX_NEW_ENTRIES, type PlatformCheck, type TrustCheck } from '../src/trust/trust-service.js';
import { bearer, buildTestApp, createOrg, createUser, openTestDb, testConfig, type TestOrg } from './helpers/harness.js';

let db: ServiceDb;
let app: ReturnType<typeof buildTestApp>['app'];
let deps: ReturnType<typeof buildTestApp>['deps'];
const config = testConfig();
let org: TestOrg;

beforeAll(async () => {
  db = openTestDb();
  ({ app, deps } = buildTestApp(db, config));
  org = await createOrg(db, config);
  for (let i = 0; i < 3; i += 1) await writeAudit(db, { type: 'system' }, { orgId: org.id, action: 'test.event', metadata: { i } });
  // A purge that just finished: the newest succeeded run, whatever earlier test files ran
  // on the same (embedded) database.
  await db`
    insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at, counts)
    values ('retention-purge', now() - interval '1 minute' + make_interval(secs => ${Math.random()}), 'test', 'succeeded',
            now() - interval '1 minute', now(), '{"transcripts_deleted": 3}')`;
});
afterAll(async () => {
  await db.end();
});

const byId = (checks: TrustCheck[], id: string) => checks.find((c) => c.id === id)!;

/** Breaks a control inside a transaction, runs the checks there, and rolls everything back. */
async function brokenChecks(breakIt: (tx: Tx) => Promise<unknown>, now?: () => Date): Promise<TrustCheck[]> {
  const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors, now });
  let result: TrustCheck[] = [];
  await db
    .begin(async (tx) => {
      await breakIt(tx as unknown as Tx);
      result = await trust.checks(tx as unknown as Tx, org.id);
      throw new Error('rollback');
    })
    .catch((err: Error) => {
      if (err.message !== 'rollback') throw err;
    });
  return result;
}

describe('live trust controls', () => {
  it('the public page lists every control in plain language', async () => {
    const res = await request(app).get('/trust');
    expect(res.status).toBe(200);
    for (const phrase of ['row-level security', 'audit', 'AES-256-GCM', 'press 1', 'one month', '30 minutes', 'sub-processor']) {
      expect(res.text.toLowerCase()).toContain(phrase.toLowerCase());
    }
  });

  it('a member gets every check, passing on a healthy organisation; a non-member gets 404', async () => {
    const res = await request(app).get(`/api/orgs/${org.id}/trust`).set(...bearer(org.member));
    expect(res.status).toBe(200);
    const ids = res.body.checks.map((c: TrustCheck) => c.id);
    expect(ids).toEqual(['rls_enabled', 'audit_append_only', 'audit_chain', 'retention', 'transcript_encryption', 'dtmf_consent', 'agent_platform', 'erasure_requests', 'incidents', 'ops_alerts', 'subprocessors']);
    // ops_alerts is platform-wide: other test files' rows in the shared database may hold an alert open (test/trust-pending.test.ts checks it).
    const own = (res.body.checks as TrustCheck[]).filter((c) => c.id !== 'ops_alerts');
    for (const c of own) expect(c.status, `${c.id}: ${c.detail}`).not.toBe('fail');
    expect(byId(res.body.checks, 'retention').evidence.last_purge_counts).toEqual({ transcripts_deleted: 3 });
    expect(res.body.passing).toBe(byId(res.body.checks, 'ops_alerts').status !== 'fail');
    const outsider = await createUser(db, config);
    expect((await request(app).get(`/api/orgs/${org.id}/trust`).set(...bearer(outsider))).status).toBe(404);
  });

  it('fails when RLS is disabled on a personal-data table', async () => {
    const checks = await brokenChecks((tx) => tx`alter table public.leads disable row level security`);
    expect(byId(checks, 'rls_enabled')).toMatchObject({ status: 'fail', evidence: { disabled: ['leads'] } });
  });

  it('fails when an audit rule is dropped or the TRUNCATE trigger disabled', async () => {
    const dropped = await brokenChecks((tx) => tx`drop rule prevent_audit_delete on public.audit_logs`);
    expect(byId(dropped, 'audit_append_only').status).toBe('fail');
    expect(byId(dropped, 'audit_append_only').detail).toContain('prevent_audit_delete');
    const trigger = await brokenChecks((tx) => tx`alter table public.audit_logs disable trigger prevent_audit_truncate`);
    expect(byId(trigger, 'audit_append_only').status).toBe('fail');
  });

  it('fails when the superuser alters an audit row', async () => {
    const checks = await brokenChecks(async (tx) => {
      await tx`alter table public.audit_logs disable rule prevent_audit_update`;
      await tx`update public.audit_logs set metadata = '{"i": 42}' where org_id = ${org.id} and chain_index = 2`;
      await tx`alter table public.audit_logs enable rule prevent_audit_update`;
    });
    expect(byId(checks, 'audit_chain')).toMatchObject({ status: 'fail' });
    expect(byId(checks, 'audit_chain').detail).toContain('#2');
  });

  it('fails when the purge has not run for two days', async () => {
    const inThreeDays = () => new Date(Date.now() + 3 * 86_400_000);
    const checks = await brokenChecks(async () => undefined, inThreeDays);
    expect(byId(checks, 'retention').status).toBe('fail');
    expect(byId(checks, 'retention').detail).toContain('not running');
  });

  it('fails when encryption is on and a transcript is stored in plain text, an erasure is overdue, or an open incident is not being paged', async () => {
    const checks = await brokenChecks(async (tx) => {
      await tx`update public.privacy_preferences set transcript_encryption = true where org_id = ${org.id}`;
      await tx`insert into public.transcripts (org_id, content) values (${org.id}, '[{"role":"user","message":"hi"}]')`;
      await tx`insert into public.erasure_requests (org_id, source, subject_type, status, due_at, received_at) values (${org.id}, 'dashboard', 'phone', 'confirmed', now() - interval '1 day', now() - interval '32 days')`;
      await tx`insert into public.security_incidents (title, severity, detected_at, affected_org_ids) values ('Unpaged', 'high', now() - interval '2 hours', ${[org.id]}::uuid[])`;
    });
    expect(byId(checks, 'transcript_encryption')).toMatchObject({ status: 'fail', evidence: { total: 1, encrypted: 0 } });
    expect(byId(checks, 'erasure_requests')).toMatchObject({ status: 'fail', evidence: { overdue: 1 } });
    expect(byId(checks, 'incidents').status).toBe('fail');
  });
});

/** `n` audit entries in one statement, as the service role writes them (the chain trigger runs for each). */
async function seedAudit(orgId: string, n: number): Promise<void> {
  await db`
    insert into public.audit_logs (org_id, actor_type, action, metadata)
    select ${orgId}, 'system', 'test.bulk', jsonb_build_object('i', i) from generate_series(1, ${n}) as i`;
}

/** A superuser edits an entry around the rules (disable, update, restore). */
async function alterEntry(orgId: string, index: number, metadata: object): Promise<void> {
  await db.begin(async (tx) => {
    await tx`alter table public.audit_logs disable rule prevent_audit_update`;
    await tx`update public.audit_logs set metadata = ${tx.json(metadata as never)} where org_id = ${orgId} and chain_index = ${index}`;
    await tx`alter table public.audit_logs enable rule prevent_audit_update`;
  });
}

/**
 * Runs the trust checks of `orgId` in a transaction that counts the calls of
 * app.audit_row_hash: the number of audit entries the check verified. (The
 * view holds the connection's counts not yet reported, so the count is a
 * difference, taken inside one transaction.)
 */
async function checksCountingHashes(trust: ReturnType<typeof createTrustService>, orgId: string): Promise<{ checks: TrustCheck[]; hashes: number }> {
  return db.begin(async (tx) => {
    await tx`set local track_functions = 'all'`;
    const calls = async () => {
      const [stat] = await tx<{ calls: string }[]>`select calls from pg_stat_xact_user_functions where schemaname = 'app' and funcname = 'audit_row_hash'`;
      return Number(stat?.calls ?? 0);
    };
    const before = await calls();
    const checks = await trust.checks(tx as unknown as Tx, orgId);
    return { checks, hashes: (await calls()) - before };
  });
}

describe('the audit chain check costs the same for every organisation', () => {
  it('reads at most a bounded number of entries, however long another (or its own) chain is', async () => {
    const limit = 20;
    const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors, chainMaxNewEntries: limit });
    const small = await createOrg(db, config);
    await seedAudit(small.id, 3);
    const huge = await createOrg(db, config);
    await seedAudit(huge.id, 25 * limit);

    // The verification job has run (for other chains): a chain it has never verified fails, not
    // "not yet run" as on a fresh installation whose job has never run (test/trust-pending.test.ts).
    await db`
      insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at, counts)
      values ('audit-chain-verify', now() + make_interval(secs => ${Math.random()}), 'test', 'succeeded', now(), now(), '{}')`;
    const before = await checksCountingHashes(trust, small.id);
    // The huge chain, never verified by the job: the check verifies `limit` entries, no more.
    const unverified = await checksCountingHashes(trust, huge.id);
    expect(before.hashes).toBe(3);
    expect(unverified.hashes).toBe(limit);
    expect(byId(before.checks, 'audit_chain')).toMatchObject({ status: 'pass', evidence: { entries: 3, verified_through: 3, checked_now: 3, pending: 0 } });
    expect(byId(unverified.checks, 'audit_chain')).toMatchObject({
      status: 'fail',
      evidence: { entries: 25 * limit, verified_through: limit, verified_by_job_through: 0, checked_now: limit, pending: 24 * limit },
    });
    expect(byId(unverified.checks, 'audit_chain').detail).toContain('never verified');
    // ... and the other organisation's check is unchanged.
    expect((await checksCountingHashes(trust, small.id)).hashes).toBe(before.hashes);

    // Once the job has verified it, the huge chain's check verifies nothing at all.
    const at = new Date();
    await advanceChain(db, huge.id, at, 100);
    const verified = await checksCountingHashes(trust, huge.id);
    expect(verified.hashes).toBe(0);
    expect(byId(verified.checks, 'audit_chain')).toMatchObject({
      status: 'pass',
      evidence: { entries: 25 * limit, verified_through: 25 * limit, verified_by_job_through: 25 * limit, verified_by_job_at: at, checked_now: 0, pending: 0 },
    });
    expect(byId(verified.checks, 'audit_chain').detail).toContain(`the verification job verified #1–#${25 * limit} at ${at.toISOString()}`);
  });

  it('says when and up to where the chain was verified, through the API; newer entries are checked up to the bound', async () => {
    const busy = await createOrg(db, config);
    await seedAudit(busy.id, 2 * TRUST_CHAIN_MAX_NEW_ENTRIES);
    const at = new Date();
    await advanceChain(db, busy.id, at);
    await seedAudit(busy.id, 5);
    const res = await request(app).get(`/api/orgs/${busy.id}/trust`).set(...bearer(busy.member));
    expect(res.status).toBe(200);
    const chain = byId(res.body.checks, 'audit_chain');
    const n = 2 * TRUST_CHAIN_MAX_NEW_ENTRIES;
    expect(chain).toMatchObject({
      status: 'pass',
      evidence: { entries: n + 5, verified_through: n + 5, verified_by_job_through: n, verified_by_job_at: at.toISOString(), checked_now: 5, pending: 0, full_verified_at: null },
    });
    expect(chain.detail).toContain(`the verification job verified #1–#${n} at ${at.toISOString()}`);
    expect(chain.detail).toContain(`this check #${n + 1}–#${n + 5}`);
  });

  it('fails when new entries wait and the job has not verified the chain for more than 30 minutes', async () => {
    const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors, chainMaxNewEntries: 2, now: () => new Date(Date.now() + 3_600_000) });
    const late = await createOrg(db, config);
    await seedAudit(late.id, 3);
    await advanceChain(db, late.id, new Date());
    await seedAudit(late.id, 3);
    const check = byId(await trust.checks(db, late.id), 'audit_chain');
    expect(check).toMatchObject({ status: 'fail', evidence: { pending: 1, checked_now: 2 } });
    expect(check.detail).toContain('it is not running');
  });

  it('an entry altered behind the checkpoint is reported once the job’s sweep has passed it', async () => {
    const victim = await createOrg(db, config);
    await seedAudit(victim.id, 30);
    await advanceChain(db, victim.id, new Date());
    await alterEntry(victim.id, 7, { i: 700 });
    // The check itself does not walk back over verified entries ...
    const { hashes } = await checksCountingHashes(createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors }), victim.id);
    expect(hashes).toBe(0);
    // ... the job's sweep from #1 does, and the check then reports what it found.
    const sweep = await sweepChain(db, victim.id, new Date(), 1000, 10);
    expect(sweep).toMatchObject({ verified: 30, broken: 1, completed: true });
    const res = await request(app).get(`/api/orgs/${victim.id}/trust`).set(...bearer(victim.member));
    const chain = byId(res.body.checks, 'audit_chain');
    expect(chain.status).toBe('fail');
    expect(chain.detail).toContain('broken at entry #7 (content_changed), found by the verification job');
    expect(res.body.passing).toBe(false);
  });

  it('a chain rewritten with recomputed hashes through the checkpoint is reported at once', async () => {
    const victim = await createOrg(db, config);
    await seedAudit(victim.id, 6);
    await advanceChain(db, victim.id, new Date());
    // The superuser edits #4 and recomputes every hash from there: the chain is
    // self-consistent again, but entry #6 no longer has the hash the job verified.
    await db.begin(async (tx) => {
      await tx`alter table public.audit_logs disable rule prevent_audit_update`;
      for (let i = 4; i <= 6; i += 1) {
        if (i === 4) await tx`update public.audit_logs set metadata = '{"i": 400}' where org_id = ${victim.id} and chain_index = 4`;
        else await tx`update public.audit_logs set prev_hash = (select row_hash from public.audit_logs where org_id = ${victim.id} and chain_index = ${i - 1}) where org_id = ${victim.id} and chain_index = ${i}`;
        await tx`update public.audit_logs a set row_hash = app.audit_row_hash(a) where org_id = ${victim.id} and chain_index = ${i}`;
      }
      await tx`alter table public.audit_logs enable rule prevent_audit_update`;
    });
    const res = await request(app).get(`/api/orgs/${victim.id}/trust`).set(...bearer(victim.member));
    const chain = byId(res.body.checks, 'audit_chain');
    expect(chain).toMatchObject({ status: 'fail', evidence: { broken: { chainIndex: '6', problem: 'checkpoint_changed' } } });
    expect(chain.detail).toContain('#6');
  });
});

const PLATFORM_IDS = ['rls_enabled', 'audit_append_only', 'audit_chain', 'retention', 'transcript_encryption', 'agent_platform', 'erasure_requests', 'provider_deletions', 'ops_alerts', 'subprocessors'];

/** Runs `fn` in a transaction that is rolled back afterwards, with the platform-wide checks read inside it. */
async function inRolledBack(fn: (tx: Tx, platform: () => Promise<PlatformCheck[]>) => Promise<void>): Promise<void> {
  const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors });
  await db
    .begin(async (tx) => {
      await fn(tx as unknown as Tx, () => trust.platformChecks(tx as unknown as Tx));
      throw new Error('rollback');
    })
    .catch((err: Error) => {
      if (err.message !== 'rollback') throw err;
    });
}

describe('the public /trust page: live platform-wide checks', () => {
  it('shows every platform-wide check with its state, detail and time, and names no organisation', async () => {
    const html = await request(app).get('/trust').set('Accept', 'text/html');
    expect(html.status).toBe(200);
    expect(html.text).toContain('<h2>Live results</h2>');
    for (const id of PLATFORM_IDS) expect(html.text).toContain(`id="check-${id}"`);
    expect(html.text).toMatch(/<span class="state (pass|fail|info|pending)">(Passing|Failing|For information|Not yet run)<\/span>: /);
    expect(html.text).toMatch(/Checked <time datetime="\d{4}-\d\d-\d\dT/);
    expect(html.text).not.toContain(org.id);
    expect(html.text).not.toContain(`Org ${org.id.slice(0, 8)}`);

    const json = await request(app).get('/trust').set('Accept', 'application/json');
    expect(json.status).toBe(200);
    expect(json.body.checks.map((c: PlatformCheck) => c.id)).toEqual(PLATFORM_IDS);
    for (const c of json.body.checks) expect(Date.parse(c.checked_at), c.id).not.toBeNaN();
    expect(json.body.cache_seconds).toBe(PUBLIC_TRUST_CACHE_SECONDS);
    expect(json.body.controls.map((c: { id: string }) => c.id)).toEqual(expect.arrayContaining(PLATFORM_IDS));
    expect(JSON.stringify(json.body)).not.toContain(org.id);
    expect(json.headers['cache-control']).toBe(`public, max-age=${PUBLIC_TRUST_CACHE_SECONDS}`);
  });

  it('a deletion at the providers given up, or waiting more than two days, fails the deletions check', async () => {
    await inRolledBack(async (tx, platform) => {
      await tx`delete from public.provider_deletions`;
      const insert = (id: string, status: string, createdAt: string) =>
        tx`insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason, status, created_at, done_at)
           values (${org.id}, 'twilio', 'recording', ${id}, 'retention', ${status}, now() - ${createdAt}::interval, ${status === 'done' ? new Date() : null})`;
      await insert('RE-done', 'done', '1 hour');
      await insert('RE-fresh', 'pending', '1 hour');
      const healthy = byId(await platform(), 'provider_deletions');
      expect(healthy).toMatchObject({ status: 'pass', evidence: { pending: 1, failed: 0, done_last_30_days: 1 } });

      await insert('RE-failed', 'failed', '1 day');
      const givenUp = byId(await platform(), 'provider_deletions');
      expect(givenUp).toMatchObject({ status: 'fail', evidence: { failed: 1 } });
      expect(givenUp.detail).toContain('given up');

      await tx`delete from public.provider_deletions where resource_id = 'RE-failed'`;
      await insert('RE-stuck', 'pending', '3 days');
      const stuck = byId(await platform(), 'provider_deletions');
      expect(stuck).toMatchObject({ status: 'fail', evidence: { pending: 2, failed: 0 } });
      expect(stuck.detail).toContain('the deletions job is not running');
    });
  });

  it('an overdue erasure, a plain-text transcript under encryption or a broken audit chain fails its check, counted over every organisation', async () => {
    await advanceChain(db, org.id, new Date());
    await inRolledBack(async (tx, platform) => {
      await tx`update public.erasure_requests set status = 'completed' where status not in ('completed', 'cancelled')`;
      const before = await platform();
      expect(byId(before, 'erasure_requests')).toMatchObject({ status: 'pass', evidence: { overdue: 0, flagged: 0 } });
      // Other tests on this database leave chains broken on purpose: count from where they are.
      const brokenBefore = byId(before, 'audit_chain').evidence.broken as number;

      await tx`update public.privacy_preferences set transcript_encryption = true where org_id = ${org.id}`;
      await tx`insert into public.transcripts (org_id, content) values (${org.id}, '[{"role":"user","message":"hi"}]')`;
      await tx`insert into public.erasure_requests (org_id, source, subject_type, status, due_at, received_at) values (${org.id}, 'dashboard', 'phone', 'confirmed', now() - interval '1 day', now() - interval '32 days')`;
      const [ours] = await tx`update public.audit_chain_checkpoints set broken_index = 1, broken_problem = 'content_changed', broken_found_at = now()
                              where chain_key = ${org.id} and broken_index is null returning chain_key`;
      expect(ours).toBeDefined();
      const after = await platform();

      const encBefore = byId(before, 'transcript_encryption').evidence as { total: number; encrypted: number };
      const enc = byId(after, 'transcript_encryption');
      expect(enc.status).toBe('fail');
      expect(enc.evidence).toMatchObject({ encrypted: encBefore.encrypted });
      expect((enc.evidence as { total: number }).total).toBeGreaterThan(encBefore.total);
      expect(byId(after, 'erasure_requests')).toMatchObject({ status: 'fail', evidence: { overdue: 1 } });
      const chain = byId(after, 'audit_chain');
      expect(chain).toMatchObject({ status: 'fail', evidence: { broken: brokenBefore + 1 } });
      expect(chain.detail).toContain('broken');
      expect(chain.detail).not.toContain(org.id);
    });
  });

  it('is computed once a minute for everybody: a change shows after the cache has expired, not before', async () => {
    let clock = Date.now();
    const trust = createTrustService({ serviceDb: db, userDb: createUserDb(db), subprocessors: deps.subprocessors, now: () => new Date(clock) });
    const first = await trust.platform();
    const finished = new Date(Math.ceil(Date.now() / 1000) * 1000 + 2000);
    await db`
      insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at, counts)
      values ('retention-purge', ${finished}, 'test', 'succeeded', ${finished}, ${finished}, '{"transcripts_deleted": 7}')`;
    clock += (PUBLIC_TRUST_CACHE_SECONDS - 1) * 1000;
    const cached = await trust.platform();
    expect(cached).toBe(first);
    expect(byId(cached.checks, 'retention').evidence.last_purge_counts).not.toEqual({ transcripts_deleted: 7 });
    clock += 2000;
    const fresh = await trust.platform();
    expect(fresh.checked_at.getTime()).toBe(clock);
    expect(byId(fresh.checks, 'retention').evidence).toMatchObject({ last_purge_finished_at: finished, last_purge_counts: { transcripts_deleted: 7 } });
  });
});
