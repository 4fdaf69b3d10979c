import cron, { type Logger as CronLogger, type RunCoordinator, type ScheduledTask } from 'node-cron';
import type { JobCounts, JobDefinition } from '../lib/job.js';
import { logger } from '../lib/logger.js';
import type { JobContext } from './job-context.js';
import { jobDefinitions } from './registry.js';
import { createRunCoordinator, describeError, type ClaimedRun, type JobRunCoordinator } from './run-coordinator.js';

/** Every schedule is read in UTC, whatever the server's local time zone. */
export const JOB_TIMEZONE = 'Etc/UTC';

export interface SchedulerOptions {
  /** Defaults to the Postgres coordinator on ctx.serviceDb. */
  coordinator?: JobRunCoordinator;
  /** Replaces every job's schedule (config: JOB_SCHEDULE_OVERRIDE). */
  scheduleOverride?: string;
  /** How long stopping waits for runs in progress (default 5 s). */
  stopTimeoutMs?: number;
}

export class UnknownJobError extends Error {
  constructor(
    readonly jobName: string,
    readonly known: string[],
  ) {
    super(`unknown job "${jobName}"; jobs: ${known.join(', ')}`);
    this.name = 'UnknownJobError';
  }
}

// node-cron's own messages (missed ticks, coordinator failures) go to our log.
const cronLogger: CronLogger = {
  info: (message) => logger.info({ component: 'node-cron' }, message),
  warn: (message) => logger.warn({ component: 'node-cron' }, message),
  error: (message, err) => logger.error({ component: 'node-cron', err_message: err?.message ?? String(message) }, 'node-cron error'),
  debug: (message) => logger.debug({ component: 'node-cron' }, String(message)),
};

/** Runs a claimed job and records its outcome; a failure is recorded, then rethrown. */
async function execute(ctx: JobContext, def: JobDefinition<JobContext>, run: ClaimedRun, coordinator: JobRunCoordinator): Promise<JobCounts> {
  const started = Date.now();
  logger.debug({ job: def.name, slot: run.slot.toISOString(), run_id: run.id }, 'job started');
  let counts: JobCounts;
  try {
    counts = await def.run(ctx);
  } catch (err) {
    ctx.metrics.jobFinished(def.name, (Date.now() - started) / 1000, false);
    logger.error({ job: def.name, run_id: run.id, ms: Date.now() - started, error: describeError(err) }, 'job failed');
    await coordinator.finish(run, { error: err }).catch((e: unknown) =>
      logger.error({ job: def.name, run_id: run.id, error: describeError(e) }, 'could not record the failed job run'),
    );
    throw err;
  }
  await coordinator.finish(run, { counts }).catch((e: unknown) => {
    logger.error({ job: def.name, run_id: run.id, error: describeError(e) }, 'could not record the job run');
    throw e;
  });
  ctx.metrics.jobFinished(def.name, (Date.now() - started) / 1000, true);
  // An idle run (every count zero) is routine: debug. A run that did something is worth a line.
  const level = Object.values(counts).some((n) => typeof n === 'number' && n > 0) ? 'info' : 'debug';
  logger[level]({ job: def.name, run_id: run.id, ms: Date.now() - started, counts }, 'job finished');
  return counts;
}

/**
 * Starts one node-cron task per job, in UTC. Each task is `distributed` with
 * the Postgres run coordinator, so on every tick exactly one replica claims
 * the (job, slot) row in job_runs and runs the job; the others skip it.
 * `noOverlap` additionally keeps a process from starting a job it is still
 * running. Returns a function that stops the tasks and waits (up to
 * `stopTimeoutMs`) for runs in progress to record their outcome.
 */
export function startScheduler(ctx: JobContext, defs: JobDefinition<JobContext>[], opts: SchedulerOptions = {}): () => Promise<void> {
  const coordinator = opts.coordinator ?? createRunCoordinator(ctx.serviceDb);
  const names = new Set<string>();
  for (const def of defs) {
    if (names.has(def.name)) throw new Error(`two jobs are named ${def.name}`);
    names.add(def.name);
    const expression = opts.scheduleOverride ?? def.schedule;
    if (!cron.validate(expression)) throw new Error(`job ${def.name}: "${expression}" is not a cron expression`);
  }

  let stopping = false;
  const inFlight = new Set<Promise<unknown>>();
  const track = <T>(p: Promise<T>): Promise<T> => {
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p)).catch(() => {});
    return p;
  };
  // node-cron claims through this before every tick; nothing new starts once stopping.
  const gate: RunCoordinator = {
    shouldRun: (key, ttlMs) => (stopping ? false : track(Promise.resolve(coordinator.shouldRun(key, ttlMs)))),
    onComplete: (key) => coordinator.onComplete?.(key),
  };

  const tasks: ScheduledTask[] = defs.map((def) =>
    cron.schedule(
      opts.scheduleOverride ?? def.schedule,
      async ({ date }) => {
        const run = coordinator.claimed(def.name, date);
        if (!run) {
          logger.error({ job: def.name, slot: date.toISOString() }, 'job tick without a claim; skipped');
          return;
        }
        // A failure is already recorded and logged; node-cron need not see it.
        await track(execute(ctx, def, run, coordinator)).catch(() => {});
      },
      {
        name: def.name,
        timezone: JOB_TIMEZONE,
        noOverlap: true,
        distributed: true,
        runCoordinator: gate,
        logger: cronLogger,
      },
    ),
  );
  logger.info({ jobs: defs.map((d) => d.name), override: opts.scheduleOverride ?? null, instance: coordinator.instanceId }, 'job scheduler started');

  return async () => {
    if (stopping) return;
    stopping = true;
    for (const task of tasks) await task.destroy();
    // A claim that was in flight may still start its run: look again until nothing is left.
    const deadline = Date.now() + (opts.stopTimeoutMs ?? 5000);
    while (inFlight.size > 0 && Date.now() < deadline) {
      const left = new Promise((resolve) => setTimeout(resolve, deadline - Date.now()).unref());
      await Promise.race([Promise.allSettled([...inFlight]), left]);
      await new Promise((resolve) => setImmediate(resolve));
    }
    if (inFlight.size > 0) logger.warn({ running: inFlight.size }, 'stopped the scheduler with job runs still in progress');
    await coordinator.close();
  };
}

/**
 * A manual slot: now, to the millisecond, never on a whole second, so it can
 * never take a scheduled tick's slot (those are whole seconds).
 */
function manualSlot(now: Date): Date {
  return now.getMilliseconds() === 0 ? new Date(now.getTime() + 1) : now;
}

/**
 * Runs one job by hand (npm run job -- <name>), recorded in job_runs like a
 * scheduled run, with the wall-clock time of the request as its slot. It does
 * not wait for, nor refuse because of, a scheduled run in progress: every job
 * is safe to run concurrently with itself. A failure is recorded, then thrown.
 */
export async function runJobNow(
  ctx: JobContext,
  name: string,
  defs: JobDefinition<JobContext>[] = jobDefinitions(),
  opts: { coordinator?: JobRunCoordinator } = {},
): Promise<{ runId: string; slot: Date; counts: JobCounts }> {
  const def = defs.find((d) => d.name === name);
  if (!def) throw new UnknownJobError(name, defs.map((d) => d.name));
  const coordinator = opts.coordinator ?? createRunCoordinator(ctx.serviceDb);
  const run = await coordinator.claim(def.name, manualSlot(new Date()), { manual: true });
  if (!run) throw new Error(`job ${name}: another manual run took the same millisecond; try again`);
  const counts = await execute(ctx, def, run, coordinator);
  return { runId: run.id, slot: run.slot, counts };
}
