import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { subjectBody, subjectOf } from '../erasure/erasure-routes.js';
import type { ErasureSubject } from '../erasure/erasure-types.js';
import type { ExportService } from '../exports/export-service.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { EXPORTS_MESSAGES, type ExportsMessages } from './exports-messages.js';
import { EXPORT_KINDS, ExportsPage, type ExportFormValues } from './exports-page.js';
import type { PageContext } from './layout.js';

/** What the exports page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface ExportsRoutesDeps {
  orgs: OrgsService;
  exports: ExportService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
const exportForm = z.object({ kind: z.enum(EXPORT_KINDS), value: z.string().max(254).default('') });

/**
 * /app/orgs/:orgId/exports: Art. 15/20 exports. The form's POST goes through
 * the export service the API's POST uses (same role check, RLS, record and
 * audit row) and answers with the export itself, as a JSON file to download:
 * the service makes an export when asked and keeps only the record that it
 * was made, so there is no stored file to link to later.
 */
export function exportsRoutes(deps: ExportsRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  async function render(req: Request, res: Response, orgId: string, opts: { values?: ExportFormValues; error?: (m: ExportsMessages) => string; status?: number } = {}) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const canExport = ADMIN_ROLES.includes(org.role as OrgRole);
    // Members may not see the records (the API and RLS refuse them): they see why instead.
    const records = canExport ? await deps.exports.list(auth, orgId) : [];
    const ctx = await deps.signedInContext(req, res, orgId);
    const error = opts.error?.(EXPORTS_MESSAGES[ctx.lang]);
    deps.send(res, <ExportsPage ctx={ctx} orgName={org.name} records={records} canExport={canExport} myUserId={auth.userId} values={opts.values} error={error} />, opts.status);
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req));
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const form = exportForm.safeParse(req.body);
    const values: ExportFormValues = form.success ? form.data : { kind: 'organization', value: String((req.body as Record<string, unknown> | undefined)?.value ?? '').slice(0, 254) };
    if (!form.success) {
      await render(req, res, orgId, { values, error: (m) => m.invalidExportSubject, status: 400 });
      return;
    }
    let subject: ErasureSubject | null = null;
    if (values.kind !== 'organization') {
      // The API's body rules: an e-mail address, or a phone number the service reads.
      const body = subjectBody.safeParse({ [values.kind]: values.value });
      if (!body.success) {
        await render(req, res, orgId, { values, error: (m) => m.invalidExportSubject, status: 400 });
        return;
      }
      subject = subjectOf(body.data);
    }
    let doc;
    try {
      doc = await deps.exports.export(authOf(req), orgId, subject);
    } catch (err) {
      // A number that cannot be read: the form again with what was typed and why.
      if (err instanceof AppError && err.code === 'invalid_phone') {
        await render(req, res, orgId, { values, error: () => err.message, status: 400 });
        return;
      }
      throw err;
    }
    res
      .status(200)
      .type('application/json')
      .set('Cache-Control', 'no-store')
      .set('Content-Disposition', `attachment; filename="export-${doc.export_id}.json"`)
      .send(JSON.stringify(doc, null, 2));
  });

  return router;
}
