import type { ResponseConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';
import { ErrorBody, SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { ackBody, ackQuery } from './incident-ack-routes.js';
import { incidentParams } from './incident-notices-routes.js';

const bearer = [SECURITY.bearer];

/** An incident as an organisation it names sees it: what it needs, never the register's notes or the other organisations. */
const OrgIncident = z
  .object({
    id: uuid,
    title: z.string(),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    aware_at: timestamp.nullable(),
    detected_at: timestamp,
    contained_at: timestamp.nullable(),
    nature: z.string().nullable(),
    data_categories: z.array(z.string()).nullable(),
    approx_subjects: z.number().int().nullable(),
    approx_records: z.number().int().nullable(),
    contact_point: z.string().nullable(),
    likely_consequences: z.string().nullable(),
    measures: z.string().nullable(),
    notified_at: timestamp.nullable().meta({ description: 'When the platform told the organisation.' }),
    acknowledged_at: timestamp.nullable(),
    acknowledged_via: z.enum(['api', 'dashboard', 'email_link']).nullable(),
    acknowledged_by: uuid.nullable().meta({ description: 'The member who acknowledged (null through the e-mailed link).' }),
  })
  .meta({ id: 'OrganizationIncident', description: 'A security incident naming the organisation (Art. 33(2)).' });

/** What the e-mailed acknowledgement link's page shows. */
const AckView = z.object({
  incident: z.object({ id: uuid, title: z.string(), severity: z.string(), detected_at: timestamp }),
  org_name: z.string().nullable(),
  state: z.enum(['awaiting_acknowledgement', 'acknowledged']),
  acknowledged_at: timestamp.nullable(),
  expires_at: timestamp.meta({ description: 'When the link stops working.' }),
});
const AckLink = AckView.extend({
  token_used: z.boolean(),
  acknowledge: z.object({ method: z.literal('POST'), path: z.string(), fields: z.array(z.string()) }).nullable().meta({ description: 'How to acknowledge; null once done.' }),
}).meta({ id: 'IncidentAckLink' });
const AckAlready = ErrorBody.extend(AckView.shape)
  .extend({ token_used: z.boolean() })
  .meta({ id: 'IncidentAlreadyAcknowledged', description: '`already_acknowledged`: the link was used, or the organisation acknowledged another way; with what the page shows.' });

const page = { 'text/html': { schema: z.string() } };
const bodies = (schema: z.ZodType) => ({ content: { 'application/x-www-form-urlencoded': { schema }, 'application/json': { schema } }, required: true });

/** Each answer as a page (a browser) or JSON (an API client). */
function answers(ok: Record<number, z.ZodType>, errors: number[], extra: Record<number, ResponseConfig> = {}): Record<number, ResponseConfig> {
  const out: Record<number, ResponseConfig> = {};
  for (const [status, schema] of Object.entries(ok)) out[Number(status)] = { description: 'A page for a browser, JSON for an API client.', content: { ...page, 'application/json': { schema } } };
  for (const status of errors) out[status] = { description: 'Refused: a page for a browser, the error as JSON for an API client.', content: { ...page, 'application/json': { schema: ErrorBody } } };
  return { ...out, ...extra };
}

/** The incidents naming an organisation, and their acknowledgement (src/incidents/incident-notices-routes.ts, incident-ack-routes.ts). */
export const describeIncidentNotices: Describe = (api) => {
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/incidents',
    tags: ['Privacy'],
    security: bearer,
    summary: 'The security incidents naming the organisation, newest first (members)',
    params: orgIdParams,
    responses: { 200: z.object({ incidents: z.array(OrgIncident) }) },
  });
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/incidents/:incidentId/acknowledgement',
    tags: ['Privacy'],
    security: bearer,
    summary: 'Acknowledge an incident notice (owner, admin); idempotent, audited as incident.acknowledged',
    description: 'A second call answers with the first acknowledgement; 404 for an incident not naming the organisation.',
    params: incidentParams,
    responses: { 200: OrgIncident },
  });
  api.raw({
    method: 'get',
    path: '/incidents/acknowledge',
    tags: ['Public'],
    summary: 'Open the e-mailed incident notice link: what the notice is about and a button (changes nothing)',
    request: { query: ackQuery },
    responses: answers({ 200: AckLink }, [400, 410, 429, 500]),
  });
  api.raw({
    method: 'post',
    path: '/incidents/acknowledge',
    tags: ['Public'],
    summary: "Press the button: records the organisation's acknowledgement (email_link); the link is single-use",
    request: { body: bodies(ackBody) },
    responses: answers({ 200: AckView.meta({ id: 'IncidentAcknowledged' }) }, [400, 403, 410, 413, 415, 429, 500], {
      409: { description: 'Already acknowledged: a page for a browser, JSON for an API client.', content: { ...page, 'application/json': { schema: AckAlready } } },
    }),
  });
};
