import { createHash } from 'node:crypto';
import type { ServiceDb } from '../db/database.js';
import type { JobCounts } from '../lib/job.js';
import { logger } from '../lib/logger.js';
import type { ProviderError } from '../providers/agent-platform.js';
import type { Telephony } from '../providers/telephony.js';
import * as recordingsRepo from './recordings-repo.js';

export const RECORDING_FINGERPRINTS_JOB = 'recording-fingerprints';

/** Recordings fingerprinted per run at most (each is one download from Twilio). */
const BATCH = 50;

export interface RecordingIntegrityDeps {
  serviceDb: ServiceDb;
  telephony: Telephony;
  now: () => Date;
}

/** Backoff after the n-th failed attempt: 1, 2, 4, … minutes, at most six hours. */
export function nextFingerprintAttempt(now: Date, failedAttempts: number): Date {
  const minutes = Math.min(2 ** Math.max(0, failedAttempts - 1), 360);
  return new Date(now.getTime() + minutes * 60_000);
}

/** The SHA-256 (hex) of a recording's audio. */
export function sha256Hex(audio: Buffer): string {
  return createHash('sha256').update(audio).digest('hex');
}

/**
 * Fetches a completed recording's audio and stores its SHA-256, once. A failure
 * is counted on the recording with the time of the next attempt, which the
 * recording-fingerprints job makes; nothing is lost by a fetch that fails.
 */
export async function fingerprintRecording(deps: RecordingIntegrityDeps, recordingSid: string, failedBefore = 0): Promise<'stored' | 'failed'> {
  try {
    const audio = await deps.telephony.fetchRecordingMedia(recordingSid);
    await recordingsRepo.setRecordingSha256(deps.serviceDb, recordingSid, sha256Hex(audio));
    return 'stored';
  } catch (err) {
    const next = nextFingerprintAttempt(deps.now(), failedBefore + 1);
    await recordingsRepo.recordFingerprintFailure(deps.serviceDb, recordingSid, next);
    logger.warn({ recording_sid: recordingSid, status: (err as ProviderError).status, next_attempt_at: next.toISOString() }, 'could not fingerprint the recording yet');
    return 'failed';
  }
}

/** One run of the job: every due recording without a SHA-256 is tried again. */
export async function runRecordingFingerprints(deps: RecordingIntegrityDeps): Promise<JobCounts> {
  const due = await recordingsRepo.recordingsToFingerprint(deps.serviceDb, deps.now(), BATCH);
  let fingerprinted = 0;
  let failed = 0;
  for (const r of due) {
    if ((await fingerprintRecording(deps, r.twilio_recording_sid, r.fingerprint_attempts)) === 'stored') fingerprinted += 1;
    else failed += 1;
  }
  return { fingerprinted, failed };
}
