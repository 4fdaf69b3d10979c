import type { ServiceDb, Tx } from '../db/database.js';

/**
 * SQL for the public requests other than erasure (public.privacy_requests):
 * access (Art. 15), answered with single-use downloads (public.access_downloads),
 * objection to recording (Art. 21), kept on the platform-wide do-not-record
 * list (public.do_not_record_numbers), and its withdrawal (recording allowed
 * again: the number leaves the list). Backend connection only.
 */

type Db = Tx | ServiceDb;

export type PrivacyRequestType = 'access' | 'do_not_record' | 'recording_allowed';

export interface PrivacyRequestRow {
  id: string;
  request_type: PrivacyRequestType;
  subject_type: 'email' | 'phone';
  subject_hash: Buffer | null;
  status: 'pending_confirmation' | 'completed' | 'cancelled';
  received_at: Date;
  confirmed_at: Date | null;
}

const COLUMNS = 'id, request_type, subject_type, subject_hash, status, received_at, confirmed_at';

/** An unconfirmed request; requests never confirmed are cancelled (and forget their hash) after two days. */
export async function insertRequest(db: ServiceDb, r: { type: PrivacyRequestType; subjectType: 'email' | 'phone'; subjectHash: Buffer; receivedAt: Date }): Promise<PrivacyRequestRow> {
  return db.begin(async (tx) => {
    await tx`
      update public.privacy_requests set status = 'cancelled', subject_hash = null
      where status = 'pending_confirmation' and received_at < ${r.receivedAt}::timestamptz - interval '2 days'`;
    const [row] = await tx<PrivacyRequestRow[]>`
      insert into public.privacy_requests (request_type, subject_type, subject_hash, received_at)
      values (${r.type}, ${r.subjectType}, ${r.subjectHash}, ${r.receivedAt})
      returning ${tx.unsafe(COLUMNS)}`;
    return row!;
  });
}

/** The request, locked for the rest of the transaction (undefined: not a privacy request). */
export async function lockRequest(tx: Tx, id: string): Promise<PrivacyRequestRow | undefined> {
  const [row] = await tx<PrivacyRequestRow[]>`select ${tx.unsafe(COLUMNS)} from public.privacy_requests where id = ${id} for update`;
  return row;
}

/** Which kind of request an id is, without locking (a confirmation link's page). */
export async function findRequestType(db: Db, id: string): Promise<PrivacyRequestType | undefined> {
  const [row] = await db<{ request_type: PrivacyRequestType }[]>`select request_type from public.privacy_requests where id = ${id}`;
  return row?.request_type;
}

/** Answered: the request closes and forgets the person's hash (downloads keep their own until used). */
export async function completeRequest(tx: Tx, id: string, at: Date, downloadCount: number | null): Promise<void> {
  await tx`
    update public.privacy_requests set status = 'completed', confirmed_at = ${at}, subject_hash = null, download_count = ${downloadCount}
    where id = ${id}`;
}

/**
 * The organisations holding data on a person, by blind index: calls from their
 * number, leads with their number or address (the same rows their export and
 * their erasure reach).
 */
export async function organizationsHolding(tx: Tx, hash: Buffer): Promise<string[]> {
  const rows = await tx<{ org_id: string }[]>`
    select org_id from public.calls where from_hash = ${hash}
    union
    select org_id from public.leads where phone_hash = ${hash} or email_hash = ${hash}
    order by org_id`;
  return rows.map((r) => r.org_id);
}

/** One download of a person's export at one organisation; expired ones of every request are removed. */
export async function insertDownload(
  tx: Tx,
  d: { requestId: string; orgId: string; tokenHash: Buffer; subjectHash: Buffer; expiresAt: Date; now: Date },
): Promise<{ id: string }> {
  await tx`delete from public.access_downloads where expires_at < ${d.now}::timestamptz - interval '1 day'`;
  const [row] = await tx<{ id: string }[]>`
    insert into public.access_downloads (request_id, org_id, token_hash, subject_hash, expires_at)
    values (${d.requestId}, ${d.orgId}, ${d.tokenHash}, ${d.subjectHash}, ${d.expiresAt})
    returning id`;
  return row!;
}

export interface DownloadClaim {
  id: string;
  request_id: string;
  org_id: string;
  subject_hash: Buffer;
  subject_type: 'email' | 'phone';
}

/**
 * Uses a download up: marks it used and clears its hash, returning what the
 * export needs; undefined when there is no live, unused download with that
 * token hash. Inside the transaction that builds the export, so a failure
 * leaves the link usable.
 */
export async function claimDownload(tx: Tx, tokenHash: Buffer, now: Date): Promise<DownloadClaim | undefined> {
  const [row] = await tx<DownloadClaim[]>`
    with d as (
      select id, request_id, org_id, subject_hash from public.access_downloads
      where token_hash = ${tokenHash} and used_at is null and expires_at > ${now} and subject_hash is not null
      for update
    )
    update public.access_downloads a set used_at = ${now}, subject_hash = null
    from d where a.id = d.id
    returning d.id, d.request_id, d.org_id, d.subject_hash,
      (select r.subject_type from public.privacy_requests r where r.id = d.request_id) as subject_type`;
  return row;
}

/** Why a download cannot be used: used, expired, or unknown (undefined). */
export async function downloadState(db: Db, tokenHash: Buffer): Promise<{ used_at: Date | null; expires_at: Date } | undefined> {
  const [row] = await db<{ used_at: Date | null; expires_at: Date }[]>`
    select used_at, expires_at from public.access_downloads where token_hash = ${tokenHash}`;
  return row;
}

/** Puts a number (its keyed hash) on the do-not-record list; already there: unchanged. */
export async function addDoNotRecord(tx: Tx, phoneHash: Buffer, requestId: string): Promise<void> {
  await tx`
    insert into public.do_not_record_numbers (phone_hash, request_id) values (${phoneHash}, ${requestId})
    on conflict (phone_hash) do nothing`;
}

/** Takes a number (its keyed hash) off the do-not-record list; not there: nothing changes. */
export async function removeDoNotRecord(tx: Tx, phoneHash: Buffer): Promise<void> {
  await tx`delete from public.do_not_record_numbers where phone_hash = ${phoneHash}`;
}
