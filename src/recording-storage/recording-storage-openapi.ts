import { z } from 'zod';
import { SECURITY, timestamp, type Describe } from '../lib/openapi.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import { storageBody } from './recording-storage-routes.js';

const bearer = [SECURITY.bearer];
const tags = ['Calls'];

const RecordingStorage = z
  .object({
    endpoint: z.string(),
    region: z.string(),
    bucket: z.string(),
    prefix: z.string(),
    access_key_id: z.string(),
    force_path_style: z.boolean(),
    secret_access_key_set: z.literal(true).meta({ description: 'The secret itself is never returned.' }),
    updated_at: timestamp,
  })
  .meta({ id: 'RecordingStorage', description: "The organisation's own S3-compatible storage its recordings are delivered to." });

/** /api/orgs/:orgId/recording-storage (src/recording-storage/recording-storage-routes.ts). */
export const describeRecordingStorage: Describe = (api) => {
  api.json({
    method: 'get',
    path: '/api/orgs/:orgId/recording-storage',
    tags,
    security: bearer,
    summary: "Where the organisation's recordings are delivered (members); 404 when none is configured",
    params: orgIdParams,
    responses: { 200: RecordingStorage },
  });
  api.json({
    method: 'put',
    path: '/api/orgs/:orgId/recording-storage',
    tags,
    security: bearer,
    summary: 'Configure the recording storage (owner, admin); a probe object is written, read back and deleted first',
    description:
      '422 `storage_check_failed` with `details.step` (`endpoint`, `write`, `read` or `delete`); 422 `secret_required` when `secret_access_key` is left out and none is stored; 503 `feature_unavailable` when STORAGE_KEYS is not configured.',
    params: orgIdParams,
    body: storageBody,
    responses: { 200: RecordingStorage },
    errors: [422, 503],
  });
  api.json({
    method: 'delete',
    path: '/api/orgs/:orgId/recording-storage',
    tags,
    security: bearer,
    summary: 'Remove the recording storage configuration (owner, admin); 404 when none is configured',
    params: orgIdParams,
    responses: { 204: null },
  });
};
