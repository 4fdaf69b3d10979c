/**
 * The secret access key of an organisation's recording storage, encrypted with
 * AES-256-GCM under a keyring of its own (`STORAGE_KEYS`, new secrets under
 * `STORAGE_KEY_ID`), so keys can rotate while secrets stored under older keys
 * stay readable.
 *
 * Stored format: `v1.<kid>.<nonce>.<ciphertext>.<tag>` (base64url parts, a
 * fresh 96-bit nonce each time). Associated data is the JSON array
 * `["recording_storage","v1",kid,orgId]`: a ciphertext copied to another
 * organisation fails authentication instead of decrypting there.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export type StorageKeyring = ReadonlyMap<string, Buffer>;

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

/** A stored secret that cannot be read back (the message never carries any part of it). */
export class StorageSecretError extends Error {
  constructor(readonly reason: 'malformed' | 'unknown_key' | 'authentication_failed') {
    super(`The stored storage secret cannot be decrypted (${reason}).`);
    this.name = 'StorageSecretError';
  }
}

function associatedData(keyId: string, orgId: string): Buffer {
  return Buffer.from(JSON.stringify(['recording_storage', VERSION, keyId, orgId.toLowerCase()]), 'utf8');
}

function decodePart(part: string | undefined): Buffer | undefined {
  if (!part || !B64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : undefined;
}

/** Encrypts `secret` for organisation `orgId` under `keyId`. */
export function encryptStorageSecret(keyring: StorageKeyring, keyId: string, orgId: string, secret: string): { ciphertext: string; keyId: string } {
  const key = keyring.get(keyId);
  if (!KID.test(keyId) || key?.length !== 32) throw new Error(`Storage key "${keyId}" is not in STORAGE_KEYS (or is not 32 bytes).`);
  const nonce = randomBytes(NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(keyId, orgId));
  const body = Buffer.concat([cipher.update(secret, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return { ciphertext: [VERSION, keyId, nonce.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join('.'), keyId };
}

/** Decrypts a stored secret of organisation `orgId`, or throws StorageSecretError. */
export function decryptStorageSecret(keyring: StorageKeyring, orgId: string, stored: string): string {
  const parts = stored.split('.');
  if (parts.length !== 5 || parts[0] !== VERSION || !KID.test(parts[1]!)) throw new StorageSecretError('malformed');
  const keyId = parts[1]!;
  const nonce = decodePart(parts[2]);
  const body = decodePart(parts[3]);
  const tag = decodePart(parts[4]);
  if (nonce?.length !== NONCE_BYTES || !body || tag?.length !== TAG_BYTES) throw new StorageSecretError('malformed');
  const key = keyring.get(keyId);
  if (key?.length !== 32) throw new StorageSecretError('unknown_key');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, orgId));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
  } catch {
    throw new StorageSecretError('authentication_failed');
  }
}
