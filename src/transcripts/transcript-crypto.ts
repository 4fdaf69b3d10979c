/**
 * Transcript encryption: AES-256-GCM in the application, under a keyring of
 * 32-byte keys named by key id (`TRANSCRIPT_KEYS`), so keys can rotate while
 * rows written under older keys stay readable.
 *
 * Stored format (one ASCII string in `transcripts.ciphertext`):
 *
 *     v1.<kid>.<nonce>.<ciphertext>.<tag>
 *
 * - `v1`         format version; anything else is refused.
 * - `<kid>`      the key id (letters, digits, `_`, `-`; never a dot), also kept
 *                in `transcripts.key_id` so the rotation job can find old rows.
 * - `<nonce>`    96-bit random nonce, fresh for every encryption (base64url).
 * - `<ciphertext>` AES-256-GCM of the UTF-8 JSON of the transcript turns (base64url).
 * - `<tag>`      the 128-bit GCM authentication tag (base64url).
 *
 * Associated data is the JSON array `["transcript","v1",kid,orgId,transcriptId]`
 * (ids lower-cased): the version and key id cannot be swapped, and a ciphertext
 * copied to another row or another organisation fails authentication instead of
 * decrypting there. Random 96-bit nonces stay safe far beyond the number of
 * transcripts one key will ever encrypt (the 2^32 per-key bound of NIST SP 800-38D).
 *
 * Decryption either returns exactly what was encrypted or throws
 * `TranscriptDecryptionError` (malformed string, unknown key id, or failed
 * authentication: tampered nonce, ciphertext, tag or associated data).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** Key id → 32-byte AES key, as `config.transcriptKeys`. */
export type TranscriptKeyring = ReadonlyMap<string, Buffer>;

/** The row a ciphertext belongs to; both ids enter the associated data. */
export interface TranscriptBinding {
  orgId: string;
  transcriptId: string;
}

export const TRANSCRIPT_FORMAT_VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KID = /^[A-Za-z0-9_-]{1,32}$/;
const B64URL = /^[A-Za-z0-9_-]+$/;

export type TranscriptDecryptionReason = 'malformed' | 'unknown_key' | 'authentication_failed';

/**
 * A stored transcript that cannot be read back. The message names the reason
 * and never any part of the content.
 */
export class TranscriptDecryptionError extends Error {
  constructor(
    readonly reason: TranscriptDecryptionReason,
    message: string,
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'TranscriptDecryptionError';
  }
}

// Nonces are drawn from a pool of CSPRNG bytes filled 1024 at a time: one
// randomBytes call per encryption costs more than the AES itself. Every nonce
// is still fresh random bytes, and no byte of the pool is ever handed out twice.
const NONCE_POOL_SIZE = NONCE_BYTES * 1024;
let noncePool = Buffer.alloc(0);
let noncePoolOffset = 0;

function freshNonce(): Buffer {
  if (noncePoolOffset + NONCE_BYTES > noncePool.length) {
    noncePool = randomBytes(NONCE_POOL_SIZE);
    noncePoolOffset = 0;
  }
  const nonce = noncePool.subarray(noncePoolOffset, noncePoolOffset + NONCE_BYTES);
  noncePoolOffset += NONCE_BYTES;
  return nonce;
}

function associatedData(keyId: string, binding: TranscriptBinding): Buffer {
  // JSON of an array is an unambiguous encoding: no choice of ids can make two bindings collide.
  return Buffer.from(
    JSON.stringify(['transcript', TRANSCRIPT_FORMAT_VERSION, keyId, binding.orgId.toLowerCase(), binding.transcriptId.toLowerCase()]),
    'utf8',
  );
}

function keyFor(keyring: TranscriptKeyring, keyId: string): Buffer | undefined {
  const key = keyring.get(keyId);
  return key && key.length === KEY_BYTES ? key : undefined;
}

/** Strict base64url: Buffer.from would silently skip stray characters, which must not pass as a valid string. */
function decodePart(part: string | undefined): Buffer | undefined {
  if (!part || !B64URL.test(part)) return undefined;
  const bytes = Buffer.from(part, 'base64url');
  return bytes.toString('base64url') === part ? bytes : undefined;
}

/**
 * Encrypts a transcript's turns under `keyId` for the row `binding` names.
 * Throws (a configuration error, not a data error) when the key id is not in
 * the keyring or the turns cannot be serialised.
 */
export function encryptTranscript(keyring: TranscriptKeyring, keyId: string, binding: TranscriptBinding, turns: unknown): string {
  const key = keyFor(keyring, keyId);
  if (!KID.test(keyId) || !key) throw new Error(`Transcript key "${keyId}" is not in TRANSCRIPT_KEYS (or is not 32 bytes).`);
  const json = JSON.stringify(turns);
  if (json === undefined) throw new TypeError('Transcript turns must be JSON-serialisable.');
  const nonce = freshNonce();
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(associatedData(keyId, binding));
  const ciphertext = Buffer.concat([cipher.update(json, 'utf8'), cipher.final()]);
  const tag = cipher.getAuthTag();
  return [TRANSCRIPT_FORMAT_VERSION, keyId, nonce.toString('base64url'), ciphertext.toString('base64url'), tag.toString('base64url')].join('.');
}

/**
 * Decrypts a stored transcript for the row `binding` names and returns its
 * turns. Throws `TranscriptDecryptionError` for a malformed string, a key id
 * missing from the keyring, or anything that fails GCM authentication.
 */
export function decryptTranscript(keyring: TranscriptKeyring, binding: TranscriptBinding, stored: string): unknown {
  const parts = typeof stored === 'string' ? stored.split('.') : [];
  if (parts.length !== 5) throw new TranscriptDecryptionError('malformed', 'Transcript ciphertext is not in the v1 format.');
  const [version, keyId, noncePart, ciphertextPart, tagPart] = parts as [string, string, string, string, string];
  if (version !== TRANSCRIPT_FORMAT_VERSION) {
    throw new TranscriptDecryptionError('malformed', `Transcript ciphertext has unsupported version "${version.slice(0, 8)}".`);
  }
  if (!KID.test(keyId)) throw new TranscriptDecryptionError('malformed', 'Transcript ciphertext has an invalid key id.');
  const nonce = decodePart(noncePart);
  const ciphertext = decodePart(ciphertextPart);
  const tag = decodePart(tagPart);
  if (nonce?.length !== NONCE_BYTES || !ciphertext || tag?.length !== TAG_BYTES) {
    throw new TranscriptDecryptionError('malformed', 'Transcript ciphertext has a malformed nonce, body or tag.', keyId);
  }
  const key = keyFor(keyring, keyId);
  if (!key) throw new TranscriptDecryptionError('unknown_key', `Transcript key "${keyId}" is not in TRANSCRIPT_KEYS.`, keyId);

  let json: string;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    decipher.setAAD(associatedData(keyId, binding));
    decipher.setAuthTag(tag);
    json = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    throw new TranscriptDecryptionError(
      'authentication_failed',
      'Transcript ciphertext failed authentication (altered, or bound to another row or organisation).',
      keyId,
    );
  }
  try {
    return JSON.parse(json) as unknown;
  } catch {
    // Only reachable if something encrypted non-JSON under our key: still never hand back garbage.
    throw new TranscriptDecryptionError('malformed', 'Transcript plaintext is not JSON.', keyId);
  }
}
