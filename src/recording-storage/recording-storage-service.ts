import { randomUUID } from 'node:crypto';
import { writeAudit } from '../audit/audit.js';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { Feature } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { AppError, NotFoundError, UnprocessableError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import type { EndpointPolicy } from '../webhooks/endpoint-url.js';
import * as repo from './recording-storage-repo.js';
import { probeStorage, StorageStepError, type StorageLocation } from './s3-store.js';
import { decryptStorageSecret, encryptStorageSecret, type StorageKeyring } from './storage-crypto.js';

export interface RecordingStorageInput {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  /** Omitted on a change: the secret stored already is kept. */
  secret_access_key?: string | undefined;
  force_path_style: boolean;
}

/** What the API and the dashboard show: never the secret, only whether one is set. */
export interface RecordingStorageView {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  force_path_style: boolean;
  secret_access_key_set: true;
  updated_at: Date;
}

export interface RecordingStorageDeps {
  userDb: UserDb;
  serviceDb: ServiceDb;
  keys: StorageKeyring;
  keyId: string;
  feature: Feature;
  policy: EndpointPolicy;
}

function view(row: repo.StorageConfigRow): RecordingStorageView {
  return {
    endpoint: row.endpoint,
    region: row.region,
    bucket: row.bucket,
    prefix: row.prefix,
    access_key_id: row.access_key_id,
    force_path_style: row.force_path_style,
    secret_access_key_set: true,
    updated_at: row.updated_at,
  };
}

/** The 422 of a failed check: the step, never what the store (or a host behind the endpoint) answered. */
export function probeFailed(step: StorageStepError['step']): UnprocessableError {
  return new UnprocessableError('storage_check_failed', `The storage check failed at step "${step}". Check the ${step === 'endpoint' ? 'endpoint (https:// on a public address)' : 'bucket, region and credentials'} and try again.`, { step });
}

/**
 * An organisation's recording storage (owners and admins change it, members
 * read it), under RLS. Saving tests the connection first (write, read back,
 * delete a probe object); the secret is encrypted under STORAGE_KEYS bound to
 * the organisation, and never returned.
 */
export function createRecordingStorageService(deps: RecordingStorageDeps) {
  function requireFeature(): void {
    if (!deps.feature.on) throw new AppError(503, 'feature_unavailable', 'Customer recording storage is not available here: STORAGE_KEYS is not configured.');
  }

  return {
    feature: deps.feature,

    async get(auth: AuthContext, orgId: string): Promise<RecordingStorageView | null> {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        const [row] = await repo.findStorage(tx, orgId);
        return row ? view(row) : null;
      });
    },

    async put(auth: AuthContext, orgId: string, input: RecordingStorageInput): Promise<RecordingStorageView> {
      requireFeature();
      // The role first: nobody else gets to make this server connect anywhere.
      const existing = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        return (await repo.findStorage(tx, orgId))[0] ?? null;
      });
      let secret = input.secret_access_key;
      if (!secret) {
        const [stored] = existing ? await repo.findStorageWithSecret(deps.serviceDb, orgId) : [];
        if (!stored) throw new UnprocessableError('secret_required', 'secret_access_key is required when storage is first configured.');
        try {
          secret = decryptStorageSecret(deps.keys, orgId, stored.secret_ciphertext);
        } catch {
          throw new UnprocessableError('secret_required', 'The stored secret cannot be read any more: send secret_access_key again.');
        }
      }
      const loc: StorageLocation = {
        endpoint: input.endpoint,
        region: input.region,
        bucket: input.bucket,
        prefix: input.prefix,
        accessKeyId: input.access_key_id,
        secretAccessKey: secret,
        forcePathStyle: input.force_path_style,
      };
      try {
        await probeStorage(loc, deps.policy, `.probe-${randomUUID()}`);
      } catch (err) {
        if (!(err instanceof StorageStepError)) throw err;
        logger.warn({ org_id: orgId, step: err.step, status: err.status, error_name: err.errorName }, 'recording storage check failed');
        throw probeFailed(err.step);
      }
      const sealed = encryptStorageSecret(deps.keys, deps.keyId, orgId, secret);
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const replaced = await repo.saveStorage(tx, {
          orgId,
          endpoint: input.endpoint,
          region: input.region,
          bucket: input.bucket,
          prefix: input.prefix,
          accessKeyId: input.access_key_id,
          forcePathStyle: input.force_path_style,
          secretCiphertext: sealed.ciphertext,
          keyId: sealed.keyId,
          updatedBy: auth.userId,
        });
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'recording_storage.updated',
          targetType: 'organization',
          targetId: orgId,
          metadata: { replaced, secret_changed: Boolean(input.secret_access_key), key_id: sealed.keyId },
        });
        const [row] = await repo.findStorage(tx, orgId);
        return view(row!);
      });
    },

    async remove(auth: AuthContext, orgId: string): Promise<void> {
      await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const deleted = await repo.deleteStorage(tx, orgId);
        if (deleted.count === 0) throw new NotFoundError('No recording storage is configured.');
        await writeAudit(tx, auth.actor, { orgId, action: 'recording_storage.deleted', targetType: 'organization', targetId: orgId });
      });
    },
  };
}

export type RecordingStorageService = ReturnType<typeof createRecordingStorageService>;

/**
 * STORAGE_KEYS is required once an organisation has storage configured: without it the
 * stored secrets cannot be read, and deliveries would silently stop. The server refuses to start then.
 */
export async function storageKeysProblem(serviceDb: ServiceDb, feature: Feature): Promise<string | null> {
  if (feature.on) return null;
  const n = await repo.countConfiguredStorage(serviceDb);
  return n > 0 ? `STORAGE_KEYS: required, ${n} organisation(s) have recording storage configured` : null;
}
