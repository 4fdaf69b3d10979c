import { z } from 'zod';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { holdBody, holdParams } from './legal-holds-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Privacy'];

const LegalHold = z
  .object({
    id: uuid,
    subject_type: z.enum(['email', 'phone']),
    subject: z.string().nullable().meta({ description: 'The person, masked (e.g. "+49•••89"); null once the hold has ended and the held erasure ran.' }),
    reason: z.string(),
    until: timestamp.nullable(),
    active: z.boolean(),
    placed_by: uuid.nullable(),
    placed_at: timestamp,
    ended_at: timestamp.nullable(),
    ended_by: uuid.nullable(),
  })
  .meta({ id: 'LegalHold', description: 'An Art. 17(3) legal hold: erasure, the retention purge and account deletion skip the held data.' });

/** Legal holds (src/legal-holds/). */
export const describeLegalHolds: Describe = (api) => {
  api.json({ method: 'post', path: '/api/orgs/:orgId/legal-holds', tags, security: bearer, summary: 'Place a legal hold on a person (owner, admin; audited)', params: orgIdParams, body: holdBody, responses: { 201: LegalHold }, errors: [422] });
  api.json({ method: 'get', path: '/api/orgs/:orgId/legal-holds', tags, security: bearer, summary: "The organisation's legal holds, newest first (owner, admin; audited)", params: orgIdParams, responses: { 200: z.object({ legal_holds: z.array(LegalHold) }) } });
  api.json({ method: 'delete', path: '/api/orgs/:orgId/legal-holds/:holdId', tags, security: bearer, summary: 'End a legal hold (owner, admin; audited); the held erasure then runs', params: holdParams, responses: { 200: LegalHold }, errors: [409] });
};
