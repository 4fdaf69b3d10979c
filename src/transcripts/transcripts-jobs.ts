import type { JobDefinition } from '../lib/job.js';
import { runTranscriptEncryption, TRANSCRIPT_ENCRYPTION_JOB, type TranscriptEncryptionContext } from './transcript-encryption.js';

/** Every 15 minutes: a switch turned on or a key rotated is caught up within a quarter of an hour. */
export const transcriptEncryptionJob: JobDefinition<TranscriptEncryptionContext> = {
  name: TRANSCRIPT_ENCRYPTION_JOB,
  schedule: '*/15 * * * *',
  run: (services) => runTranscriptEncryption(services),
};
