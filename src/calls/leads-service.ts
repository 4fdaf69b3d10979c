import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { UserDb } from '../db/user-db.js';
import { keyedHash, keyedPhoneHash, normaliseEmail } from '../lib/crypto.js';
import { ConflictError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { readOrgPhone } from '../orgs/org-country.js';
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

/** A correction of a lead: the fields given change (null clears one); at least one is given. */
export interface LeadCorrection {
  name?: string | null | undefined;
  phone?: string | null | undefined;
  email?: string | null | undefined;
  notes?: string | null | undefined;
}

/**
 * Leads (the callers a call left behind) as the organisation sees them, under
 * RLS: every member may read them. Both the list and the detail show personal
 * data, so each read is audited, by ids and counts only (`leads.listed`,
 * `lead.read`): audit rows can never be erased. Owners and admins correct a
 * lead (Art. 16): a new number is read into E.164 in the organisation's
 * country and its keyed hash recomputed, as is the address's, so erasure and
 * export find the person by what the lead now says (`lead.updated`, the
 * changed field names only).
 */
export function createLeadsService(deps: { userDb: UserDb; blindIndexKey: Buffer }) {
  return {
    async list(auth: AuthContext, orgId: string, opts: { limit: number; before?: Date | undefined; before_id?: string | undefined }): Promise<LeadListItem[]> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const rows = await repo.listLeads(tx, orgId, { limit: opts.limit, before: opts.before, beforeId: opts.before_id });
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'leads.listed',
          targetType: 'organization',
          targetId: orgId,
          metadata: { count: rows.length, before: opts.before ? opts.before.toISOString() : null, before_id: opts.before_id ?? null },
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

    /** Rectification (Art. 16), by owners and admins (members 403); an anonymised lead cannot be corrected (409). */
    async update(auth: AuthContext, orgId: string, leadId: string, fix: LeadCorrection): Promise<repo.LeadRow> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const [lead] = await repo.findLead(tx, orgId, leadId);
        if (!lead) throw new NotFoundError('Lead not found.');
        if (lead.anonymised_at) throw new ConflictError('This lead was anonymised when the retention window passed: there is nothing left to correct.');
        const set: Parameters<typeof repo.updateLead>[3] = {};
        if (fix.name !== undefined) set.name = fix.name;
        if (fix.notes !== undefined) set.notes = fix.notes;
        if (fix.phone !== undefined) {
          const e164 = fix.phone === null ? null : await readOrgPhone(tx, orgId, fix.phone);
          set.phone = e164;
          set.phone_hash = e164 ? keyedPhoneHash(deps.blindIndexKey, e164) : null;
        }
        if (fix.email !== undefined) {
          const email = fix.email === null ? null : normaliseEmail(fix.email);
          set.email = email;
          set.email_hash = email ? keyedHash(deps.blindIndexKey, 'email', email) : null;
        }
        const [updated] = await repo.updateLead(tx, orgId, leadId, set);
        if (!updated) throw new ConflictError('This lead changed meanwhile: read it again.');
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'lead.updated',
          targetType: 'lead',
          targetId: leadId,
          metadata: { call_id: lead.call_id, fields: Object.keys(fix).filter((k) => fix[k as keyof LeadCorrection] !== undefined).sort() },
        });
        return updated;
      });
    },
  };
}

export type LeadsService = ReturnType<typeof createLeadsService>;
