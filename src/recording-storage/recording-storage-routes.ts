import { Router } from 'express';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { NotFoundError } from '../lib/errors.js';
import { parse } from '../lib/validate.js';
import { orgIdParams } from '../orgs/orgs-routes.js';
import type { RecordingStorageService } from './recording-storage-service.js';

/** The body of PUT (the dashboard's form is held to it too). */
export const storageBody = z.strictObject({
  endpoint: z.string().trim().min(1).max(2000),
  region: z.string().trim().min(1).max(64).regex(/^[a-z0-9-]+$/, { message: 'must be a region name (a-z, 0-9, -)' }),
  bucket: z
    .string()
    .trim()
    .min(3)
    .max(63)
    .regex(/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/, { message: 'must be a bucket name (a-z, 0-9, . and -)' }),
  prefix: z
    .string()
    .max(512)
    .regex(/^(?:[A-Za-z0-9!_.*'()-]+\/)*$/, { message: 'must be empty or path segments each ending in /' })
    .default(''),
  access_key_id: z.string().trim().min(1).max(256).regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' }),
  secret_access_key: z.string().min(1).max(512).regex(/^[\x21-\x7e]+$/, { message: 'must be printable ASCII without spaces' }).optional(),
  force_path_style: z.boolean().default(false),
});

/**
 * /api/orgs/:orgId/recording-storage: where the organisation's recordings are delivered.
 *
 * - `GET` (members) → the configuration without its secret (`secret_access_key_set: true`), or 404
 * - `PUT` (owner, admin) `{endpoint, region, bucket, prefix, access_key_id, secret_access_key, force_path_style}`
 *   → 200 once a probe object was written, read back and deleted; 422 `storage_check_failed` with
 *   `details.step` (`endpoint`, `write`, `read` or `delete`) otherwise. `secret_access_key` may be left out
 *   on a change to keep the stored one.
 * - `DELETE` (owner, admin) → 204
 * 503 `feature_unavailable` when STORAGE_KEYS is not configured.
 */
export function recordingStorageRoutes(service: RecordingStorageService): Router {
  const router = Router({ mergeParams: true });
  router.get('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const storage = await service.get(authOf(req), orgId);
    if (!storage) throw new NotFoundError('No recording storage is configured.');
    res.json(storage);
  });
  router.put('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    const body = parse(storageBody, req.body);
    res.json(await service.put(authOf(req), orgId, body));
  });
  router.delete('/', async (req, res) => {
    const { orgId } = parse(orgIdParams, req.params, 'path');
    await service.remove(authOf(req), orgId);
    res.status(204).end();
  });
  return router;
}
