import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb } from '../db/database.js';
import { NotFoundError } from '../lib/errors.js';
import { findMembership } from '../orgs/memberships-repo.js';
import * as repo from './impersonations-repo.js';

export type { ImpersonationRow } from './impersonations-repo.js';

/**
 * Operator support access: impersonating a user within one organisation, with
 * a written reason, for a limited time. Start, end and every request made
 * meanwhile are audited in that organisation's log with both identities.
 */
export function createImpersonationService(deps: { serviceDb: ServiceDb; maxMinutes: number }) {
  const { serviceDb } = deps;
  return {
    async start(operator: AuthContext, input: { user_id: string; org_id: string; reason: string; duration_minutes?: number }) {
      const minutes = Math.min(input.duration_minutes ?? deps.maxMinutes, deps.maxMinutes);
      return serviceDb.begin(async (tx) => {
        const [member] = await findMembership(tx, input.org_id, input.user_id);
        if (!member) throw new NotFoundError('That user is not a member of that organisation.');
        const [row] = await repo.insertImpersonation(tx, {
          operatorId: operator.userId,
          targetUserId: input.user_id,
          orgId: input.org_id,
          reason: input.reason,
          minutes,
        });
        await writeAudit(tx, { type: 'operator', id: operator.userId, actingAsId: input.user_id }, {
          orgId: input.org_id,
          action: 'impersonation.started',
          targetType: 'impersonation',
          targetId: row!.id,
          metadata: { expires_at: row!.expires_at.toISOString(), minutes },
        });
        return row!;
      });
    },

    /** Ends one impersonation, or (without an id) every open one of this operator. */
    async end(operator: AuthContext, id?: string) {
      return serviceDb.begin(async (tx) => {
        const rows = await repo.endImpersonations(tx, operator.userId, id);
        if (id && rows.length === 0) throw new NotFoundError('No open impersonation of yours has that id.');
        for (const row of rows) {
          await writeAudit(tx, { type: 'operator', id: operator.userId, actingAsId: row.target_user_id }, {
            orgId: row.org_id,
            action: 'impersonation.ended',
            targetType: 'impersonation',
            targetId: row.id,
          });
        }
        return rows;
      });
    },
  };
}

export type ImpersonationService = ReturnType<typeof createImpersonationService>;
