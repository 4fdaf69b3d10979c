import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { UserDb } from '../db/user-db.js';
import { NotFoundError } from '../lib/errors.js';
import { requireOrgRole } from '../orgs/org-access.js';
import { maskNumber } from './calls-service.js';
import * as repo from './leads-repo.js';

/** A lead in a list: the name, and the number masked as in the calls list (no e-mail address, no notes). */
export interface LeadListItem {
  id: string;
  call_id: string | null;
  name: string | null;
  phone: string | null;
  anonymised_at: Date | null;
  created_at: Date;
}

/**
 * Leads (the callers a call left behind) as the organisation sees them, under
 * RLS: every member may read them. Both the list and the detail show personal
 * data, so each read is audited, by ids and counts only (`leads.listed`,
 * `lead.read`): audit rows can never be erased.
 */
export function createLeadsService(deps: { userDb: UserDb }) {
  return {
    async list(auth: AuthContext, orgId: string, opts: { limit: number; before?: Date | undefined }): Promise<LeadListItem[]> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const rows = await repo.listLeads(tx, orgId, opts);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'leads.listed',
          targetType: 'organization',
          targetId: orgId,
          metadata: { count: rows.length, before: opts.before ? opts.before.toISOString() : null },
        });
        return rows.map((r) => ({
          id: r.id,
          call_id: r.call_id,
          name: r.name,
          phone: maskNumber(r.phone),
          anonymised_at: r.anonymised_at,
          created_at: r.created_at,
        }));
      });
    },

    async get(auth: AuthContext, orgId: string, leadId: string): Promise<repo.LeadRow> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const [lead] = await repo.findLead(tx, orgId, leadId);
        if (!lead) throw new NotFoundError('Lead not found.');
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'lead.read',
          targetType: 'lead',
          targetId: leadId,
          metadata: { call_id: lead.call_id },
        });
        return lead;
      });
    },
  };
}

export type LeadsService = ReturnType<typeof createLeadsService>;
