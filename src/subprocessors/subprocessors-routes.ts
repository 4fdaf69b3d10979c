import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { publicLanguageOf } from '../dashboard/messages.js';
import { parse } from '../lib/validate.js';
import { pageSecurityPolicy } from '../lib/page-security.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { subprocessorsPage } from './subprocessors-page.js';
import type { SubprocessorsService } from './subprocessors-service.js';

/** A new sub-processor (the dashboard's form is turned into it too). */
export const announceBody = z.strictObject({
  name: z.string().trim().min(2).max(200),
  purpose: z.string().trim().min(3).max(2000),
  data_categories: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
  region: z.string().trim().min(2).max(200),
  role: z.string().trim().min(3).max(100),
  safeguards: z.string().trim().min(3).max(2000),
  effective_at: z.coerce.date(),
});
export const objectionBody = z.strictObject({ reason: z.string().trim().min(3).max(2000) });
export const resolveParams = z.object({ id: z.string().uuid(), orgId: z.string().uuid() });
export const orgSpParams = orgIdParams.extend({ id: z.string().uuid() });

/** GET /subprocessors (HTML, in the visitor's language: ?lang=, else Accept-Language, else English) and /subprocessors.json: the public list. */
export function publicSubprocessorRoutes(service: SubprocessorsService): Router {
  const router = Router();
  const json = async (res: import('express').Response) => res.json(await service.publicList());
  router.get('/subprocessors.json', async (_req, res) => json(res));
  router.get('/subprocessors', pageSecurityPolicy(), async (req, res) => {
    res.vary('Accept').vary('Accept-Language');
    if (req.accepts(['html', 'json']) === 'json') return json(res);
    res.type('html').send(subprocessorsPage(await service.publicList(), publicLanguageOf(req)));
  });
  return router;
}

/** /api/admin/subprocessors (operators) */
export function adminSubprocessorRoutes(service: SubprocessorsService): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ subprocessors: await service.adminList() });
  });
  router.post('/', async (req, res) => {
    res.status(201).json(await service.announce(authOf(req).actor, parse(announceBody, req.body)));
  });
  router.post('/:id/objections/:orgId/resolve', async (req, res) => {
    const { id, orgId } = parse(resolveParams, req.params, 'path');
    await service.resolveObjection(authOf(req).actor, id, orgId);
    res.status(204).end();
  });
  return router;
}

/** /api/orgs/:orgId/subprocessors: what applies to this organisation; owners object. */
export function orgSubprocessorRoutes(service: SubprocessorsService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.forOrganization(authOf(req), orgId));
  });
  router.post('/:id/objection', async (req, res) => {
    const { orgId, id } = parse(orgSpParams, req.params, 'path');
    const { reason } = parse(objectionBody, req.body);
    res.status(201).json(await service.object(authOf(req), orgId, id, reason));
  });
  return router;
}
