import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { NotFoundError } from '../lib/errors.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { InvitationsPage, INVITATIONS_PAGE } from './invitations-page.js';
import type { PageContext } from './layout.js';

/** What the invitations page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface InvitationsRoutesDeps {
  orgs: OrgsService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();

/**
 * /app/invitations: the signed-in person's own invitations, accepted or
 * declined through the organisations service the API's /api/invitations uses
 * (their own invitations only, under RLS, audited).
 */
export function invitationsRoutes(deps: InvitationsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('There is no invitation to this organisation waiting for you.');
    return parsed.data;
  }

  router.get('/', async (req, res) => {
    const auth = authOf(req);
    const invitations = await deps.orgs.listInvitations(auth);
    // The organisation just joined, named from what the person can now read.
    const joined = uuid.safeParse(req.query.accepted);
    let accepted: { id: string; name: string } | undefined;
    if (joined.success) {
      try {
        const org = await deps.orgs.get(auth, joined.data);
        accepted = { id: org.id, name: org.name };
      } catch (err) {
        // Not (or no longer) theirs: no confirmation to show.
        if (!(err instanceof NotFoundError)) throw err;
      }
    }
    const ctx = await deps.signedInContext(req, res);
    deps.send(res, <InvitationsPage ctx={ctx} invitations={invitations} accepted={accepted} declined={req.query.declined === '1'} />);
  });

  router.post('/:orgId/accept', async (req, res) => {
    const orgId = orgIdOf(req);
    await deps.orgs.acceptInvitation(authOf(req), orgId);
    res.redirect(303, `${INVITATIONS_PAGE}?accepted=${orgId}`);
  });

  router.post('/:orgId/decline', async (req, res) => {
    await deps.orgs.declineInvitation(authOf(req), orgIdOf(req));
    res.redirect(303, `${INVITATIONS_PAGE}?declined=1`);
  });

  return router;
}
