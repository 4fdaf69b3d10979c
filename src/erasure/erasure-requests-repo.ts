/**
 * SQL for public.erasure_requests: a person's erasure request or an account
 * deletion, from receipt to completion, and the receipts of the provider
 * deletions it owes. Each function takes the transaction or connection to run
 * on (a user's transaction runs under RLS).
 */
import { setNull } from '../db/column-fragments.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { erasureColumns } from '../privacy/personal-data-map.js';
import type { ErasureRequestSummary, PendingErasureRequest } from './erasure-types.js';

type Db = Tx | ServiceDb;

/** What the service returns of a request. */
const SUMMARY_COLUMNS =
  'id, org_id, source, subject_type, status, received_at, confirmed_at, identity_check, verified_at, due_at, extended_until, completed_at, flagged_at, counts';

/** The request's own personal columns cleared when it closes (the requester's address, per the map). */
function closedContact() {
  return erasureColumns('erasure_requests', 'null_columns');
}

/** A request about to be executed. */
export interface RequestToExecute {
  id: string;
  org_id: string | null;
  subject_hash: Buffer;
}

/**
 * An unconfirmed public request (no organisation: it applies to all). It has no
 * deadline yet: the month runs from verification (markConfirmed).
 */
export async function insertPublicRequest(
  db: Db,
  r: { subjectType: string; subjectHash: Buffer; contactEmail: string | null; receivedAt: Date },
): Promise<PendingErasureRequest> {
  const [row] = await db<PendingErasureRequest[]>`
        insert into public.erasure_requests (org_id, source, subject_type, subject_hash, contact_email, status, received_at, due_at)
        values (null, 'public', ${r.subjectType}, ${r.subjectHash},
                ${r.contactEmail}, 'pending_confirmation',
                ${r.receivedAt}, null)
        returning ${db.unsafe(SUMMARY_COLUMNS)}`;
  return row!;
}

/** A public request, locked for the rest of the transaction. */
export async function lockPublicRequest(tx: Tx, requestId: string): Promise<(RequestToExecute & { status: string }) | undefined> {
  const [row] = await tx<(RequestToExecute & { status: string })[]>`
        select id, org_id, subject_hash, status from public.erasure_requests
        where id = ${requestId} and source = 'public' for update`;
  return row;
}

export async function findSummary(db: Db, requestId: string): Promise<ErasureRequestSummary | undefined> {
  const [row] = await db<ErasureRequestSummary[]>`select ${db.unsafe(SUMMARY_COLUMNS)} from public.erasure_requests where id = ${requestId}`;
  return row;
}

/**
 * The requester proved the address (the e-mailed link) or the number (the SMS
 * code): the request log records which check it passed and when, and the
 * one-month deadline starts now (Art. 12(3), paused while identity was unproven).
 */
export async function markConfirmed(tx: Tx, requestId: string): Promise<void> {
  await tx`
        update public.erasure_requests
        set status = 'confirmed', confirmed_at = now(), verified_at = now(), due_at = now() + interval '1 month',
            identity_check = case subject_type when 'email' then 'email_link' else 'sms_code' end
        where id = ${requestId}`;
}

/** The erasure ran: its counts and the organisations it touched; completed now, or in progress while providers work. */
export async function recordExecution(
  tx: Tx,
  requestId: string,
  e: { status: 'completed' | 'in_progress'; counts: object; organizations: string[]; completedAt: Date | null },
): Promise<ErasureRequestSummary> {
  const [row] = await tx<ErasureRequestSummary[]>`
      update public.erasure_requests
      set status = ${e.status}, counts = ${tx.json(e.counts as never)},
          affected_org_ids = ${e.organizations}::uuid[],
          completed_at = ${e.completedAt}
      where id = ${requestId}
      returning ${tx.unsafe(SUMMARY_COLUMNS)}`;
  return row!;
}

/** Requests in progress, with how many of their provider deletions failed and how many are still pending. */
export function listInProgress(db: Db) {
  return db<{ id: string; failed: number; open: number }[]>`
      select r.id,
        count(*) filter (where d.status = 'failed')::int as failed,
        count(*) filter (where d.status = 'pending')::int as open
      from public.erasure_requests r
      left join public.provider_deletions d on d.erasure_request_id = r.id
      where r.status = 'in_progress'
      group by r.id`;
}

/** Flags a request in progress; false when another worker moved it first. */
export async function flagRequest(db: Db, requestId: string, reason: string): Promise<boolean> {
  const rows = await db`
          update public.erasure_requests set status = 'flagged', flagged_at = now(),
            flag_reason = ${reason}
          where id = ${requestId} and status = 'in_progress' returning id`;
  return rows.length > 0;
}

/** Completes a request in progress; false when another worker moved it first. */
export async function completeRequest(db: Db, requestId: string): Promise<boolean> {
  const rows = await db`
          update public.erasure_requests set status = 'completed', completed_at = now()
          where id = ${requestId} and status = 'in_progress' returning id`;
  return rows.length > 0;
}

/** One completed request whose requester is still to be told, locked (others' claims are skipped). */
export async function claimCompletionNotice(tx: Tx): Promise<{ id: string; contact_email: string } | undefined> {
  const [row] = await tx<{ id: string; contact_email: string }[]>`
          select id, contact_email from public.erasure_requests
          where status = 'completed' and contact_email is not null and completion_notified_at is null
          limit 1 for update skip locked`;
  return row;
}

/** The requester was told: the request closes and forgets where it told them. */
export async function markCompletionNotified(tx: Tx, requestId: string): Promise<void> {
  await tx`update public.erasure_requests set completion_notified_at = now(), ${setNull(tx, closedContact())} where id = ${requestId}`;
}

/** A dashboard request, confirmed at once (the member filing it stands for it), under RLS. */
export async function insertDashboardRequest(tx: Tx, r: { orgId: string; subjectType: string; subjectHash: Buffer }): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
          insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
          values (${r.orgId}, 'dashboard', ${r.subjectType}, ${r.subjectHash}, 'confirmed', auth.uid(), now(), now() + interval '1 month')
          returning id`;
  return row!.id;
}

/** The organisation's requests, newest first (under RLS). */
export function listOrgRequests(tx: Tx, orgId: string) {
  return tx`
          select ${tx.unsafe(SUMMARY_COLUMNS)}, extension_reason, extension_notified_at
          from public.erasure_requests where org_id = ${orgId} order by received_at desc limit 200`;
}

/** Whether the request is the organisation's (under RLS). */
export async function isOrgRequest(tx: Tx, orgId: string, requestId: string): Promise<boolean> {
  const rows = await tx`select 1 from public.erasure_requests where id = ${requestId} and org_id = ${orgId}`;
  return rows.length > 0;
}

/** What an extension needs to know of a request. */
export interface RequestForExtension {
  id: string;
  org_id: string | null;
  status: string;
  /** null while a public request is unverified (no deadline yet) */
  due_at: Date | null;
  extended_until: Date | null;
  contact_email: string | null;
}

export async function findForExtension(db: Db, requestId: string): Promise<RequestForExtension | undefined> {
  const [row] = await db<RequestForExtension[]>`
        select id, org_id, status, due_at, extended_until, contact_email from public.erasure_requests where id = ${requestId}`;
  return row;
}

/** The requester has been told of the extension and its reasons. */
export async function recordExtension(db: Db, requestId: string, until: Date, reason: string): Promise<void> {
  await db`
        update public.erasure_requests set extended_until = ${until}, extension_reason = ${reason}, extension_notified_at = now()
        where id = ${requestId}`;
}

/** Cancels public requests received before `before` and never confirmed; they forget the address they carried. */
export async function cancelUnconfirmed(db: Db, before: Date): Promise<number> {
  const result = await db`
        update public.erasure_requests set status = 'cancelled', ${setNull(db, closedContact())}
        where status = 'pending_confirmation' and received_at < ${before}::timestamptz - interval '2 days'`;
  return result.count;
}

/** Confirmed requests that have not run a minute after `now` (a crash between confirming and erasing). */
export function listStaleConfirmed(db: Db, now: Date) {
  return db<{ id: string }[]>`
        select id from public.erasure_requests
        where status = 'confirmed' and subject_hash is not null and confirmed_at < ${now}::timestamptz - interval '1 minute'
        limit 50`;
}

/** A confirmed request, locked; undefined when it ran meanwhile or another worker holds it. */
export async function lockConfirmed(tx: Tx, requestId: string): Promise<RequestToExecute | undefined> {
  const [row] = await tx<RequestToExecute[]>`
            select id, org_id, subject_hash from public.erasure_requests where id = ${requestId} and status = 'confirmed' for update skip locked`;
  return row;
}

/** The receipt of an account deletion, in progress while the providers delete. */
export async function insertAccountDeletion(tx: Tx, orgId: string, requestedBy: string): Promise<string> {
  const [row] = await tx<{ id: string }[]>`
          insert into public.erasure_requests (org_id, source, subject_type, status, requested_by, confirmed_at, due_at)
          values (${orgId}, 'account_deletion', 'organization', 'in_progress', ${requestedBy}, now(), now() + interval '1 month')
          returning id`;
  return row!.id;
}

export async function setCounts(tx: Tx, requestId: string, counts: object): Promise<ErasureRequestSummary> {
  const [row] = await tx<ErasureRequestSummary[]>`
          update public.erasure_requests set counts = ${tx.json(counts as never)} where id = ${requestId}
          returning ${tx.unsafe(SUMMARY_COLUMNS)}`;
  return row!;
}

/** Open requests whose deadline is within `days` of `now` and whose DPO was not paged yet. */
export function listDueSoon(db: Db, now: Date, days: number) {
  return db<{ id: string; deadline: Date }[]>`
        select id, coalesce(extended_until, due_at) as deadline from public.erasure_requests
        where status in ('confirmed', 'in_progress', 'flagged') and due_soon_paged_at is null
          and coalesce(extended_until, due_at) <= ${now}::timestamptz + make_interval(days => ${days})
        limit 100`;
}

export async function markDueSoonPaged(db: Db, requestId: string): Promise<void> {
  await db`update public.erasure_requests set due_soon_paged_at = now() where id = ${requestId}`;
}
