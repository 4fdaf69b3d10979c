import { z } from 'zod';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { createBody, deliveriesQuery, endpointParams } from './webhooks-routes.js';
import { WEBHOOK_EVENTS } from './webhooks-service.js';

const bearer = [SECURITY.bearer];
const tags = ['Outgoing webhooks'];

const Endpoint = z
  .object({ id: uuid, url: z.string(), events: z.array(z.enum(WEBHOOK_EVENTS)), description: z.string().nullable(), created_at: timestamp, updated_at: timestamp })
  .meta({ id: 'WebhookEndpoint' });

const Delivery = z
  .looseObject({
    id: uuid,
    event_id: z.string(),
    event_type: z.string(),
    status: z.string(),
    attempts: z.number().int(),
    last_status: z.number().int().nullable(),
    last_error: z.string().nullable(),
    next_attempt_at: timestamp.nullable(),
    delivered_at: timestamp.nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'WebhookDelivery' });

/** /api/orgs/:orgId/webhooks (src/webhooks/webhooks-routes.ts). */
export const describeWebhooks: Describe = (api) => {
  api.json({ method: 'get', path: '/api/orgs/:orgId/webhooks', tags, security: bearer, summary: "The organisation's webhook endpoints (owner, admin)", params: orgIdParams, responses: { 200: z.object({ webhooks: z.array(Endpoint) }) } });
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/webhooks',
    tags,
    security: bearer,
    summary: 'Register an endpoint; the answer carries its signing `secret`, shown this once',
    params: orgIdParams,
    body: createBody,
    responses: { 201: Endpoint.extend({ secret: z.string() }) },
    errors: [422],
  });
  api.json({ method: 'delete', path: '/api/orgs/:orgId/webhooks/:endpointId', tags, security: bearer, summary: 'Remove an endpoint (its pending deliveries go with it)', params: endpointParams, responses: { 204: null } });
  api.json({ method: 'get', path: '/api/orgs/:orgId/webhooks/:endpointId/deliveries', tags, security: bearer, summary: "An endpoint's deliveries, newest first", params: endpointParams, query: deliveriesQuery, responses: { 200: z.object({ deliveries: z.array(Delivery) }) } });
};
