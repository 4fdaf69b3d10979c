import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { LeadsService } from './leads-service.js';

export const leadParams = orgIdParams.extend({ leadId: z.string().uuid({ message: 'must be a lead id (uuid)' }) });
export const leadsListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.date().optional(),
});

/**
 * /api/orgs/:orgId/leads (members): the callers' details calls left behind.
 *
 * - `GET /?limit=&before=` → `{leads: [{id, call_id, name, phone (masked), anonymised_at, created_at}]}`, newest first
 * - `GET /:leadId` → the lead with its number, e-mail address and notes
 *
 * Both reads are audited (ids and counts only).
 */
export function leadsRoutes(service: LeadsService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const q = parse(leadsListQuery, req.query, 'query');
    res.json({ leads: await service.list(authOf(req), orgId, q) });
  });
  router.get('/:leadId', async (req, res) => {
    const { orgId, leadId } = parse(leadParams, req.params, 'path');
    res.json(await service.get(authOf(req), orgId, leadId));
  });
  return router;
}
