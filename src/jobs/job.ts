import type { AppConfig } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import type { Mailer } from '../lib/mailer.js';
import type { AgentPlatform } from '../providers/agent-platform.js';
import type { Telephony } from '../providers/telephony.js';

/** What every scheduled job gets. `now` is injectable so tests control the clock. */
export interface JobContext {
  serviceDb: ServiceDb;
  telephony: Telephony;
  agentPlatform: AgentPlatform;
  mailer: Mailer;
  config: AppConfig;
  now: () => Date;
}

/** Counts of what a run did, stored in job_runs.counts. */
export type JobCounts = Record<string, number>;

/**
 * A scheduled job: a cron expression (UTC) and an idempotent, batched,
 * resumable function, also runnable by hand with `npm run job -- <name>`.
 */
export interface JobDefinition {
  name: string;
  /** node-cron expression, evaluated in UTC */
  schedule: string;
  run(ctx: JobContext): Promise<JobCounts>;
}
