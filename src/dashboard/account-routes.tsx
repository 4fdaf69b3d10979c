import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import { NotFoundError } from '../lib/errors.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { ACCOUNT_MESSAGES } from './account-messages.js';
import { DeleteOrgPage } from './account-page.js';
import type { PageContext } from './layout.js';

/** What the deletion page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface AccountRoutesDeps {
  orgs: OrgsService;
  erasure: ErasureService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
const confirmForm = z.object({ confirm_name: z.string().max(1000) });

/**
 * /app/orgs/:orgId/delete: deleting the organisation (owner). Confirmed by
 * typing its name; then the erasure service's account deletion runs, the one
 * `DELETE /api/orgs/:orgId` runs (owner check, audit rows, provider deletions).
 */
export function accountRoutes(deps: AccountRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  router.get('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const org = await deps.orgs.get(authOf(req), orgId);
    const ctx = await deps.signedInContext(req, res, orgId);
    deps.send(res, <DeleteOrgPage ctx={ctx} orgName={org.name} role={org.role} />);
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    // Admins and members: the page again with why (the service would refuse them too).
    if (org.role !== 'owner') {
      const ctx = await deps.signedInContext(req, res, orgId);
      deps.send(res, <DeleteOrgPage ctx={ctx} orgName={org.name} role={org.role} />, 403);
      return;
    }
    const form = confirmForm.safeParse(req.body);
    const typed = form.success ? form.data.confirm_name : '';
    if (typed.trim() !== org.name) {
      const ctx = await deps.signedInContext(req, res, orgId);
      deps.send(res, <DeleteOrgPage ctx={ctx} orgName={org.name} role={org.role} typed={typed} error={ACCOUNT_MESSAGES[ctx.lang].wrongName} />, 400);
      return;
    }
    await deps.erasure.deleteAccount(auth, orgId);
    res.redirect(303, '/app?deleted=1');
  });

  return router;
}
