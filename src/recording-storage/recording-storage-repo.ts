/**
 * SQL for app.recording_storage: an organisation's S3-compatible storage.
 * Users (under RLS) read every column but the encrypted secret, which only the
 * backend's service connection reads, to connect.
 */
import type { ServiceDb, Tx } from '../db/database.js';

/** What users see of a configuration. */
export interface StorageConfigRow {
  org_id: string;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  access_key_id: string;
  force_path_style: boolean;
  key_id: string;
  updated_at: Date;
}

const VISIBLE = ['org_id', 'endpoint', 'region', 'bucket', 'prefix', 'access_key_id', 'force_path_style', 'key_id', 'updated_at'] as const;

export function findStorage(tx: Tx, orgId: string) {
  return tx<StorageConfigRow[]>`select ${tx(VISIBLE)} from app.recording_storage where org_id = ${orgId}`;
}

/** The configuration with its encrypted secret (service connection only). */
export function findStorageWithSecret(db: ServiceDb | Tx, orgId: string) {
  return db<(StorageConfigRow & { secret_ciphertext: string })[]>`
    select ${db(VISIBLE)}, secret_ciphertext from app.recording_storage where org_id = ${orgId}`;
}

export interface StorageWrite {
  orgId: string;
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  forcePathStyle: boolean;
  secretCiphertext: string;
  keyId: string;
  updatedBy: string;
}

/** Inserts or replaces the configuration (under the user's token: RLS decides). Returns true when one existed. */
export async function saveStorage(tx: Tx, w: StorageWrite): Promise<boolean> {
  const fields = {
    endpoint: w.endpoint,
    region: w.region,
    bucket: w.bucket,
    prefix: w.prefix,
    access_key_id: w.accessKeyId,
    force_path_style: w.forcePathStyle,
    secret_ciphertext: w.secretCiphertext,
    key_id: w.keyId,
    updated_by: w.updatedBy,
  };
  const updated = await tx`update app.recording_storage set ${tx(fields)} where org_id = ${w.orgId}`;
  if (updated.count > 0) return true;
  await tx`insert into app.recording_storage ${tx({ org_id: w.orgId, ...fields })}`;
  return false;
}

export function deleteStorage(tx: Tx, orgId: string) {
  return tx`delete from app.recording_storage where org_id = ${orgId}`;
}

/** How many organisations have storage configured (the server refuses to start without STORAGE_KEYS then). */
export async function countConfiguredStorage(db: ServiceDb): Promise<number> {
  const [row] = await db<{ n: number }[]>`select count(*)::int as n from app.recording_storage`;
  return row?.n ?? 0;
}
