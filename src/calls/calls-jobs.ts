import type { JobDefinition } from '../lib/job.js';
import { RECORDING_FINGERPRINTS_JOB, runRecordingFingerprints, type RecordingIntegrityDeps } from './recording-integrity.js';

/** Every minute: completed recordings whose SHA-256 could not be computed yet are tried again (with backoff). */
export const recordingFingerprintsJob: JobDefinition<RecordingIntegrityDeps> = {
  name: RECORDING_FINGERPRINTS_JOB,
  schedule: '* * * * *',
  run: (services) => runRecordingFingerprints(services),
};
