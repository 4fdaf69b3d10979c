import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, ConflictError, NotFoundError } from '../lib/errors.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { objectionBody } from '../subprocessors/subprocessors-routes.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import { ADMIN_MESSAGES, type AdminMessages } from './admin-messages.js';
import type { PageContext } from './layout.js';
import { OrgSubprocessorsPage, type ObjectionValues, type OrgSubprocessorRow } from './org-subprocessors-page.js';

export interface OrgSubprocessorsRoutesDeps {
  orgs: OrgsService;
  subprocessors: SubprocessorsService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();

/**
 * /app/orgs/:orgId/subprocessors: the sub-processors that apply to the
 * organisation and the announced ones with their dates; an owner objects to an
 * announced one (Art. 28(2)) through the service POST
 * /api/orgs/:orgId/subprocessors/:id/objection uses (owners only, under RLS, audited).
 */
export function orgSubprocessorsRoutes(deps: OrgSubprocessorsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  async function render(req: Request, res: Response, orgId: string, opts: { values?: ObjectionValues; objected?: boolean; error?: (m: AdminMessages) => string; status?: number } = {}) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const list = await deps.subprocessors.forOrganization(auth, orgId);
    const ctx = await deps.signedInContext(req, res, orgId);
    const m = ADMIN_MESSAGES[ctx.lang];
    deps.send(
      res,
      <OrgSubprocessorsPage
        ctx={ctx}
        m={m}
        orgName={org.name}
        role={org.role}
        rows={list.subprocessors as unknown as OrgSubprocessorRow[]}
        now={new Date()}
        values={opts.values}
        objected={opts.objected}
        error={opts.error?.(m)}
      />,
      opts.status,
    );
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req), { objected: req.query.objected === '1' });
  });

  router.post('/:id/objection', async (req, res) => {
    const orgId = orgIdOf(req);
    const id = uuid.safeParse(req.params.id);
    if (!id.success) throw new NotFoundError('No such sub-processor.');
    const reason = typeof (req.body as Record<string, unknown> | undefined)?.reason === 'string' ? ((req.body as Record<string, string>).reason as string) : '';
    const values: ObjectionValues = { id: id.data, reason };
    const body = objectionBody.safeParse({ reason });
    if (!body.success) {
      await render(req, res, orgId, { values, error: (m) => m.invalidReason, status: 400 });
      return;
    }
    try {
      await deps.subprocessors.object(authOf(req), orgId, id.data, body.data.reason);
    } catch (err) {
      // Not notified yet, or the notice period is over: the page again with the reason as typed.
      if (err instanceof ConflictError) {
        await render(req, res, orgId, { values, error: (m) => m.notNotifiedYet, status: 400 });
        return;
      }
      if (err instanceof AppError && err.code === 'notice_period_over') {
        await render(req, res, orgId, { values, error: (m) => m.noticeOver, status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/orgs/${orgId}/subprocessors?objected=1`);
  });

  return router;
}
