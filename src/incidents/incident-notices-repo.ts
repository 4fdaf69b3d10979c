/**
 * SQL for a processor's breach notices: public.incident_organizations (one
 * row per organisation an incident names, written by a trigger from
 * security_incidents.affected_org_ids) and app.incident_ack_tokens (the
 * SHA-256 of each e-mailed acknowledgement link's token). The notice job, the
 * operator and the e-mailed link use the service handle; an organisation's
 * members read and acknowledge in their own transaction, under RLS.
 */
import type { ServiceDb, Tx } from '../db/database.js';

type Db = ServiceDb | Tx;

/** What the operator sees per organisation an incident names. */
export interface IncidentOrganizationRow {
  org_id: string;
  added_at: Date;
  notified_at: Date | null;
  last_paged_at: Date | null;
  pages_sent: number;
  last_error: string | null;
  acknowledged_at: Date | null;
  acknowledged_by: string | null;
  acknowledged_via: 'api' | 'dashboard' | 'email_link' | null;
}

export function listIncidentOrganizations(db: Db, incidentId: string) {
  return db<IncidentOrganizationRow[]>`
    select org_id, added_at, notified_at, last_paged_at, pages_sent, last_error, acknowledged_at, acknowledged_by, acknowledged_via
    from public.incident_organizations where incident_id = ${incidentId} order by added_at, org_id`;
}

/** Of the given ids, those that are organisations. */
export async function existingOrgIds(db: Db, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const rows = await db<{ id: string }[]>`select id from public.organizations where id = any(${ids as string[]}::uuid[])`;
  return new Set(rows.map((r) => r.id));
}

/** The organisations an incident already has a notice record for. */
export async function recordedOrgIds(db: Db, incidentId: string): Promise<Set<string>> {
  const rows = await db<{ org_id: string }[]>`select org_id from public.incident_organizations where incident_id = ${incidentId}`;
  return new Set(rows.map((r) => r.org_id));
}

export interface ClaimedNotice {
  id: string;
  incident_id: string;
  org_id: string;
  notified_at: Date | null;
  pages_sent: number;
}

/**
 * Claims up to `limit` notices that are due: never sent, or last sent
 * `everyMinutes` or more ago, and not yet acknowledged, for organisations that
 * still exist. The claim (FOR UPDATE SKIP LOCKED, then claimed_at) keeps two
 * replicas from paging the same organisation; a claim older than ten minutes
 * (a crashed sender) is taken over.
 */
export function claimDueNotices(db: ServiceDb, now: Date, everyMinutes: number, limit: number) {
  return db<ClaimedNotice[]>`
    with due as (
      select io.id from public.incident_organizations io
      join public.organizations o on o.id = io.org_id
      where io.acknowledged_at is null
        and (io.last_paged_at is null or io.last_paged_at <= ${now}::timestamptz - make_interval(mins => ${everyMinutes}))
        and (io.claimed_at is null or io.claimed_at < ${now}::timestamptz - interval '10 minutes')
      order by io.added_at
      limit ${limit}
      for update of io skip locked
    )
    update public.incident_organizations io set claimed_at = ${now}
    from due where io.id = due.id
    returning io.id, io.incident_id, io.org_id, io.notified_at, io.pages_sent`;
}

export interface NoticeContext {
  title: string;
  severity: string;
  detected_at: Date;
  contained_at: Date | null;
  nature: string | null;
  data_categories: string[] | null;
  likely_consequences: string | null;
  measures: string | null;
  contact_point: string | null;
  org_name: string;
  country: string | null;
  privacy_contact_email: string | null;
}

/** What a notice e-mail says: the incident as the organisation may read it, the organisation and its privacy contact. */
export function findNoticeContext(db: Db, incidentId: string, orgId: string) {
  return db<NoticeContext[]>`
    select i.title, i.severity, i.detected_at, i.contained_at, i.nature, i.data_categories, i.likely_consequences, i.measures, i.contact_point,
           o.name as org_name, o.country, p.privacy_contact_email
    from public.security_incidents i
    cross join public.organizations o
    left join public.privacy_preferences p on p.org_id = o.id
    where i.id = ${incidentId} and o.id = ${orgId}`;
}

/** The organisation's owners (accepted memberships) and their sign-in addresses. */
export function listOwnerAddresses(db: Db, orgId: string) {
  return db<{ user_id: string; email: string | null }[]>`
    select u.id as user_id, u.email from public.memberships m join public.users u on u.id = m.user_id
    where m.org_id = ${orgId} and m.role = 'owner' and m.accepted_at is not null order by m.created_at`;
}

export function insertAckToken(db: Db, t: { hash: Buffer; noticeId: string; expiresAt: Date; createdAt: Date }) {
  return db`
    insert into app.incident_ack_tokens (token_hash, incident_organization_id, expires_at, created_at)
    values (${t.hash}, ${t.noticeId}, ${t.expiresAt}, ${t.createdAt})`;
}

/** A page went out: the first one is the notice (notified_at); the claim is released. */
export function markPaged(db: Db, id: string, at: Date, error: string | null) {
  return db`
    update public.incident_organizations
    set notified_at = coalesce(notified_at, ${at}), last_paged_at = ${at}, pages_sent = pages_sent + 1, last_error = ${error}, claimed_at = null
    where id = ${id}`;
}

/** Nobody could be told (every e-mail refused): the claim is released and the next run tries again. */
export function markFailed(db: Db, id: string, error: string) {
  return db`update public.incident_organizations set last_error = ${error}, claimed_at = null where id = ${id}`;
}

/** There is nobody to e-mail: recorded, and tried again after the paging interval (a contact may have been added). */
export function markNoRecipient(db: Db, id: string, at: Date, error: string) {
  return db`update public.incident_organizations set last_error = ${error}, last_paged_at = ${at}, claimed_at = null where id = ${id}`;
}

/** An incident as an organisation's members see it (under RLS: only incidents naming their organisation). */
export interface OrgIncidentRow {
  id: string;
  title: string;
  severity: string;
  aware_at: Date | null;
  detected_at: Date;
  contained_at: Date | null;
  nature: string | null;
  data_categories: string[] | null;
  approx_subjects: number | null;
  approx_records: number | null;
  contact_point: string | null;
  likely_consequences: string | null;
  measures: string | null;
  notified_at: Date | null;
  acknowledged_at: Date | null;
  acknowledged_via: string | null;
  acknowledged_by: string | null;
}

export function listOrgIncidents(tx: Tx, orgId: string, incidentId?: string) {
  return tx<OrgIncidentRow[]>`
    select i.id, i.title, i.severity, i.aware_at, i.detected_at, i.contained_at, i.nature, i.data_categories, i.approx_subjects,
           i.approx_records, i.contact_point, i.likely_consequences, i.measures,
           io.notified_at, io.acknowledged_at, io.acknowledged_via, io.acknowledged_by
    from public.incident_organizations io
    join public.security_incidents i on i.id = io.incident_id
    where io.org_id = ${orgId} ${incidentId ? tx`and io.incident_id = ${incidentId}` : tx``}
    order by i.detected_at desc
    limit 500`;
}

/** An owner's or admin's acknowledgement (app.acknowledge_incident checks the role again): true when this call recorded it. */
export async function acknowledgeAsMember(tx: Tx, incidentId: string, orgId: string, at: Date, via: 'api' | 'dashboard'): Promise<boolean> {
  const [row] = await tx<{ recorded: boolean }[]>`select app.acknowledge_incident(${incidentId}, ${orgId}, ${at}, ${via}) as recorded`;
  return row!.recorded;
}

export interface AckTokenRow {
  notice_id: string;
  incident_id: string;
  org_id: string;
  expires_at: Date;
  used_at: Date | null;
  acknowledged_at: Date | null;
  title: string;
  severity: string;
  detected_at: Date;
  org_name: string | null;
}

/** A stored link token by its hash, with what its page shows. */
export function findAckToken(db: Db, hash: Buffer) {
  return db<AckTokenRow[]>`
    select t.incident_organization_id as notice_id, io.incident_id, io.org_id, t.expires_at, t.used_at, io.acknowledged_at,
           i.title, i.severity, i.detected_at, o.name as org_name
    from app.incident_ack_tokens t
    join public.incident_organizations io on io.id = t.incident_organization_id
    join public.security_incidents i on i.id = io.incident_id
    left join public.organizations o on o.id = io.org_id
    where t.token_hash = ${hash}`;
}

/** Uses a link token up: false when it was used already (or concurrently). */
export async function useAckToken(tx: Tx, hash: Buffer, at: Date): Promise<boolean> {
  const rows = await tx`update app.incident_ack_tokens set used_at = ${at} where token_hash = ${hash} and used_at is null returning token_hash`;
  return rows.length === 1;
}

/** The e-mailed link's acknowledgement: true when this call recorded it. */
export async function acknowledgeByLink(tx: Tx, noticeId: string, at: Date): Promise<boolean> {
  const rows = await tx`
    update public.incident_organizations set acknowledged_at = ${at}, acknowledged_via = 'email_link'
    where id = ${noticeId} and acknowledged_at is null returning id`;
  return rows.length === 1;
}

/** Link tokens long expired are removed. */
export function deleteExpiredAckTokens(db: Db, before: Date) {
  return db`delete from app.incident_ack_tokens where expires_at < ${before}`;
}
