import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import type { LeadsService } from '../calls/leads-service.js';
import { NotFoundError } from '../lib/errors.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import type { PageContext } from './layout.js';
import { LeadPage, LeadsPage } from './leads-page.js';

/** What the leads pages borrow from the dashboard: its services and how it renders a signed-in page. */
export interface LeadsRoutesDeps {
  orgs: OrgsService;
  leads: LeadsService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
/** Leads per page. */
const PAGE = 50;
const listQuery = z.object({ before: z.coerce.date().optional().catch(undefined) });

/**
 * /app/orgs/:orgId/leads and /app/orgs/:orgId/leads/:leadId: the organisation's
 * leads, read through the leads service the API uses, so the same membership
 * check, RLS and audit row (ids only) apply to every page shown.
 */
export function leadsRoutes(deps: LeadsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  router.get('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const auth = authOf(req);
    const { before } = listQuery.parse(req.query);
    const org = await deps.orgs.get(auth, orgId);
    const leads = await deps.leads.list(auth, orgId, { limit: PAGE, before });
    const last = leads.at(-1);
    const olderHref = leads.length === PAGE && last ? `/app/orgs/${orgId}/leads?before=${encodeURIComponent(new Date(last.created_at).toISOString())}` : undefined;
    const ctx = await deps.signedInContext(req, res, orgId);
    deps.send(res, <LeadsPage ctx={ctx} orgName={org.name} leads={leads} olderHref={olderHref} isFirstPage={!before} />);
  });

  router.get('/:leadId', async (req, res) => {
    const orgId = orgIdOf(req);
    const leadId = uuid.safeParse(req.params.leadId);
    if (!leadId.success) throw new NotFoundError('Lead not found.');
    const lead = await deps.leads.get(authOf(req), orgId, leadId.data);
    const ctx = await deps.signedInContext(req, res, orgId);
    deps.send(res, <LeadPage ctx={ctx} lead={lead} />);
  });

  return router;
}
