import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { performance } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import type { Express } from 'express';
import postgres from 'postgres';
import { loadConfig, type AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
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
  p50Ms: number;
  p99Ms: number;
  errors: number;
  non2xx: number;
  /** CPU time the process under load spent per answered request (µs), where measured (multi-process benches). */
  cpuUsPerRequest?: number;
  /** CPU time the database's backends serving it spent per answered request (µs), where measured. */
  dbCpuUsPerRequest?: number;
  /** Share of the round the load generator's own event loop was busy (near 1: the load tool is the limit). */
  loaderBusy?: number;
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
      p50Ms: result.latency.p50,
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

/** BENCH_PROFILE: a folder for CPU profiles, or 1 (or true) for a fresh one under the temporary folder. */
export function profileDir(): string | undefined {
  const value = process.env.BENCH_PROFILE;
  if (!value || value === '0' || value === 'false') return undefined;
  if (value === '1' || value === 'true') return mkdtempSync(path.join(tmpdir(), 'voice-gdpr-profile-'));
  return value;
}

let ownProfileDir: string | undefined | null = null;

/**
 * With BENCH_PROFILE, writes a V8 CPU profile of each baseline and candidate run
 * of this process (open it in Chrome DevTools), to see where the time over the
 * baseline goes. (Benches whose load runs in other processes profile those instead.)
 */
async function profiled<T>(name: string, run: () => Promise<T>): Promise<T> {
  if (ownProfileDir === null) ownProfileDir = profileDir();
  const dir = ownProfileDir;
  if (!dir) return run();
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.start');
  try {
    return await run();
  } finally {
    const { profile } = await session.post('Profiler.stop');
    mkdirSync(dir, { recursive: true });
    writeFileSync(path.join(dir, `${name}-${Date.now()}.cpuprofile`), JSON.stringify(profile));
    session.disconnect();
  }
}

const WARM_UP_SECONDS = 1;

/**
 * Warms each side up (JIT, connection pools, prepared statements) for a
 * second, unmeasured, then runs baseline and candidate alternately, `rounds`
 * times each, and keeps the median of each figure on each side (the p99 of a
 * side is the median of its rounds' p99s, not the p99 of its median round).
 * Each side is given a duration in seconds, undefined meaning the bench's own.
 */
export async function compare(
  rounds: number,
  baseline: (seconds?: number) => Promise<LoadResult>,
  candidate: (seconds?: number) => Promise<LoadResult>,
  opts: { profileThisProcess?: boolean } = {},
): Promise<{ baseline: LoadResult; candidate: LoadResult }> {
  const here = opts.profileThisProcess ?? true;
  const run = <T>(name: string, fn: () => Promise<T>) => (here ? profiled(name, fn) : fn());
  await baseline(WARM_UP_SECONDS);
  await candidate(WARM_UP_SECONDS);
  const b: LoadResult[] = [];
  const c: LoadResult[] = [];
  for (let i = 0; i < rounds; i += 1) {
    let elu = performance.eventLoopUtilization();
    b.push(await run(`baseline-${i}`, () => baseline()));
    const eluB = performance.eventLoopUtilization(elu).utilization;
    elu = performance.eventLoopUtilization();
    c.push(await run(`candidate-${i}`, () => candidate()));
    const eluC = performance.eventLoopUtilization(elu).utilization;
    if (process.env.BENCH_VERBOSE) {
      // In-process benches: this event loop serves the load and the app; else the load's own figure is in fmt.
      const busy = (elu: number) => (here ? `, event loop ${(elu * 100).toFixed(0)}% busy` : '');
      console.error(`  round ${i + 1}: baseline ${fmt(b.at(-1)!)}${busy(eluB)}`);
      console.error(`           candidate ${fmt(c.at(-1)!)}${busy(eluC)}`);
    }
  }
  return { baseline: medians(b), candidate: medians(c) };
}

function medians(xs: LoadResult[]): LoadResult {
  const median = (pick: (r: LoadResult) => number) => {
    const sorted = xs.map(pick).sort((x, y) => x - y);
    return sorted[Math.floor(sorted.length / 2)]!;
  };
  const optional = (pick: (r: LoadResult) => number | undefined) => (xs.every((r) => pick(r) !== undefined) ? median((r) => pick(r)!) : undefined);
  return {
    rps: median((r) => r.rps),
    meanMs: median((r) => r.meanMs),
    p50Ms: median((r) => r.p50Ms),
    p99Ms: median((r) => r.p99Ms),
    errors: xs.reduce((sum, r) => sum + r.errors, 0),
    non2xx: xs.reduce((sum, r) => sum + r.non2xx, 0),
    cpuUsPerRequest: optional((r) => r.cpuUsPerRequest),
    dbCpuUsPerRequest: optional((r) => r.dbCpuUsPerRequest),
    loaderBusy: optional((r) => r.loaderBusy),
  };
}

export function fmt(r: LoadResult): string {
  const extra = [
    r.cpuUsPerRequest === undefined ? '' : `, ${r.cpuUsPerRequest.toFixed(0)} µs CPU/req`,
    r.dbCpuUsPerRequest === undefined ? '' : ` (+${r.dbCpuUsPerRequest.toFixed(0)} µs in the database)`,
    r.loaderBusy === undefined ? '' : `, load tool ${(r.loaderBusy * 100).toFixed(0)}% busy`,
  ].join('');
  return `${r.rps.toFixed(0)} req/s, mean ${r.meanMs.toFixed(2)} ms, p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms, errors ${r.errors}, non-2xx ${r.non2xx}${extra}`;
}

/** The configuration the call benchmarks run under: the database and the two providers' fakes. */
export function benchCallConfig(databaseUrl: string, twilioFake: { accountSid: string; url: string }, elFake: { url: string }): AppConfig {
  return loadConfig({
    DATA_DIR: '/tmp/voice-gdpr-bench-config',
    DATABASE_URL: databaseUrl,
    PUBLIC_BASE_URL: 'https://voice.example.test',
    SUPABASE_JWT_SECRET: 'bench-secret-'.padEnd(48, 'x'),
    TWILIO_ACCOUNT_SID: twilioFake.accountSid,
    TWILIO_AUTH_TOKEN: 'bench-twilio-token-0000',
    TWILIO_API_BASE_URL: twilioFake.url,
    ELEVENLABS_API_KEY: 'bench',
    ELEVENLABS_BASE_URL: elFake.url,
    ELEVENLABS_WEBHOOK_SECRET: 'wsec_bench_000000000000',
    TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
    FORGET_ME_SECRET: 'f'.repeat(40),
    BLIND_INDEX_KEY: 'b'.repeat(40),
  });
}

/** The organisation Twilio calls: keypad consent on, one agent on one number. Returns the number. */
export async function seedCalledOrganisation(sql: ServiceDb, name: string): Promise<string> {
  const [org] = await sql`insert into public.organizations (name) values (${name}) returning id`;
  await sql`insert into public.privacy_preferences (org_id, dtmf_consent) values (${org!.id}, true)`;
  const [agent] = await sql`
    insert into public.agents (org_id, name, language, first_message, elevenlabs_agent_id)
    values (${org!.id}, 'Bench', 'en', 'Hello! You are speaking with an AI assistant. This call is recorded.', 'agent_bench') returning id`;
  const number = '+353100000001';
  await sql`insert into public.phone_numbers (org_id, agent_id, e164) values (${org!.id}, ${agent!.id}, ${number})`;
  return number;
}
