/**
 * The customer's S3-compatible store, through the AWS SDK v3. Every client is
 * built for one run of work: the endpoint is checked against the outgoing-URL
 * rules (https on a public address in production, src/webhooks/endpoint-url.ts)
 * each time, and the connections go through a DNS lookup that refuses private
 * addresses, so a configured name cannot be moved onto this server's network.
 *
 * Uploads send the SHA-256 as the `x-amz-checksum-sha256` header with a known
 * Content-Length (never an aws-chunked trailer: the SDK adds checksums only
 * when an operation requires one), so a store that verifies checksums refuses
 * a body altered in transit.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Readable } from 'node:stream';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { checkEndpointUrl, guardedLookup, type EndpointPolicy } from '../webhooks/endpoint-url.js';

export interface StorageLocation {
  endpoint: string;
  region: string;
  bucket: string;
  prefix: string;
  accessKeyId: string;
  secretAccessKey: string;
  forcePathStyle: boolean;
}

/** The step of a storage operation that failed; what the store answered is never passed on. */
export type StorageStep = 'endpoint' | 'write' | 'read' | 'delete' | 'upload' | 'confirm' | 'checksum';

export class StorageStepError extends Error {
  constructor(
    readonly step: StorageStep,
    /** HTTP status the store answered, when it answered (for the log and the receipts only). */
    readonly status: number | undefined,
    /** Whether trying again later can help (an outage); a refusal (403, 404 bucket) will not change by itself. */
    readonly retryable: boolean,
    readonly errorName: string,
  ) {
    super(`storage ${step} failed${status ? ` (${status})` : ''}`);
    this.name = 'StorageStepError';
  }
}

function stepError(step: StorageStep, err: unknown): StorageStepError {
  if (err instanceof StorageStepError) return err;
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  const status = e.$metadata?.httpStatusCode;
  const retryable = status === undefined || status >= 500 || status === 429 || status === 408;
  return new StorageStepError(step, status, retryable, typeof e.name === 'string' ? e.name.slice(0, 60) : 'Error');
}

/** A client for one run of work against `loc`; throws StorageStepError('endpoint') when the endpoint breaks the rules. */
export function storageClient(loc: StorageLocation, policy: EndpointPolicy): S3Client {
  let endpoint: string;
  try {
    endpoint = checkEndpointUrl(loc.endpoint, policy);
  } catch {
    throw new StorageStepError('endpoint', undefined, false, 'EndpointRefused');
  }
  const lookup = guardedLookup(policy);
  return new S3Client({
    endpoint,
    region: loc.region,
    forcePathStyle: loc.forcePathStyle,
    credentials: { accessKeyId: loc.accessKeyId, secretAccessKey: loc.secretAccessKey },
    // Checksums only where an operation requires them: ours is sent as a header, with a known length.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 1,
    requestHandler: {
      httpAgent: new http.Agent({ lookup }),
      httpsAgent: new https.Agent({ lookup }),
      connectionTimeout: 10_000,
      requestTimeout: 120_000,
    },
  });
}

export function objectKey(loc: Pick<StorageLocation, 'prefix'>, name: string): string {
  return `${loc.prefix}${name}`;
}

/**
 * The check made when a configuration is saved: a probe object is written,
 * read back (and compared) and deleted. Throws StorageStepError naming the step.
 */
export async function probeStorage(loc: StorageLocation, policy: EndpointPolicy, probeName: string): Promise<void> {
  const client = storageClient(loc, policy);
  const key = objectKey(loc, probeName);
  const body = Buffer.from(`recording storage probe ${probeName}\n`, 'utf8');
  try {
    try {
      await client.send(new PutObjectCommand({ Bucket: loc.bucket, Key: key, Body: body, ContentLength: body.length, ContentType: 'text/plain' }));
    } catch (err) {
      throw stepError('write', err);
    }
    try {
      const got = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
      const bytes = Buffer.from(await got.Body!.transformToByteArray());
      if (!bytes.equals(body)) throw new StorageStepError('read', undefined, false, 'ProbeMismatch');
    } catch (err) {
      throw stepError('read', err);
    }
    try {
      await client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: key }));
    } catch (err) {
      throw stepError('delete', err);
    }
  } finally {
    client.destroy();
  }
}

/** SHA-256 (hex) of a stream, read chunk by chunk. */
export async function sha256OfStream(stream: Readable | AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Uint8Array);
  return hash.digest('hex');
}

/**
 * Uploads the file at `path` (`size` bytes, SHA-256 `sha256Hex`) under `key`, then
 * confirms it: by the checksum the store returns, or by reading the object back
 * and hashing it, streamed. Returns the ETag. Throws StorageStepError
 * ('upload', 'confirm' or 'checksum').
 */
export async function uploadAndConfirm(
  client: S3Client,
  loc: StorageLocation,
  u: { key: string; path: string; size: number; sha256Hex: string; contentType: string },
): Promise<{ etag: string | null }> {
  const checksum = Buffer.from(u.sha256Hex, 'hex').toString('base64');
  let etag: string | null;
  try {
    const put = await client.send(
      new PutObjectCommand({
        Bucket: loc.bucket,
        Key: u.key,
        Body: createReadStream(u.path),
        ContentLength: u.size,
        ContentType: u.contentType,
        ChecksumSHA256: checksum,
      }),
    );
    etag = put.ETag ?? null;
  } catch (err) {
    throw stepError('upload', err);
  }
  let stored: string;
  try {
    const head = await client.send(new HeadObjectCommand({ Bucket: loc.bucket, Key: u.key, ChecksumMode: 'ENABLED' }));
    if (head.ChecksumSHA256 && !head.ChecksumSHA256.includes('-')) {
      stored = Buffer.from(head.ChecksumSHA256, 'base64').toString('hex');
    } else {
      const got = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: u.key }));
      stored = await sha256OfStream(got.Body as Readable);
    }
    etag = etag ?? head.ETag ?? null;
  } catch (err) {
    throw stepError('confirm', err);
  }
  if (stored !== u.sha256Hex) throw new StorageStepError('checksum', undefined, true, 'ChecksumMismatch');
  return { etag };
}

/** The object's bytes, streamed (for a download), with its length when the store says it. */
export async function openObject(client: S3Client, loc: StorageLocation, key: string): Promise<{ body: Readable; length: number | null }> {
  try {
    const got = await client.send(new GetObjectCommand({ Bucket: loc.bucket, Key: key }));
    return { body: got.Body as Readable, length: got.ContentLength ?? null };
  } catch (err) {
    throw stepError('read', err);
  }
}

/** Deletes the object (S3 answers 204 whether or not it was there). */
export async function deleteStoredObject(client: S3Client, loc: StorageLocation, key: string): Promise<void> {
  try {
    await client.send(new DeleteObjectCommand({ Bucket: loc.bucket, Key: key }));
  } catch (err) {
    throw stepError('delete', err);
  }
}
