import { createHash } from 'node:crypto';
import type { AuditActor } from '../audit/audit.js';
import { writeAudit } from '../audit/audit.js';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import { requireOrgRole } from '../orgs/org-access.js';

/** Art. 28(2): customers are told in advance; 30 days is the contractual notice. */
export const NOTICE_DAYS = 30;

export interface SubprocessorInput {
  name: string;
  purpose: string;
  data_categories: string[];
  region: string;
  role: string;
  safeguards: string;
  effective_at: Date;
}

const PUBLIC_COLUMNS = 'id, name, purpose, data_categories, region, role, safeguards, status, announced_at, effective_at';

/**
 * The sub-processor list: public, versioned; new entries announced at least
 * 30 days ahead, each customer organisation's owners and admins e-mailed once
 * per announcement, objections recorded (an objecting organisation does not
 * get the sub-processor until the objection is resolved).
 */
export function createSubprocessorsService(deps: { serviceDb: ServiceDb; userDb: UserDb; mailer: Mailer; publicBaseUrl: string; now?: () => Date }) {
  const db = deps.serviceDb;
  const now = deps.now ?? (() => new Date());

  /** The public list and its version; `handle` lets a caller read it inside its own transaction. */
  async function publicList(handle: ServiceDb | Tx = db) {
    const rows = await handle`
      select ${handle.unsafe(PUBLIC_COLUMNS)}, updated_at from public.subprocessors where status <> 'retired' order by status desc, name`;
    const version = createHash('sha256')
      .update(JSON.stringify(rows.map((r) => [r.id, r.status, r.effective_at, r.updated_at])))
      .digest('hex')
      .slice(0, 16);
    return {
      version,
      live: rows.filter((r) => r.status === 'live').map(({ updated_at: _u, ...r }) => r),
      announced: rows.filter((r) => r.status === 'announced').map(({ updated_at: _u, ...r }) => r),
    };
  }

  return {
    publicList,

    /** Operators: announce a new sub-processor; it cannot take effect sooner than 30 days from now. */
    async announce(actor: AuditActor, input: SubprocessorInput) {
      const earliest = new Date(now().getTime() + NOTICE_DAYS * 86_400_000);
      if (input.effective_at.getTime() < earliest.getTime() - 60_000) {
        throw new UnprocessableError('notice_too_short', `effective_at must be at least ${NOTICE_DAYS} days after the announcement (not before ${earliest.toISOString()}).`);
      }
      return db.begin(async (tx) => {
        const [exists] = await tx`select 1 from public.subprocessors where name = ${input.name}`;
        if (exists) throw new ConflictError('A sub-processor with that name is already listed.');
        const [row] = await tx`
          insert into public.subprocessors (name, purpose, data_categories, region, role, safeguards, status, announced_at, effective_at)
          values (${input.name}, ${input.purpose}, ${input.data_categories}, ${input.region}, ${input.role}, ${input.safeguards},
                  'announced', ${now()}, ${input.effective_at})
          returning ${tx.unsafe(PUBLIC_COLUMNS)}`;
        await writeAudit(tx, actor, { orgId: null, action: 'subprocessor.announced', targetType: 'subprocessor', targetId: row!.id as string });
        return row!;
      });
    },

    /** Operators: every sub-processor with its notices and objections. */
    async adminList() {
      const rows = await db`select ${db.unsafe(PUBLIC_COLUMNS)} from public.subprocessors order by announced_at desc`;
      const objections = await db`
        select subprocessor_id, org_id, min(objected_at) as objected_at, max(objection_reason) as reason, max(objection_resolved_at) as resolved_at
        from public.subprocessor_notices where objected_at is not null group by subprocessor_id, org_id`;
      const notices = await db`
        select subprocessor_id, status, count(*)::int as n from public.subprocessor_notices group by subprocessor_id, status`;
      return rows.map((r) => ({
        ...r,
        notices: Object.fromEntries(notices.filter((n) => n.subprocessor_id === r.id).map((n) => [n.status, n.n])),
        objections: objections.filter((o) => o.subprocessor_id === r.id).map(({ subprocessor_id: _s, ...o }) => o),
      }));
    },

    /** Operators: an objection was settled with the customer; the sub-processor may now apply to them. */
    async resolveObjection(actor: AuditActor, subprocessorId: string, orgId: string) {
      const result = await db`
        update public.subprocessor_notices set objection_resolved_at = now()
        where subprocessor_id = ${subprocessorId} and org_id = ${orgId} and objected_at is not null and objection_resolved_at is null`;
      if (result.count === 0) throw new NotFoundError('No open objection from that organisation.');
      await writeAudit(db, actor, { orgId, action: 'subprocessor.objection_resolved', targetType: 'subprocessor', targetId: subprocessorId });
    },

    /** Owners: object during the notice period. */
    async object(auth: AuthContext, orgId: string, subprocessorId: string, reason: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ['owner']);
        const [sp] = await tx<{ status: string; effective_at: Date }[]>`
          select status, effective_at from public.subprocessors where id = ${subprocessorId}`;
        if (!sp) throw new NotFoundError('No such sub-processor.');
        if (sp.status !== 'announced' || sp.effective_at.getTime() <= now().getTime()) {
          throw new UnprocessableError('notice_period_over', 'Objections are taken during the notice period, before the sub-processor takes effect.');
        }
        // The notice rows are written by the notice job; an owner may object before theirs arrives.
        const result = await tx`
          update public.subprocessor_notices set objected_at = coalesce(objected_at, now()), objection_reason = ${reason}
          where subprocessor_id = ${subprocessorId} and org_id = ${orgId}`;
        if (result.count === 0) throw new ConflictError('Your organisation has not been notified of this sub-processor yet; try again after the notice arrives.');
        await writeAudit(tx, auth.actor, { orgId, action: 'subprocessor.objected', targetType: 'subprocessor', targetId: subprocessorId });
        return { subprocessor_id: subprocessorId, org_id: orgId, objected: true };
      });
    },

    /** What applies to one organisation: live ones, except where it has an open objection. */
    async forOrganization(auth: AuthContext, orgId: string) {
      const list = await publicList();
      await deps.userDb.run(auth.claims, (tx) => requireOrgRole(tx, orgId));
      // Any member may know what applies to their organisation; the notice rows themselves are for owners and admins.
      const objections = await db<{ subprocessor_id: string }[]>`
        select distinct subprocessor_id from public.subprocessor_notices
        where org_id = ${orgId} and objected_at is not null and objection_resolved_at is null`;
      const objected = new Set(objections.map((o) => o.subprocessor_id));
      return {
        version: list.version,
        subprocessors: [...list.live, ...list.announced].map((s) => ({
          ...s,
          applies_to_organization: s.status === 'live' && !objected.has(s.id as string),
          objection_open: objected.has(s.id as string),
        })),
      };
    },

    /**
     * The notice job: for each announced sub-processor, writes one notice per
     * owner/admin of each organisation and e-mails it once. Rows are claimed
     * with FOR UPDATE SKIP LOCKED, so replicas never send the same notice; a
     * failed e-mail goes back to pending and is retried next run. Also turns
     * announced sub-processors live once their date has come.
     */
    async sendNotices(): Promise<{ created: number; sent: number; failed: number; activated: number }> {
      const created = await db`
        insert into public.subprocessor_notices (subprocessor_id, org_id, user_id)
        select s.id, m.org_id, m.user_id
        from public.subprocessors s
        cross join public.memberships m
        where s.status = 'announced' and m.role in ('owner', 'admin')
        on conflict (subprocessor_id, org_id, user_id) do nothing`;
      // A claim left by a crashed sender is released after ten minutes.
      await db`update public.subprocessor_notices set status = 'pending' where status = 'sending' and claimed_at < now() - interval '10 minutes'`;
      let sent = 0;
      let failed = 0;
      for (;;) {
        const batch = await db<{ id: string; email: string | null; name: string; purpose: string; region: string; effective_at: Date; org_name: string }[]>`
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
        if (batch.length === 0) break;
        for (const n of batch) {
          try {
            if (!n.email) throw new Error('no e-mail address on record');
            await deps.mailer.send({
              to: n.email,
              subject: `New sub-processor: ${n.name} (from ${n.effective_at.toISOString().slice(0, 10)})`,
              text: [
                `We will add a sub-processor for ${n.org_name}: ${n.name}.`,
                `Purpose: ${n.purpose}`,
                `Region: ${n.region}`,
                `Takes effect: ${n.effective_at.toISOString().slice(0, 10)}`,
                '',
                `The full list: ${deps.publicBaseUrl}/subprocessors`,
                `Owners can object before that date: POST ${deps.publicBaseUrl}/api/orgs/<organisation id>/subprocessors/<id>/objection`,
              ].join('\n'),
            });
            await db`update public.subprocessor_notices set status = 'sent', sent_at = now(), last_error = null where id = ${n.id}`;
            sent += 1;
          } catch (err) {
            await db`update public.subprocessor_notices set status = 'failed', last_error = ${(err as Error).message.slice(0, 300)} where id = ${n.id}`;
            failed += 1;
            logger.warn({ notice_id: n.id }, 'sub-processor notice not sent; retried next run');
          }
        }
        if (failed > 0) break;
      }
      const activated = await db`
        update public.subprocessors set status = 'live', updated_at = now()
        where status = 'announced' and effective_at <= ${now()}`;
      return { created: created.count, sent, failed, activated: activated.count };
    },
  };
}

export type SubprocessorsService = ReturnType<typeof createSubprocessorsService>;
