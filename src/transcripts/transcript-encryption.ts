/**
 * The `transcript-encryption` job. It brings every stored transcript to the
 * state the organisation and the keyring ask for:
 *
 * - plaintext rows of organisations whose `transcript_encryption` switch is on
 *   are encrypted under the current key (`TRANSCRIPT_KEY_ID`);
 * - encrypted rows under any other key (a retired one) are decrypted and
 *   encrypted again under the current key, with a fresh nonce.
 *
 * Turning the switch off never decrypts anything. Rows are walked in id order
 * in batches, each batch one transaction that locks its rows with
 * `FOR UPDATE SKIP LOCKED` (a replica or a webhook holding a row is skipped;
 * the next run takes it). A run only selects rows that still need work, so it
 * is idempotent, and a crash loses at most the batch in flight. A row that
 * cannot be decrypted (its key id is no longer in the keyring, or it was
 * altered) is counted as failed, logged by id and left exactly as it is.
 */
import { SYSTEM_ACTOR, writeAudit } from '../audit/audit.js';
import type { AppConfig } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import { logger } from '../lib/logger.js';
import { decryptTranscript, encryptTranscript, TranscriptDecryptionError } from './transcript-crypto.js';
import * as repo from './transcripts-repo.js';

export const TRANSCRIPT_ENCRYPTION_JOB = 'transcript-encryption';
/** Rows per batch (one transaction of a few hundred milliseconds at most; fewer, larger batches also mean fewer audit rows). */
export const DEFAULT_BATCH_SIZE = 2000;

export type TranscriptEncryptionCounts = {
  /** plaintext rows now encrypted under the current key */
  encrypted: number;
  /** rows moved from a retired key to the current key */
  reencrypted: number;
  /** rows that could not be decrypted and were left untouched */
  failed: number;
};

/** What the encryption run needs: the backend's connection and the transcript keyring. */
export interface TranscriptEncryptionContext {
  serviceDb: ServiceDb;
  config: Pick<AppConfig, 'transcriptKeys' | 'transcriptKeyId'>;
}

/** Below every uuid: where each run's walk starts. */
const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * Runs the job once over the whole table and returns what it did. Safe to run
 * concurrently with itself, the post-call webhook and the API.
 */
export async function runTranscriptEncryption(
  ctx: TranscriptEncryptionContext,
  opts: { batchSize?: number } = {},
): Promise<TranscriptEncryptionCounts> {
  const keyring = ctx.config.transcriptKeys;
  const currentKeyId = ctx.config.transcriptKeyId;
  if (!keyring.has(currentKeyId)) throw new Error(`TRANSCRIPT_KEY_ID "${currentKeyId}" is not in TRANSCRIPT_KEYS.`);
  const batchSize = opts.batchSize ?? DEFAULT_BATCH_SIZE;
  const counts: TranscriptEncryptionCounts = { encrypted: 0, reencrypted: 0, failed: 0 };

  let after = FIRST_ID;
  for (;;) {
    const seen = await ctx.serviceDb.begin(async (tx) => {
      // Keyset by id, so failed or skipped rows never stall the walk, and each
      // batch starts where the last ended instead of rescanning finished rows.
      const rows = await repo.lockTranscriptsToEncrypt(tx, { after, currentKeyId, batchSize });

      const batch: TranscriptEncryptionCounts = { encrypted: 0, reencrypted: 0, failed: 0 };
      const ids: string[] = [];
      const ciphertexts: string[] = [];
      const perOrg = new Map<string, { encrypted: number; reencrypted: number }>();
      for (const row of rows) {
        const binding = { orgId: row.org_id, transcriptId: row.id };
        let turns = row.content;
        const rotating = row.ciphertext !== null;
        if (rotating) {
          try {
            turns = decryptTranscript(keyring, binding, row.ciphertext!);
          } catch (err) {
            if (!(err instanceof TranscriptDecryptionError)) throw err;
            batch.failed += 1;
            logger.warn({ transcript_id: row.id, key_id: err.keyId, reason: err.reason }, 'transcript cannot be decrypted; left as it is');
            continue;
          }
        }
        ids.push(row.id);
        ciphertexts.push(encryptTranscript(keyring, currentKeyId, binding, turns));
        const org = perOrg.get(row.org_id) ?? { encrypted: 0, reencrypted: 0 };
        org[rotating ? 'reencrypted' : 'encrypted'] += 1;
        perOrg.set(row.org_id, org);
      }

      if (ids.length > 0) {
        // Sent together (postgres.js pipelines queries issued at once in a transaction):
        // one round trip for the rows and the organisations' audit entries.
        await Promise.all([
          repo.writeCiphertexts(tx, currentKeyId, ids, ciphertexts),
          // The organisation's activity log says when its transcripts changed form (counts and key id only).
          ...[...perOrg].map(([orgId, done]) =>
            writeAudit(tx, SYSTEM_ACTOR, {
              orgId,
              action: 'transcripts.encrypted',
              targetType: 'transcript',
              metadata: { ...done, key_id: currentKeyId },
            }),
          ),
        ]);
        for (const done of perOrg.values()) {
          batch.encrypted += done.encrypted;
          batch.reencrypted += done.reencrypted;
        }
      }
      return { batch, count: rows.length, last: rows.at(-1)?.id };
    });
    // Counted only once the batch has committed.
    counts.encrypted += seen.batch.encrypted;
    counts.reencrypted += seen.batch.reencrypted;
    counts.failed += seen.batch.failed;
    if (!seen.last) break;
    after = seen.last;
    if (seen.count < batchSize) break;
  }

  return counts;
}
