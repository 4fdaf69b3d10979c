/**
 * SQL for public.subprocessors (the public list) and public.subprocessor_notices
 * (one notice per owner/admin of each organisation, with any objection). Each
 * function takes the transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';

const PUBLIC_COLUMNS = 'id, name, purpose, data_categories, region, role, safeguards, status, announced_at, effective_at';

/** The public list (retired ones left out), with each row's updated_at for the version. */
export function listPublic(db: ServiceDb | Tx) {
  return db`
      select ${db.unsafe(PUBLIC_COLUMNS)}, updated_at from public.subprocessors where status <> 'retired' order by status desc, name`;
}

export function findByName(tx: Tx, name: string) {
  return tx`select 1 from public.subprocessors where name = ${name}`;
}

export function insertAnnounced(
  tx: Tx,
  s: { name: string; purpose: string; data_categories: string[]; region: string; role: string; safeguards: string; effective_at: Date },
  announcedAt: Date,
) {
  return tx`
          insert into public.subprocessors (name, purpose, data_categories, region, role, safeguards, status, announced_at, effective_at)
          values (${s.name}, ${s.purpose}, ${s.data_categories}, ${s.region}, ${s.role}, ${s.safeguards},
                  'announced', ${announcedAt}, ${s.effective_at})
          returning ${tx.unsafe(PUBLIC_COLUMNS)}`;
}

/** Every sub-processor, newest announcement first (operators). */
export function listAll(db: ServiceDb | Tx) {
  return db`select ${db.unsafe(PUBLIC_COLUMNS)} from public.subprocessors order by announced_at desc`;
}

export function findStatus(tx: Tx, id: string) {
  return tx<{ status: string; effective_at: Date }[]>`
          select status, effective_at from public.subprocessors where id = ${id}`;
}

/** Announced sub-processors whose date has come go live; `count` says how many. */
export function activateDue(db: ServiceDb | Tx, now: Date) {
  return db`
        update public.subprocessors set status = 'live', updated_at = now()
        where status = 'announced' and effective_at <= ${now}`;
}

/** Objections per sub-processor and organisation (operators). */
export function listObjections(db: ServiceDb | Tx) {
  return db`
        select subprocessor_id, org_id, min(objected_at) as objected_at, max(objection_reason) as reason, max(objection_resolved_at) as resolved_at
        from public.subprocessor_notices where objected_at is not null group by subprocessor_id, org_id`;
}

export function countNoticesByStatus(db: ServiceDb | Tx) {
  return db`
        select subprocessor_id, status, count(*)::int as n from public.subprocessor_notices group by subprocessor_id, status`;
}

/** `count` is 0 when the organisation has no open objection. */
export function resolveObjection(db: ServiceDb | Tx, subprocessorId: string, orgId: string) {
  return db`
        update public.subprocessor_notices set objection_resolved_at = now()
        where subprocessor_id = ${subprocessorId} and org_id = ${orgId} and objected_at is not null and objection_resolved_at is null`;
}

/** `count` is 0 when the organisation has not been notified yet. */
export function recordObjection(tx: Tx, subprocessorId: string, orgId: string, reason: string) {
  return tx`
          update public.subprocessor_notices set objected_at = coalesce(objected_at, now()), objection_reason = ${reason}
          where subprocessor_id = ${subprocessorId} and org_id = ${orgId}`;
}

/** Sub-processors the organisation has an open objection to. */
export function openObjectionsOf(db: ServiceDb | Tx, orgId: string) {
  return db<{ subprocessor_id: string }[]>`
        select distinct subprocessor_id from public.subprocessor_notices
        where org_id = ${orgId} and objected_at is not null and objection_resolved_at is null`;
}

/** One notice per owner/admin of each organisation for each announced sub-processor; `count` says how many are new. */
export function createNotices(db: ServiceDb | Tx) {
  return db`
        insert into public.subprocessor_notices (subprocessor_id, org_id, user_id)
        select s.id, m.org_id, m.user_id
        from public.subprocessors s
        cross join public.memberships m
        where s.status = 'announced' and m.role in ('owner', 'admin')
        on conflict (subprocessor_id, org_id, user_id) do nothing`;
}

/** A claim left by a crashed sender is released after ten minutes. */
export function releaseStaleClaims(db: ServiceDb | Tx) {
  return db`update public.subprocessor_notices set status = 'pending' where status = 'sending' and claimed_at < now() - interval '10 minutes'`;
}

export interface ClaimedNotice {
  id: string;
  email: string | null;
  name: string;
  purpose: string;
  region: string;
  effective_at: Date;
  org_name: string;
}

/** Claims up to 50 notices to send (FOR UPDATE SKIP LOCKED: replicas never send the same one). */
export function claimNotices(db: ServiceDb | Tx) {
  return db<ClaimedNotice[]>`
          with claimed as (
            update public.subprocessor_notices n set status = 'sending', claimed_at = now(), attempts = attempts + 1
            where n.id in (
              select id from public.subprocessor_notices
              where status in ('pending', 'failed') and attempts < 20
              order by created_at limit 50 for update skip locked)
            returning n.id, n.subprocessor_id, n.org_id, n.user_id)
          select c.id, u.email, s.name, s.purpose, s.region, s.effective_at, o.name as org_name
          from claimed c
          join public.users u on u.id = c.user_id
          join public.subprocessors s on s.id = c.subprocessor_id
          join public.organizations o on o.id = c.org_id`;
}

export function markNoticeSent(db: ServiceDb | Tx, id: string) {
  return db`update public.subprocessor_notices set status = 'sent', sent_at = now(), last_error = null where id = ${id}`;
}

export function markNoticeFailed(db: ServiceDb | Tx, id: string, error: string) {
  return db`update public.subprocessor_notices set status = 'failed', last_error = ${error} where id = ${id}`;
}
