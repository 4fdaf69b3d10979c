import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { createBody } from '../webhooks/webhooks-routes.js';
import { MAX_ENDPOINTS_PER_ORG, type WebhooksService } from '../webhooks/webhooks-service.js';
import type { PageContext } from './layout.js';
import { WEBHOOKS_MESSAGES, type WebhooksMessages } from './webhooks-messages.js';
import { WebhooksPage, type DeliveryRow, type EndpointWithDeliveries, type WebhookFormValues } from './webhooks-page.js';

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
    opts: { values?: WebhookFormValues; error?: (m: WebhooksMessages) => string; created?: { url: string; secret: string }; deleted?: boolean; status?: number } = {},
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
    const { error, status, ...shown } = opts;
    deps.send(res, <WebhooksPage ctx={ctx} orgName={org.name} canManage={canManage} endpoints={endpoints} error={error?.(WEBHOOKS_MESSAGES[ctx.lang])} {...shown} />, status);
  }

  router.get('/', async (req, res) => {
    await render(req, res, orgIdOf(req), { deleted: req.query.deleted === '1' });
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const values = formValues(req.body);
    const body = createBody.safeParse({ url: values.url, events: values.events, description: values.description || undefined });
    if (!body.success) {
      await render(req, res, orgId, { values, error: formError(body.error.issues), status: 400 });
      return;
    }
    let created;
    try {
      created = await deps.webhooks.create(authOf(req), orgId, body.data);
    } catch (err) {
      // An address the rules refuse, or one endpoint too many: the form again with what was typed and why.
      if (err instanceof AppError && err.code === 'webhook_url_refused') {
        await render(req, res, orgId, { values, error: (m) => m.urlRefused, status: 400 });
        return;
      }
      if (err instanceof AppError && err.code === 'too_many_endpoints') {
        await render(req, res, orgId, { values, error: (m) => m.tooMany.replace('{n}', String(MAX_ENDPOINTS_PER_ORG)), status: 400 });
        return;
      }
      throw err;
    }
    // The one answer that carries the secret: rendered here (send() marks it no-store), not redirected.
    await render(req, res, orgId, { created: { url: created.url, secret: created.secret }, status: 201 });
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
