import { Router } from 'express';
import { authOf } from '../auth/auth-middleware.js';
import type { UserDb } from '../db/user-db.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { activityQuery, listActivity } from './activity.js';

/** /api/orgs/:orgId/audit-logs: the activity log, newest first (owner, admin). */
export function auditRoutes(userDb: UserDb): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const q = parse(activityQuery, req.query, 'query');
    res.json(await listActivity(userDb, authOf(req), orgId, q));
  });
  return router;
}
