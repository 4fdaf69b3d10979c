import { Router } from 'express';
import { z } from 'zod';
import { authOf, requireOperator } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { adminErasureRoutes } from '../erasure/erasure-routes.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import { incidentsRoutes } from '../incidents/incidents-routes.js';
import type { IncidentsService } from '../incidents/incidents-service.js';
import { adminSubprocessorRoutes } from '../subprocessors/subprocessors-routes.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import type { ImpersonationService } from './impersonation-service.js';

export const startBody = z.strictObject({
  user_id: z.string().uuid(),
  org_id: z.string().uuid(),
  reason: z.string().trim().min(10, { message: 'give a reason of at least 10 characters' }).max(1000),
  duration_minutes: z.number().int().min(1).max(240).optional(),
});
export const idParams = z.object({ id: z.string().uuid() });

/** /api/admin: platform operators only. */
export function adminRoutes(deps: {
  impersonations: ImpersonationService;
  incidents: IncidentsService;
  subprocessors: SubprocessorsService;
  erasure: ErasureService;
}): Router {
  const { impersonations } = deps;
  const router = Router();
  router.use(requireOperator);
  router.use('/incidents', incidentsRoutes(deps.incidents));
  router.use('/subprocessors', adminSubprocessorRoutes(deps.subprocessors));
  router.use('/erasure-requests', adminErasureRoutes(deps.erasure));

  router.post('/impersonations', async (req, res) => {
    const body = parse(startBody, req.body);
    res.status(201).json(await impersonations.start(authOf(req), body));
  });
  router.delete('/impersonations', async (req, res) => {
    res.json({ ended: await impersonations.end(authOf(req)) });
  });
  router.delete('/impersonations/:id', async (req, res) => {
    const { id } = parse(idParams, req.params, 'path');
    res.json({ ended: await impersonations.end(authOf(req), id) });
  });
  return router;
}
