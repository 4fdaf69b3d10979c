/**
 * SQL for app.recording_deliveries, the durable queue of uploads to customers'
 * storage, and for the columns of public.recordings that say where a delivered
 * recording lives. Each function takes the transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';

type Db = ServiceDb | Tx;

/**
 * Queues the delivery of a completed recording when its organisation has storage
 * configured (nothing otherwise). Queuing twice is a no-op.
 */
export function queueDelivery(db: Db, recordingSid: string) {
  return db<{ recording_id: string }[]>`
    insert into app.recording_deliveries (org_id, recording_id)
    select r.org_id, r.id from public.recordings r
    join app.recording_storage s on s.org_id = r.org_id
    where r.twilio_recording_sid = ${recordingSid} and r.status = 'completed' and r.deleted_at is null
      and r.storage_object_key is null
    on conflict (recording_id) do nothing
    returning recording_id`;
}

export interface ClaimedDelivery {
  id: string;
  org_id: string;
  recording_id: string;
  twilio_recording_sid: string;
  recording_sha256: string | null;
  attempts: number;
}

/** Leases up to `limit` due deliveries (FOR UPDATE SKIP LOCKED; next attempt pushed ten minutes out). */
export function claimDueDeliveries(db: ServiceDb, limit: number, only?: string) {
  return db<ClaimedDelivery[]>`
    update app.recording_deliveries d
    set next_attempt_at = now() + interval '10 minutes'
    from public.recordings r
    where r.id = d.recording_id and d.id in (
      select id from app.recording_deliveries
      where status = 'pending' and next_attempt_at <= now()
        ${only ? db`and recording_id = ${only}` : db``}
      order by next_attempt_at limit ${limit}
      for update skip locked)
    returning d.id, d.org_id, d.recording_id, r.twilio_recording_sid, r.sha256 as recording_sha256, d.attempts`;
}

/** The upload is confirmed: where the recording lives now, and the delivery done. */
export async function markDelivered(
  tx: Tx,
  d: { deliveryId: string; recordingId: string; bucket: string; key: string; etag: string | null; sha256: string },
): Promise<void> {
  await tx`
    update public.recordings
    set storage_bucket = ${d.bucket}, storage_object_key = ${d.key}, storage_etag = ${d.etag},
        storage_delivered_at = now(), sha256 = coalesce(sha256, ${d.sha256})
    where id = ${d.recordingId}`;
  await tx`
    update app.recording_deliveries
    set status = 'delivered', attempts = attempts + 1, last_error = null, delivered_at = now()
    where id = ${d.deliveryId}`;
}

/** A failed attempt: tried again after `backoffSeconds`, or given up (failed). */
export function markDeliveryAttemptFailed(db: Db, f: { id: string; attempts: number; step: string; giveUp: boolean; backoffSeconds: number }) {
  return db`
    update app.recording_deliveries
    set attempts = ${f.attempts}, last_error = ${f.step}, status = ${f.giveUp ? 'failed' : 'pending'},
        next_attempt_at = now() + make_interval(secs => ${f.backoffSeconds})
    where id = ${f.id}`;
}

/** How many deliveries were given up (alerts, trust checks and metrics read it). */
export async function countFailedDeliveries(db: Db): Promise<number> {
  const [row] = await db<{ n: number }[]>`select count(*)::int as n from app.recording_deliveries where status = 'failed'`;
  return row?.n ?? 0;
}

/** The delivery state of a call's recordings, by recording id (call detail). */
export function deliveriesOfCall(db: Db, callId: string) {
  return db<{ recording_id: string; status: string; attempts: number; last_error: string | null }[]>`
    select d.recording_id, d.status, d.attempts, d.last_error
    from app.recording_deliveries d join public.recordings r on r.id = d.recording_id
    where r.call_id = ${callId}`;
}
