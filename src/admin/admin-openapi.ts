import { z } from 'zod';
import { createBody as incidentBody, idParams as incidentParams, notifiedBody, updateBody as incidentChange } from '../incidents/incidents-routes.js';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { announceBody, resolveParams } from '../subprocessors/subprocessors-routes.js';
import { Subprocessor } from '../trust/trust-openapi.js';
import { idParams, startBody } from './admin-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Operators'];

const Incident = z
  .looseObject({
    id: uuid,
    title: z.string(),
    severity: z.enum(['low', 'medium', 'high', 'critical']),
    detected_at: timestamp,
    notified_at: timestamp.nullable(),
  })
  .meta({ id: 'Incident', description: 'A personal-data breach in the register (Art. 33(5)), with its Art. 33(3) contents.' });

/** Per organisation an incident names: when the platform told it (Art. 33(2)) and its acknowledgement. */
const IncidentOrganization = z
  .object({
    org_id: uuid,
    added_at: timestamp,
    notified_at: timestamp.nullable().meta({ description: 'When the platform told the organisation (not the supervisory authority).' }),
    last_paged_at: timestamp.nullable(),
    pages_sent: z.number().int(),
    last_error: z.string().nullable(),
    acknowledged_at: timestamp.nullable(),
    acknowledged_by: uuid.nullable(),
    acknowledged_via: z.enum(['api', 'dashboard', 'email_link']).nullable(),
  })
  .meta({ id: 'IncidentOrganization' });

const IncidentDetail = Incident.extend({
  hours_left: z.number().nullable(),
  organizations: z.array(IncidentOrganization).meta({ description: 'Each organisation the incident names (`affected_org_ids`), with when it was told and acknowledged.' }),
}).meta({ id: 'IncidentDetail', description: 'An incident with its pages, history and the organisations it names.' });

const Impersonation = z
  .object({ id: uuid, operator_id: uuid, target_user_id: uuid, org_id: uuid, started_at: timestamp, expires_at: timestamp, ended_at: timestamp.nullable() })
  .meta({ id: 'Impersonation' });

/** /api/admin: platform operators only (src/admin/, src/incidents/, src/subprocessors/). */
export const describeAdmin: Describe = (api) => {
  api.json({ method: 'get', path: '/api/admin/incidents', tags, security: bearer, summary: 'The breach register, with the hours left of each 72-hour clock', responses: { 200: z.object({ incidents: z.array(Incident.extend({ hours_left: z.number().nullable() })) }) } });
  api.json({ method: 'post', path: '/api/admin/incidents', tags, security: bearer, summary: 'Register an incident', description: '`affected_org_ids` must each be an organisation (422 `unknown_organization`).', body: incidentBody, responses: { 201: IncidentDetail }, errors: [422] });
  api.json({ method: 'get', path: '/api/admin/incidents/:id', tags, security: bearer, summary: 'One incident, with the organisations it names', params: incidentParams, responses: { 200: IncidentDetail } });
  api.json({ method: 'patch', path: '/api/admin/incidents/:id', tags, security: bearer, summary: 'Change an incident', description: '`affected_org_ids` adds organisations; each must exist (422 `unknown_organization`) and one already named cannot be dropped (422 `organization_already_named`).', params: incidentParams, body: incidentChange, responses: { 200: IncidentDetail }, errors: [409, 422] });
  api.json({ method: 'post', path: '/api/admin/incidents/:id/notified', tags, security: bearer, summary: 'Record the notification of the supervisory authority', params: incidentParams, body: notifiedBody, responses: { 200: IncidentDetail }, errors: [409, 422] });

  api.json({
    method: 'get',
    path: '/api/admin/subprocessors',
    tags,
    security: bearer,
    summary: 'Every sub-processor with its notices and objections',
    responses: { 200: z.object({ subprocessors: z.array(Subprocessor.extend({ notices: z.record(z.string(), z.number()), objections: z.array(z.looseObject({ org_id: uuid })) })) }) },
  });
  api.json({ method: 'post', path: '/api/admin/subprocessors', tags, security: bearer, summary: 'Announce a new sub-processor (takes effect 30 days on at the earliest)', body: announceBody, responses: { 201: Subprocessor }, errors: [409, 422] });
  api.json({ method: 'post', path: '/api/admin/subprocessors/:id/objections/:orgId/resolve', tags, security: bearer, summary: "Settle an organisation's objection", params: resolveParams, responses: { 204: null } });

  api.json({ method: 'post', path: '/api/admin/impersonations', tags, security: bearer, summary: "Act as a member inside one organisation for a while (audited in the organisation's log)", body: startBody, responses: { 201: Impersonation.extend({ access_token: z.string().optional() }).loose() }, errors: [409] });
  api.json({ method: 'delete', path: '/api/admin/impersonations', tags, security: bearer, summary: "End every open impersonation of the caller's", responses: { 200: z.object({ ended: z.array(Impersonation) }) } });
  api.json({ method: 'delete', path: '/api/admin/impersonations/:id', tags, security: bearer, summary: 'End one impersonation', params: idParams, responses: { 200: z.object({ ended: z.array(Impersonation) }) } });
};
