import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import type { UserDb } from '../db/user-db.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ProviderError } from '../providers/agent-platform.js';
import { logger } from '../lib/logger.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { TranscriptDecryptionError } from '../transcripts/transcript-crypto.js';
import * as transcriptsRepo from '../transcripts/transcripts-repo.js';
import * as consentsRepo from './call-consents-repo.js';
import * as repo from './calls-repo.js';
import * as leadsRepo from './leads-repo.js';
import * as recordingsRepo from './recordings-repo.js';
import { RECORDING_CONTENT_TYPE } from '../providers/telephony.js';

/** A caller's number in lists: enough to tell calls apart, not to dial. */
export function maskNumber(n: string | null): string | null {
  if (!n) return null;
  return n.length <= 5 ? '•••' : `${n.slice(0, 3)}•••${n.slice(-2)}`;
}

export interface TranscriptReader {
  /** Returns the turns of a transcript row, decrypting when needed. */
  read(row: { id: string; org_id: string; content: unknown; ciphertext: string | null; key_id: string | null }): unknown;
}

/** Plain transcripts only; the encryption feature supplies a reader that decrypts. */
export const plainTranscriptReader: TranscriptReader = { read: (row) => row.content };

/**
 * A transcript for the call detail. One that cannot be decrypted (its key is
 * gone, or the row was altered) is reported as `{id, error: 'undecryptable'}`
 * and logged by id, rather than failing the whole call: the rest of the call
 * is still the organisation's to see.
 */
export function transcriptForDetail(reader: TranscriptReader, row: Parameters<TranscriptReader['read']>[0]) {
  try {
    return { id: row.id, turns: reader.read(row) };
  } catch (err) {
    if (!(err instanceof TranscriptDecryptionError)) throw err;
    logger.error({ transcript_id: row.id, org_id: row.org_id, key_id: err.keyId, reason: err.reason }, 'transcript cannot be decrypted');
    return { id: row.id, error: 'undecryptable' as const };
  }
}

/**
 * Calls as the organisation sees them, under RLS. Opening a call reads
 * personal data (number, transcript) and is audited; deleting one removes it
 * here and queues the deletions at Twilio and ElevenLabs.
 */
/** An organisation's own store, for recordings delivered there (src/recording-storage/customer-storage.ts). */
export interface RecordingStore {
  openObject(orgId: string, key: string): Promise<{ body: Readable; length: number | null }>;
}

export function createCallsService(deps: { userDb: UserDb; deletions: DeletionWorkerDeps; transcripts?: TranscriptReader; recordingStore?: RecordingStore }) {
  const transcripts = deps.transcripts ?? plainTranscriptReader;
  return {
    async list(auth: AuthContext, orgId: string, opts: { limit: number; before?: Date } & repo.CallFilters) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const rows = await repo.listCalls(tx, orgId, opts);
        return rows.map(({ from_number, ...r }) => ({ ...r, caller: maskNumber(from_number as string | null) }));
      });
    },

    async get(auth: AuthContext, orgId: string, callId: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const [call] = await repo.findCallDetail(tx, orgId, callId);
        if (!call) throw new NotFoundError('Call not found.');
        const [transcriptRow] = await transcriptsRepo.findTranscriptOfCall(tx, callId);
        const recordings = await recordingsRepo.listRecordingsOfCall(tx, callId);
        const consents = await consentsRepo.listConsentsOfCall(tx, callId);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'call.read',
          targetType: 'call',
          targetId: callId,
          metadata: { transcript: Boolean(transcriptRow), recordings: recordings.length },
        });
        return {
          ...call,
          transcript: transcriptRow ? transcriptForDetail(transcripts, transcriptRow) : null,
          recordings,
          consents,
        };
      });
    },

    /**
     * A call's recording (the newest completed one, or `recordingId`) for download, streamed
     * from wherever it lives: the organisation's own store once delivered there, Twilio
     * otherwise. Its SHA-256 is known before the first byte is sent (a recording without
     * one yet is hashed in a streamed pass first, and the SHA-256 stored). Members may
     * download; each download is audited as recording.downloaded (ids only) once the
     * bytes sent were hashed too: `finish` takes their SHA-256.
     */
    async openRecording(auth: AuthContext, orgId: string, callId: string, recordingId?: string) {
      const recording = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const [call] = await repo.findCallDetail(tx, orgId, callId);
        if (!call) throw new NotFoundError('Call not found.');
        const [row] = await recordingsRepo.findRecordingOfCall(tx, callId, recordingId);
        if (!row || row.deleted_at || row.status !== 'completed') throw new NotFoundError('This call has no recording to download.');
        return row;
      });
      const inStore = Boolean(recording.storage_object_key && deps.recordingStore);
      const open = async () => {
        try {
          return inStore
            ? await deps.recordingStore!.openObject(orgId, recording.storage_object_key!)
            : await deps.deletions.telephony.streamRecordingMedia(recording.twilio_recording_sid);
        } catch (err) {
          if (!(err instanceof ProviderError)) throw err;
          logger.warn({ recording_id: recording.id, status: err.status, source: inStore ? 'customer_storage' : 'twilio' }, 'could not fetch a recording for download');
          throw inStore
            ? new AppError(502, 'storage_unavailable', "The recording could not be read from the organisation's storage. Try again later.")
            : new AppError(502, 'provider_unavailable', 'The recording could not be fetched from the telephony provider. Try again later.');
        }
      };
      let sha256 = recording.sha256;
      if (!sha256) {
        const first = await open();
        const hash = createHash('sha256');
        for await (const chunk of first.body) hash.update(chunk as Buffer);
        sha256 = hash.digest('hex');
        await recordingsRepo.setRecordingSha256(deps.deletions.serviceDb, recording.twilio_recording_sid, sha256);
      }
      const media = await open();
      const expected = sha256;
      return {
        recordingId: recording.id,
        sha256: expected,
        contentType: RECORDING_CONTENT_TYPE,
        body: media.body,
        length: media.length,
        /** Audits the download, with whether the bytes sent matched the stored SHA-256. */
        async finish(sentSha256: string) {
          if (sentSha256 !== expected) {
            logger.error({ recording_id: recording.id, org_id: orgId }, 'a recording served for download does not match its stored SHA-256');
          }
          await deps.userDb.run(auth.claims, async (tx) => {
            await writeAudit(tx, auth.actor, {
              orgId,
              action: 'recording.downloaded',
              targetType: 'recording',
              targetId: recording.id,
              metadata: { call_id: callId, matches_stored_sha256: sentSha256 === expected },
            });
          });
        },
      };
    },

    /** Deletes the call with its transcript, lead link and recordings, here and at the providers. */
    async remove(auth: AuthContext, orgId: string, callId: string) {
      const queued = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const [call] = await repo.findCallForDeletion(tx, orgId, callId);
        if (!call) throw new NotFoundError('Call not found.');
        const recordings = await recordingsRepo.recordingSidsOfCall(tx, callId);
        return { call, recordings: recordings.map((r) => r.twilio_recording_sid) };
      });
      // The queue is the backend's (service role): written before our rows go, so nothing is forgotten.
      const db = deps.deletions.serviceDb;
      await db.begin(async (tx) => {
        for (const sid of queued.recordings) {
          await queueProviderDeletion(tx, { orgId, provider: 'twilio', resourceType: 'recording', resourceId: sid, reason: 'call_deleted' });
        }
        if (queued.call.elevenlabs_conversation_id) {
          await queueProviderDeletion(tx, {
            orgId,
            provider: 'elevenlabs',
            resourceType: 'conversation',
            resourceId: queued.call.elevenlabs_conversation_id,
            reason: 'call_deleted',
          });
        }
      });
      await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        await transcriptsRepo.deleteTranscriptOfCall(tx, callId);
        await recordingsRepo.deleteRecordingsOfCall(tx, callId);
        await leadsRepo.deleteLeadsOfCall(tx, callId);
        await repo.deleteCall(tx, callId);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'call.deleted',
          targetType: 'call',
          targetId: callId,
          metadata: { recordings: queued.recordings.length, conversation: Boolean(queued.call.elevenlabs_conversation_id) },
        });
      });
      return () => runProviderDeletions(deps.deletions).then(() => {});
    },
  };
}

export type CallsService = ReturnType<typeof createCallsService>;
