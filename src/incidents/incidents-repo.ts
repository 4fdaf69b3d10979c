/**
 * SQL for the breach register: public.security_incidents, their append-only
 * history public.security_incident_events, and the DPO pages in
 * public.incident_pages. Each function takes the transaction or connection to
 * run on (always the service handle's: operators only).
 */
import type { ServiceDb, Tx } from '../db/database.js';
import type { IncidentChange, IncidentInput, IncidentRow } from './incidents-service.js';

type Db = ServiceDb | Tx;

export function findIncident(db: Db, id: string) {
  return db<IncidentRow[]>`select * from public.security_incidents where id = ${id}`;
}

/** The incident's last 50 pages, newest first. */
export function listPages(db: Db, incidentId: string) {
  return db`select paged_at, recipient, result, error, hours_left from public.incident_pages where incident_id = ${incidentId} order by paged_at desc limit 50`;
}

export function listEvents(db: Db, incidentId: string) {
  return db<{ kind: string; actor_id: string | null; changes: unknown; created_at: Date }[]>`select kind, actor_id, changes, created_at from public.security_incident_events where incident_id = ${incidentId} order by created_at`;
}

/** The register, newest first, with how many pages were sent for each. */
export function listIncidents(db: Db) {
  return db`
        select i.id, i.title, i.severity, i.detected_at, i.notified_at, i.affected_org_ids, i.last_paged_at,
               (select count(*)::int from public.incident_pages p where p.incident_id = i.id and p.result = 'sent') as pages_sent
        from public.security_incidents i order by i.detected_at desc limit 500`;
}

export function insertIncident(tx: Tx, input: IncidentInput, createdBy: string | null) {
  return tx<{ id: string }[]>`
          insert into public.security_incidents ${tx({ ...input, affected_org_ids: input.affected_org_ids ?? [], description: input.description ?? '', created_by: createdBy } as never)}
          returning id`;
}

/** Appends to the incident's history (the kind is written as a literal, as it always was). */
export function insertEvent(tx: Tx, incidentId: string, actorId: string | null, kind: 'created' | 'updated' | 'notified', changes: unknown) {
  if (kind === 'created') {
    return tx`insert into public.security_incident_events (incident_id, actor_id, kind, changes) values (${incidentId}, ${actorId}, 'created', ${tx.json(changes as never)})`;
  }
  if (kind === 'updated') {
    return tx`insert into public.security_incident_events (incident_id, actor_id, kind, changes) values (${incidentId}, ${actorId}, 'updated', ${tx.json(changes as never)})`;
  }
  return tx`insert into public.security_incident_events (incident_id, actor_id, kind, changes) values (${incidentId}, ${actorId}, 'notified', ${tx.json(changes as never)})`;
}

/** Locks the incident's row for a change; gives the organisations it names. */
export function lockIncidentNamed(tx: Tx, id: string) {
  return tx<{ affected_org_ids: string[] }[]>`select affected_org_ids from public.security_incidents where id = ${id} for update`;
}

export function lockIncident(tx: Tx, id: string) {
  return tx`select * from public.security_incidents where id = ${id} for update`;
}

/** Sets the given fields of the change. */
export function updateIncident(tx: Tx, id: string, change: IncidentChange, fields: readonly string[]) {
  return tx`update public.security_incidents set ${tx(change as never, ...(fields as never[]))} where id = ${id}`;
}

export function markNotified(tx: Tx, id: string, n: { notifiedAt: Date; authorityReference: string; delayReason: string | null }) {
  return tx`
          update public.security_incidents
          set notified_at = ${n.notifiedAt}, authority_reference = ${n.authorityReference}, delay_reason = ${n.delayReason}
          where id = ${id}`;
}

/** Incidents the authority has not been told of yet, oldest first. */
export function listUnnotified(db: Db) {
  return db<{ id: string; title: string; severity: string; description: string; affected_org_ids: string[]; detected_at: Date }[]>`
        select id, title, severity, description, affected_org_ids, detected_at from public.security_incidents
        where notified_at is null order by detected_at`;
}

export function insertPage(db: Db, p: { incidentId: string; recipient: string; error: string | null; hoursLeft: string; pagedAt: Date }) {
  return db`
          insert into public.incident_pages (incident_id, recipient, result, error, hours_left, paged_at)
          values (${p.incidentId}, ${p.recipient}, ${p.error ? 'failed' : 'sent'}, ${p.error}, ${p.hoursLeft}, ${p.pagedAt})`;
}

export function setLastPagedAt(db: Db, id: string, at: Date) {
  return db`update public.security_incidents set last_paged_at = ${at} where id = ${id}`;
}
