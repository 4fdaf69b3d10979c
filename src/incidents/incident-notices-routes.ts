import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { IncidentNoticesService } from './incident-notices-service.js';

export const incidentParams = orgIdParams.extend({ incidentId: z.string().uuid() });

/** /api/orgs/:orgId/incidents: the incidents naming the organisation (members read; owners and admins acknowledge). */
export function orgIncidentsRoutes(service: IncidentNoticesService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json({ incidents: await service.listForOrg(authOf(req), orgId) });
  });
  router.post('/:incidentId/acknowledgement', async (req, res) => {
    const { orgId, incidentId } = parse(incidentParams, req.params, 'path');
    res.json(await service.acknowledge(authOf(req), orgId, incidentId, 'api'));
  });
  return router;
}
