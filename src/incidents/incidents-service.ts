import type { AuditActor } from '../audit/audit.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import { NotFoundError, UnprocessableError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';

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

/** What Art. 33(3) requires before the authority can be told, as a list of what is missing. */
export function missingNotificationContents(i: Record<string, unknown>): string[] {
  const missing: string[] = [];
  const blank = (v: unknown) => v === null || v === undefined || (typeof v === 'string' && v.trim() === '') || (Array.isArray(v) && v.length === 0);
  if (blank(i.nature)) missing.push('nature (a): the nature of the breach');
  if (blank(i.data_categories)) missing.push('data_categories (a): categories of personal data');
  if (blank(i.approx_subjects)) missing.push('approx_subjects (a): approximate number of people');
  if (blank(i.approx_records)) missing.push('approx_records (a): approximate number of records');
  if (blank(i.contact_point)) missing.push('contact_point (b): the DPO or other contact point');
  if (blank(i.likely_consequences)) missing.push('likely_consequences (c): likely consequences');
  if (blank(i.measures)) missing.push('measures (d): measures taken or proposed');
  if (i.art34_required === null || i.art34_required === undefined) missing.push('art34_required: whether the people affected must be told (Art. 34)');
  else if (i.art34_required === false && blank(i.art34_exemption)) missing.push('art34_exemption: which Art. 34(3) exemption applies');
  return missing;
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
    const [row] = await db<IncidentRow[]>`select * from public.security_incidents where id = ${id}`;
    if (!row) throw new NotFoundError('No such incident.');
    const pages = await db`select paged_at, recipient, result, error, hours_left from public.incident_pages where incident_id = ${id} order by paged_at desc limit 50`;
    const history = await db<{ kind: string; actor_id: string | null; changes: unknown; created_at: Date }[]>`select kind, actor_id, changes, created_at from public.security_incident_events where incident_id = ${id} order by created_at`;
    return { ...row, hours_left: row.notified_at ? null : Number(hoursLeft(row.detected_at, now()).toFixed(1)), pages, history };
  }

  return {
    get,

    async list() {
      return db`
        select i.id, i.title, i.severity, i.detected_at, i.notified_at, i.affected_org_ids, i.last_paged_at,
               (select count(*)::int from public.incident_pages p where p.incident_id = i.id and p.result = 'sent') as pages_sent
        from public.security_incidents i order by i.detected_at desc limit 500`;
    },

    async create(actor: AuditActor, input: IncidentInput) {
      return db.begin(async (tx) => {
        const [row] = await tx<{ id: string }[]>`
          insert into public.security_incidents ${tx({ ...input, affected_org_ids: input.affected_org_ids ?? [], description: input.description ?? '', created_by: actor.id ?? null } as never)}
          returning id`;
        await tx`insert into public.security_incident_events (incident_id, actor_id, kind, changes) values (${row!.id}, ${actor.id ?? null}, 'created', ${tx.json(input as never)})`;
        await writeAudit(tx, actor, { orgId: null, action: 'incident.created', targetType: 'security_incident', targetId: row!.id, metadata: { severity: input.severity } });
        return row!.id;
      }).then(get);
    },

    async update(actor: AuditActor, id: string, change: IncidentChange) {
      await db.begin(async (tx) => {
        const [current] = await tx`select id from public.security_incidents where id = ${id} for update`;
        if (!current) throw new NotFoundError('No such incident.');
        const fields = FIELDS.filter((f) => f in change);
        if (fields.length === 0) return;
        await tx`update public.security_incidents set ${tx(change as never, ...(fields as never[]))} where id = ${id}`;
        await tx`insert into public.security_incident_events (incident_id, actor_id, kind, changes) values (${id}, ${actor.id ?? null}, 'updated', ${tx.json(change as never)})`;
        await writeAudit(tx, actor, { orgId: null, action: 'incident.updated', targetType: 'security_incident', targetId: id, metadata: { fields } });
      });
      return get(id);
    },

    /** Records that the supervisory authority was told (Art. 33): only with the Art. 33(3) contents. */
    async markNotified(actor: AuditActor, id: string, input: { notified_at?: Date; authority_reference: string; delay_reason?: string }) {
      await db.begin(async (tx) => {
        const [incident] = await tx`select * from public.security_incidents where id = ${id} for update`;
        if (!incident) throw new NotFoundError('No such incident.');
        if (incident.notified_at) return;
        const missing = missingNotificationContents(incident);
        if (missing.length) {
          throw new UnprocessableError('notification_incomplete', `Art. 33(3) contents are missing: ${missing.join('; ')}.`, { missing });
        }
        const notifiedAt = input.notified_at ?? now();
        const late = (notifiedAt.getTime() - (incident.detected_at as Date).getTime()) / 3_600_000 > NOTIFICATION_HOURS;
        if (late && !input.delay_reason?.trim()) {
          throw new UnprocessableError('delay_reason_required', 'The notification is later than 72 hours after detection: give the reasons for the delay (Art. 33(1)).');
        }
        await tx`
          update public.security_incidents
          set notified_at = ${notifiedAt}, authority_reference = ${input.authority_reference}, delay_reason = ${input.delay_reason ?? null}
          where id = ${id}`;
        await tx`insert into public.security_incident_events (incident_id, actor_id, kind, changes) values (${id}, ${actor.id ?? null}, 'notified', ${tx.json({ notified_at: notifiedAt.toISOString(), authority_reference: input.authority_reference, late })})`;
        await writeAudit(tx, actor, { orgId: null, action: 'incident.notified', targetType: 'security_incident', targetId: id, metadata: { late } });
      });
      return get(id);
    },

    /** One paging run: e-mails the DPO about each incident not yet notified. A failed e-mail is recorded, not counted. */
    async page(): Promise<{ paged: number; failed: number }> {
      const open = await db<{ id: string; title: string; severity: string; description: string; affected_org_ids: string[]; detected_at: Date }[]>`
        select id, title, severity, description, affected_org_ids, detected_at from public.security_incidents
        where notified_at is null order by detected_at`;
      let paged = 0;
      let failed = 0;
      for (const i of open) {
        const left = hoursLeft(i.detected_at, now());
        const clock = left >= 0 ? `${left.toFixed(1)} hours left of the 72 hours` : `${(-left).toFixed(1)} hours LATE: the 72 hours ended`;
        const text = [
          `Security incident: ${i.title} (${i.severity})`,
          '',
          i.description,
          '',
          `Detected: ${i.detected_at.toISOString()}`,
          `Clock: ${clock} (Art. 33(1)).`,
          `Affected organisations: ${i.affected_org_ids.length ? i.affected_org_ids.join(', ') : 'none recorded yet'}`,
          '',
          `When the supervisory authority has been told, mark it notified: POST ${deps.publicBaseUrl}/api/admin/incidents/${i.id}/notified`,
          'Until then this page repeats every 30 minutes. See runbooks/incident-response.md.',
        ].join('\n');
        let error: string | null = null;
        try {
          await deps.mailer.send({ to: deps.dpoEmail, subject: `[${left >= 0 ? `${Math.max(0, Math.floor(left))}h left` : 'OVERDUE'}] Security incident not yet notified: ${i.title}`, text });
        } catch (err) {
          error = (err as Error).message.slice(0, 300);
        }
        await db`
          insert into public.incident_pages (incident_id, recipient, result, error, hours_left, paged_at)
          values (${i.id}, ${deps.dpoEmail}, ${error ? 'failed' : 'sent'}, ${error}, ${left.toFixed(2)}, ${now()})`;
        if (error) {
          failed += 1;
          logger.warn({ incident_id: i.id }, 'could not page the DPO; retried next run');
        } else {
          paged += 1;
          await db`update public.security_incidents set last_paged_at = ${now()} where id = ${i.id}`;
        }
      }
      return { paged, failed };
    },
  };
}

export type IncidentsService = ReturnType<typeof createIncidentsService>;
