/** Counts of what a run did, stored in job_runs.counts. */
export type JobCounts = Record<string, number>;

/**
 * A scheduled job: a cron expression (UTC) and an idempotent, batched,
 * resumable function, also runnable by hand with `npm run job -- <name>`.
 * `Services` is what its run uses, and nothing more: container.ts builds them
 * once, for the server and for `npm run job`, and the scheduler hands them
 * over (src/jobs/job-context.ts). A job never wires a service of its own.
 */
export interface JobDefinition<Services = unknown> {
  name: string;
  /** node-cron expression, evaluated in UTC */
  schedule: string;
  run(services: Services): Promise<JobCounts>;
}
