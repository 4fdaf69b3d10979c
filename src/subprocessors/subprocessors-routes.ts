import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { escapeHtml, page } from '../lib/html.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { SubprocessorsService } from './subprocessors-service.js';

/** A new sub-processor (the dashboard's form is turned into it too). */
export const announceBody = z.strictObject({
  name: z.string().trim().min(2).max(200),
  purpose: z.string().trim().min(3).max(2000),
  data_categories: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
  region: z.string().trim().min(2).max(200),
  role: z.string().trim().min(3).max(100),
  safeguards: z.string().trim().min(3).max(2000),
  effective_at: z.coerce.date(),
});
export const objectionBody = z.strictObject({ reason: z.string().trim().min(3).max(2000) });
const resolveParams = z.object({ id: z.string().uuid(), orgId: z.string().uuid() });
const orgSpParams = orgIdParams.extend({ id: z.string().uuid() });

const date = (d: Date | string) => new Date(d).toISOString().slice(0, 10);

/** GET /subprocessors (HTML) and /subprocessors.json: the public list. */
export function publicSubprocessorRoutes(service: SubprocessorsService): Router {
  const router = Router();
  const json = async (res: import('express').Response) => res.json(await service.publicList());
  router.get('/subprocessors.json', async (_req, res) => json(res));
  router.get('/subprocessors', async (req, res) => {
    if (req.accepts(['html', 'json']) === 'json') return json(res);
    const list = await service.publicList();
    const rows = (items: Record<string, unknown>[], withDates: boolean) =>
      items
        .map(
          (s) => `<tr><th scope="row">${escapeHtml(String(s.name))}</th><td>${escapeHtml(String(s.purpose))}</td>
            <td>${escapeHtml((s.data_categories as string[]).join(', '))}</td><td>${escapeHtml(String(s.region))}</td>
            <td>${escapeHtml(String(s.role))}</td><td>${escapeHtml(String(s.safeguards))}</td>
            ${withDates ? `<td>${date(s.announced_at as Date)}</td><td>${date(s.effective_at as Date)}</td>` : ''}</tr>`,
        )
        .join('');
    const head = '<tr><th scope="col">Name</th><th scope="col">Purpose</th><th scope="col">Data</th><th scope="col">Region</th><th scope="col">Role</th><th scope="col">Safeguards</th>';
    res.type('html').send(
      page(
        'Sub-processors',
        `<h1>Sub-processors</h1>
        <p>These companies process personal data on our behalf (GDPR Art. 28). List version <code>${list.version}</code>; also as <a href="/subprocessors.json">JSON</a>.</p>
        <h2>In use</h2><table>${head}</tr>${rows(list.live, false)}</table>
        <h2>Announced</h2>
        ${list.announced.length ? `<p>Customers are told at least 30 days before a new sub-processor takes effect and may object.</p><table>${head}<th scope="col">Announced</th><th scope="col">Takes effect</th></tr>${rows(list.announced, true)}</table>` : '<p>None announced.</p>'}`,
      ),
    );
  });
  return router;
}

/** /api/admin/subprocessors (operators) */
export function adminSubprocessorRoutes(service: SubprocessorsService): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    res.json({ subprocessors: await service.adminList() });
  });
  router.post('/', async (req, res) => {
    res.status(201).json(await service.announce(authOf(req).actor, parse(announceBody, req.body)));
  });
  router.post('/:id/objections/:orgId/resolve', async (req, res) => {
    const { id, orgId } = parse(resolveParams, req.params, 'path');
    await service.resolveObjection(authOf(req).actor, id, orgId);
    res.status(204).end();
  });
  return router;
}

/** /api/orgs/:orgId/subprocessors: what applies to this organisation; owners object. */
export function orgSubprocessorRoutes(service: SubprocessorsService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json(await service.forOrganization(authOf(req), orgId));
  });
  router.post('/:id/objection', async (req, res) => {
    const { orgId, id } = parse(orgSpParams, req.params, 'path');
    const { reason } = parse(objectionBody, req.body);
    res.status(201).json(await service.object(authOf(req), orgId, id, reason));
  });
  return router;
}
