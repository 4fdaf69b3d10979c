import { Router, type Request, type Response } from 'express';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { storageBody } from '../recording-storage/recording-storage-routes.js';
import type { RecordingStorageService } from '../recording-storage/recording-storage-service.js';
import type { PageContext } from './layout.js';
import { RECORDING_STORAGE_MESSAGES, type RecordingStorageMessages } from './recording-storage-messages.js';
import { RecordingStoragePage, type StorageFormValues } from './recording-storage-page.js';

export interface RecordingStorageRoutesDeps {
  orgs: OrgsService;
  recordingStorage: RecordingStorageService;
  signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext>;
  send(res: Response, page: VNode, status?: number): void;
}

const uuid = z.string().uuid();

function formValues(body: unknown): StorageFormValues & { secret_access_key: string } {
  const b = (body ?? {}) as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    endpoint: text(b.endpoint),
    region: text(b.region),
    bucket: text(b.bucket),
    prefix: text(b.prefix),
    access_key_id: text(b.access_key_id),
    secret_access_key: text(b.secret_access_key),
    force_path_style: b.force_path_style === 'true',
  };
}

/**
 * /app/orgs/:orgId/recording-storage: where recordings are delivered. Saving
 * goes through the API's service (the probe, the URL rules, the encryption of
 * the secret and the audit row); a failed check comes back as the form, with
 * what was typed (never the secret) and the step that failed.
 */
export function recordingStorageRoutes(deps: RecordingStorageRoutesDeps): Router {
  const router = Router({ mergeParams: true });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }

  async function render(
    req: Request,
    res: Response,
    orgId: string,
    opts: { values?: StorageFormValues; error?: (m: RecordingStorageMessages) => string; notice?: (m: RecordingStorageMessages) => string; status?: number } = {},
  ) {
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const canManage = ADMIN_ROLES.includes(org.role as OrgRole);
    const storage = await deps.recordingStorage.get(auth, orgId);
    const ctx = await deps.signedInContext(req, res, orgId);
    const m = RECORDING_STORAGE_MESSAGES[ctx.lang];
    deps.send(
      res,
      <RecordingStoragePage
        ctx={ctx}
        orgName={org.name}
        canManage={canManage}
        featureOn={deps.recordingStorage.feature.on}
        storage={storage}
        values={opts.values}
        error={opts.error?.(m)}
        notice={opts.notice?.(m)}
      />,
      opts.status,
    );
  }

  router.get('/', async (req, res) => {
    const q = req.query;
    await render(req, res, orgIdOf(req), { notice: q.saved === '1' ? (m) => m.saved : q.removed === '1' ? (m) => m.removed : undefined });
  });

  router.post('/', async (req, res) => {
    const orgId = orgIdOf(req);
    const { secret_access_key: secret, ...values } = formValues(req.body);
    const body = storageBody.safeParse({ ...values, secret_access_key: secret || undefined });
    if (!body.success) {
      await render(req, res, orgId, { values, error: (m) => m.invalid, status: 400 });
      return;
    }
    try {
      await deps.recordingStorage.put(authOf(req), orgId, body.data);
    } catch (err) {
      if (err instanceof AppError && err.code === 'storage_check_failed') {
        const step = (err.details as { step: string }).step;
        await render(req, res, orgId, { values, error: (m) => m.checkFailed.replace('{step}', step), status: 422 });
        return;
      }
      if (err instanceof AppError && err.code === 'secret_required') {
        await render(req, res, orgId, { values, error: (m) => m.secretRequired, status: 422 });
        return;
      }
      throw err;
    }
    res.redirect(303, `/app/orgs/${orgId}/recording-storage?saved=1`);
  });

  router.post('/delete', async (req, res) => {
    const orgId = orgIdOf(req);
    await deps.recordingStorage.remove(authOf(req), orgId);
    res.redirect(303, `/app/orgs/${orgId}/recording-storage?removed=1`);
  });

  return router;
}
