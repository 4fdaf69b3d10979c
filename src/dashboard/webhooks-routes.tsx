import { randomUUID } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, ForbiddenError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { createBody } from '../webhooks/webhooks-routes.js';
import { MAX_ENDPOINTS_PER_ORG, type WebhooksService } from '../webhooks/webhooks-service.js';
import type { PageContext } from './layout.js';
import { WEBHOOKS_MESSAGES, type WebhooksMessages } from './webhooks-messages.js';
import { FORM_ID_FIELD, WebhooksPage, type DeliveryRow, type EndpointWithDeliveries, type WebhookFormValues } from './webhooks-page.js';

/** What the webhooks page borrows from the dashboard: its services and how it renders a signed-in page. */
export interface WebhooksRoutesDeps {
  orgs: OrgsService;
  webhooks: WebhooksService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();
/** Deliveries shown per endpoint. */
const DELIVERIES_SHOWN = 10;

/** The form as sent: a single ticked box arrives as a string, several as a list, none as nothing. */
function formValues(body: unknown): WebhookFormValues {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  const events = Array.isArray(b.events) ? b.events.filter((e): e is string => typeof e === 'string') : typeof b.events === 'string' ? [b.events] : [];
  return { url: text(b.url), events, description: text(b.description) };
}

/** The form's one-time id as sent, when it is one (a uuid). */
function formIdOf(body: unknown): string | undefined {
  const parsed = uuid.safeParse((body as Record<string, unknown> | undefined)?.[FORM_ID_FIELD]);
  return parsed.success ? parsed.data.toLowerCase() : undefined;
}

/** Which rule of the API's body a form broke, as the page says it. */
function formError(issues: z.core.$ZodIssue[]): (m: WebhooksMessages) => string {
  const fields = issues.map((i) => String(i.path[0]));
  if (fields.includes('url')) return (m) => m.invalidUrl;
  if (fields.includes('events')) return (m) => m.noEvents;
  return (m) => m.descriptionTooLong;
}

/**
 * /app/orgs/:orgId/webhooks: the organisation's outgoing webhook endpoints.
 * Registering and deleting go through the webhooks service the API uses, with
 * the API's body and URL rules, so the same role check, RLS and audit rows
 * apply. The signing secret is rendered in the answer to the registration
 * itself (never in a redirect, a cookie or a later page): the service cannot
 * read it back.
 *
 * Each rendering of the registration form carries a new one-time form id, and
 * a form registers at most once (the service records its id with the endpoint,
 * in the same transaction): submitting it again (a reload of the answer re-posts
 * it) registers nothing and answers 200 with a page saying the endpoint was
 * registered already and its secret was shown once, without the secret.
 */
export function webhooksRoutes(deps: WebhooksRoutesDeps): Router {
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
    opts: {
      values?: WebhookFormValues;
      error?: (m: WebhooksMessages) => string;
      created?: { url: string; secret: string };
      alreadyRegistered?: { endpoint: { id: string; url: string } | null };
      /** The form's id to render again (a form that registered nothing yet); otherwise a new one. */
      formId?: string;
      deleted?: boolean;
      status?: number;
    } = {},
  ) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const canManage = ADMIN_ROLES.includes(org.role as OrgRole);
    // Members may not list endpoints (the API refuses them): they see why instead.
    const endpoints: EndpointWithDeliveries[] = [];
    if (canManage) {
      for (const e of await deps.webhooks.list(auth, orgId)) {
        const deliveries = (await deps.webhooks.deliveries(auth, orgId, e.id, DELIVERIES_SHOWN)) as unknown as DeliveryRow[];
        endpoints.push({ ...e, deliveries });
      }
    }
    const ctx = await deps.signedInContext(req, res, orgId);
    const { error, status, formId, ...shown } = opts;
    deps.send(
      res,
      <WebhooksPage
        ctx={ctx}
        orgName={org.name}
        canManage={canManage}
        endpoints={endpoints}
        error={error?.(WEBHOOKS_MESSAGES[ctx.lang])}
        formId={formId ?? randomUUID()}
        {...shown}
      />,
      status,
    );
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req), { deleted: req.query.deleted === '1' });
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const values = formValues(req.body);
    const formId = formIdOf(req.body);
    if (!formId) {
      // A form without its one-time id (rendered before it had one): the form again, with a new id.
      // Members are refused as the service would refuse them (the form is not theirs to see).
      const { role } = await deps.orgs.get(authOf(req), orgId);
      if (!ADMIN_ROLES.includes(role as OrgRole)) throw new ForbiddenError(`This needs the ${ADMIN_ROLES.join(' or ')} role; you are a ${role}.`);
      await render(req, res, orgId, { values, error: (m) => m.formOutdated, status: 400 });
      return;
    }
    const body = createBody.safeParse({ url: values.url, events: values.events, description: values.description || undefined });
    if (!body.success) {
      await render(req, res, orgId, { values, formId, error: formError(body.error.issues), status: 400 });
      return;
    }
    let outcome;
    try {
      outcome = await deps.webhooks.createFromForm(authOf(req), orgId, formId, body.data);
    } catch (err) {
      // An address the rules refuse, or one endpoint too many: the form again with what was typed and why.
      if (err instanceof AppError && err.code === 'webhook_url_refused') {
        await render(req, res, orgId, { values, formId, error: (m) => m.urlRefused, status: 400 });
        return;
      }
      if (err instanceof AppError && err.code === 'too_many_endpoints') {
        await render(req, res, orgId, { values, formId, error: (m) => m.tooMany.replace('{n}', String(MAX_ENDPOINTS_PER_ORG)), status: 400 });
        return;
      }
      throw err;
    }
    if ('alreadyRegistered' in outcome) {
      // The same form again (a reload): nothing registered, and the secret is not shown again.
      const { endpoint } = outcome.alreadyRegistered;
      await render(req, res, orgId, { alreadyRegistered: { endpoint: endpoint && { id: endpoint.id, url: endpoint.url } }, status: 200 });
      return;
    }
    // The one answer that carries the secret: rendered here (send() marks it no-store), not redirected.
    await render(req, res, orgId, { created: { url: outcome.created.url, secret: outcome.created.secret }, status: 201 });
  });

  router.post('/:endpointId/delete', async (req, res) => {
    const orgId = orgIdOf(req);
    const endpointId = uuid.safeParse(req.params.endpointId);
    if (!endpointId.success) throw new NotFoundError('Webhook endpoint not found.');
    await deps.webhooks.remove(authOf(req), orgId, endpointId.data);
    res.redirect(303, `/app/orgs/${orgId}/webhooks?deleted=1`);
  });

  return router;
}
