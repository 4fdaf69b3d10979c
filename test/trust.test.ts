import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeAudit } from '../src/audit/audit.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { createUserDb } from '../src/db/user-db.js';
import { createTrustService, type TrustCheck } from '../src/trust/trust-service.js';
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
  // A purge that ran an hour ago.
  await db`
    insert into public.job_runs (job_name, slot, claimed_by, status, started_at, finished_at, counts)
    values ('retention-purge', now() - interval '1 hour' + make_interval(secs => ${Math.random()}), 'test', 'succeeded',
            now() - interval '1 hour', now() - interval '1 hour', '{"transcripts_deleted": 3}')`;
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
    expect(ids).toEqual(['rls_enabled', 'audit_append_only', 'audit_chain', 'retention', 'transcript_encryption', 'dtmf_consent', 'erasure_requests', 'incidents', 'subprocessors']);
    for (const c of res.body.checks as TrustCheck[]) expect(c.status, `${c.id}: ${c.detail}`).not.toBe('fail');
    expect(byId(res.body.checks, 'retention').evidence.last_purge_counts).toEqual({ transcripts_deleted: 3 });
    expect(res.body.passing).toBe(true);
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
