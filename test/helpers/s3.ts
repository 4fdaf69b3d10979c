import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import AWSAccount from 's3rver/lib/models/account.js';

/** A key pair of s3rver's account: the right credentials. Any other access key id is refused (InvalidAccessKeyId, 403). */
export const S3_ACCESS_KEY_ID = 'AKIACUSTOMERSTORAGE1';
export const S3_SECRET = 'customer-secret-Zq8xW3vN7pL2kR5tY9';
AWSAccount.DUMMY_ACCOUNT.createKeyPair(S3_ACCESS_KEY_ID, S3_SECRET);

export interface TestS3 {
  url: string;
  bucket: string;
  client: S3Client;
  /** The object's bytes, or null when it is not there. */
  object(key: string): Promise<Buffer | null>;
  keys(): Promise<string[]>;
  close(): Promise<void>;
}

/** A real S3-compatible server (s3rver) on 127.0.0.1 with a random port and one bucket, checking access key ids. */
export async function startS3(bucket = 'customer-recordings'): Promise<TestS3> {
  const directory = mkdtempSync(path.join(tmpdir(), 's3rver-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory, allowMismatchedSignatures: false, configureBuckets: [{ name: bucket }] });
  const { port } = await server.run();
  const url = `http://127.0.0.1:${port}`;
  const client = new S3Client({
    endpoint: url,
    region: 'eu-central-1',
    forcePathStyle: true,
    credentials: { accessKeyId: S3_ACCESS_KEY_ID, secretAccessKey: S3_SECRET },
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    url,
    bucket,
    client,
    async object(key) {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
      } catch {
        return null;
      }
      const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      return Buffer.from(await got.Body!.transformToByteArray());
    },
    async keys() {
      const listed = await client.send(new ListObjectsV2Command({ Bucket: bucket }));
      return (listed.Contents ?? []).map((o) => o.Key!).sort();
    },
    async close() {
      client.destroy();
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/**
 * A proxy in front of a store: while `corruptUploads` > 0, the body of each PUT
 * has one byte flipped on its way (the headers, checksum included, untouched),
 * as a fault in transit would. `down` makes it refuse connections' requests with 503.
 */
export async function startProxy(target: string): Promise<{ url: string; state: { corruptUploads: number; down: boolean }; close(): Promise<void> }> {
  const state = { corruptUploads: 0, down: false };
  const t = new URL(target);
  const server = http.createServer((req, res) => {
    if (state.down) {
      req.resume();
      res.writeHead(503, { 'content-type': 'application/xml' });
      res.end('<Error><Code>ServiceUnavailable</Code><Message>down</Message></Error>');
      return;
    }
    const corrupt = req.method === 'PUT' && state.corruptUploads > 0 && Number(req.headers['content-length'] ?? 0) > 0;
    if (corrupt) state.corruptUploads -= 1;
    let flipped = false;
    const upstream = http.request(
      { host: t.hostname, port: t.port, method: req.method, path: req.url, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.on('data', (chunk: Buffer) => {
      if (corrupt && !flipped && chunk.length > 0) {
        chunk = Buffer.from(chunk);
        chunk[chunk.length - 1] = chunk[chunk.length - 1]! ^ 0xff;
        flipped = true;
      }
      upstream.write(chunk);
    });
    req.on('end', () => upstream.end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    state,
    close: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
