import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { activityBefore, listActivity, type ActivityPage as Page } from '../audit/activity.js';
import { authOf } from '../auth/auth-middleware.js';
import type { UserDb } from '../db/user-db.js';
import { NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { ACTIVITY_MESSAGES } from './activity-messages.js';
import { ActivityPage } from './activity-page.js';
import type { PageContext } from './layout.js';

/** What the activity page borrows from the dashboard: the user's database, the organisations and how it renders a signed-in page. */
export interface ActivityRoutesDeps {
  orgs: OrgsService;
  userDb: UserDb;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
/** Entries per page. */
export const ACTIVITY_PAGE_SIZE = 50;

/**
 * /app/orgs/:orgId/activity: the audit log, newest first, 50 entries a page;
 * `?before=<entry number>` reads the page before that entry. Read through
 * `listActivity`, as the API's /audit-logs is, so the same role check and RLS apply.
 */
export function activityRoutes(deps: ActivityRoutesDeps): Router {
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
    const canRead = ADMIN_ROLES.includes(org.role as OrgRole);
    const paged = req.query.before !== undefined;
    const before = paged ? activityBefore.safeParse(req.query.before) : undefined;
    // Members may not read the log (the API refuses them): they see why instead.
    const page: Page = canRead && (!before || before.success) ? await listActivity(deps.userDb, auth, orgId, { limit: ACTIVITY_PAGE_SIZE, before: before?.data }) : { entries: [], next_before: null };
    const ctx = await deps.signedInContext(req, res, orgId);
    const error = canRead && before && !before.success ? ACTIVITY_MESSAGES[ctx.lang].badCursor : undefined;
    deps.send(res, <ActivityPage ctx={ctx} orgName={org.name} canRead={canRead} entries={page.entries} nextBefore={page.next_before} paged={paged} error={error} />, error ? 400 : 200);
  });

  return router;
}
