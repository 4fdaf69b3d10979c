import { fork, spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { startElevenLabsFake } from '../test/fakes/elevenlabs-fake.js';
import { startTwilioFake } from '../test/fakes/twilio-fake.js';
import { formatSummary, summariseProfiles, type Stage } from './cpu-profile.js';
import { compare, fmt, profileDir, seedCalledOrganisation, benchDatabase, type LoadResult } from './harness.js';
import type { LoadReport, LoadRequest } from './processes/load.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const CONNECTIONS = 50;
const PUBLIC_BASE_URL = 'https://voice.example.test';
const TWILIO_AUTH_TOKEN = 'bench-twilio-token-0123456789abcdef';
/** Node flags of both HTTP processes (the server and the bare baseline), so neither gets an edge; BENCH_NODE_FLAGS adds some to both. */
const NODE_FLAGS = [...(process.env.BENCH_NODE_FLAGS ?? '').split(' ').filter(Boolean), '--import', 'tsx'];

const inPackage = (url: string, ...names: string[]) => names.some((n) => url.includes(`/node_modules/${n}/`));
const inFile = (url: string, ...files: string[]) => files.some((f) => url.endsWith(f));

/**
 * The stages of a webhook request a CPU sample is charged to: the innermost
 * frame on its stack that one of these claims (so Express's dispatch between
 * two middlewares is dispatch, and a socket write under postgres.js is the
 * database client's).
 */
export const STAGES: Stage[] = [
  { label: 'garbage collection', claims: (fn) => fn === '(garbage collector)' },
  { label: 'logging (pino, per-request line)', claims: (_fn, url) => inPackage(url, 'pino', 'sonic-boom', 'fast-redact', '@pinojs/redact') || inFile(url, 'src/lib/logger.ts') },
  { label: 'database client (postgres.js)', claims: (_fn, url) => inPackage(url, 'postgres') },
  { label: 'batching (DataLoader)', claims: (_fn, url) => inPackage(url, 'dataloader') },
  { label: 'phone numbers (libphonenumber-js)', claims: (_fn, url) => inPackage(url, 'libphonenumber-js') },
  { label: 'signature check (twilio validateRequest)', claims: (_fn, url) => url.includes('/node_modules/twilio/lib/webhooks/') },
  { label: 'validation (zod)', claims: (_fn, url) => inPackage(url, 'zod') },
  { label: 'form body (raw-body, URLSearchParams)', claims: (fn, url) => inPackage(url, 'raw-body') || fn === 'formBody' },
  { label: 'security headers (helmet)', claims: (_fn, url) => inPackage(url, 'helmet') },
  { label: 'request id and context (AsyncLocalStorage, proxy-addr)', claims: (_fn, url) => inFile(url, 'src/http/request-context-middleware.ts', 'src/lib/request-context.ts') || inPackage(url, 'proxy-addr', 'ipaddr.js') || url === 'node:async_hooks' || url.startsWith('node:internal/async_hooks') || url.startsWith('node:internal/async_local_storage') },
  { label: 'call flow (routing, keyed hash, TwiML)', claims: (_fn, url) => url.includes('/src/calls/') || url.includes('/src/lib/') },
  { label: 'answer (res.send, headers, socket write)', claims: (_fn, url) => url.endsWith('/node_modules/express/lib/response.js') || url === 'node:_http_outgoing' || inPackage(url, 'etag', 'fresh', 'send') },
  { label: 'HTTP parsing and dispatch (Express, or ahead of it)', claims: (_fn, url) => inPackage(url, 'router', 'express', 'path-to-regexp', 'parseurl', 'finalhandler', 'on-finished') || inFile(url, 'src/http/ahead-of-express.ts') || url === 'node:_http_server' || url === 'node:_http_common' || url === 'node:_http_incoming' },
];

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** User plus system CPU time of a process so far, in microseconds (Linux /proc; undefined elsewhere). */
function cpuMicros(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime, fields 14 and 15 of stat(5), in clock ticks (USER_HZ, 100 on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}

const nowMicros = () => Number(process.hrtime.bigint() / 1000n);

function exited(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** The next IPC message of a child that satisfies pick. */
function nextMessage<T>(child: ChildProcess, pick: (m: unknown) => m is T): Promise<T> {
  return new Promise((resolve, reject) => {
    const onMessage = (m: unknown) => {
      if (m && typeof m === 'object' && (m as { type?: string }).type === 'error') {
        cleanup();
        reject(new Error(`${(m as { message: string }).message}`));
      } else if (pick(m)) {
        cleanup();
        resolve(m);
      }
    };
    const onExit = (code: number | null) => {
      cleanup();
      reject(new Error(`a bench process exited (${code}) before answering`));
    };
    const cleanup = () => {
      child.off('message', onMessage);
      child.off('exit', onExit);
    };
    child.on('message', onMessage);
    child.on('exit', onExit);
  });
}

const isType =
  <T>(type: string) =>
  (m: unknown): m is T =>
    !!m && typeof m === 'object' && (m as { type?: string }).type === type;

/**
 * The incoming-call webhook as a load balancer sees it: our server (`npm start`
 * in production mode, real PostgreSQL, full middleware, per-request logs to a
 * file) in one process, bare Express answering the same route with a fixed
 * TwiML in a second, autocannon (50 connections) in a third. Every request is a
 * new call signed as Twilio signs it, from a German number to an organisation
 * with keypad consent on, so our answer is the consent prompt. Alternating
 * rounds; figures are our server's over bare Express's. Afterwards every call
 * answered with the prompt must be in the calls table, including those of a
 * last round cut short by killing the server (SIGKILL): a call is stored
 * before it is answered. Goals: throughput >= 0.7, p99 <= 1.5x.
 * BENCH_PROFILE runs both HTTP processes with --cpu-prof and prints where the
 * CPU time of the measured rounds goes.
 */
export async function benchIncomingCall(seconds: number, rounds: number): Promise<{ lines: string[]; throughputRatio: number; p99Ratio: number }> {
  const database = await benchDatabase();
  const sql = postgres(database.url, { max: 2, onnotice: () => {} });
  const twilioFake = await startTwilioFake();
  const elFake = await startElevenLabsFake();
  const work = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-bench-incoming-'));
  const profiles = profileDir();
  const children: ChildProcess[] = [];
  try {
    const number = await seedCalledOrganisation(sql, 'Bench');
    // One folder per process: each thread (tsx's module hooks run in one of their own) writes a profile.
    const profileFlags = (name: string) => (profiles ? ['--cpu-prof', `--cpu-prof-dir=${path.join(profiles, name)}`] : []);

    // Every variable production requires (src/config/env.ts); logs as production writes them (info).
    const serverEnv = (port: number): NodeJS.ProcessEnv => ({
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      NODE_ENV: 'production',
      LOG_LEVEL: 'info',
      PORT: String(port),
      DATA_DIR: path.join(work, 'data'),
      DATABASE_URL: database.url,
      PUBLIC_BASE_URL,
      SUPABASE_URL: 'http://127.0.0.1:9',
      SUPABASE_SERVICE_ROLE_KEY: 'bench-service-role-key',
      SUPABASE_JWT_SECRET: 'bench-secret-'.padEnd(48, 'x'),
      TWILIO_ACCOUNT_SID: twilioFake.accountSid,
      TWILIO_AUTH_TOKEN,
      TWILIO_API_BASE_URL: twilioFake.url,
      TWILIO_SMS_FROM: '+4930123456780',
      ELEVENLABS_API_KEY: 'bench-elevenlabs-key',
      ELEVENLABS_BASE_URL: elFake.url,
      ELEVENLABS_WEBHOOK_SECRET: 'wsec_bench_0123456789abcdef',
      SMTP_URL: 'smtp://127.0.0.1:9',
      MAIL_FROM: 'privacy@voice.example.test',
      DPO_EMAIL: 'dpo@voice.example.test',
      TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      TRANSCRIPT_KEY_ID: 'k1',
      FORGET_ME_SECRET: 'f'.repeat(40),
      BLIND_INDEX_KEY: 'b'.repeat(40),
    });

    const logs: string[] = [];
    const startServer = async (name: string, profile: boolean) => {
      const port = await freePort();
      const logFile = path.join(work, `${name}.log`);
      logs.push(logFile);
      const out = openSync(logFile, 'w');
      const child = spawn(process.execPath, [...(profile ? profileFlags('server') : []), ...NODE_FLAGS, 'src/server.ts'], {
        cwd: ROOT,
        env: serverEnv(port),
        stdio: ['ignore', out, out],
      });
      closeSync(out);
      children.push(child);
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && child.exitCode === null) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (ready?.ok) return { child, port };
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`the server did not start:\n${readFileSync(logFile, 'utf8').slice(-2000)}`);
    };

    const loader = fork(path.join(ROOT, 'bench/processes/load.ts'), [], { execArgv: ['--import', 'tsx'], cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    children.push(loader);
    const loaderReady = nextMessage(loader, isType('ready'));
    const bare = fork(path.join(ROOT, 'bench/processes/bare-express.ts'), [], {
      execArgv: [...profileFlags('bare'), ...NODE_FLAGS],
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, NODE_ENV: 'production' },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    children.push(bare);
    const { port: barePort } = await nextMessage<{ type: 'listening'; port: number }>(bare, isType('listening'));
    let server = await startServer('server', true);
    await loaderReady;

    const answered: string[] = [];
    let otherAnswers = 0;
    const windows = { bare: [] as [number, number][], server: [] as [number, number][] };
    const round = async (side: 'bare' | 'server', s: number | undefined, opts: { killAfterMs?: number } = {}): Promise<LoadResult> => {
      const target = side === 'bare' ? { child: bare, port: barePort } : server;
      const request: LoadRequest = {
        type: 'run',
        port: target.port,
        seconds: s ?? seconds,
        connections: CONNECTIONS,
        signedUrl: `${PUBLIC_BASE_URL}/webhooks/twilio/voice`,
        authToken: TWILIO_AUTH_TOKEN,
        accountSid: twilioFake.accountSid,
        to: number,
      };
      // The server's database backends (PostgreSQL runs on this machine; not measurable on the embedded one).
      const backends = side === 'server' && !database.embedded
        ? (await sql<{ pid: number }[]>`select pid from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`).map((r) => r.pid)
        : [];
      const dbCpu = () => {
        const each = backends.map(cpuMicros);
        return each.includes(undefined) ? undefined : each.reduce((sum: number, c) => sum + c!, 0);
      };
      const dbBefore = dbCpu();
      const cpuBefore = cpuMicros(target.child.pid!);
      const from = nowMicros();
      const reply = nextMessage<LoadReport>(loader, isType('result'));
      loader.send(request);
      if (opts.killAfterMs) setTimeout(() => target.child.kill('SIGKILL'), opts.killAfterMs);
      const r = await reply;
      const to = nowMicros();
      if (s === undefined) windows[side].push([from, to]);
      // Let requests still running after the last response finish before the next round.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const cpuAfter = cpuMicros(target.child.pid!);
      const dbAfter = dbCpu();
      if (side === 'server') {
        answered.push(...r.answered);
        otherAnswers += r.otherAnswers;
      }
      const count = r.answered.length + r.otherAnswers;
      return {
        rps: r.rps,
        meanMs: r.meanMs,
        p50Ms: r.p50Ms,
        p99Ms: r.p99Ms,
        errors: r.errors,
        non2xx: r.non2xx,
        cpuUsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined && count > 0 ? (cpuAfter - cpuBefore) / count : undefined,
        dbCpuUsPerRequest: backends.length > 0 && dbBefore !== undefined && dbAfter !== undefined && count > 0 ? (dbAfter - dbBefore) / count : undefined,
        loaderBusy: r.busy,
      };
    };

    const { baseline, candidate } = await compare(
      rounds,
      (s) => round('bare', s),
      (s) => round('server', s),
      { profileThisProcess: false },
    );

    // A profiled process writes its profile when it exits: stop both cleanly (the server's own SIGTERM path).
    const profileLines: string[] = [];
    if (profiles) {
      server.child.kill('SIGTERM');
      bare.disconnect();
      const [serverExit] = await Promise.all([exited(server.child), exited(bare)]);
      if (serverExit !== 0) throw new Error(`the server exited with ${serverExit} on SIGTERM`);
      const files = (name: string) =>
        readdirSync(path.join(profiles, name))
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => path.join(profiles, name, f));
      // The measured rounds' time windows, for reading the profiles further (CLOCK_MONOTONIC µs).
      writeFileSync(path.join(profiles, 'windows.json'), JSON.stringify(windows));
      profileLines.push(...formatSummary('server', summariseProfiles(files('server'), windows.server, ROOT, STAGES)));
      profileLines.push(...formatSummary('bare Express', summariseProfiles(files('bare'), windows.bare, ROOT, STAGES)));
      profileLines.push(`  profiles: ${profiles}`);
      server = await startServer('server-crash', false);
      await round('server', 1);
    }

    // The crash round: the server is killed mid-load; every call it had answered must be stored.
    const crashSeconds = 2;
    const crash = await round('server', crashSeconds, { killAfterMs: crashSeconds * 750 });
    await exited(server.child);
    const stored = new Set<string>();
    // A batch's calls share their created_at (now() is the transaction's start): distinct values count the commits.
    const commits = new Set<number>();
    for (let i = 0; i < answered.length; i += 10_000) {
      const rows = await sql<{ twilio_call_sid: string; created_at: Date }[]>`
        select twilio_call_sid, created_at from public.calls
        where twilio_call_sid = any(${answered.slice(i, i + 10_000)}::text[]) and consent_state = 'pending'`;
      for (const r of rows) {
        stored.add(r.twilio_call_sid);
        commits.add(r.created_at.getTime());
      }
    }
    const missing = answered.filter((sid) => !stored.has(sid)).length;
    const logText = logs.map((f) => readFileSync(f, 'utf8')).join('');
    const logLines = logText.split('\n').filter((l) => l.startsWith('{'));
    const errorLines = logLines.filter((l) => (JSON.parse(l) as { level: number }).level >= 50);

    const throughputRatio = candidate.rps / baseline.rps;
    const p50Ratio = candidate.p50Ms / Math.max(baseline.p50Ms, 1);
    const p99Ratio = candidate.p99Ms / Math.max(baseline.p99Ms, 1);
    const lines = [
      `incoming-call webhook (signed, consent path) on ${database.embedded ? 'embedded PGlite' : 'PostgreSQL'}: server, bare Express and autocannon (${CONNECTIONS} connections) in three processes`,
      `  bare Express, fixed TwiML:        ${fmt(baseline)}`,
      `  npm start (production), /voice:  ${fmt(candidate)}`,
      `  throughput ratio ${throughputRatio.toFixed(3)} (goal >= 0.7), p50 ratio ${p50Ratio.toFixed(2)}, p99 ratio ${p99Ratio.toFixed(2)} (goal <= 1.5)`,
      `  stored: ${answered.length - missing} of ${answered.length} calls answered with the consent prompt (${crash.rps.toFixed(0)} req/s in the round cut by SIGKILL), ${otherAnswers} other answers, ${(stored.size / Math.max(commits.size, 1)).toFixed(1)} calls per commit; server log: ${logLines.length} lines, ${errorLines.length} errors`,
      ...profileLines,
    ];
    if (missing > 0 || otherAnswers > 0 || errorLines.length > 0 || candidate.non2xx > 0) {
      for (const line of lines) console.log(line);
      for (const line of errorLines.slice(0, 5)) console.log(line);
      throw new Error('incoming-call bench: a call was answered without being stored, answered otherwise, or the server logged errors');
    }
    return { throughputRatio, p99Ratio, lines };
  } finally {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await twilioFake.close();
    await elFake.close();
    await sql.end();
    await database.drop();
    rmSync(work, { recursive: true, force: true });
  }
}
