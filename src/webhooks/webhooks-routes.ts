import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { WEBHOOK_EVENTS, type WebhooksService } from './webhooks-service.js';

export const endpointParams = orgIdParams.extend({ endpointId: z.string().uuid({ message: 'must be a webhook endpoint id (uuid)' }) });
/** The body of a registration (the dashboard's form is held to it too). */
export const createBody = z.strictObject({
  url: z.string().trim().min(1).max(2000),
  events: z.array(z.enum(WEBHOOK_EVENTS, { message: `must be one of ${WEBHOOK_EVENTS.join(', ')}` })).min(1).max(WEBHOOK_EVENTS.length * 2),
  description: z.string().trim().max(200).optional(),
});
export const deliveriesQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });

/**
 * /api/orgs/:orgId/webhooks (owner, admin): the organisation's outgoing webhook endpoints.
 *
 * - `GET /` → `{webhooks: [{id, url, events, description, created_at, updated_at}]}`
 * - `POST /` `{url, events, description?}` → 201 the endpoint with its `secret` (shown this once)
 * - `DELETE /:endpointId` → 204 (pending deliveries to it are dropped with it)
 * - `GET /:endpointId/deliveries?limit=` → `{deliveries: [...]}`, newest first
 *
 * Refusals: 400 malformed body or unknown event; 422 `webhook_url_refused` (not https://, credentials
 * in the URL, or a loopback/private address) and `too_many_endpoints`; 404 unknown endpoint.
 */
export function webhooksRoutes(service: WebhooksService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    res.json({ webhooks: await service.list(authOf(req), orgId) });
  });
  router.post('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(createBody, req.body);
    res.status(201).json(await service.create(authOf(req), orgId, body));
  });
  router.delete('/:endpointId', async (req, res) => {
    const { orgId, endpointId } = parse(endpointParams, req.params, 'path');
    await service.remove(authOf(req), orgId, endpointId);
    res.status(204).end();
  });
  router.get('/:endpointId/deliveries', async (req, res) => {
    const { orgId, endpointId } = parse(endpointParams, req.params, 'path');
    const { limit } = parse(deliveriesQuery, req.query, 'query');
    res.json({ deliveries: await service.deliveries(authOf(req), orgId, endpointId, limit) });
  });
  return router;
}
