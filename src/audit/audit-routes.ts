import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import type { UserDb } from '../db/user-db.js';
import { parse } from '../lib/validate.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { listOrgEntries } from './audit-repo.js';

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
      return listOrgEntries(tx, orgId, q);
    });
    const last = entries.at(-1);
    res.json({
      entries: entries.map((e) => ({ ...e, sequence: Number(e.sequence) })),
      next_before: entries.length === q.limit && last ? Number(last.sequence) : null,
    });
  });
  return router;
}
