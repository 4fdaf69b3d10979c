import { hostname } from 'node:os';
import type { RunCoordinator } from 'node-cron';
import type { ServiceDb } from '../db/database.js';
import { logger } from '../lib/logger.js';
import type { JobCounts } from './job.js';

/**
 * A run still marked `running` this long after it started is taken for dead
 * (its process crashed or was killed) and marked failed by the next claim of
 * the same job. Long enough for a real purge or a provider outage's timeouts.
 */
export const DEFAULT_STALE_AFTER_MS = 60 * 60_000;

/** Advisory-lock class for job claims (migrations use 7300). */
const CLAIM_LOCK_CLASS = 7301;
const FINISH_ATTEMPTS = 3;

/** Runs claimed in this process and not finished yet, whichever coordinator claimed them. */
const inProgress = new Set<string>();

/** One row of public.job_runs that this instance holds. */
export interface ClaimedRun {
  id: string;
  jobName: string;
  slot: Date;
  claimedBy: string;
}

export type RunOutcome = { counts: JobCounts } | { error: unknown };

/**
 * The Postgres-backed run coordinator: node-cron asks it before every tick
 * (`shouldRun`), and it is also what manual runs claim through.
 */
export interface JobRunCoordinator extends RunCoordinator {
  /** Who claims: `hostname:pid` unless given. Stored in job_runs.claimed_by. */
  readonly instanceId: string;
  /**
   * Claims (job, slot) by inserting its job_runs row; null when another
   * replica already has the slot or (scheduled runs only) a run of the job is
   * still going. Marks the job's abandoned runs failed first.
   */
  claim(jobName: string, slot: Date, opts?: { manual?: boolean }): Promise<ClaimedRun | null>;
  /** The run this instance claimed through `shouldRun` for that job and tick. */
  claimed(jobName: string, slot: Date): ClaimedRun | undefined;
  /** Records how the run ended: status, finished_at, counts, and the error's message. */
  finish(run: ClaimedRun, outcome: RunOutcome): Promise<void>;
}

export interface RunCoordinatorOptions {
  instanceId?: string;
  staleAfterMs?: number;
}

/**
 * The slot of a tick: its time with milliseconds dropped (UTC). node-cron
 * hands over the planned tick, not the moment its timer fired, so every
 * replica computes the same slot; for a five-field expression that is the
 * whole minute (hh:mm:00), for a six-field one the second.
 */
export function slotOf(tick: Date): Date {
  return new Date(Math.floor(tick.getTime() / 1000) * 1000);
}

// node-cron's coordination key is `${task name}:${slot.toISOString()}`.
const KEY = /^(.+):(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)$/;

function parseKey(key: string): { jobName: string; slot: Date } {
  const m = KEY.exec(key);
  if (!m) throw new Error(`unexpected node-cron coordination key: ${key}`);
  return { jobName: m[1]!, slot: slotOf(new Date(m[2]!)) };
}

const mapKey = (jobName: string, slot: Date) => `${jobName}\uE000${slotOf(slot).toISOString()}`;

// Ids and timestamps are kept; e-mail addresses and phone numbers never reach job_runs.
const KEEP = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|\d{4}-\d{2}-\d{2}(?:[T ][\d:.]+(?:Z|[+-]\d{2}(?::?\d{2})?)?)?/gi;
const EMAIL = /[^\s@"'<>()]+@[^\s@"'<>()]+\.[^\s@"'<>()]+/g;
const PHONE = /\+\d[\d\s().-]{6,}\d|(?<![\w-])\d{9,15}(?![\w-])/g;

/**
 * A failed run's record: the error's name and message only (never the stack
 * or a driver's detail, which may quote row values), with anything that
 * looks like an e-mail address or phone number masked, at most 500 characters.
 */
export function describeError(err: unknown): string {
  const e = err instanceof Error ? err : new Error(String(err));
  const text = e.name && e.name !== 'Error' ? `${e.name}: ${e.message}` : e.message;
  const kept: string[] = [];
  const masked = text.replace(KEEP, (m) => `\uE000${kept.push(m) - 1}\uE000`);
  return masked
    .replace(EMAIL, '[email]')
    .replace(PHONE, '[number]')
    .replace(/\uE000(\d+)\uE000/g, (_, i: string) => kept[Number(i)]!)
    .slice(0, 500);
}

/**
 * Creates the coordinator over public.job_runs. Each (job, slot) is claimed
 * once across replicas: `insert … on conflict (job_name, slot) do nothing
 * returning id` decides, so exactly one replica gets a row back and runs.
 *
 * Claims of one job are serialised by a transaction-scoped advisory lock, in
 * which the claim first marks the job's runs that have been `running` for
 * longer than `staleAfterMs` as failed ("abandoned"), then inserts the slot.
 * A scheduled claim is refused while another run of the job is still live,
 * so ticks never pile up across replicas (node-cron's `noOverlap` only sees
 * its own process); a crashed run stops counting as live once it is stale,
 * so it delays the job by at most `staleAfterMs`, it never blocks it. A run
 * of this very instance that is no longer in progress here (its outcome could
 * not be written) is marked failed at once. A run that was taken for dead but
 * finishes after all records its real outcome.
 *
 * node-cron's lease (`ttlMs`) is not used: a slot's row is permanent.
 */
export function createRunCoordinator(db: ServiceDb, opts: RunCoordinatorOptions = {}): JobRunCoordinator {
  const instanceId = opts.instanceId ?? `${hostname()}:${process.pid}`;
  const staleAfterSeconds = (opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) / 1000;
  const held = new Map<string, ClaimedRun>();
  const stale = `abandoned: no result recorded within ${Math.round(staleAfterSeconds / 60)} min of its start (the process probably stopped)`;
  const unrecorded = 'abandoned: the run ended but its result could not be recorded';

  async function claim(jobName: string, tick: Date, claimOpts: { manual?: boolean } = {}): Promise<ClaimedRun | null> {
    const slot = claimOpts.manual ? tick : slotOf(tick);
    const row = await db.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${CLAIM_LOCK_CLASS}, hashtext(${jobName}))`;
      await tx`
        update public.job_runs
        set status = 'failed', finished_at = now(),
            error = case when claimed_by = ${instanceId} and not (id = any(${[...inProgress]}::uuid[])) then ${unrecorded} else ${stale} end
        where job_name = ${jobName} and status = 'running'
          and (started_at < now() - make_interval(secs => ${staleAfterSeconds})
               or (claimed_by = ${instanceId} and not (id = any(${[...inProgress]}::uuid[]))))`;
      const [inserted] = await tx<{ id: string }[]>`
        insert into public.job_runs (job_name, slot, claimed_by)
        select ${jobName}, ${slot}, ${instanceId}
        where ${claimOpts.manual ?? false}
           or not exists (select 1 from public.job_runs where job_name = ${jobName} and status = 'running')
        on conflict (job_name, slot) do nothing
        returning id`;
      return inserted;
    });
    if (!row) return null;
    inProgress.add(row.id);
    return { id: row.id, jobName, slot, claimedBy: instanceId };
  }

  return {
    instanceId,
    claim,

    async shouldRun(key: string) {
      const { jobName, slot } = parseKey(key);
      const run = await claim(jobName, slot);
      if (run) held.set(mapKey(jobName, slot), run);
      return run !== null;
    },

    onComplete(key: string) {
      const { jobName, slot } = parseKey(key);
      held.delete(mapKey(jobName, slot));
    },

    claimed(jobName: string, slot: Date) {
      return held.get(mapKey(jobName, slot));
    },

    async finish(run: ClaimedRun, outcome: RunOutcome) {
      const failed = 'error' in outcome;
      try {
        // A few tries: a run left `running` holds its job back until someone notices.
        for (let attempt = 1; ; attempt += 1) {
          try {
            await db.begin(
              (tx) => tx`
                update public.job_runs
                set status = ${failed ? 'failed' : 'succeeded'}, finished_at = now(),
                    counts = ${tx.json(failed ? {} : outcome.counts)},
                    error = ${failed ? describeError(outcome.error) : null}
                where id = ${run.id}`,
            );
            break;
          } catch (err) {
            if (attempt >= FINISH_ATTEMPTS) throw err;
            await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
          }
        }
      } finally {
        inProgress.delete(run.id);
      }
      logger.debug({ job: run.jobName, run_id: run.id, failed }, 'job run recorded');
    },
  };
}
