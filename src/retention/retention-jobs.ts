import type { AppConfig } from '../config/env.js';
import type { JobDefinition } from '../lib/job.js';
import { runRetentionPurge, type RetentionPurgeDeps } from './retention-purge.js';

/** Daily at 03:00 UTC. */
export const retentionPurgeJob: JobDefinition<RetentionPurgeDeps & { config: Pick<AppConfig, 'retentionPurgeBatchSize'> }> = {
  name: 'retention-purge',
  schedule: '0 3 * * *',
  run: (services) => runRetentionPurge(services, { batchSize: services.config.retentionPurgeBatchSize }),
};
