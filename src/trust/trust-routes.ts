import { Router } from 'express';
import { authOf } from '../auth/auth-middleware.js';
import { publicLanguageOf } from '../dashboard/messages.js';
import { pageSecurityPolicy } from '../lib/page-security.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { trustPage } from './trust-page.js';
import { CONTROLS, type TrustService } from './trust-service.js';

/**
 * GET /trust (public): the live platform-wide results, as a page or as JSON
 * (with the plain-language controls); the page in the visitor's language
 * (?lang=, else Accept-Language, else English). The service computes them at most once
 * a minute for everybody (PUBLIC_TRUST_CACHE_SECONDS).
 */
export function publicTrustRoutes(service: Pick<TrustService, 'platform'>): Router {
  const router = Router();
  router.get('/trust', pageSecurityPolicy(), async (req, res) => {
    const result = await service.platform();
    res.set('Cache-Control', `public, max-age=${result.cache_seconds}`);
    // A shared cache must keep the JSON and each language's page apart.
    res.vary('Accept').vary('Accept-Language');
    if (req.accepts(['html', 'json']) === 'json') return res.json({ ...result, controls: CONTROLS });
    res.type('html').send(trustPage(result, publicLanguageOf(req)));
  });
  return router;
}

/** GET /api/orgs/:orgId/trust (members) */
export function orgTrustRoutes(service: TrustService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.forOrganization(authOf(req), orgId));
  });
  return router;
}
