/**
 * Delivery of completed recordings to the organisation's own store.
 *
 * For each due delivery: the audio is downloaded from Twilio as a stream and
 * spooled to a temporary file while its SHA-256 is computed (memory stays
 * bounded whatever the size); the file is uploaded with the AWS SDK with its
 * length and `ChecksumSHA256`, so a store that verifies checksums refuses a
 * body altered in transit; the upload is confirmed by the checksum the store
 * returns, or by reading the object back and hashing it; then the object key,
 * ETag, SHA-256 and time are recorded on the recording and, in the same
 * transaction, the deletion of Twilio's copy is queued. Not before: until the
 * upload is confirmed, Twilio's copy stays. The temporary file is always deleted.
 *
 * A failure (store down, access denied, checksum mismatch, Twilio down) is
 * counted with the step that failed and tried again with exponential backoff;
 * after MAX_DELIVERY_ATTEMPTS the delivery is marked failed, which raises an
 * alert (DPO and ops) and shows in the trust checks.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { SYSTEM_ACTOR, writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import type { JobCounts } from '../lib/job.js';
import { logger } from '../lib/logger.js';
import { RECORDING_CONTENT_TYPE, type Telephony } from '../providers/telephony.js';
import type { CustomerStorage } from './customer-storage.js';
import * as repo from './recording-deliveries-repo.js';
import { objectKey, storageClient, StorageStepError, uploadAndConfirm } from './s3-store.js';

export const RECORDING_DELIVERIES_JOB = 'recording-deliveries';
export const MAX_DELIVERY_ATTEMPTS = 10;
const BATCH = 10;

/** Backoff after the n-th failure: 1, 2, 4 … minutes, at most six hours. */
export function deliveryBackoffSeconds(attempts: number): number {
  return Math.min(60 * 2 ** Math.max(0, attempts - 1), 6 * 3600);
}

export interface RecordingDeliveryDeps {
  serviceDb: ServiceDb;
  telephony: Telephony;
  customerStorage: CustomerStorage;
  /** When given, Twilio's copy is deleted right after a confirmed upload (else by the provider-deletions job). */
  deletions?: DeletionWorkerDeps;
}

type Step = 'config' | 'endpoint' | 'download' | 'upload' | 'confirm' | 'checksum';

class DeliveryError extends Error {
  constructor(readonly step: Step) {
    super(`delivery failed at ${step}`);
  }
}

/** Downloads the recording into a temporary file while hashing it; returns the file, its size and SHA-256. */
async function spool(telephony: Telephony, recordingSid: string, dir: string): Promise<{ file: string; size: number; sha256: string }> {
  const file = path.join(dir, 'recording.wav');
  const hash = createHash('sha256');
  try {
    const { body } = await telephony.streamRecordingMedia(recordingSid);
    const hashing = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        cb(null, chunk);
      },
    });
    await pipeline(body, hashing, createWriteStream(file));
  } catch {
    throw new DeliveryError('download');
  }
  return { file, size: (await stat(file)).size, sha256: hash.digest('hex') };
}

async function deliverOne(deps: RecordingDeliveryDeps, d: repo.ClaimedDelivery): Promise<void> {
  const loc = await deps.customerStorage.location(d.org_id);
  if (!loc) throw new DeliveryError('config');
  let client;
  try {
    client = storageClient(loc, deps.customerStorage.policy);
  } catch {
    throw new DeliveryError('endpoint');
  }
  const dir = await mkdtemp(path.join(tmpdir(), 'recording-delivery-'));
  try {
    const spooled = await spool(deps.telephony, d.twilio_recording_sid, dir);
    if (d.recording_sha256 && d.recording_sha256 !== spooled.sha256) {
      logger.error({ recording_id: d.recording_id, org_id: d.org_id }, 'a recording downloaded for delivery does not match its stored SHA-256');
    }
    const key = objectKey(loc, `${d.recording_id}.wav`);
    let etag: string | null;
    try {
      ({ etag } = await uploadAndConfirm(client, loc, { key, path: spooled.file, size: spooled.size, sha256Hex: spooled.sha256, contentType: RECORDING_CONTENT_TYPE }));
    } catch (err) {
      if (err instanceof StorageStepError) {
        logger.warn({ recording_id: d.recording_id, org_id: d.org_id, step: err.step, status: err.status, error_name: err.errorName }, 'recording delivery step failed');
        throw new DeliveryError(err.step === 'checksum' ? 'checksum' : err.step === 'confirm' ? 'confirm' : 'upload');
      }
      throw err;
    }
    // Confirmed: only now is Twilio's copy queued for deletion, with the record of where the recording lives.
    await deps.serviceDb.begin(async (tx) => {
      await repo.markDelivered(tx, { deliveryId: d.id, recordingId: d.recording_id, bucket: loc.bucket, key, etag, sha256: spooled.sha256 });
      await queueProviderDeletion(tx, { orgId: d.org_id, provider: 'twilio', resourceType: 'recording', resourceId: d.twilio_recording_sid, reason: 'delivered_to_storage' });
      await writeAudit(tx, SYSTEM_ACTOR, {
        orgId: d.org_id,
        action: 'recording.delivered',
        targetType: 'recording',
        targetId: d.recording_id,
        metadata: { sha256: spooled.sha256, bytes: spooled.size, attempts: d.attempts + 1 },
      });
    });
  } finally {
    client.destroy();
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Works due deliveries (leased with FOR UPDATE SKIP LOCKED, so replicas never
 * work the same one), or only the one of `recordingId`.
 */
export async function runRecordingDeliveries(deps: RecordingDeliveryDeps, opts: { recordingId?: string } = {}): Promise<JobCounts> {
  const due = await repo.claimDueDeliveries(deps.serviceDb, BATCH, opts.recordingId);
  let delivered = 0;
  let retried = 0;
  let failed = 0;
  for (const d of due) {
    try {
      await deliverOne(deps, d);
      delivered += 1;
      if (deps.deletions) {
        await runProviderDeletions(deps.deletions, { only: { provider: 'twilio', resourceType: 'recording', resourceId: d.twilio_recording_sid } });
      }
    } catch (err) {
      const step: Step = err instanceof DeliveryError ? err.step : 'upload';
      const attempts = d.attempts + 1;
      const giveUp = attempts >= MAX_DELIVERY_ATTEMPTS;
      await repo.markDeliveryAttemptFailed(deps.serviceDb, { id: d.id, attempts, step, giveUp, backoffSeconds: deliveryBackoffSeconds(attempts) });
      if (giveUp) {
        failed += 1;
        await writeAudit(deps.serviceDb, SYSTEM_ACTOR, {
          orgId: d.org_id,
          action: 'recording.delivery_failed',
          targetType: 'recording',
          targetId: d.recording_id,
          metadata: { step, attempts },
        });
      } else retried += 1;
      logger.warn({ recording_id: d.recording_id, org_id: d.org_id, step, attempts, give_up: giveUp, err_name: err instanceof DeliveryError ? undefined : (err as Error).name }, 'recording delivery failed');
    }
  }
  return { claimed: due.length, delivered, retried, failed };
}
