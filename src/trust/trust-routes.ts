import { Router } from 'express';
import { authOf } from '../auth/auth-middleware.js';
import { escapeHtml, page } from '../lib/html.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { CONTROLS, type TrustService } from './trust-service.js';

/** GET /trust: every control in plain language (public). */
export function publicTrustRoutes(): Router {
  const router = Router();
  router.get('/trust', (req, res) => {
    if (req.accepts(['html', 'json']) === 'json') return res.json({ controls: CONTROLS });
    res.type('html').send(
      page(
        'Trust controls',
        `<h1>Trust controls</h1>
        <p>How this service protects the personal data of the people who call your agents. Each customer can check every control live for their organisation at <code>GET /api/orgs/&lt;organisation id&gt;/trust</code>: the answer is read from the database and the job history at that moment, not written in advance.</p>
        <dl>${CONTROLS.map((c) => `<dt><strong>${escapeHtml(c.control)}</strong></dt><dd>${escapeHtml(c.description)}</dd>`).join('')}</dl>
        <p>See also the <a href="/subprocessors">sub-processor list</a>.</p>`,
      ),
    );
  });
  return router;
}

/** GET /api/orgs/:orgId/trust (members) */
export function orgTrustRoutes(service: TrustService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.forOrganization(authOf(req), orgId));
  });
  return router;
}
