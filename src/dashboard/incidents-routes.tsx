import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import type { IncidentNoticesService } from '../incidents/incident-notices-service.js';
import { NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { IncidentsPage } from './incidents-page.js';
import type { PageContext } from './layout.js';

/** What the incidents page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface IncidentsRoutesDeps {
  orgs: OrgsService;
  incidentNotices: IncidentNoticesService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();

/**
 * /app/orgs/:orgId/incidents: the incidents naming the organisation. The
 * Acknowledge button goes through the service the API's POST …/acknowledgement
 * uses, so the same role check, RLS and audit row apply.
 */
export function incidentsRoutes(deps: IncidentsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function idOf(value: unknown, what: string): string {
    const parsed = uuid.safeParse(value);
    if (!parsed.success) throw new NotFoundError(`${what} not found.`);
    return parsed.data;
  }

  router.get('/', async (req, res) => {
    const orgId = idOf((req.params as Record<string, string>).orgId, 'Organisation');
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const incidents = await deps.incidentNotices.listForOrg(auth, orgId);
    const ctx = await deps.signedInContext(req, res, orgId);
    deps.send(res, <IncidentsPage ctx={ctx} orgName={org.name} incidents={incidents} canAcknowledge={ADMIN_ROLES.includes(org.role as OrgRole)} acknowledged={req.query.acknowledged === '1'} />);
  });

  router.post('/:incidentId/acknowledgement', async (req, res) => {
    const orgId = idOf((req.params as Record<string, string>).orgId, 'Organisation');
    const incidentId = idOf(req.params.incidentId, 'Incident');
    await deps.incidentNotices.acknowledge(authOf(req), orgId, incidentId, 'dashboard');
    res.redirect(303, `/app/orgs/${orgId}/incidents?acknowledged=1`);
  });

  return router;
}
