import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import type { UserDb } from '../db/user-db.js';
import { NotFoundError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { TranscriptDecryptionError } from '../transcripts/transcript-crypto.js';

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
export function createCallsService(deps: { userDb: UserDb; deletions: DeletionWorkerDeps; transcripts?: TranscriptReader }) {
  const transcripts = deps.transcripts ?? plainTranscriptReader;
  return {
    async list(auth: AuthContext, orgId: string, opts: { limit: number; before?: Date }) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const rows = await tx`
          select id, agent_id, twilio_call_sid, from_number, caller_country, status, consent_state, consent_language,
                 recording_allowed, greeting_sha256, disclosure_version, started_at, ended_at, duration_seconds, outcome
          from public.calls
          where org_id = ${orgId} ${opts.before ? tx`and started_at < ${opts.before}` : tx``}
          order by started_at desc
          limit ${opts.limit}`;
        return rows.map(({ from_number, ...r }) => ({ ...r, caller: maskNumber(from_number as string | null) }));
      });
    },

    async get(auth: AuthContext, orgId: string, callId: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const [call] = await tx`
          select id, agent_id, twilio_call_sid, from_number, to_number, caller_country, status, consent_state, consent_language,
                 recording_allowed, greeting_sha256, disclosure_version, elevenlabs_conversation_id,
                 started_at, answered_at, ended_at, duration_seconds, outcome
          from public.calls where id = ${callId} and org_id = ${orgId}`;
        if (!call) throw new NotFoundError('Call not found.');
        const [transcriptRow] = await tx<{ id: string; org_id: string; content: unknown; ciphertext: string | null; key_id: string | null }[]>`
          select id, org_id, content, ciphertext, key_id from public.transcripts where call_id = ${callId}`;
        const recordings = await tx`
          select id, twilio_recording_sid, status, duration_seconds, sha256, deleted_at, created_at
          from public.recordings where call_id = ${callId} order by created_at`;
        const consents = await tx`
          select digit, outcome, attempt, prompt_language, prompt_version, prompt_hash, created_at
          from public.call_consents where call_id = ${callId} order by attempt`;
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

    /** Deletes the call with its transcript, lead link and recordings, here and at the providers. */
    async remove(auth: AuthContext, orgId: string, callId: string) {
      const queued = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const [call] = await tx<{ id: string; elevenlabs_conversation_id: string | null }[]>`
          select id, elevenlabs_conversation_id from public.calls where id = ${callId} and org_id = ${orgId}`;
        if (!call) throw new NotFoundError('Call not found.');
        const recordings = await tx<{ twilio_recording_sid: string }[]>`
          select twilio_recording_sid from public.recordings where call_id = ${callId}`;
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
        await tx`delete from public.transcripts where call_id = ${callId}`;
        await tx`delete from public.recordings where call_id = ${callId}`;
        await tx`delete from public.leads where call_id = ${callId}`;
        await tx`delete from public.calls where id = ${callId}`;
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
