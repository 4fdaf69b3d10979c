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
import * as repo from './subprocessors-repo.js';

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
    const rows = await repo.listPublic(handle);
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
        const [exists] = await repo.findByName(tx, input.name);
        if (exists) throw new ConflictError('A sub-processor with that name is already listed.');
        const [row] = await repo.insertAnnounced(tx, input, now());
        await writeAudit(tx, actor, { orgId: null, action: 'subprocessor.announced', targetType: 'subprocessor', targetId: row!.id as string });
        return row!;
      });
    },

    /** Operators: every sub-processor with its notices and objections. */
    async adminList() {
      const rows = await repo.listAll(db);
      const objections = await repo.listObjections(db);
      const notices = await repo.countNoticesByStatus(db);
      return rows.map((r) => ({
        ...r,
        notices: Object.fromEntries(notices.filter((n) => n.subprocessor_id === r.id).map((n) => [n.status, n.n])),
        objections: objections.filter((o) => o.subprocessor_id === r.id).map(({ subprocessor_id: _s, ...o }) => o),
      }));
    },

    /** Operators: an objection was settled with the customer; the sub-processor may now apply to them. */
    async resolveObjection(actor: AuditActor, subprocessorId: string, orgId: string) {
      const result = await repo.resolveObjection(db, subprocessorId, orgId);
      if (result.count === 0) throw new NotFoundError('No open objection from that organisation.');
      await writeAudit(db, actor, { orgId, action: 'subprocessor.objection_resolved', targetType: 'subprocessor', targetId: subprocessorId });
    },

    /** Owners: object during the notice period. */
    async object(auth: AuthContext, orgId: string, subprocessorId: string, reason: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ['owner']);
        const [sp] = await repo.findStatus(tx, subprocessorId);
        if (!sp) throw new NotFoundError('No such sub-processor.');
        if (sp.status !== 'announced' || sp.effective_at.getTime() <= now().getTime()) {
          throw new UnprocessableError('notice_period_over', 'Objections are taken during the notice period, before the sub-processor takes effect.');
        }
        // The notice rows are written by the notice job; an owner may object before theirs arrives.
        const result = await repo.recordObjection(tx, subprocessorId, orgId, reason);
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
      const objections = await repo.openObjectionsOf(db, orgId);
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
      const created = await repo.createNotices(db);
      // A claim left by a crashed sender is released after ten minutes.
      await repo.releaseStaleClaims(db);
      let sent = 0;
      let failed = 0;
      for (;;) {
        const batch = await repo.claimNotices(db);
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
            await repo.markNoticeSent(db, n.id);
            sent += 1;
          } catch (err) {
            await repo.markNoticeFailed(db, n.id, (err as Error).message.slice(0, 300));
            failed += 1;
            logger.warn({ notice_id: n.id }, 'sub-processor notice not sent; retried next run');
          }
        }
        if (failed > 0) break;
      }
      const activated = await repo.activateDue(db, now());
      return { created: created.count, sent, failed, activated: activated.count };
    },
  };
}

export type SubprocessorsService = ReturnType<typeof createSubprocessorsService>;
