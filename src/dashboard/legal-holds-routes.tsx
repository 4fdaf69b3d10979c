import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { subjectOf } from '../erasure/erasure-routes.js';
import { holdBody } from '../legal-holds/legal-holds-routes.js';
import type { LegalHoldsService } from '../legal-holds/legal-holds-service.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import type { PageContext } from './layout.js';
import { LEGAL_HOLDS_MESSAGES } from './legal-holds-messages.js';
import { LegalHoldsPage, type HoldFormValues } from './legal-holds-page.js';

/** What the legal holds page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface LegalHoldsRoutesDeps {
  orgs: OrgsService;
  legalHolds: LegalHoldsService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
const holdForm = z.object({
  kind: z.enum(['phone', 'email']),
  value: z.string().max(254),
  reason: z.string().max(2000),
  until: z.string().max(10).optional().default(''),
});

/**
 * /app/orgs/:orgId/legal-holds: the organisation's legal holds, through the
 * legal holds service the API uses (the same role check, RLS and audit rows).
 */
export function legalHoldsRoutes(deps: LegalHoldsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  async function render(req: Request, res: Response, orgId: string, opts: { values?: HoldFormValues; placed?: boolean; ended?: boolean; error?: string; status?: number } = {}) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const canManage = ADMIN_ROLES.includes(org.role as OrgRole);
    const holds = canManage ? await deps.legalHolds.list(auth, orgId) : [];
    const ctx = await deps.signedInContext(req, res, orgId);
    const { status, ...shown } = opts;
    deps.send(res, <LegalHoldsPage ctx={ctx} orgName={org.name} holds={holds} canManage={canManage} {...shown} />, status);
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req), { placed: req.query.placed === '1', ended: req.query.ended === '1' });
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const lang = (await deps.signedInContext(req, res, orgId)).lang;
    const form = holdForm.safeParse(req.body);
    const values: HoldFormValues = form.success ? form.data : { kind: 'phone', value: '', reason: '', until: '' };
    // A date means the start of that day, UTC.
    const until = /^\d{4}-\d{2}-\d{2}$/.test(values.until) ? `${values.until}T00:00:00Z` : undefined;
    const body = form.success && (values.until === '' || until) ? holdBody.safeParse({ [values.kind]: values.value, reason: values.reason, ...(until ? { until } : {}) }) : undefined;
    if (!body?.success) {
      await render(req, res, orgId, { values, error: LEGAL_HOLDS_MESSAGES[lang].invalid, status: 400 });
      return;
    }
    try {
      const b = body.data;
      await deps.legalHolds.place(authOf(req), orgId, {
        subject: subjectOf(b.email !== undefined ? { email: b.email } : { phone: b.phone! }),
        reason: b.reason,
        until: b.until ? new Date(b.until) : null,
      });
    } catch (err) {
      // A number that cannot be read, or an end in the past: the form again with what was typed and why.
      if (err instanceof AppError && (err.status === 400 || err.status === 422)) {
        await render(req, res, orgId, { values, error: err.message, status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/orgs/${orgId}/legal-holds?placed=1`);
  });

  router.post('/:holdId/end', async (req, res) => {
    const orgId = orgIdOf(req);
    const holdId = uuid.safeParse(req.params.holdId);
    if (!holdId.success) throw new NotFoundError('No such legal hold in this organisation.');
    await deps.legalHolds.end(authOf(req), orgId, holdId.data);
    res.redirect(303, `/app/orgs/${orgId}/legal-holds?ended=1`);
  });

  return router;
}
