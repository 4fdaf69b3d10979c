/**
 * SQL for public.recordings: the Twilio recordings of a call, their state and
 * fingerprint. Each function takes the transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';

/**
 * Stores a recording Twilio just started, under a share lock on the call: a
 * withdrawal of consent (which locks the call to collect its recordings)
 * either sees this row or is seen here. Returns the call's recording_allowed.
 */
export function storeStartedRecording(db: Tx | ServiceDb, r: { orgId: string; callId: string; recordingSid: string }) {
  return db<{ recording_allowed: boolean }[]>`
          with locked as (select recording_allowed from public.calls where id = ${r.callId} for share),
          stored as (
            insert into public.recordings (org_id, call_id, twilio_recording_sid, status)
            values (${r.orgId}, ${r.callId}, ${r.recordingSid}, 'in-progress')
            on conflict (twilio_recording_sid) do nothing)
          select recording_allowed from locked`;
}

/** Twilio's recording callback: created, or updated (a deleted recording keeps its status). */
export function upsertRecording(
  db: Tx | ServiceDb,
  r: { orgId: string; callId: string; recordingSid: string; status: string; duration: number | null; channels: number | null },
) {
  return db`
        insert into public.recordings (org_id, call_id, twilio_recording_sid, status, duration_seconds, channels)
        values (${r.orgId}, ${r.callId}, ${r.recordingSid}, ${r.status}, ${r.duration}, ${r.channels})
        on conflict (twilio_recording_sid) do update set
          status = case when recordings.deleted_at is null then excluded.status else recordings.status end,
          duration_seconds = coalesce(excluded.duration_seconds, recordings.duration_seconds),
          channels = coalesce(excluded.channels, recordings.channels)`;
}

export function markRecordingDeleted(tx: Tx, recordingSid: string) {
  return tx`update public.recordings set deleted_at = coalesce(deleted_at, now()) where twilio_recording_sid = ${recordingSid}`;
}

/** The SHA-256 of a completed recording, stored once. */
export function setRecordingSha256(db: Tx | ServiceDb, recordingSid: string, sha256: string) {
  return db`update public.recordings set sha256 = ${sha256} where twilio_recording_sid = ${recordingSid} and sha256 is null`;
}

/** The recordings of the call with this Twilio CallSid (the call simulator waits on them). */
export function recordingsOfCallSid(db: Tx | ServiceDb, callSid: string) {
  return db<{ twilio_recording_sid: string; status: string; sha256: string | null; deleted_at: Date | null }[]>`
          select r.twilio_recording_sid, r.status, r.sha256, r.deleted_at
          from public.recordings r join public.calls c on c.id = r.call_id
          where c.twilio_call_sid = ${callSid} order by r.created_at`;
}

/** Completed recordings still without a SHA-256 whose next fingerprint attempt is due (oldest first). */
export function recordingsToFingerprint(db: Tx | ServiceDb, now: Date, limit: number) {
  return db<{ twilio_recording_sid: string; fingerprint_attempts: number }[]>`
          select twilio_recording_sid, fingerprint_attempts from public.recordings
          where sha256 is null and status = 'completed' and deleted_at is null
            and (fingerprint_next_attempt_at is null or fingerprint_next_attempt_at <= ${now})
          order by created_at limit ${limit}`;
}

/** A failed fingerprint attempt: counted, and the next one put off until `next`. */
export function recordFingerprintFailure(db: Tx | ServiceDb, recordingSid: string, next: Date) {
  return db`
          update public.recordings
          set fingerprint_attempts = fingerprint_attempts + 1, fingerprint_next_attempt_at = ${next}
          where twilio_recording_sid = ${recordingSid} and sha256 is null`;
}

/** How many completed recordings are still without a SHA-256. */
export async function countRecordingsWithoutSha256(db: Tx | ServiceDb): Promise<number> {
  const [row] = await db<{ n: number }[]>`
          select count(*)::int as n from public.recordings where sha256 is null and status = 'completed' and deleted_at is null`;
  return row?.n ?? 0;
}

/** One recording of a call, for its download (under RLS: the organisation's members only). */
export function findRecordingOfCall(tx: Tx, callId: string, recordingId: string | undefined) {
  return tx<{ id: string; org_id: string; twilio_recording_sid: string; status: string; sha256: string | null; deleted_at: Date | null; storage_object_key: string | null }[]>`
          select id, org_id, twilio_recording_sid, status, sha256, deleted_at, storage_object_key from public.recordings
          where call_id = ${callId} ${recordingId ? tx`and id = ${recordingId}` : tx``}
          order by (status = 'completed' and deleted_at is null) desc, created_at desc limit 1`;
}

/** A call's recordings for its detail page (under RLS). */
export function listRecordingsOfCall(tx: Tx, callId: string) {
  return tx`
          select id, twilio_recording_sid, status, duration_seconds, sha256, deleted_at, created_at,
                 storage_bucket, storage_object_key, storage_etag, storage_delivered_at
          from public.recordings where call_id = ${callId} order by created_at`;
}

export function recordingSidsOfCall(tx: Tx, callId: string) {
  return tx<{ twilio_recording_sid: string }[]>`
          select twilio_recording_sid from public.recordings where call_id = ${callId}`;
}

export function liveRecordingSidsOfCall(tx: Tx, callId: string) {
  return tx<{ twilio_recording_sid: string }[]>`
          select twilio_recording_sid from public.recordings where call_id = ${callId} and deleted_at is null`;
}

export function markRecordingsOfCallDeleted(tx: Tx, callId: string) {
  return tx`update public.recordings set deleted_at = now() where call_id = ${callId} and deleted_at is null`;
}

export function deleteRecordingsOfCall(tx: Tx, callId: string) {
  return tx`delete from public.recordings where call_id = ${callId}`;
}

/** The recordings of these calls (erasure queues their deletion at Twilio). */
export function recordingsOfCalls(tx: Tx, callIds: string[]) {
  return tx<{ org_id: string; twilio_recording_sid: string; storage_object_key: string | null }[]>`
          select org_id, twilio_recording_sid, storage_object_key from public.recordings where call_id = any(${callIds}::uuid[])`;
}

/** Erasure: deletes the recording rows of these calls. `count` says how many. */
export function deleteRecordingsOfCalls(tx: Tx, callIds: string[]) {
  return tx`delete from public.recordings where call_id = any(${callIds}::uuid[])`;
}

/** The organisation's recordings not yet deleted at Twilio (account deletion queues them). */
export function liveRecordingSidsOfOrg(tx: Tx, orgId: string) {
  return tx<{ sid: string }[]>`
          select twilio_recording_sid as sid from public.recordings where org_id = ${orgId} and deleted_at is null`;
}

/** The recordings of these calls for an export, with the personal columns the map exports. */
export function listRecordingsForExport(tx: Tx, callIds: string[]) {
  return tx`
      select ${tx(['call_id', ...exportedColumns('recordings'), 'status', 'duration_seconds', 'sha256', 'deleted_at', 'created_at'])}
      from public.recordings where call_id = any(${callIds}::uuid[]) order by created_at`;
}
