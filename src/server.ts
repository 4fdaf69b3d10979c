import type { Server } from 'node:http';
import { configOrExit, openMigratedDatabase } from './cli/bootstrap.js';
import { featuresOff } from './config/env.js';
import { buildAppDeps } from './container.js';
import { seedDemo } from './demo/seed.js';
import { createApp } from './http/app.js';
import { jobDefinitions } from './jobs/registry.js';
import { startScheduler } from './jobs/scheduler.js';
import { logger } from './lib/logger.js';
import { countOrganizations } from './orgs/orgs-repo.js';
import { storageKeysProblem } from './recording-storage/recording-storage-service.js';

/** npm start: the HTTP server, on DATABASE_URL or the embedded database. */
async function main(): Promise<void> {
  const config = configOrExit();
  // Features that need an optional variable and do not have it: their pages say so, their API answers 503.
  const off = featuresOff(config);
  if (off.length > 0) logger.warn({ features_off: off }, `features off: ${off.map((f) => f.feature).join(', ')}`);
  const db = await openMigratedDatabase(config);
  logger.info({ embedded: db.embedded, mode: config.mode }, 'database ready');
  const storageProblem = await storageKeysProblem(db.serviceDb, config.features.recordingStorage);
  if (storageProblem) {
    logger.error({ problem: storageProblem }, 'configuration is not valid');
    await db.close();
    process.exit(1);
  }

  const deps = buildAppDeps(config, db.serviceDb);
  const app = createApp(deps);

  if (config.mode === 'local') {
    const [{ count }] = (await countOrganizations(db.serviceDb)) as unknown as [{ count: number }];
    if (count === 0) {
      const seed = await seedDemo(db.serviceDb, config, deps.agentPlatform);
      logger.info({ organization_id: seed.organization_id }, 'local mode: demo organisation created');
    }
  }

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(config.port, config.host, () => resolve(s));
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info({ host: config.host, port, public_base_url: config.publicBaseUrl, trust_proxy: config.trustProxy }, 'listening');
  if (config.mode === 'local') {
    console.log(
      [
        '',
        `Local mode: http://localhost:${port} (database: ${db.embedded ? 'embedded, in the data folder' : 'DATABASE_URL'})`,
        '  Demo data and tokens:   npm run -s db:seed -- --json',
        '  A token for anyone:     TOKEN=$(npm run -s token -- --email you@example.com)',
        '  Simulate a call:        npm run call -- --from +4930123456789 --to +493012345678 --digits 1',
        '                          (demo agents: +493012345678 German, +48221234567 Polish, +442071838750 English)',
        '',
      ].join('\n'),
    );
  }

  // Crons run on every replica; the job_runs table makes each tick run once across them.
  const stopJobs = config.cronEnabled
    ? startScheduler(deps.jobs, jobDefinitions(), { scheduleOverride: config.jobScheduleOverride })
    : undefined;

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    await stopJobs?.();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await db.close();
    clearTimeout(force);
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

main().catch((err: unknown) => {
  logger.fatal({ err_name: (err as Error)?.name, message: (err as Error)?.message }, 'could not start');
  process.exit(1);
});
