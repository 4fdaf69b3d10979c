import { z } from 'zod';
import { activityQuery } from '../audit/activity.js';
import { SECURITY, timestamp, uuid, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { updateBody } from '../preferences/preferences-routes.js';
import { CONSENT_SCOPES } from '../preferences/preferences-service.js';

const bearer = [SECURITY.bearer];
const tags = ['Privacy'];

const Preferences = z
  .object({
    retention_days: z.number().int(),
    dtmf_consent: z.boolean(),
    consent_scope: z.enum(CONSENT_SCOPES),
    transcript_encryption: z.boolean(),
    privacy_contact_email: z.string().nullable().meta({ description: "The organisation's DPO or privacy contact, told of security incidents with the owners; null when none." }),
    updated_at: timestamp,
  })
  .meta({ id: 'PrivacyPreferences' });

const ActivityEntry = z
  .object({
    id: uuid,
    sequence: z.number().int().meta({ description: "The entry's number in the organisation's hash chain: the paging cursor." }),
    actor_type: z.string(),
    actor_id: z.string().nullable(),
    acting_as_id: z.string().nullable(),
    action: z.string(),
    target_type: z.string().nullable(),
    target_id: z.string().nullable(),
    request_id: z.string().nullable(),
    ip: z.string().nullable(),
    metadata: z.record(z.string(), z.unknown()),
    created_at: timestamp,
  })
  .meta({ id: 'ActivityEntry' });

const RecordOfProcessing = z
  .looseObject({
    controller: z.looseObject({ id: uuid, name: z.string(), country: z.string().nullable(), role: z.string() }),
    processor: z.looseObject({ name: z.string(), role: z.string() }),
    categories_of_data: z.array(z.looseObject({ category: z.string(), description: z.string() })),
    categories_of_subjects: z.array(z.looseObject({ subject: z.string(), description: z.string() })),
    purposes: z.array(z.looseObject({ purpose: z.string(), legal_basis: z.array(z.string()) })),
    recipients: z.array(z.looseObject({ name: z.string(), region: z.string() })),
    transfers_outside_eea: z.looseObject({ statement: z.string() }),
    retention: z.looseObject({ window_days: z.number() }),
    security_measures: z.array(z.string()),
  })
  .meta({ id: 'RecordOfProcessing', description: 'The record of processing activities (GDPR Art. 30).' });

/** Privacy settings, the activity log and the record of processing (src/preferences/, src/audit/, src/privacy/). */
export const describePrivacy: Describe = (api) => {
  api.json({ method: 'get', path: '/api/orgs/:orgId/preferences/privacy', tags, security: bearer, summary: "The organisation's privacy settings", params: orgIdParams, responses: { 200: Preferences } });
  api.json({ method: 'put', path: '/api/orgs/:orgId/preferences/privacy', tags, security: bearer, summary: 'Change the privacy settings (owner, admin)', params: orgIdParams, body: updateBody, responses: { 200: Preferences }, errors: [502] });
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/audit-logs',
    tags,
    security: bearer,
    summary: 'The activity log, newest first (owner, admin)',
    params: orgIdParams,
    query: activityQuery,
    responses: { 200: z.object({ entries: z.array(ActivityEntry), next_before: z.number().int().nullable() }) },
  });
  api.json({ method: 'get', path: '/api/orgs/:orgId/records-of-processing', tags, security: bearer, summary: 'The record of processing activities (Art. 30)', params: orgIdParams, responses: { 200: RecordOfProcessing } });
};
