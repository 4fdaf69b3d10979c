import { z } from 'zod';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { objectionBody, orgSpParams } from '../subprocessors/subprocessors-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Trust'];

export const Subprocessor = z
  .looseObject({
    id: uuid,
    name: z.string(),
    purpose: z.string(),
    data_categories: z.array(z.string()),
    region: z.string(),
    role: z.string(),
    safeguards: z.string(),
    status: z.string(),
    announced_at: timestamp.nullable(),
    effective_at: timestamp.nullable(),
  })
  .meta({ id: 'Subprocessor' });

const PublicList = z.object({ version: z.string(), live: z.array(Subprocessor), announced: z.array(Subprocessor) }).meta({ id: 'SubprocessorList' });

const Check = z
  .object({
    id: z.string(),
    control: z.string(),
    status: z.enum(['pass', 'fail', 'info', 'pending']),
    detail: z.string().describe('The detail in English: the English wording of `details`.'),
    details: z
      .array(
        z.object({
          code: z.string().describe('A stable code for one sentence of the detail (src/trust/trust-messages.ts), e.g. `rls_on`, `purge_finished`, `deletions_waiting`.'),
          params: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])).describe('Its values: counts, ISO 8601 timestamps, durations in seconds, flags; null where a value does not apply.'),
        }),
      )
      .describe('The detail as codes with parameters, sentence by sentence, so that it can be shown in any language (the dashboard and GET /trust do).'),
    evidence: z.record(z.string(), z.unknown()),
  })
  .meta({ id: 'TrustCheck' });

const PlatformTrust = z
  .object({
    checked_at: timestamp,
    passing: z.boolean(),
    checks: z.array(Check.extend({ checked_at: timestamp })),
    cache_seconds: z.number().int(),
    controls: z.array(z.object({ id: z.string(), control: z.string(), description: z.string() })),
  })
  .meta({ id: 'PlatformTrust' });

const html = {
  description:
    'The page (Accept: text/html) or JSON (Accept: application/json). The page is in English, German or Polish: `?lang=` (its language links), else the browser’s Accept-Language, else English; the JSON does not depend on the language.',
};
/** The public pages' language switch. */
const pageLang = z.object({ lang: z.enum(['en', 'de', 'pl']).optional() });

/** Sub-processors and trust checks, public and per organisation (src/subprocessors/, src/trust/). */
export const describePublic: Describe = (api) => {
  api.json({ method: 'get', path: '/subprocessors.json', tags: ['Public'], summary: 'The public list of sub-processors (in use and announced)', responses: { 200: PublicList }, errors: [500], replaceErrors: true });
  api.json({
    method: 'get',
    path: '/subprocessors',
    tags: ['Public'],
    query: pageLang,
    summary: 'The public list of sub-processors, as a page or JSON',
    responses: { 200: { ...html, content: { 'text/html': z.string(), 'application/json': PublicList } } },
    errors: [500],
    replaceErrors: true,
  });
  api.json({
    method: 'get',
    path: '/trust',
    tags: ['Public'],
    query: pageLang,
    summary: 'The live platform-wide trust checks (no organisation named), as a page or JSON',
    responses: { 200: { ...html, content: { 'text/html': z.string(), 'application/json': PlatformTrust } } },
    errors: [500],
    replaceErrors: true,
  });
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/subprocessors',
    tags,
    security: bearer,
    summary: 'The sub-processors that apply to this organisation',
    params: orgIdParams,
    responses: { 200: z.object({ version: z.string(), subprocessors: z.array(Subprocessor.extend({ applies_to_organization: z.boolean(), objection_open: z.boolean() })) }) },
  });
  api.json({
    method: 'post',
    path: '/api/orgs/:orgId/subprocessors/:id/objection',
    tags,
    security: bearer,
    summary: 'Object to an announced sub-processor during its notice period (owner)',
    params: orgSpParams,
    body: objectionBody,
    responses: { 201: z.object({ subprocessor_id: uuid, org_id: uuid, objected: z.literal(true) }) },
    errors: [409, 422],
  });
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/trust',
    tags,
    security: bearer,
    summary: "The organisation's live trust checks",
    params: orgIdParams,
    responses: { 200: z.object({ organization_id: uuid, checked_at: timestamp, passing: z.boolean(), checks: z.array(Check) }) },
  });
};
