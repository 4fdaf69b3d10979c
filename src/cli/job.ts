import { buildJobContext } from '../container.js';
import { openDatabase } from '../db/database.js';
import { jobDefinitions } from '../jobs/registry.js';
import { describeError } from '../jobs/run-coordinator.js';
import { runJobNow } from '../jobs/scheduler.js';
import { cliArgs, configOrExit } from './bootstrap.js';

/**
 * npm run job -- <name>: runs one job now, recorded in job_runs like a
 * scheduled run, and prints its counts as JSON. An unknown name exits 2 with
 * the list of jobs; a failed run exits 1 (its error is in job_runs too).
 */
const defs = jobDefinitions();
const { positionals } = cliArgs(
  `usage: npm run job -- <name>
  Runs one scheduled job now (recorded in job_runs like a scheduled run) and prints its
  counts as JSON. Jobs: ${defs.map((d) => d.name).join(', ')}`,
  { options: {}, allowPositionals: true },
);
const name = positionals[0];
if (!name || !defs.some((d) => d.name === name)) {
  console.error(`${name ? `Unknown job "${name}"` : 'Name a job'}. Jobs: ${defs.map((d) => d.name).join(', ')}`);
  process.exit(2);
}

const config = configOrExit();
const db = await openDatabase(config);
try {
  const { counts } = await runJobNow(buildJobContext(config, db.serviceDb), name, defs);
  console.log(JSON.stringify(counts));
} catch (err) {
  console.error(`Job ${name} failed: ${describeError(err)}`);
  process.exitCode = 1;
} finally {
  await db.close();
}
