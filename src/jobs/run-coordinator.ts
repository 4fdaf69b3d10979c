import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { RunCoordinator } from 'node-cron';
import type postgres from 'postgres';
import type { ServiceDb } from '../db/database.js';
import type { JobCounts } from '../lib/job.js';
import { logger } from '../lib/logger.js';
import * as repo from './job-runs-repo.js';
import type { RunningRow } from './job-runs-repo.js';

/**
 * A run still marked `running` this long after it started is taken for dead
 * and marked failed by the next claim of the same job, whatever else is known
 * about its owner. Long enough for a real purge or a provider outage's
 * timeouts. (A run whose process was killed is usually found dead at once:
 * see `createRunCoordinator`.)
 */
export const DEFAULT_STALE_AFTER_MS = 60 * 60_000;

/** Advisory-lock class for job claims (migrations use 7300). */
const CLAIM_LOCK_CLASS = 7301;
/** Advisory-lock class of the locks that show a process with runs going is alive. */
const LIVENESS_LOCK_CLASS = 7340;
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
  /**
   * Lets go of the liveness lock (and the connection it holds): call when
   * stopping. Runs of this instance still marked running look dead from then on.
   */
  close(): Promise<void>;
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

/** Whether a process with this pid exists on this machine. */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The session-level advisory lock that shows this coordinator's runs are
 * alive: taken on a connection reserved from the pool when the first run
 * starts, released with the connection when the last one ends. A process that
 * dies loses its connections, and with them the lock.
 */
function livenessLock(db: ServiceDb) {
  const token = randomUUID();
  let holders = 0;
  let session: Promise<postgres.ReservedSql> | undefined;

  return {
    token,
    /** Takes (or shares) the lock; false when it cannot be had, and the run goes without. */
    async hold(): Promise<boolean> {
      holders += 1;
      if (!session) {
        session = (async () => {
          const conn = await db.reserve();
          try {
            await repo.takeLivenessLock(conn, LIVENESS_LOCK_CLASS, token);
          } catch (err) {
            conn.release();
            throw err;
          }
          return conn;
        })();
      }
      try {
        await session;
        return true;
      } catch (err) {
        holders -= 1;
        session = undefined;
        logger.warn({ error: describeError(err) }, 'job runs: could not take the liveness lock; a crash of this run is noticed only after the stale timeout');
        return false;
      }
    },
    release(): Promise<void> {
      holders -= 1;
      return holders > 0 ? Promise.resolve() : this.close();
    },
    /** Lets go of the lock and its connection, whoever still holds it. */
    async close(): Promise<void> {
      holders = 0;
      const ending = session;
      session = undefined;
      if (!ending) return;
      await ending
        .then(async (conn) => {
          try {
            await repo.releaseLivenessLock(conn, LIVENESS_LOCK_CLASS, token);
          } finally {
            conn.release();
          }
        })
        .catch(() => undefined);
    },
  };
}

/**
 * Creates the coordinator over public.job_runs. Each (job, slot) is claimed
 * once across replicas: `insert … on conflict (job_name, slot) do nothing
 * returning id` decides, so exactly one replica gets a row back and runs.
 *
 * Claims of one job are serialised by a transaction-scoped advisory lock, in
 * which the claim first marks the job's dead runs failed ("abandoned"), then
 * inserts the slot. A scheduled claim is refused while another run of the job
 * is still live, so ticks never pile up across replicas (node-cron's
 * `noOverlap` only sees its own process).
 *
 * A run is dead, and no longer holds its job back, as soon as one of these is true:
 * - its owner's liveness lock is free (PostgreSQL): the owning process holds
 *   a session-level advisory lock on a connection of its own while it has
 *   runs going, and loses it with its connections when it dies;
 * - its process no longer exists (the embedded database, which has one
 *   session for everyone but serves only this machine);
 * - the database restarted since the run was claimed (every session ended;
 *   on PGlite, the process owning the files died);
 * - it is this very instance's and no longer in progress here (its outcome
 *   could not be written);
 * - it started longer than `staleAfterMs` ago (when nothing else tells).
 * A run that was taken for dead but finishes after all records its real outcome.
 *
 * node-cron's lease (`ttlMs`) is not used: a slot's row is permanent.
 */
export function createRunCoordinator(db: ServiceDb, opts: RunCoordinatorOptions = {}): JobRunCoordinator {
  const instanceId = opts.instanceId ?? `${hostname()}:${process.pid}`;
  const staleAfterSeconds = (opts.staleAfterMs ?? DEFAULT_STALE_AFTER_MS) / 1000;
  const held = new Map<string, ClaimedRun>();
  const stale = `abandoned: no result recorded within ${Math.round(staleAfterSeconds / 60)} min of its start (the process probably stopped)`;
  const unrecorded = 'abandoned: the run ended but its result could not be recorded';
  const sessionGone = 'abandoned: its process stopped (its database session ended)';
  const processGone = 'abandoned: its process stopped';
  const restartedSince = 'abandoned: the database restarted while it ran';
  const liveness = livenessLock(db);
  /** Runs claimed here that hold the liveness lock. */
  const locked = new Set<string>();

  // PGlite serves every client in one session, where advisory locks tell nothing
  // about other processes, and has one connection, none to spare: there the
  // owner's process is checked instead (PGlite listens on 127.0.0.1 only, so
  // every process using it is on this machine). A PostgreSQL pool of one has no
  // connection to spare either: its runs go without the lock.
  let embedded: Promise<boolean> | undefined;
  const isEmbedded = () =>
    (embedded ??= repo.isPglite(db)).catch((err: unknown) => {
      embedded = undefined;
      throw err;
    });

  function deadReason(r: RunningRow, pglite: boolean): string | undefined {
    if (r.claimed_by === instanceId && !inProgress.has(r.id)) return unrecorded;
    if (r.restarted) return restartedSince;
    if (r.lock_free) return sessionGone;
    if (pglite && r.owner_pid !== null && r.owner_host === hostname() && r.owner_pid !== process.pid && !processExists(r.owner_pid)) return processGone;
    if (r.stale) return stale;
    return undefined;
  }

  async function claim(jobName: string, tick: Date, claimOpts: { manual?: boolean } = {}): Promise<ClaimedRun | null> {
    const slot = claimOpts.manual ? tick : slotOf(tick);
    const pglite = await isEmbedded();
    const lockHeld = !pglite && db.options.max > 1 && (await liveness.hold());
    let row: { id: string } | undefined;
    try {
      row = await db.begin(async (tx) => {
        await repo.lockJobClaims(tx, CLAIM_LOCK_CLASS, jobName);
        const running = await repo.runningRuns(tx, jobName, staleAfterSeconds, LIVENESS_LOCK_CLASS);
        const dead = running.flatMap((r) => {
          const error = deadReason(r, pglite);
          return error ? [{ id: r.id, error }] : [];
        });
        if (dead.length > 0) {
          await repo.failDeadRuns(tx, dead);
        }
        const [inserted] = await repo.insertRun(tx, {
          jobName,
          slot,
          claimedBy: instanceId,
          ownerHost: hostname(),
          ownerPid: process.pid,
          ownerLock: lockHeld ? liveness.token : null,
          manual: claimOpts.manual ?? false,
        });
        return inserted;
      });
    } catch (err) {
      if (lockHeld) void liveness.release();
      throw err;
    }
    if (!row) {
      if (lockHeld) void liveness.release();
      return null;
    }
    inProgress.add(row.id);
    if (lockHeld) locked.add(row.id);
    return { id: row.id, jobName, slot, claimedBy: instanceId };
  }

  return {
    instanceId,
    claim,

    async close() {
      locked.clear();
      await liveness.close();
    },

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
              (tx) =>
                repo.recordOutcome(tx, run.id, {
                  status: failed ? 'failed' : 'succeeded',
                  counts: failed ? {} : outcome.counts,
                  error: failed ? describeError(outcome.error) : null,
                }),
            );
            break;
          } catch (err) {
            if (attempt >= FINISH_ATTEMPTS) throw err;
            await new Promise((resolve) => setTimeout(resolve, 250 * attempt));
          }
        }
      } finally {
        inProgress.delete(run.id);
        if (locked.delete(run.id)) void liveness.release();
      }
      logger.debug({ job: run.jobName, run_id: run.id, failed }, 'job run recorded');
    },
  };
}
