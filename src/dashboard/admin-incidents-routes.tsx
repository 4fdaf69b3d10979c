import { Router, type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { contentsBody, createBody, notifiedBody } from '../incidents/incidents-routes.js';
import type { IncidentChange, IncidentInput, IncidentsService } from '../incidents/incidents-service.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_MESSAGES, type AdminMessages } from './admin-messages.js';
import {
  AdminIncidentPage,
  AdminIncidentsPage,
  CONTENT_FIELDS,
  INCIDENT_FIELDS,
  valuesOfIncident,
  type FormError,
  type IncidentDetail,
  type IncidentFormValues,
  type IncidentListRow,
  type NotifyFormValues,
} from './admin-incidents-page.js';
import type { PageContext } from './layout.js';
import { MessagePage } from './pages.js';

/** How an operators' page renders: the dashboard's signed-in context and its sender. */
export interface AdminPageDeps {
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

export interface AdminIncidentsRoutesDeps extends AdminPageDeps {
  incidents: IncidentsService;
}

/**
 * The operators' pages: only a token whose app_metadata says platform_role
 * "operator" (never while impersonating); anyone else gets a 403 page saying so.
 */
export function requireOperatorPage(deps: AdminPageDeps): RequestHandler {
  return async (req: Request, res: Response, next: NextFunction) => {
    const auth = authOf(req);
    if (auth.isOperator && !auth.impersonation) return next();
    const ctx = await deps.signedInContext(req, res);
    deps.send(res, <MessagePage ctx={ctx} title={ctx.t.refusedTitle} message={ADMIN_MESSAGES[ctx.lang].operatorsOnly} link={{ href: '/app', text: ctx.t.orgsTitle }} />, 403);
  };
}

/** Which label names a form field, for the list of fields to check. */
const LABELS: Record<string, keyof AdminMessages> = {
  title: 'incidentTitle',
  severity: 'severity',
  description: 'description',
  affected_org_ids: 'affectedOrgs',
  aware_at: 'awareAt',
  detected_at: 'detectedAt',
  contained_at: 'containedAt',
  nature: 'nature',
  data_categories: 'dataCategories',
  approx_subjects: 'approxSubjects',
  approx_records: 'approxRecords',
  contact_point: 'contactPoint',
  likely_consequences: 'likelyConsequences',
  measures: 'measures',
  art34_required: 'art34Required',
  art34_exemption: 'art34Exemption',
  authority_reference: 'authorityReference',
  delay_reason: 'delayReason',
};

export function fieldLabels(m: AdminMessages, labels: Record<string, keyof AdminMessages>, fields: readonly string[]): string[] {
  return [...new Set(fields)].map((f) => (labels[f] ? m[labels[f]] : f));
}

/** The form's fields as strings (a field sent twice, or not at all, is empty). */
export function formValues<K extends string>(body: unknown, fields: readonly K[]): Record<K, string> {
  const b = (body ?? {}) as Record<string, unknown>;
  return Object.fromEntries(fields.map((f) => [f, typeof b[f] === 'string' ? b[f] : ''])) as Record<K, string>;
}

const uuid = z.string().uuid();
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;
/** A datetime-local field's value is read as UTC (the form says so); anything else goes to the API's rule as typed. */
const utc = (v: string) => (LOCAL_TIME.test(v) ? `${v.length === 16 ? `${v}:00` : v}Z` : v);
const list = (v: string) =>
  v
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
const count = (v: string) => (/^\d+$/.test(v.trim()) ? Number(v.trim()) : v);

/** The Art. 33(3) contents in the API's shape; a blank field is left out (`omit`) or cleared (`null`). */
function contentsOf(v: Record<(typeof CONTENT_FIELDS)[number], string>, blank: 'omit' | 'null'): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const put = (k: string, raw: string, value: () => unknown) => {
    if (raw.trim()) out[k] = value();
    else if (blank === 'null') out[k] = null;
  };
  for (const k of ['nature', 'contact_point', 'likely_consequences', 'measures', 'art34_exemption'] as const) put(k, v[k], () => v[k]);
  put('data_categories', v.data_categories, () => list(v.data_categories));
  put('approx_subjects', v.approx_subjects, () => count(v.approx_subjects));
  put('approx_records', v.approx_records, () => count(v.approx_records));
  put('art34_required', v.art34_required, () => (v.art34_required === 'yes' ? true : v.art34_required === 'no' ? false : v.art34_required));
  return out;
}

/** The register form in the shape POST /api/admin/incidents takes. */
function createBodyOf(v: IncidentFormValues): Record<string, unknown> {
  return {
    title: v.title,
    severity: v.severity,
    ...(v.description.trim() ? { description: v.description } : {}),
    ...(v.affected_org_ids.trim() ? { affected_org_ids: list(v.affected_org_ids) } : {}),
    ...(v.aware_at.trim() ? { aware_at: utc(v.aware_at.trim()) } : {}),
    detected_at: utc(v.detected_at.trim()),
    ...(v.contained_at.trim() ? { contained_at: utc(v.contained_at.trim()) } : {}),
    ...contentsOf(v, 'omit'),
  };
}

const issueFields = (error: z.ZodError) => error.issues.map((i) => String(i.path[0] ?? ''));

/**
 * /app/admin/incidents: the breach register for platform operators. Registering
 * and marking notified go through the incidents service the API uses (same
 * rules, same history rows and audit); the 72-hour clock is the service's.
 */
export function adminIncidentsRoutes(deps: AdminIncidentsRoutesDeps): Router {
  const router = Router({ mergeParams: true });
  router.use(requireOperatorPage(deps));

  async function renderList(req: Request, res: Response, opts: { values?: IncidentFormValues; registered?: boolean; error?: (m: AdminMessages) => FormError; status?: number } = {}) {
    const rows = (await deps.incidents.list()) as unknown as IncidentListRow[];
    const ctx = await deps.signedInContext(req, res);
    const m = ADMIN_MESSAGES[ctx.lang];
    deps.send(res, <AdminIncidentsPage ctx={ctx} m={m} rows={rows} values={opts.values} registered={opts.registered} error={opts.error?.(m)} />, opts.status);
  }

  async function renderOne(req: Request, res: Response, id: string, opts: { values?: NotifyFormValues; notified?: boolean; orgsAdded?: boolean; orgsError?: (m: AdminMessages) => FormError; error?: (m: AdminMessages) => FormError; status?: number } = {}) {
    const incident = (await deps.incidents.get(id)) as unknown as IncidentDetail;
    const ctx = await deps.signedInContext(req, res);
    const m = ADMIN_MESSAGES[ctx.lang];
    const values = opts.values ?? { ...valuesOfIncident(incident), authority_reference: '', delay_reason: '' };
    deps.send(res, <AdminIncidentPage ctx={ctx} m={m} incident={incident} values={values} notified={opts.notified} orgsAdded={opts.orgsAdded} orgsError={opts.orgsError?.(m)} error={opts.error?.(m)} />, opts.status);
  }

  function idOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.id);
    if (!parsed.success) throw new NotFoundError('No such incident.');
    return parsed.data;
  }

  router.get('/', async (req, res) => {
    await renderList(req, res, { registered: req.query.registered === '1' });
  });

  router.post('/', async (req, res) => {
    const values = formValues(req.body, INCIDENT_FIELDS);
    const parsed = createBody.safeParse(createBodyOf(values));
    if (!parsed.success) {
      const fields = issueFields(parsed.error);
      await renderList(req, res, { values, error: (m) => ({ title: m.notRegistered, intro: m.checkFields, items: fieldLabels(m, LABELS, fields) }), status: 400 });
      return;
    }
    try {
      await deps.incidents.create(authOf(req).actor, parsed.data as IncidentInput);
    } catch (err) {
      // An id that is no organisation of the platform: the form again, as typed.
      if (err instanceof AppError && err.code === 'unknown_organization') {
        const ids = ((err.details as { org_ids?: string[] } | undefined)?.org_ids ?? []) as string[];
        await renderList(req, res, { values, error: (m) => ({ title: m.notRegistered, intro: m.unknownOrgs, items: ids }), status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, '/app/admin/incidents?registered=1');
  });

  router.get('/:id', async (req, res) => {
    await renderOne(req, res, idOf(req), { notified: req.query.notified === '1', orgsAdded: req.query.added === '1' });
  });

  // Amending the incident to name more organisations: they are told by the notice job within a minute.
  router.post('/:id/organizations', async (req, res) => {
    const id = idOf(req);
    const { org_ids: typed } = formValues(req.body, ['org_ids'] as const);
    const added = list(typed);
    const wrong = added.filter((v) => !uuid.safeParse(v).success);
    if (added.length === 0 || wrong.length) {
      await renderOne(req, res, id, { orgsError: (m) => ({ title: m.addOrgsTitle, intro: m.unknownOrgs, items: wrong }), status: 400 });
      return;
    }
    try {
      await deps.incidents.addOrganizations(authOf(req).actor, id, added);
    } catch (err) {
      if (err instanceof AppError && err.code === 'unknown_organization') {
        const ids = ((err.details as { org_ids?: string[] } | undefined)?.org_ids ?? []) as string[];
        await renderOne(req, res, id, { orgsError: (m) => ({ title: m.addOrgsTitle, intro: m.unknownOrgs, items: ids }), status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/admin/incidents/${id}?added=1#notices-title`);
  });

  router.post('/:id/notified', async (req, res) => {
    const id = idOf(req);
    const values = formValues(req.body, [...CONTENT_FIELDS, 'authority_reference', 'delay_reason'] as const);
    const contents = contentsBody.safeParse(contentsOf(values, 'null'));
    const notice = notifiedBody.safeParse({ authority_reference: values.authority_reference, ...(values.delay_reason.trim() ? { delay_reason: values.delay_reason } : {}) });
    if (!contents.success || !notice.success) {
      const fields = [...(contents.success ? [] : issueFields(contents.error)), ...(notice.success ? [] : issueFields(notice.error))];
      await renderOne(req, res, id, { values, error: (m) => ({ title: m.notNotified, intro: m.checkFields, items: fieldLabels(m, LABELS, fields) }), status: 400 });
      return;
    }
    try {
      await deps.incidents.markNotified(authOf(req).actor, id, { ...notice.data, contents: contents.data as IncidentChange });
    } catch (err) {
      // What Art. 33(3) still needs, or the reasons for a late notification: the form again, as typed.
      if (err instanceof AppError && err.code === 'notification_incomplete') {
        const missing = ((err.details as { fields?: string[] } | undefined)?.fields ?? []) as string[];
        await renderOne(req, res, id, { values, error: (m) => ({ title: m.notNotified, intro: m.missingContents, items: fieldLabels(m, LABELS, missing) }), status: 400 });
        return;
      }
      if (err instanceof AppError && err.code === 'delay_reason_required') {
        await renderOne(req, res, id, { values, error: (m) => ({ title: m.notNotified, intro: m.delayRequired, items: [] }), status: 400 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/admin/incidents/${id}?notified=1`);
  });

  return router;
}
