import { agentPlatformSyncJob } from '../agents/agents-jobs.js';
import { opsAlertsJob } from '../alerts/alerts-jobs.js';
import { auditChainVerifyJob } from '../audit/audit-jobs.js';
import { recordingFingerprintsJob } from '../calls/calls-jobs.js';
import { providerDeletionsJob } from '../deletions/deletions-jobs.js';
import { erasureDeadlinesJob, erasureWorkJob } from '../erasure/erasure-jobs.js';
import { incidentPagingJob } from '../incidents/incidents-jobs.js';
import { incidentNoticesJob } from '../incidents/incident-notices-jobs.js';
import type { JobDefinition } from '../lib/job.js';
import { recordingDeliveriesJob } from '../recording-storage/recording-storage-jobs.js';
import { retentionPurgeJob } from '../retention/retention-jobs.js';
import { subprocessorNoticesJob } from '../subprocessors/subprocessors-jobs.js';
import { transcriptEncryptionJob } from '../transcripts/transcripts-jobs.js';
import { webhookDeliveriesJob } from '../webhooks/webhooks-jobs.js';
import type { JobContext } from './job-context.js';

/**
 * Every scheduled job, in one list: the server's scheduler starts them and
 * `npm run job -- <name>` runs one by hand. To add a job, define it in its
 * feature's `<feature>-jobs.ts` and add it here (schedules are UTC); what its
 * run needs must be in the JobContext container.ts builds, or this list does
 * not compile.
 */
export function jobDefinitions(): JobDefinition<JobContext>[] {
  return [
    retentionPurgeJob, // 0 3 * * *
    providerDeletionsJob, // * * * * *
    transcriptEncryptionJob, // */15 * * * *
    erasureWorkJob, // * * * * *
    erasureDeadlinesJob, // 17 * * * *
    incidentPagingJob, // */30 * * * *
    incidentNoticesJob, // * * * * *
    subprocessorNoticesJob, // 0 8 * * *
    webhookDeliveriesJob, // * * * * *
    auditChainVerifyJob, // * * * * *
    agentPlatformSyncJob, // * * * * *
    opsAlertsJob, // * * * * *
    recordingFingerprintsJob, // * * * * *
    recordingDeliveriesJob, // * * * * *
  ];
}
