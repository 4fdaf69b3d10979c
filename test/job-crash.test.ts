import { spawn, type ChildProcess } from 'node:child_process';
import { hostname } from 'node:os';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { createRunCoordinator } from '../src/jobs/run-coordinator.js';
import { sleep } from './helpers/call-harness.js';
import { createOrg, JWT_SECRET, openIsolatedTestDb, testConfig } from './helpers/harness.js';

/**
 * `npm run job -- retention-purge` killed with SIGKILL part-way: what it
 * committed is audited, and the job is not held back by the dead run.
 *
 * The purge works every organisation, so on PostgreSQL this file has a
 * database of its own; the embedded database runs files one after another.
 */
let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
let config: AppConfig;
const children: ChildProcess[] = [];

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
  config = testConfig();
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await isolated?.close();
});

const ROWS = 20_000;
const BATCH = 10;

/** Starts `src/cli/job.ts <name>` as `npm run job` does, with a small purge batch. */
function startJob(name: string): ChildProcess {
  const env: Record<string, string | undefined> = {
    ...process.env,
    DATABASE_URL: isolated.url,
    DATA_DIR: config.dataDir,
    SUPABASE_JWT_SECRET: JWT_SECRET,
    BLIND_INDEX_KEY: config.blindIndexKey.toString('utf8'),
    FORGET_ME_SECRET: config.forgetMeSecret,
    RETENTION_PURGE_BATCH_SIZE: String(BATCH),
    LOG_LEVEL: 'silent',
  };
  delete env.NODE_ENV;
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/job.ts', name], { env: env as NodeJS.ProcessEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  return child;
}

const count = async (q: Promise<{ n: number }[]>) => (await q)[0]!.n;

describe('a retention purge killed with -9', () => {
  it('leaves every batch it committed audited, and the next tick runs at once', { timeout: 180_000 }, async () => {
    const org = await createOrg(db, config);
    // Expired transcripts (30-day window), each at its own time: ROWS / BATCH batches.
    await db`
      insert into public.transcripts (org_id, content, created_at)
      select ${org.id}, '[]'::jsonb, now() - interval '60 days' - make_interval(secs => i)
      from generate_series(1, ${ROWS}) as i`;
    const left = () => count(db<{ n: number }[]>`select count(*)::int as n from public.transcripts where org_id = ${org.id}`);

    const child = startJob('retention-purge');
    let output = '';
    child.stdout!.on('data', (d) => (output += String(d)));
    child.stderr!.on('data', (d) => (output += String(d)));
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));

    // Kill it as soon as its first batch has committed.
    const deadline = Date.now() + 120_000;
    while ((await left()) === ROWS) {
      if (child.exitCode !== null) throw new Error(`the job ended before its first batch:\n${output}`);
      if (Date.now() > deadline) throw new Error(`no batch committed:\n${output}`);
      await sleep(5);
    }
    child.kill('SIGKILL');
    await exited;
    // The database finishes (and commits) a statement whose client died; wait until the
    // killed process's sessions are gone, so what is read below is final.
    for (const until = Date.now() + 30_000; Date.now() < until; await sleep(20)) {
      const [s] = await db<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid() and client_port is not null
          and backend_type = 'client backend' and query like '%purge_transcripts_batch%' and state = 'active'`;
      if (s!.n === 0) break;
    }

    // Killed part-way: some transcripts went, some did not, and every one that went is in
    // the organisation's audit log, batch by batch (read in one snapshot).
    const [seen] = await db<{ remaining: number; audited: number; batches: number; sizes: number[] }[]>`
      select (select count(*)::int from public.transcripts where org_id = ${org.id}) as remaining,
             coalesce(sum((metadata->>'transcripts_deleted')::int), 0)::int as audited, count(*)::int as batches,
             coalesce(array_agg((metadata->>'transcripts_deleted')::int order by chain_index), '{}') as sizes
      from public.audit_logs where org_id = ${org.id} and action = 'retention.purged'`;
    const deleted = ROWS - seen!.remaining;
    expect(deleted).toBeGreaterThan(0);
    expect(seen!.remaining).toBeGreaterThan(0);
    expect(seen!.audited, `batches audited: ${seen!.sizes.join(',')}`).toBe(deleted);
    expect(seen!.batches).toBe(deleted / BATCH);

    // Its run is left `running`, but the next scheduled tick of the job does not wait an hour for it.
    const [dead] = await db<{ id: string; status: string }[]>`
      select id, status from public.job_runs where job_name = 'retention-purge' and claimed_by = ${`${hostname()}:${child.pid}`}`;
    expect(dead!.status).toBe('running');
    const coordinator = createRunCoordinator(db, { instanceId: 'restarted-replica' });
    const slot = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    // The database notices the closed connection by itself, within moments (not the one-hour timeout).
    let next = await coordinator.claim('retention-purge', slot);
    for (const until = Date.now() + 10_000; next === null && Date.now() < until; ) {
      await sleep(50);
      next = await coordinator.claim('retention-purge', slot);
    }
    expect(next, 'the next tick is claimed').not.toBeNull();
    const [after] = await db`select status, error from public.job_runs where id = ${dead!.id}`;
    expect(after).toEqual({
      status: 'failed',
      error: inject('embedded') ? 'abandoned: its process stopped' : 'abandoned: its process stopped (its database session ended)',
    });
    await coordinator.finish(next!, { counts: {} });
    await coordinator.close();
  });

  it('a run claimed before the database restarted is taken for dead by the next claim', async () => {
    const coordinator = createRunCoordinator(db, { instanceId: 'replica-before-restart' });
    const job = `restart-${Date.now()}`;
    const before = await coordinator.claim(job, new Date(Date.UTC(2031, 0, 5, 3, 0)));
    // As if the database had started after this run was claimed.
    await db`update public.job_runs set db_started_at = db_started_at - interval '1 hour' where id = ${before!.id}`;
    const other = createRunCoordinator(db, { instanceId: 'replica-after-restart' });
    const next = await other.claim(job, new Date(Date.UTC(2031, 0, 5, 3, 1)));
    expect(next).not.toBeNull();
    const [row] = await db`select status, error from public.job_runs where id = ${before!.id}`;
    expect(row).toEqual({ status: 'failed', error: 'abandoned: the database restarted while it ran' });
    await other.finish(next!, { counts: {} });
    await other.close();
    await coordinator.close();
  });
});
