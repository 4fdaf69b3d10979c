import { Router } from 'express';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { RecordsOfProcessingService } from './records-of-processing-service.js';

/** GET /api/orgs/:orgId/records-of-processing (members) */
export function orgRecordsOfProcessingRoutes(service: RecordsOfProcessingService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.forOrganization(authOf(req), orgId));
  });
  return router;
}
