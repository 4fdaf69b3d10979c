import { Router, type Request, type Response } from 'express';
import type { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, ConflictError } from '../lib/errors.js';
import { announceBody } from '../subprocessors/subprocessors-routes.js';
import { NOTICE_DAYS, type SubprocessorInput, type SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import type { FormError } from './admin-incidents-page.js';
import { fieldLabels, formValues, requireOperatorPage, type AdminPageDeps } from './admin-incidents-routes.js';
import { ADMIN_MESSAGES, type AdminMessages } from './admin-messages.js';
import { AdminSubprocessorsPage, SP_FIELDS, type AdminSubprocessorRow, type SubprocessorFormValues } from './admin-subprocessors-page.js';

export interface AdminSubprocessorsRoutesDeps extends AdminPageDeps {
  subprocessors: SubprocessorsService;
}

const LABELS: Record<string, keyof AdminMessages> = {
  name: 'spName',
  purpose: 'spPurpose',
  data_categories: 'spDataCategories',
  region: 'spRegion',
  role: 'spRole',
  safeguards: 'spSafeguards',
  effective_at: 'spEffectiveAt',
};

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The first day (UTC) a sub-processor announced now may take effect on. */
export function earliestEffectiveDay(now: Date): string {
  const earliest = now.getTime() + NOTICE_DAYS * 86_400_000 - 60_000;
  return new Date(Math.ceil(earliest / 86_400_000) * 86_400_000).toISOString().slice(0, 10);
}

/** The form in the shape POST /api/admin/subprocessors takes. */
function announceBodyOf(v: SubprocessorFormValues): Record<string, unknown> {
  return {
    name: v.name,
    purpose: v.purpose,
    data_categories: v.data_categories
      .split(/[,\n]/)
      .map((s) => s.trim())
      .filter(Boolean),
    region: v.region,
    role: v.role,
    safeguards: v.safeguards,
    // A day is read as the start of that day, UTC (the form says so).
    effective_at: DAY.test(v.effective_at.trim()) ? `${v.effective_at.trim()}T00:00:00Z` : v.effective_at,
  };
}

/**
 * /app/admin/subprocessors: the operators' list of sub-processors with their
 * notices and objections, and announcing a new one, through the service that
 * GET and POST /api/admin/subprocessors use.
 */
export function adminSubprocessorsRoutes(deps: AdminSubprocessorsRoutesDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireOperatorPage(deps));

  async function render(req: Request, res: Response, opts: { values?: SubprocessorFormValues; announced?: boolean; error?: (m: AdminMessages) => FormError; status?: number } = {}) {
    const rows = (await deps.subprocessors.adminList()) as unknown as AdminSubprocessorRow[];
    const ctx = await deps.signedInContext(req, res);
    const m = ADMIN_MESSAGES[ctx.lang];
    const earliest = earliestEffectiveDay(new Date());
    deps.send(res, <AdminSubprocessorsPage ctx={ctx} m={m} rows={rows} earliest={earliest} values={opts.values} announced={opts.announced} error={opts.error?.(m)} />, opts.status);
  }

  router.get('/', async (req, res) => {
    await render(req, res, { announced: req.query.announced === '1' });
  });

  router.post('/', async (req, res) => {
    const values = formValues(req.body, SP_FIELDS);
    const parsed = announceBody.safeParse(announceBodyOf(values));
    if (!parsed.success) {
      const fields = (parsed.error as z.ZodError).issues.map((i) => String(i.path[0] ?? ''));
      await render(req, res, { values, error: (m) => ({ title: m.notAnnounced, intro: m.checkFields, items: fieldLabels(m, LABELS, fields) }), status: 400 });
      return;
    }
    try {
      await deps.subprocessors.announce(authOf(req).actor, parsed.data as SubprocessorInput);
    } catch (err) {
      // A date within the notice period, or a name already listed: the form again, as typed.
      if (err instanceof AppError && err.code === 'notice_too_short') {
        await render(req, res, { values, error: (m) => ({ title: m.notAnnounced, intro: m.spTooSoon, items: [m.spEffectiveAt] }), status: 400 });
        return;
      }
      if (err instanceof ConflictError) {
        await render(req, res, { values, error: (m) => ({ title: m.notAnnounced, intro: m.spNameTaken, items: [m.spName] }), status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, '/app/admin/subprocessors?announced=1');
  });

  return router;
}
