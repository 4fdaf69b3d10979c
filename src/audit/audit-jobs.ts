import type { ServiceDb } from '../db/database.js';
import type { JobDefinition } from '../lib/job.js';
import { runAuditChainVerification } from './audit-checkpoints.js';

/** Every minute: audit chains verified from their checkpoints, and re-verified from #1 bit by bit. */
export const auditChainVerifyJob: JobDefinition<{ serviceDb: ServiceDb; now: () => Date }> = {
  name: 'audit-chain-verify',
  schedule: '* * * * *',
  run: (services) => runAuditChainVerification(services),
};
