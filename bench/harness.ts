import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Express } from 'express';
import postgres from 'postgres';
import { openEmbeddedDatabase } from '../src/db/embedded.js';
import { migrate } from '../src/db/migrate.js';

/** A throw-away migrated database: fresh on DATABASE_URL's server, or embedded. */
export async function benchDatabase(): Promise<{ url: string; embedded: boolean; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (serverUrl) {
    const name = `bench_${Date.now()}_${randomBytes(3).toString('hex')}`;
    const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database ${name}`);
    const url = new URL(serverUrl);
    url.pathname = `/${name}`;
    const sql = postgres(url.toString(), { max: 1, onnotice: () => {} });
    await migrate(sql);
    await sql.end();
    return {
      url: url.toString(),
      embedded: false,
      async drop() {
        await admin.unsafe(`drop database if exists ${name} with (force)`);
        await admin.end();
      },
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-bench-'));
  const db = await openEmbeddedDatabase(dir);
  const sql = postgres(db.url, { max: 1, onnotice: () => {} });
  await migrate(sql);
  await sql.end();
  return {
    url: db.url,
    embedded: true,
    async drop() {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface LoadResult {
  rps: number;
  meanMs: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
}

export interface LoadOptions {
  method: 'GET' | 'POST' | 'PUT';
  /** A fixed path, or one chosen per request. */
  path: string | (() => string);
  headers?: Record<string, string>;
  body?: string | (() => string);
  connections: number;
  seconds: number;
  /** Per-request body and headers (overrides body and headers). */
  request?: () => { body: string; headers: Record<string, string> };
}

/** Drives an app on a loopback port with autocannon. */
export async function load(app: Express, opts: LoadOptions): Promise<LoadResult> {
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  try {
    const pathOf = typeof opts.path === 'function' ? opts.path : () => opts.path as string;
    const bodyOf = typeof opts.body === 'function' ? opts.body : () => opts.body as string | undefined;
    const result = await autocannon({
      url: `http://127.0.0.1:${port}`,
      method: opts.method,
      headers: opts.headers,
      connections: opts.connections,
      duration: opts.seconds,
      requests: [
        {
          setupRequest: (req) => {
            if (opts.request) {
              const r = opts.request();
              return { ...req, path: pathOf(), body: r.body, headers: { ...req.headers, ...r.headers } };
            }
            const body = bodyOf();
            return { ...req, path: pathOf(), ...(body === undefined ? {} : { body }) };
          },
        },
      ],
    });
    // Give handlers still running after the last response time to finish.
    await new Promise((r) => setTimeout(r, 300));
    return {
      rps: result.requests.average,
      meanMs: result.latency.average,
      p99Ms: result.latency.p99,
      errors: result.errors + result.timeouts,
      non2xx: result.non2xx,
    };
  } finally {
    // Let in-flight requests finish before the next run (or the database closes).
    const closed = new Promise((r) => server.close(r));
    server.closeIdleConnections();
    await closed;
  }
}

/** Runs baseline and candidate alternately, `rounds` times each, and keeps the median of each. */
export async function compare(
  rounds: number,
  baseline: () => Promise<LoadResult>,
  candidate: () => Promise<LoadResult>,
): Promise<{ baseline: LoadResult; candidate: LoadResult }> {
  const b: LoadResult[] = [];
  const c: LoadResult[] = [];
  for (let i = 0; i < rounds; i += 1) {
    b.push(await baseline());
    c.push(await candidate());
  }
  const median = (xs: LoadResult[]): LoadResult => {
    const sorted = [...xs].sort((x, y) => x.rps - y.rps);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  return { baseline: median(b), candidate: median(c) };
}

export function fmt(r: LoadResult): string {
  return `${r.rps.toFixed(0)} req/s, mean ${r.meanMs.toFixed(2)} ms, p99 ${r.p99Ms.toFixed(1)} ms, errors ${r.errors}, non-2xx ${r.non2xx}`;
}
