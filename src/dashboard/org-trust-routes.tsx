import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { NotFoundError } from '../lib/errors.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import type { TrustService } from '../trust/trust-service.js';
import type { PageContext } from './layout.js';
import { OrgTrustPage } from './org-trust-page.js';

/** What the trust page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface OrgTrustRoutesDeps {
  orgs: OrgsService;
  trust: TrustService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();

/**
 * /app/orgs/:orgId/trust: the organisation's live control checks, from the
 * trust service the API's GET /api/orgs/:orgId/trust uses (every member may read them).
 */
export function orgTrustRoutes(deps: OrgTrustRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  router.get('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const report = await deps.trust.forOrganization(auth, orgId);
    const ctx = await deps.signedInContext(req, res, orgId);
    deps.send(res, <OrgTrustPage ctx={ctx} orgName={org.name} report={report} />);
  });

  return router;
}
