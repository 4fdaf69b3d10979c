import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { subjectBody, subjectOf } from '../erasure/erasure-routes.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { ExportService } from './export-service.js';

export const exportBody = z.union([subjectBody, z.strictObject({})]);

/** POST /api/orgs/:orgId/exports `{phone}`, `{email}` or `{}` (whole organisation). */
export function exportRoutes(service: ExportService): Router {
  const router = Router({ mergeParams: true });
  router.post('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(exportBody, req.body);
    const subject = 'email' in body || 'phone' in body ? subjectOf(body as z.infer<typeof subjectBody>) : null;
    res.setHeader('Cache-Control', 'no-store');
    res.json(await service.export(authOf(req), orgId, subject));
  });
  return router;
}
