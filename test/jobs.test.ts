import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb, Tx } from '../src/db/database.js';
import { migrate } from '../src/db/migrate.js';
import { buildJobContext } from '../src/container.js';
import type { JobContext } from '../src/jobs/job-context.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { createRunCoordinator } from '../src/jobs/run-coordinator.js';
import { runJobNow, startScheduler, UnknownJobError } from '../src/jobs/scheduler.js';
import type { JobDefinition } from '../src/lib/job.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { startElevenLabsFake, type ElevenLabsFake } from './fakes/elevenlabs-fake.js';
import { startTwilioFake, type TwilioFake } from './fakes/twilio-fake.js';
import { sleep, TWILIO_TEST_SID, TWILIO_TEST_TOKEN } from './helpers/call-harness.js';
import { openTestDb, testConfig } from './helpers/harness.js';

const EL_KEY = 'el-test-key';
const hex = () => randomBytes(4).toString('hex');

let db: ServiceDb;
let config: AppConfig;
let ctx: JobContext;
let twilioFake: TwilioFake;
let elFake: ElevenLabsFake;
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  db = openTestDb();
  config = testConfig();
  ctx = buildJobContext(config, db, { telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform() });
  twilioFake = await startTwilioFake({ accountSid: TWILIO_TEST_SID, authToken: TWILIO_TEST_TOKEN });
  elFake = await startElevenLabsFake({ apiKey: EL_KEY });
});
afterAll(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  for (const cleanup of cleanups.reverse()) await cleanup();
  await twilioFake?.close();
  await elFake?.close();
  await db?.end();
});

/**
 * A database whose provider-deletion queue nobody else works. On PostgreSQL,
 * where test files run in parallel, a fresh one (another file's worker would
 * otherwise take our queued deletions to its fakes, and ours theirs); the
 * embedded database runs files one after another, so the run's own.
 */
async function queueDatabase(): Promise<{ url: string; db: ServiceDb }> {
  if (inject('embedded')) return { url: inject('databaseUrl'), db };
  const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
  const name = `jobs_${Date.now()}_${hex()}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  const own = postgres(url.toString(), { max: 4, onnotice: () => {} });
  await migrate(own);
  cleanups.push(async () => {
    await own.end();
    await admin.unsafe(`drop database if exists ${name} with (force)`);
    await admin.end();
  });
  return { url: url.toString(), db: own };
}

/** What a process of ours needs besides the database: the test secrets, and the fakes as providers. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: Record<string, string | undefined> = {
    ...process.env,
    SUPABASE_JWT_SECRET: config.supabase.jwtSecret!,
    TWILIO_ACCOUNT_SID: TWILIO_TEST_SID,
    TWILIO_AUTH_TOKEN: TWILIO_TEST_TOKEN,
    TWILIO_API_BASE_URL: twilioFake.url,
    ELEVENLABS_API_KEY: EL_KEY,
    ELEVENLABS_BASE_URL: elFake.url,
    ELEVENLABS_WEBHOOK_SECRET: config.elevenlabs.webhookSecret,
    TRANSCRIPT_KEYS: `k1:${config.transcriptKeys.get('k1')!.toString('base64')}`,
    FORGET_ME_SECRET: config.forgetMeSecret,
    BLIND_INDEX_KEY: config.blindIndexKey.toString('utf8'),
    DATA_DIR: config.dataDir,
    LOG_LEVEL: 'silent',
    ...extra,
  };
  delete env.NODE_ENV;
  if (!extra.DATABASE_URL) delete env.DATABASE_URL;
  return env as NodeJS.ProcessEnv;
}

/** Runs `src/<script>` with tsx, as `npm run …` does; resolves with its exit code and output. */
function runScript(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number | null; stdout: string; stderr: string; pid: number }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', script, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.once('error', reject);
    child.once('exit', (code) => resolve({ code, stdout, stderr, pid: child.pid! }));
  });
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A recording and a conversation the fakes hold, queued for deletion. */
async function queueDeletions(sql: ServiceDb | Tx, n: number) {
  const recordings: string[] = [];
  const conversations: string[] = [];
  for (let i = 0; i < n; i += 1) {
    const sid = `RE${randomBytes(16).toString('hex')}`;
    const at = new Date();
    twilioFake.recordings.set(sid, {
      sid,
      accountSid: TWILIO_TEST_SID,
      callSid: `CA${randomBytes(16).toString('hex')}`,
      conferenceSid: null,
      status: 'completed',
      channels: 2,
      source: 'StartCallRecordingAPI',
      track: 'both',
      duration: '30',
      statusCallback: null,
      statusCallbackMethod: 'POST',
      statusCallbackEvents: ['completed'],
      trim: 'do-not-trim',
      dateCreated: at,
      dateUpdated: at,
      startTime: at,
    });
    const conv = `conv_${randomBytes(10).toString('hex')}`;
    elFake.addConversation(conv, 'agent_jobs');
    await sql`
      insert into public.provider_deletions (provider, resource_type, resource_id, reason)
      values ('twilio', 'recording', ${sid}, 'retention'), ('elevenlabs', 'conversation', ${conv}, 'retention')`;
    recordings.push(sid);
    conversations.push(conv);
  }
  return { recordings, conversations };
}

/** How many DELETE requests each resource got at the fakes. */
function deleteRequests(ids: string[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(ids.map((id) => [id, 0]));
  for (const r of [...twilioFake.requests, ...elFake.requests]) {
    if (r.method !== 'DELETE') continue;
    const id = ids.find((x) => r.path.endsWith(`/${x}.json`) || r.path.endsWith(`/${x}`));
    if (id) counts[id]! += 1;
  }
  return counts;
}

describe('run coordinator', () => {
  it('gives each slot to exactly one of two replicas (two pools) racing for it', async () => {
    const max = inject('embedded') ? 1 : 4;
    const poolA = postgres(inject('databaseUrl'), { max, onnotice: () => {} });
    const poolB = postgres(inject('databaseUrl'), { max, onnotice: () => {} });
    try {
      const a = createRunCoordinator(poolA, { instanceId: 'replica-a' });
      const b = createRunCoordinator(poolB, { instanceId: 'replica-b' });
      const job = `race-${hex()}`;
      const base = Date.UTC(2031, 0, 1, 3, 0, 0);
      for (let i = 0; i < 12; i += 1) {
        const slot = new Date(base + i * 60_000);
        const key = `${job}:${slot.toISOString()}`; // node-cron's coordination key
        const [wonA, wonB] = await Promise.all([a.shouldRun(key, 30_000), b.shouldRun(key, 30_000)]);
        expect(Number(wonA) + Number(wonB)).toBe(1);
        const winner = wonA ? a : b;
        const run = winner.claimed(job, slot)!;
        expect(run).toMatchObject({ jobName: job, slot, claimedBy: wonA ? 'replica-a' : 'replica-b' });
        expect((wonA ? b : a).claimed(job, slot)).toBeUndefined();
        await winner.finish(run, { counts: { tick: i } });
        await winner.onComplete!(key);
      }
      const rows = await db`select slot, claimed_by, status, counts from public.job_runs where job_name = ${job} order by slot`;
      expect(rows.map((r) => (r.slot as Date).getTime())).toEqual(Array.from({ length: 12 }, (_, i) => base + i * 60_000));
      rows.forEach((r, i) => expect(r).toMatchObject({ status: 'succeeded', counts: { tick: i } }));
    } finally {
      await poolA.end();
      await poolB.end();
    }
  });

  it('a live run holds back the next tick; a crashed one is marked failed after the timeout and blocks nothing', async () => {
    const coordinator = createRunCoordinator(db, { instanceId: 'replica-a', staleAfterMs: 60_000 });
    const job = `stale-${hex()}`;
    const at = (minute: number) => new Date(Date.UTC(2031, 0, 2, 3, minute));

    const crashed = await coordinator.claim(job, at(0));
    expect(crashed).not.toBeNull();
    // still running (started just now): the next tick is skipped on every replica …
    expect(await coordinator.claim(job, at(1))).toBeNull();
    // … but a run by hand is not refused
    const manual = await coordinator.claim(job, new Date(at(1).getTime() + 123), { manual: true });
    expect(manual).not.toBeNull();
    await coordinator.finish(manual!, { counts: {} });

    // The first run's process died: no result, and it started longer ago than the timeout.
    await db`update public.job_runs set started_at = now() - interval '2 minutes' where id = ${crashed!.id}`;
    const next = await coordinator.claim(job, at(2));
    expect(next).not.toBeNull();
    const [dead] = await db`select status, error, finished_at from public.job_runs where id = ${crashed!.id}`;
    expect(dead).toMatchObject({ status: 'failed', error: expect.stringMatching(/^abandoned: no result recorded within 1 min/) });
    expect(dead!.finished_at).toBeInstanceOf(Date);
    await coordinator.finish(next!, { counts: {} });
    await coordinator.close();
  });
});

describe('run coordinator, when the outcome cannot be written', () => {
  it('the run is marked failed by the next claim of the same instance, not an hour later', async () => {
    const job = `unrecorded-${hex()}`;
    const at = (minute: number) => new Date(Date.UTC(2031, 0, 3, 3, minute));
    const coordinator = createRunCoordinator(db, { instanceId: 'replica-a' });
    const run = await coordinator.claim(job, at(0));
    // The database goes away while the job runs: its outcome cannot be recorded.
    const gone = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
    await gone.end();
    await expect(createRunCoordinator(gone, { instanceId: 'replica-a' }).finish(run!, { counts: { n: 1 } })).rejects.toThrow();

    // Another replica still sees a live run and leaves the tick; this replica knows better.
    expect(await createRunCoordinator(db, { instanceId: 'replica-b' }).claim(job, at(1))).toBeNull();
    expect(await coordinator.claim(job, at(1))).not.toBeNull();
    const [first] = await db`select status, error from public.job_runs where id = ${run!.id}`;
    expect(first).toEqual({ status: 'failed', error: 'abandoned: the run ended but its result could not be recorded' });
    await coordinator.close();
  });
});

describe('runJobNow', () => {
  it('records the run in job_runs: counts when it succeeds, the error message (no personal data) when it fails', async () => {
    const okName = `counting-${hex()}`;
    const badName = `failing-${hex()}`;
    const callId = randomUUID();
    const defs: JobDefinition[] = [
      { name: okName, schedule: '* * * * *', run: async () => ({ rows: 3, skipped: 0 }) },
      {
        name: badName,
        schedule: '* * * * *',
        run: async () => {
          throw new Error(`could not reach erika@example.de on +49 30 1234567 (call ${callId}, 2026-11-22T03:00:00Z)`);
        },
      },
    ];

    const ok = await runJobNow(ctx, okName, defs);
    expect(ok.counts).toEqual({ rows: 3, skipped: 0 });
    const again = await runJobNow(ctx, okName, defs);
    const rows = await db`select id, slot, claimed_by, status, counts, error, started_at, finished_at from public.job_runs where job_name = ${okName} order by started_at`;
    expect(rows).toHaveLength(2);
    expect(rows.map((r) => r.id)).toEqual([ok.runId, again.runId]);
    for (const r of rows) {
      expect(r).toMatchObject({ claimed_by: `${hostname()}:${process.pid}`, status: 'succeeded', counts: { rows: 3, skipped: 0 }, error: null });
      expect((r.finished_at as Date).getTime()).toBeGreaterThanOrEqual((r.started_at as Date).getTime());
      // a manual slot is never a whole second, so it cannot take a scheduled tick's place
      expect((r.slot as Date).getMilliseconds()).not.toBe(0);
    }

    await expect(runJobNow(ctx, badName, defs)).rejects.toThrow(/could not reach/);
    const [failed] = await db`select status, counts, error, finished_at from public.job_runs where job_name = ${badName}`;
    expect(failed).toMatchObject({
      status: 'failed',
      counts: {},
      error: `could not reach [email] on [number] (call ${callId}, 2026-11-22T03:00:00Z)`,
    });
    expect(failed!.finished_at).toBeInstanceOf(Date);

    await expect(runJobNow(ctx, 'no-such-job', defs)).rejects.toBeInstanceOf(UnknownJobError);
    expect(jobDefinitions().map((d) => d.name)).toEqual(expect.arrayContaining(['retention-purge', 'provider-deletions']));
  });
});

describe('startScheduler', () => {
  it('two schedulers on two pools run a job once per tick, never two runs at once, and stopping waits for the run', async () => {
    const max = inject('embedded') ? 1 : 4;
    const poolA = postgres(inject('databaseUrl'), { max, onnotice: () => {} });
    const poolB = postgres(inject('databaseUrl'), { max, onnotice: () => {} });
    const name = `ticking-${hex()}`;
    const runs: { by: string; start: number; end: number }[] = [];
    // 1.3 s of work on a 1 s tick: the tick after a start finds it still running.
    const def = (by: string): JobDefinition => ({
      name,
      schedule: '0 3 * * *',
      async run() {
        const start = Date.now();
        await sleep(1300);
        runs.push({ by, start, end: Date.now() });
        return { by: by === 'a' ? 1 : 2 };
      },
    });
    try {
      const stopA = startScheduler({ ...ctx, serviceDb: poolA }, [def('a')], {
        scheduleOverride: '* * * * * *',
        coordinator: createRunCoordinator(poolA, { instanceId: 'replica-a' }),
      });
      const stopB = startScheduler({ ...ctx, serviceDb: poolB }, [def('b')], {
        scheduleOverride: '* * * * * *',
        coordinator: createRunCoordinator(poolB, { instanceId: 'replica-b' }),
      });
      await sleep(6500);
      await Promise.all([stopA(), stopB()]);

      const rows = await db<{ slot: Date; claimed_by: string; status: string; counts: { by: number } }[]>`
        select slot, claimed_by, status, counts from public.job_runs where job_name = ${name} order by slot`;
      expect(rows.length).toBeGreaterThanOrEqual(2);
      expect(rows.length).toBeLessThanOrEqual(4);
      expect(rows).toHaveLength(runs.length);
      for (const r of rows) {
        expect(r.status).toBe('succeeded');
        expect(r.slot.getMilliseconds()).toBe(0);
        expect(r.counts.by).toBe(r.claimed_by === 'replica-a' ? 1 : 2);
      }
      const ordered = [...runs].sort((x, y) => x.start - y.start);
      for (let i = 1; i < ordered.length; i += 1) expect(ordered[i]!.start).toBeGreaterThanOrEqual(ordered[i - 1]!.end);
    } finally {
      await poolA.end();
      await poolB.end();
    }
  });
});

describe('npm run job', () => {
  it('runs provider-deletions by hand: works the queue, prints the counts as JSON, records the run', async () => {
    const { url, db: qdb } = await queueDatabase();
    const queued = await queueDeletions(qdb, 2);
    const cli = await runScript('src/cli/job.ts', ['provider-deletions'], childEnv({ DATABASE_URL: url }));
    expect(cli.code, cli.stderr).toBe(0);
    const counts = JSON.parse(cli.stdout.trim()) as Record<string, number>;
    expect(counts.done).toBeGreaterThanOrEqual(4);
    expect(counts).toMatchObject({ failed: 0 });
    expect(deleteRequests([...queued.recordings, ...queued.conversations])).toEqual(
      Object.fromEntries([...queued.recordings, ...queued.conversations].map((id) => [id, 1])),
    );
    const [run] = await qdb`
      select status, counts from public.job_runs where job_name = 'provider-deletions' and claimed_by = ${`${hostname()}:${cli.pid}`}`;
    expect(run).toEqual({ status: 'succeeded', counts });
  });

  it('an unknown job exits 2 and lists the jobs', async () => {
    const cli = await runScript('src/cli/job.ts', ['no-such-job'], childEnv({ DATABASE_URL: inject('databaseUrl') }));
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('Unknown job "no-such-job"');
    for (const def of jobDefinitions()) expect(cli.stderr).toContain(def.name);
  });
});

describe('two servers with crons on, one database', () => {
  it('run each job once per tick, both taking turns', { timeout: 240_000 }, async () => {
    // PostgreSQL: a database of their own. Embedded: one data folder; the first
    // server opens the database, the second joins it through the lock file.
    let shared: Record<string, string>;
    const dataDirs: string[] = [];
    if (inject('embedded')) {
      const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-jobs-'));
      dataDirs.push(dir);
      shared = { DATA_DIR: dir };
    } else {
      shared = { DATABASE_URL: (await queueDatabase()).url };
    }
    cleanups.push(async () => dataDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
    const TICK = '*/2 * * * * *';

    const servers: { child: ChildProcess; port: number; output: string[] }[] = [];
    const start = async () => {
      const port = await freePort();
      const env: Record<string, string> = { ...shared, PORT: String(port), JOB_SCHEDULE_OVERRIDE: TICK, CRON_ENABLED: 'true', LOG_LEVEL: 'debug' };
      if (!inject('embedded')) {
        const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-jobs-'));
        dataDirs.push(dir);
        env.DATA_DIR = dir;
      }
      const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
      children.push(child);
      const output: string[] = [];
      child.stdout!.on('data', (d) => output.push(String(d)));
      child.stderr!.on('data', (d) => output.push(String(d)));
      const deadline = Date.now() + 120_000;
      for (;;) {
        const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
        if (ready?.ok) break;
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output.join('')}`);
        await sleep(200);
      }
      servers.push({ child, port, output });
    };
    await start();
    await start();
    const ids = servers.map((s) => `${hostname()}:${s.child.pid}`);

    let url: string;
    if (inject('embedded')) {
      const lock = JSON.parse(readFileSync(path.join(shared.DATA_DIR!, 'db', 'pglite.lock'), 'utf8')) as { pid: number; port: number };
      expect(lock.pid).toBe(servers[0]!.child.pid);
      url = `postgres://postgres@127.0.0.1:${lock.port}/postgres`;
    } else {
      url = shared.DATABASE_URL!;
    }
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const queued = await sql.begin((tx) => queueDeletions(tx, 3));
      const from = new Date();
      // At least three ticks; longer if one server has not won a tick yet.
      let rows: { job_name: string; slot: Date; claimed_by: string }[] = [];
      const deadline = Date.now() + 60_000;
      for (;;) {
        await sleep(1000);
        rows = await sql.begin(
          (tx) => tx<{ job_name: string; slot: Date; claimed_by: string }[]>`
            select job_name, slot, claimed_by from public.job_runs
            where slot > ${from} and slot = date_trunc('second', slot) order by slot`,
        );
        const waited = Date.now() - from.getTime();
        if ((waited >= 7000 && ids.every((id) => rows.some((r) => r.claimed_by === id))) || Date.now() > deadline) break;
      }
      const until = new Date();
      rows = rows.filter((r) => r.slot <= until);

      // The ticks of */2 seconds in (from, until].
      let ticks = 0;
      for (let s = Math.floor(from.getTime() / 1000) + 1; s <= Math.floor(until.getTime() / 1000); s += 1) if (s % 2 === 0) ticks += 1;
      expect(ticks).toBeGreaterThanOrEqual(3);
      for (const def of jobDefinitions()) {
        const mine = rows.filter((r) => r.job_name === def.name);
        const slots = new Set(mine.map((r) => r.slot.getTime()));
        expect(slots.size, `${def.name}: one row per slot`).toBe(mine.length);
        expect(Math.abs(mine.length - ticks), `${def.name}: ${mine.length} runs in ${ticks} ticks`).toBeLessThanOrEqual(1);
      }
      for (const id of ids) expect(rows.some((r) => r.claimed_by === id), `${id} claimed a slot`).toBe(true);
      const everyRun = await sql.begin(
        (tx) => tx<{ job_name: string; slot: Date }[]>`select job_name, slot from public.job_runs where slot = date_trunc('second', slot)`,
      );

      // The queue was worked by whichever server ran first: each deletion sent once.
      const ids2 = [...queued.recordings, ...queued.conversations];
      expect(deleteRequests(ids2)).toEqual(Object.fromEntries(ids2.map((id) => [id, 1])));
      await sql.end();

      // Stop the joiner first, then the owner of the files.
      for (const s of [...servers].reverse()) {
        const exited = new Promise<number | null>((resolve) => s.child.once('exit', (code) => resolve(code)));
        s.child.kill('SIGTERM');
        expect(await exited, s.output.join('')).toBe(0);
      }

      // What the processes say they ran: each (job, slot) once, and every recorded run among them.
      const started = servers.flatMap((s) =>
        s.output
          .join('')
          .split('\n')
          .filter((line) => line.includes('"msg":"job started"'))
          .map((line) => JSON.parse(line) as { job: string; slot: string }),
      );
      const keys = started.map((s) => `${s.job} ${s.slot}`);
      expect(new Set(keys).size).toBe(keys.length);
      for (const r of everyRun) expect(keys).toContain(`${r.job_name} ${r.slot.toISOString()}`);
    } finally {
      await sql.end();
    }
  });
});
