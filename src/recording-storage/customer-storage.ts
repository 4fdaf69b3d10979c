/**
 * An organisation's own store, as the rest of the backend uses it: the
 * configuration read with its secret decrypted at run time only, a client built
 * for each piece of work (the endpoint checked each time), and the operations
 * the deletion queue and the download route need.
 */
import type { Readable } from 'node:stream';
import type { ServiceDb } from '../db/database.js';
import { ProviderError } from '../providers/agent-platform.js';
import type { EndpointPolicy } from '../webhooks/endpoint-url.js';
import { decryptStorageSecret, type StorageKeyring } from './storage-crypto.js';
import * as repo from './recording-storage-repo.js';
import { deleteStoredObject, openObject, storageClient, StorageStepError, type StorageLocation } from './s3-store.js';

export interface CustomerStorageDeps {
  serviceDb: ServiceDb;
  keys: StorageKeyring;
  policy: EndpointPolicy;
}

export interface CustomerStorage {
  readonly policy: EndpointPolicy;
  /** The organisation's store with its secret, or null when none is configured (or the secret cannot be read). */
  location(orgId: string): Promise<StorageLocation | null>;
  /** Deletes an object: 'deleted', or a ProviderError (403 when our access is gone, retryable on outages). */
  deleteObject(orgId: string, key: string): Promise<'deleted'>;
  /** The object's bytes, streamed. */
  openObject(orgId: string, key: string): Promise<{ body: Readable; length: number | null }>;
}

function asProviderError(err: unknown, what: string): ProviderError {
  if (err instanceof StorageStepError) return new ProviderError('customer_storage', `${what} failed at step ${err.step} (${err.errorName})`, err.status ?? (err.retryable ? undefined : 403));
  return new ProviderError('customer_storage', `${what} failed (${(err as Error).name})`);
}

export function createCustomerStorage(deps: CustomerStorageDeps): CustomerStorage {
  async function location(orgId: string): Promise<StorageLocation | null> {
    const [row] = await repo.findStorageWithSecret(deps.serviceDb, orgId);
    if (!row) return null;
    let secret: string;
    try {
      secret = decryptStorageSecret(deps.keys, orgId, row.secret_ciphertext);
    } catch {
      return null;
    }
    return {
      endpoint: row.endpoint,
      region: row.region,
      bucket: row.bucket,
      prefix: row.prefix,
      accessKeyId: row.access_key_id,
      secretAccessKey: secret,
      forcePathStyle: row.force_path_style,
    };
  }

  return {
    policy: deps.policy,
    location,
    async deleteObject(orgId, key) {
      const loc = await location(orgId);
      // No configuration any more (or no key to read it): our access is gone, which will not change by retrying.
      if (!loc) throw new ProviderError('customer_storage', 'no usable storage configuration', 403);
      try {
        const client = storageClient(loc, deps.policy);
        try {
          await deleteStoredObject(client, loc, key);
        } finally {
          client.destroy();
        }
        return 'deleted';
      } catch (err) {
        throw asProviderError(err, 'object deletion');
      }
    },
    async openObject(orgId, key) {
      const loc = await location(orgId);
      if (!loc) throw new ProviderError('customer_storage', 'no usable storage configuration', 403);
      try {
        const client = storageClient(loc, deps.policy);
        const opened = await openObject(client, loc, key);
        opened.body.once('close', () => client.destroy());
        return opened;
      } catch (err) {
        throw asProviderError(err, 'object read');
      }
    },
  };
}
