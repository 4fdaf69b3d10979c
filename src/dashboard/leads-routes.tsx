import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { correctionBody } from '../calls/leads-routes.js';
import type { LeadsService } from '../calls/leads-service.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import type { PageContext } from './layout.js';
import { LEADS_MESSAGES } from './leads-messages.js';
import { LeadPage, LeadsPage, type LeadFormValues } from './leads-page.js';

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
const listQuery = z.object({ before: z.coerce.date().optional().catch(undefined), before_id: uuid.optional().catch(undefined) });
const leadForm = z.object({ name: z.string().max(200), phone: z.string().max(64), email: z.string().max(254), notes: z.string().max(5000) });

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
    const { before, before_id } = listQuery.parse(req.query);
    const org = await deps.orgs.get(auth, orgId);
    // Keyset paging on (created_at, id), as the API pages.
    const leads = await deps.leads.list(auth, orgId, { limit: PAGE, before, before_id: before ? before_id : undefined });
    const last = leads.at(-1);
    const olderHref =
      leads.length === PAGE && last ? `/app/orgs/${orgId}/leads?before=${encodeURIComponent(new Date(last.created_at).toISOString())}&before_id=${last.id}` : undefined;
    const ctx = await deps.signedInContext(req, res, orgId);
    deps.send(res, <LeadsPage ctx={ctx} orgName={org.name} leads={leads} olderHref={olderHref} isFirstPage={!before} />);
  });

  /** The lead page; owners and admins get the correction form (members read only). */
  async function renderLead(req: Request, res: Response, orgId: string, leadId: string, opts: { saved?: boolean; values?: LeadFormValues; error?: string; status?: number } = {}) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const lead = await deps.leads.get(auth, orgId, leadId);
    const ctx = await deps.signedInContext(req, res, orgId);
    const canEdit = ADMIN_ROLES.includes(org.role as OrgRole);
    deps.send(res, <LeadPage ctx={ctx} lead={lead} canEdit={canEdit} saved={opts.saved} values={opts.values} error={opts.error} />, opts.status);
  }

  function leadIdOf(req: Request): string {
    const leadId = uuid.safeParse(req.params.leadId);
    if (!leadId.success) throw new NotFoundError('Lead not found.');
    return leadId.data;
  }

  router.get('/:leadId', async (req, res) => {
    await renderLead(req, res, orgIdOf(req), leadIdOf(req), { saved: req.query.saved === '1' });
  });

  // Rectification (Art. 16) through the leads service the API uses: only the fields that changed are sent.
  router.post('/:leadId', async (req, res) => {
    const orgId = orgIdOf(req);
    const leadId = leadIdOf(req);
    const form = leadForm.safeParse(req.body);
    const m = LEADS_MESSAGES[(await deps.signedInContext(req, res, orgId)).lang];
    if (!form.success) {
      await renderLead(req, res, orgId, leadId, { error: m.nothingChanged, status: 400 });
      return;
    }
    const values = form.data;
    const current = await deps.leads.get(authOf(req), orgId, leadId);
    const fix: Record<string, string | null> = {};
    for (const key of ['name', 'phone', 'email', 'notes'] as const) {
      const typed = values[key].trim() === '' ? null : key === 'notes' ? values[key] : values[key].trim();
      if (typed !== (current[key] ?? null)) fix[key] = typed;
    }
    if (Object.keys(fix).length === 0) {
      await renderLead(req, res, orgId, leadId, { values, error: m.nothingChanged, status: 400 });
      return;
    }
    const parsed = correctionBody.safeParse(fix);
    if (!parsed.success) {
      await renderLead(req, res, orgId, leadId, { values, error: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '), status: 400 });
      return;
    }
    try {
      await deps.leads.update(authOf(req), orgId, leadId, parsed.data);
    } catch (err) {
      // A number that cannot be read: the form again with what was typed and why.
      if (err instanceof AppError && err.status === 400) {
        await renderLead(req, res, orgId, leadId, { values, error: err.message, status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/orgs/${orgId}/leads/${leadId}?saved=1`);
  });

  return router;
}
