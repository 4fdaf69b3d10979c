/**
 * SQL for public.job_runs: one row per (job, slot), claimed once across
 * replicas, and the advisory locks that serialise claims and show a run's
 * owner is alive (see run-coordinator.ts). Each function takes the
 * transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import type { JobCounts } from '../lib/job.js';

/** A running run as a claim sees it, with what is known about its owner. */
export interface RunningRow {
  id: string;
  claimed_by: string;
  owner_host: string | null;
  owner_pid: number | null;
  stale: boolean;
  restarted: boolean;
  lock_free: boolean;
}

/** Whether the database is PGlite (one session for every client). */
export function isPglite(db: ServiceDb): Promise<boolean> {
  return db<{ pglite: boolean }[]>`select version() like '%PGlite%' as pglite`.then(([r]) => r!.pglite);
}

/** The session-level liveness lock, on a connection reserved for it. */
export function takeLivenessLock(conn: ServiceDb, lockClass: number, token: string) {
  return conn`select pg_advisory_lock(${lockClass}, hashtext(${token}))`;
}

export function releaseLivenessLock(conn: ServiceDb, lockClass: number, token: string) {
  return conn`select pg_advisory_unlock(${lockClass}, hashtext(${token}))`;
}

/** Serialises the claims of one job for the rest of the transaction. */
export function lockJobClaims(tx: Tx, lockClass: number, jobName: string) {
  return tx`select pg_advisory_xact_lock(${lockClass}, hashtext(${jobName}))`;
}

/** The job's runs still marked running, with the signs of a dead owner. */
export function runningRuns(tx: Tx, jobName: string, staleAfterSeconds: number, livenessLockClass: number) {
  return tx<RunningRow[]>`
          select id, claimed_by, owner_host, owner_pid,
                 started_at < now() - make_interval(secs => ${staleAfterSeconds}) as stale,
                 coalesce(db_started_at <> pg_postmaster_start_time(), false) as restarted,
                 case when owner_lock is null then false
                      else pg_try_advisory_xact_lock(${livenessLockClass}, hashtext(owner_lock::text)) end as lock_free
          from public.job_runs
          where job_name = ${jobName} and status = 'running'`;
}

/** Marks dead runs failed, each with its reason (a run that finished meanwhile keeps its outcome). */
export function failDeadRuns(tx: Tx, dead: { id: string; error: string }[]) {
  return tx`
            update public.job_runs j
            set status = 'failed', finished_at = now(), error = d.error
            from unnest(${dead.map((d) => d.id)}::uuid[], ${dead.map((d) => d.error)}::text[]) as d(id, error)
            where j.id = d.id and j.status = 'running'`;
}

/**
 * Claims the (job, slot): a row comes back to exactly one claimer. A scheduled
 * (not manual) claim is refused while another run of the job is running.
 */
export function insertRun(
  tx: Tx,
  r: { jobName: string; slot: Date; claimedBy: string; ownerHost: string; ownerPid: number; ownerLock: string | null; manual: boolean },
) {
  return tx<{ id: string }[]>`
          insert into public.job_runs (job_name, slot, claimed_by, owner_host, owner_pid, owner_lock, db_started_at)
          select ${r.jobName}, ${r.slot}, ${r.claimedBy}, ${r.ownerHost}, ${r.ownerPid}, ${r.ownerLock}, pg_postmaster_start_time()
          where ${r.manual}
             or not exists (select 1 from public.job_runs where job_name = ${r.jobName} and status = 'running')
          on conflict (job_name, slot) do nothing
          returning id`;
}

export function recordOutcome(tx: Tx, runId: string, o: { status: 'failed' | 'succeeded'; counts: JobCounts | Record<string, never>; error: string | null }) {
  return tx`
                update public.job_runs
                set status = ${o.status}, finished_at = now(),
                    counts = ${tx.json(o.counts)},
                    error = ${o.error}
                where id = ${runId}`;
}
