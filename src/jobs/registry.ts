import { agentPlatformSyncJob } from '../agents/agent-platform-sync.js';
import { auditChainVerifyJob } from '../audit/audit-checkpoints.js';
import { runProviderDeletions } from '../deletions/provider-deletions.js';
import { erasureDeadlinesJob, erasureWorkJob } from '../erasure/erasure-jobs.js';
import { incidentPagingJob } from '../incidents/incident-jobs.js';
import { subprocessorNoticesJob } from '../subprocessors/subprocessor-jobs.js';
import { retentionPurgeJob } from '../retention/retention-purge.js';
import { transcriptEncryptionJob } from '../transcripts/transcript-encryption-job.js';
import { runWebhookDeliveries } from '../webhooks/webhook-delivery.js';
import type { JobDefinition } from './job.js';

/** Every minute: the deletions we owe Twilio and ElevenLabs (any reason), with retries and backoff. */
export const providerDeletionsJob: JobDefinition = {
  name: 'provider-deletions',
  schedule: '* * * * *',
  async run(ctx) {
    return { ...(await runProviderDeletions(ctx)) };
  },
};

/** Every minute: the organisations' outgoing webhooks (signed, retried with backoff). */
export const webhookDeliveriesJob: JobDefinition = {
  name: 'webhook-deliveries',
  schedule: '* * * * *',
  async run(ctx) {
    return { ...(await runWebhookDeliveries({ serviceDb: ctx.serviceDb, policy: { allowPrivateNetwork: ctx.config.webhooksAllowPrivateNetwork }, now: ctx.now })) };
  },
};

/**
 * Every scheduled job, in one list: the server's scheduler starts them and
 * `npm run job -- <name>` runs one by hand. To add a job, add its
 * definition here (schedules are UTC).
 */
export function jobDefinitions(): JobDefinition[] {
  return [
    retentionPurgeJob, // 0 3 * * *
    providerDeletionsJob, // * * * * *
    transcriptEncryptionJob, // */15 * * * *
    erasureWorkJob, // * * * * *
    erasureDeadlinesJob, // 17 * * * *
    incidentPagingJob, // */30 * * * *
    subprocessorNoticesJob, // 0 8 * * *
    webhookDeliveriesJob, // * * * * *
    auditChainVerifyJob, // * * * * *
    agentPlatformSyncJob, // * * * * *
  ];
}
