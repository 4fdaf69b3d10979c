import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { extensionBody, subjectBody, subjectOf } from '../erasure/erasure-routes.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { ErasurePage, type ErasureFormValues, type ErasureRow } from './erasure-page.js';
import type { PageContext } from './layout.js';
import type { Messages } from './messages.js';

/** What the erasure page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface ErasureRoutesDeps {
  orgs: OrgsService;
  erasure: ErasureService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
const subjectForm = z.object({ kind: z.enum(['phone', 'email']), value: z.string().max(254) });
const extensionForm = z.object({
  months: z.coerce.number(),
  reason: z.string(),
  // An empty field means none was given; the service then uses the address it holds, if any.
  requester_email: z
    .string()
    .optional()
    .transform((v) => (v && v.trim() ? v : undefined)),
});

/**
 * /app/orgs/:orgId/erasure-requests: an organisation's erasure requests. Filing
 * and extending go through the erasure service the API uses, with the API's body
 * rules, so the same role check, RLS, audit rows and provider deletions apply.
 */
export function erasureRoutes(deps: ErasureRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  async function render(
    req: Request,
    res: Response,
    orgId: string,
    opts: { values?: ErasureFormValues; filed?: boolean; extended?: boolean; error?: (t: Messages) => string; status?: number } = {},
  ) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const canFile = ADMIN_ROLES.includes(org.role as OrgRole);
    // Members may not list requests (the API refuses them): they see why instead.
    const rows = canFile ? ((await deps.erasure.list(auth, orgId)) as unknown as ErasureRow[]) : [];
    const ctx = await deps.signedInContext(req, res, orgId);
    const { error, status, ...shown } = opts;
    deps.send(res, <ErasurePage ctx={ctx} orgName={org.name} rows={rows} canFile={canFile} error={error?.(ctx.t)} {...shown} />, status);
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req), { filed: req.query.filed === '1', extended: req.query.extended === '1' });
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const form = subjectForm.safeParse(req.body);
    const values: ErasureFormValues = form.success ? form.data : { kind: 'phone', value: '' };
    const body = form.success ? subjectBody.safeParse({ [values.kind]: values.value }) : undefined;
    if (!body?.success) {
      await render(req, res, orgId, { values, error: (t) => t.invalidSubject, status: 400 });
      return;
    }
    try {
      await deps.erasure.fileDashboardRequest(authOf(req), orgId, subjectOf(body.data));
    } catch (err) {
      // A number that cannot be read: the form again with what was typed and why.
      if (err instanceof AppError && err.code === 'invalid_phone') {
        await render(req, res, orgId, { values, error: () => err.message, status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/orgs/${orgId}/erasure-requests?filed=1`);
  });

  router.post('/:requestId/extension', async (req, res) => {
    const orgId = orgIdOf(req);
    const requestId = uuid.safeParse(req.params.requestId);
    if (!requestId.success) throw new NotFoundError('No such erasure request in this organisation.');
    const form = extensionForm.safeParse(req.body);
    const body = form.success ? extensionBody.safeParse(form.data) : undefined;
    if (!body?.success) {
      await render(req, res, orgId, { error: (t) => t.invalidExtension, status: 400 });
      return;
    }
    await deps.erasure.extendOrgRequest(authOf(req), orgId, requestId.data, body.data.months, body.data.reason, { requesterEmail: body.data.requester_email });
    res.redirect(303, `/app/orgs/${orgId}/erasure-requests?extended=1`);
  });

  return router;
}
