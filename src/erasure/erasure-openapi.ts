import { z } from 'zod';
import { exportBody } from '../exports/export-routes.js';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { adminRequestParams, extensionBody, requestParams, subjectBody } from './erasure-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Privacy'];

const counts = z.record(z.string(), z.number());

/** An erasure request as its filer sees it. */
export const ErasureRequest = z
  .looseObject({
    id: uuid,
    status: z.string().meta({ description: 'pending_confirmation, confirmed, in_progress, completed (or nothing_found), held (a legal hold keeps some of the data), flagged, cancelled' }),
    received_at: timestamp,
    due_at: timestamp.nullable().meta({ description: 'One month from verification; null until the request is verified.' }),
    counts: counts.nullable(),
    found: z.boolean().nullable().optional().meta({ description: 'Whether anything of the person was found (once the erasure ran).' }),
  })
  .meta({ id: 'ErasureRequest' });

const RequestHold = z
  .object({
    org_id: uuid,
    reason: z.string(),
    held_until: timestamp.nullable(),
    held_counts: counts.meta({ description: 'What the hold kept from erasure.' }),
    held_at: timestamp,
    erased_at: timestamp.nullable().meta({ description: 'When the held data was erased, after the hold ended.' }),
  })
  .meta({ id: 'ErasureRequestHold' });

/** A request in the organisation's request log. */
const LoggedErasureRequest = ErasureRequest.extend({
  identity_check: z.enum(['email_link', 'sms_code', 'organization']).nullable().meta({ description: 'The identity check the request passed.' }),
  verified_at: timestamp.nullable(),
  legal_holds: z.array(RequestHold),
  receipts: z.array(z.looseObject({})),
}).meta({ id: 'LoggedErasureRequest' });

const Extension = z.object({ id: uuid, due_at: timestamp, extended_until: timestamp }).meta({ id: 'ErasureExtension' });

const Export = z
  .looseObject({
    format_version: z.union([z.string(), z.number()]),
    export_id: uuid,
    generated_at: timestamp,
    organization: z.looseObject({ id: uuid }),
    subject: z.object({ type: z.enum(['email', 'phone', 'organization']) }),
    found: z.boolean().optional(),
    counts,
    data: z.looseObject({}),
  })
  .meta({ id: 'Export', description: 'Everything held on the subject (or the whole organisation), as JSON (Art. 15 and 20).' });

/** Erasure requests, exports and account deletion (src/erasure/, src/exports/). */
export const describeErasure: Describe = (api) => {
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/erasure-requests',
    tags,
    security: bearer,
    summary: "Erase a person's data in this organisation (owner, admin); runs at once",
    params: orgIdParams,
    body: subjectBody,
    responses: { 202: ErasureRequest.extend({ held: z.boolean().meta({ description: "Whether the organisation's legal hold keeps some of the data until it ends." }) }) },
  });
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/erasure-requests',
    tags,
    security: bearer,
    summary: "The organisation's erasure requests (the request log), with the legal holds and the providers' deletion receipts",
    params: orgIdParams,
    responses: { 200: z.object({ erasure_requests: z.array(LoggedErasureRequest) }) },
  });
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/erasure-requests/:requestId/extension',
    tags,
    security: bearer,
    summary: 'Extend a request by one or two months (Art. 12(3)); the requester is told why',
    params: requestParams,
    body: extensionBody,
    responses: { 200: Extension },
    errors: [409, 422],
  });
  api.json({
    method: 'post',
    path: '/api/admin/erasure-requests/:id/extension',
    tags: ['Operators'],
    security: bearer,
    summary: 'Extend a public erasure request (operators)',
    params: adminRequestParams,
    body: extensionBody,
    responses: { 200: Extension },
    errors: [409, 422],
  });
  api.json({
    method: 'delete',
    path: '/api/orgs/:orgId',
    tags,
    security: bearer,
    summary: 'Delete the organisation and everything in it (owner)',
    params: orgIdParams,
    responses: { 202: ErasureRequest },
    errors: [409],
  });
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/exports',
    tags,
    security: bearer,
    summary: 'Export a person\'s data (`{email}` or `{phone}`) or the whole organisation (`{}`) (owner, admin)',
    params: orgIdParams,
    body: exportBody,
    responses: { 200: Export },
  });
};
