import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import type { UserDb } from '../db/user-db.js';
import { parse } from '../http/validate.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { orgIdParams } from '../orgs/orgs-routes.js';

const query = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(1).optional(),
});

/** /api/orgs/:orgId/audit-logs: the activity log, newest first (owner, admin). */
export function auditRoutes(userDb: UserDb): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const q = parse(query, req.query, 'query');
    const entries = await userDb.run(authOf(req).claims, async (tx) => {
      await requireOrgRole(tx, orgId, ADMIN_ROLES);
      return tx`
        select id, chain_index::int8 as sequence, actor_type, actor_id, acting_as_id, action, target_type, target_id,
               request_id, ip, metadata, created_at
        from public.audit_logs
        where chain_key = ${orgId} and org_id = ${orgId} ${q.before ? tx`and chain_index < ${q.before}` : tx``}
        order by chain_index desc
        limit ${q.limit}`;
    });
    const last = entries.at(-1);
    res.json({
      entries: entries.map((e) => ({ ...e, sequence: Number(e.sequence) })),
      next_before: entries.length === q.limit && last ? Number(last.sequence) : null,
    });
  });
  return router;
}
