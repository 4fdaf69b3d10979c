import type { AuditActor } from '../audit/audit.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { NotFoundError, UnprocessableError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import * as notices from './incident-notices-repo.js';
import * as repo from './incidents-repo.js';

/** Art. 33(1): the supervisory authority is told within 72 hours of becoming aware. */
export const NOTIFICATION_HOURS = 72;

export interface IncidentInput {
  title: string;
  severity: 'low' | 'medium' | 'high' | 'critical';
  description?: string;
  affected_org_ids?: string[];
  aware_at?: Date | null;
  detected_at: Date;
  contained_at?: Date | null;
  nature?: string | null;
  data_categories?: string[] | null;
  approx_subjects?: number | null;
  approx_records?: number | null;
  contact_point?: string | null;
  likely_consequences?: string | null;
  measures?: string | null;
  art34_required?: boolean | null;
  art34_exemption?: string | null;
}

export type IncidentChange = Partial<IncidentInput>;

export interface IncidentRow {
  id: string;
  title: string;
  severity: string;
  detected_at: Date;
  notified_at: Date | null;
  last_paged_at: Date | null;
  [column: string]: unknown;
}

const FIELDS = [
  'title', 'severity', 'description', 'affected_org_ids', 'aware_at', 'detected_at', 'contained_at', 'nature', 'data_categories',
  'approx_subjects', 'approx_records', 'contact_point', 'likely_consequences', 'measures', 'art34_required', 'art34_exemption',
] as const;

/** Hours left of the 72 hours from detection (negative once late). */
export function hoursLeft(detectedAt: Date, now: Date): number {
  return NOTIFICATION_HOURS - (now.getTime() - detectedAt.getTime()) / 3_600_000;
}

/** The Art. 33(3) contents, each with what the authority is told it stands for. */
const NOTIFICATION_CONTENTS = {
  nature: 'nature (a): the nature of the breach',
  data_categories: 'data_categories (a): categories of personal data',
  approx_subjects: 'approx_subjects (a): approximate number of people',
  approx_records: 'approx_records (a): approximate number of records',
  contact_point: 'contact_point (b): the DPO or other contact point',
  likely_consequences: 'likely_consequences (c): likely consequences',
  measures: 'measures (d): measures taken or proposed',
  art34_required: 'art34_required: whether the people affected must be told (Art. 34)',
  art34_exemption: 'art34_exemption: which Art. 34(3) exemption applies',
} as const;
export type NotificationContent = keyof typeof NOTIFICATION_CONTENTS;

/** The fields Art. 33(3) requires before the authority can be told that are still missing. */
export function missingNotificationFields(i: Record<string, unknown>): NotificationContent[] {
  const missing: NotificationContent[] = [];
  const blank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
  for (const f of ['nature', 'data_categories', 'approx_subjects', 'approx_records', 'contact_point', 'likely_consequences', 'measures'] as const) {
    if (blank(i[f])) missing.push(f);
  }
  if (i.art34_required === null || i.art34_required === undefined) missing.push('art34_required');
  else if (i.art34_required === false && blank(i.art34_exemption)) missing.push('art34_exemption');
  return missing;
}

/**
 * The 72-hour clock as people read it, rounded once for every place that shows it
 * (the page's subject and body, the API's `hours_left`): tenths of an hour, rounded
 * towards the deadline, so no text ever promises more time than is left (1 h 59 min
 * left is 1.9, never 2.0 in one place and "1h" in another).
 */
export function notificationClock(detectedAt: Date, now: Date): { hoursLeft: number; late: boolean; tenths: string; subject: string; body: string } {
  const msLeft = NOTIFICATION_HOURS * 3_600_000 - (now.getTime() - detectedAt.getTime());
  // Whole tenths of an hour (360 000 ms each), integer arithmetic: no float drift at the edges.
  const tenthsLeft = msLeft >= 0 ? Math.floor(msLeft / 360_000) : -Math.ceil(-msLeft / 360_000);
  const late = msLeft < 0;
  const tenths = (Math.abs(tenthsLeft) / 10).toFixed(1);
  return {
    hoursLeft: tenthsLeft / 10,
    late,
    tenths,
    subject: late ? `${tenths}h LATE` : `${tenths}h left`,
    body: late ? `${tenths} hours LATE: the 72 hours ended` : `${tenths} hours left of the 72 hours`,
  };
}

/** What Art. 33(3) requires before the authority can be told, as a list of what is missing. */
export function missingNotificationContents(i: Record<string, unknown>): string[] {
  return missingNotificationFields(i).map((f) => NOTIFICATION_CONTENTS[f]);
}

/**
 * The breach register (Art. 33(5)) and the DPO's 72-hour clock. Incidents are
 * never deleted; every change is appended to security_incident_events; marking
 * one notified needs the Art. 33(3) contents (and, past 72 hours, the reason
 * for the delay). The paging job e-mails the DPO about every incident not yet
 * notified, on every run, and records each page.
 */
export function createIncidentsService(deps: { serviceDb: ServiceDb; mailer: Mailer; dpoEmail: string; publicBaseUrl: string; now?: () => Date }) {
  const db = deps.serviceDb;
  const now = deps.now ?? (() => new Date());

  async function get(id: string) {
    const [row] = await repo.findIncident(db, id);
    if (!row) throw new NotFoundError('No such incident.');
    const pages = await repo.listPages(db, id);
    const history = await repo.listEvents(db, id);
    // Per organisation: when the platform told it (notified_at) and when it acknowledged; the incident's
    // own notified_at stays "the supervisory authority was told".
    const organizations = await notices.listIncidentOrganizations(db, id);
    return { ...row, hours_left: row.notified_at ? null : notificationClock(row.detected_at, now()).hoursLeft, pages, history, organizations };
  }

  /**
   * The organisations an incident names must exist, and one already on the
   * notice record stays named: it was (or is being) told, and the record of
   * that is part of the register (Art. 33(5)). Amending adds organisations.
   */
  async function checkOrganizations(tx: Tx, incidentId: string | null, ids: readonly string[] | undefined) {
    if (ids === undefined) return;
    const known = await notices.existingOrgIds(tx, ids);
    const unknown = ids.filter((id) => !known.has(id));
    if (unknown.length) throw new UnprocessableError('unknown_organization', `No such organisation: ${unknown.join(', ')}.`, { org_ids: unknown });
    if (!incidentId) return;
    const recorded = await notices.recordedOrgIds(tx, incidentId);
    const dropped = [...recorded].filter((id) => !ids.includes(id));
    if (dropped.length) {
      throw new UnprocessableError('organization_already_named', `These organisations were named and told, and stay on the incident: ${dropped.join(', ')}. Amending adds organisations; it does not remove them.`, { org_ids: dropped });
    }
  }

  /** Changes an incident, as `changeOf` makes the change from the organisations it names, under the row's lock; recorded and audited. */
  async function amend(actor: AuditActor, id: string, changeOf: (named: string[]) => IncidentChange) {
    await db.begin(async (tx) => {
      const [current] = await repo.lockIncidentNamed(tx, id);
      if (!current) throw new NotFoundError('No such incident.');
      const change = changeOf(current.affected_org_ids);
      const fields = FIELDS.filter((f) => f in change);
      if (fields.length === 0) return;
      await checkOrganizations(tx, id, change.affected_org_ids);
      await repo.updateIncident(tx, id, change, fields);
      await repo.insertEvent(tx, id, actor.id ?? null, 'updated', change);
      await writeAudit(tx, actor, { orgId: null, action: 'incident.updated', targetType: 'security_incident', targetId: id, metadata: { fields } });
    });
    return get(id);
  }

  return {
    get,

    /** The register, each incident with its hours left of the 72 (negative once late; null once notified), as `get` gives them. */
    async list() {
      const rows = await repo.listIncidents(db);
      const at = now();
      return rows.map((r) => ({ ...r, hours_left: r.notified_at ? null : notificationClock(r.detected_at as Date, at).hoursLeft }));
    },

    async create(actor: AuditActor, input: IncidentInput) {
      return db.begin(async (tx) => {
        await checkOrganizations(tx, null, input.affected_org_ids);
        const [row] = await repo.insertIncident(tx, input, actor.id ?? null);
        await repo.insertEvent(tx, row!.id, actor.id ?? null, 'created', input);
        await writeAudit(tx, actor, { orgId: null, action: 'incident.created', targetType: 'security_incident', targetId: row!.id, metadata: { severity: input.severity } });
        return row!.id;
      }).then(get);
    },

    update(actor: AuditActor, id: string, change: IncidentChange) {
      return amend(actor, id, () => change);
    },

    /** Names more organisations in an incident: the union with those already named, taken under the row's lock, so two amendments at once both count. */
    addOrganizations(actor: AuditActor, id: string, orgIds: string[]) {
      return amend(actor, id, (named) => ({ affected_org_ids: [...new Set([...named, ...orgIds])] }));
    },

    /**
     * Records that the supervisory authority was told (Art. 33): only with the Art. 33(3) contents.
     * `contents` may complete them in the same transaction (the dashboard's form sends them with
     * the notification): if anything is still missing, or the delay is not explained, nothing is saved.
     */
    async markNotified(actor: AuditActor, id: string, input: { notified_at?: Date; authority_reference: string; delay_reason?: string; contents?: IncidentChange }) {
      await db.begin(async (tx) => {
        const [locked] = await repo.lockIncident(tx, id);
        if (!locked) throw new NotFoundError('No such incident.');
        if (locked.notified_at) return;
        const change = input.contents ?? {};
        // Only what differs from the register is written (and recorded as an update).
        const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
        const fields = FIELDS.filter((f) => f in change && !same(change[f], locked[f]));
        const incident: Record<string, unknown> = { ...locked, ...change };
        const missing = missingNotificationFields(incident);
        if (missing.length) {
          throw new UnprocessableError('notification_incomplete', `Art. 33(3) contents are missing: ${missing.map((f) => NOTIFICATION_CONTENTS[f]).join('; ')}.`, {
            missing: missing.map((f) => NOTIFICATION_CONTENTS[f]),
            fields: missing,
          });
        }
        if (fields.length) {
          await repo.updateIncident(tx, id, change, fields);
          await repo.insertEvent(tx, id, actor.id ?? null, 'updated', change);
          await writeAudit(tx, actor, { orgId: null, action: 'incident.updated', targetType: 'security_incident', targetId: id, metadata: { fields } });
        }
        const notifiedAt = input.notified_at ?? now();
        const late = (notifiedAt.getTime() - (incident.detected_at as Date).getTime()) / 3_600_000 > NOTIFICATION_HOURS;
        if (late && !input.delay_reason?.trim()) {
          throw new UnprocessableError('delay_reason_required', 'The notification is later than 72 hours after detection: give the reasons for the delay (Art. 33(1)).');
        }
        await repo.markNotified(tx, id, { notifiedAt, authorityReference: input.authority_reference, delayReason: input.delay_reason ?? null });
        await repo.insertEvent(tx, id, actor.id ?? null, 'notified', { notified_at: notifiedAt.toISOString(), authority_reference: input.authority_reference, late });
        await writeAudit(tx, actor, { orgId: null, action: 'incident.notified', targetType: 'security_incident', targetId: id, metadata: { late } });
      });
      return get(id);
    },

    /** One paging run: e-mails the DPO about each incident not yet notified. A failed e-mail is recorded, not counted. */
    async page(): Promise<{ paged: number; failed: number }> {
      const open = await repo.listUnnotified(db);
      let paged = 0;
      let failed = 0;
      for (const i of open) {
        const left = hoursLeft(i.detected_at, now());
        const clock = notificationClock(i.detected_at, now());
        const told = await notices.listIncidentOrganizations(db, i.id);
        const text = [
          `Security incident: ${i.title} (${i.severity})`,
          '',
          i.description,
          '',
          `Detected: ${i.detected_at.toISOString()}`,
          `Clock: ${clock.body} (Art. 33(1)).`,
          `Affected organisations: ${i.affected_org_ids.length ? i.affected_org_ids.join(', ') : 'none recorded yet'}`,
          ...(told.length ? [`Told of it (Art. 33(2)): ${told.filter((o) => o.notified_at).length} of ${told.length}; acknowledged: ${told.filter((o) => o.acknowledged_at).length} of ${told.length}.`] : []),
          '',
          `When the supervisory authority has been told, mark it notified: POST ${deps.publicBaseUrl}/api/admin/incidents/${i.id}/notified`,
          'Until then this page repeats every 30 minutes. See runbooks/incident-response.md.',
        ].join('\n');
        let error: string | null = null;
        try {
          await deps.mailer.send({ to: deps.dpoEmail, subject: `[${clock.subject}] Security incident not yet notified: ${i.title}`, text });
        } catch (err) {
          error = (err as Error).message.slice(0, 300);
        }
        await repo.insertPage(db, { incidentId: i.id, recipient: deps.dpoEmail, error, hoursLeft: left.toFixed(2), pagedAt: now() });
        if (error) {
          failed += 1;
          logger.warn({ incident_id: i.id }, 'could not page the DPO; retried next run');
        } else {
          paged += 1;
          await repo.setLastPagedAt(db, i.id, now());
        }
      }
      return { paged, failed };
    },
  };
}

export type IncidentsService = ReturnType<typeof createIncidentsService>;
