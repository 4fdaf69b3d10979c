import type { JobDefinition } from '../lib/job.js';
import { runProviderDeletions, type DeletionWorkerDeps } from './provider-deletions.js';

/** Every minute: the deletions we owe Twilio and ElevenLabs (any reason), with retries and backoff. */
export const providerDeletionsJob: JobDefinition<DeletionWorkerDeps> = {
  name: 'provider-deletions',
  schedule: '* * * * *',
  async run(services) {
    return { ...(await runProviderDeletions(services)) };
  },
};
