import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { Worker } from 'node:worker_threads';
import postgres from 'postgres';
import twilio from 'twilio';
import { runAuditChainVerification } from '../src/audit/audit-checkpoints.js';
import { issueLocalAccessToken } from '../src/auth/tokens.js';
import { findOrCreateUserByEmail } from '../src/auth/users-repo.js';
import { buildAppDeps } from '../src/container.js';
import { createApp } from '../src/http/app.js';
import { startElevenLabsFake } from '../test/fakes/elevenlabs-fake.js';
import { startTwilioFake } from '../test/fakes/twilio-fake.js';
import { benchCallConfig, benchDatabase, compare, fmt, load, seedCalledOrganisation } from './harness.js';

/** The neighbour's clients: `loops` sequential loops of GET /trust until told to stop; posts back each call's latency. */
const NEIGHBOUR_LOOP = `
const { parentPort, workerData } = require('node:worker_threads');
let stop = false;
parentPort.on('message', (m) => { if (m === 'stop') stop = true; });
const latencies = [];
const loop = async () => {
  while (!stop) {
    const started = performance.now();
    const res = await fetch(workerData.url, { headers: { authorization: 'Bearer ' + workerData.token } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error('GET /trust answered ' + res.status);
    latencies.push(performance.now() - started);
  }
};
Promise.all(Array.from({ length: workerData.loops }, loop)).then(
  () => parentPort.postMessage(latencies),
  (err) => parentPort.postMessage({ error: String(err) }),
);
`;

const timed = async <T>(fn: () => Promise<T>): Promise<[T, number]> => {
  const start = process.hrtime.bigint();
  const result = await fn();
  return [result, Number(process.hrtime.bigint() - start) / 1e9];
};

/**
 * One tenant must not stall the others. The incoming-call webhook (signed as
 * Twilio signs it, consent path, 50 connections) of one organisation, alone,
 * against the same load while another organisation with BENCH_AUDIT_ROWS audit
 * entries (default 1 000 000; 100 000 on the embedded database) calls
 * `GET /api/orgs/:orgId/trust` in a loop (in a worker thread; BENCH_NEIGHBOUR_LOOPS
 * such loops at once, default 1) on the same server and pool. The neighbour's chain is never
 * verified by the job during the rounds, the worst case for the trust check
 * (it verifies its bound of new entries on every call). Figure: webhook p99
 * with the neighbour / alone, same run. Goal <= 1.5.
 */
export async function benchNoisyNeighbour(seconds: number, rounds: number): Promise<{ p99Ratio: number; lines: string[] }> {
  const database = await benchDatabase();
  const entries = Number(process.env.BENCH_AUDIT_ROWS ?? (database.embedded ? 100_000 : 1_000_000));
  const loops = Number(process.env.BENCH_NEIGHBOUR_LOOPS ?? 1);
  const sql = postgres(database.url, { max: database.embedded ? 1 : 10, onnotice: () => {} });
  const twilioFake = await startTwilioFake();
  const elFake = await startElevenLabsFake();
  try {
    const config = benchCallConfig(database.url, twilioFake, elFake);

    // The organisation Twilio calls.
    const number = await seedCalledOrganisation(sql, 'Bench callee');

    // The neighbour: a member of an organisation with a huge audit log, written
    // as the service role writes it (the chain trigger links every entry).
    const user = await findOrCreateUserByEmail(sql, config.blindIndexKey, 'bench-neighbour@example.test');
    const token = await issueLocalAccessToken(config.supabase.jwtSecret!, { sub: user.id, email: 'bench-neighbour@example.test' });
    const [neighbour] = await sql`insert into public.organizations (name, created_by) values ('Bench neighbour', ${user.id}) returning id`;
    await sql`insert into public.privacy_preferences (org_id) values (${neighbour!.id})`;
    await sql`insert into public.memberships (org_id, user_id, role, accepted_at) values (${neighbour!.id}, ${user.id}, 'owner', now())`;
    const [, seedSeconds] = await timed(async () => {
      for (let done = 0; done < entries; done += 100_000) {
        await sql`
          insert into public.audit_logs (org_id, actor_type, action, metadata)
          select ${neighbour!.id}, 'system', 'bench.noise', jsonb_build_object('i', i)
          from generate_series(1, ${Math.min(100_000, entries - done)}) as i`;
      }
    });
    await sql.unsafe('vacuum analyze public.audit_logs');
    // The seeding's writes flushed now, not by a checkpoint during the rounds.
    await sql.unsafe('checkpoint');

    const app = createApp(buildAppDeps(config, sql));

    // The neighbour's loop runs against its own listener of the same app (same process, same pool).
    const trustServer = app.listen(0, '127.0.0.1');
    await new Promise((r) => trustServer.once('listening', r));
    const trustUrl = `http://127.0.0.1:${(trustServer.address() as AddressInfo).port}/api/orgs/${neighbour!.id}/trust`;
    const trustCall = async () => {
      const res = await fetch(trustUrl, { headers: { authorization: `Bearer ${token}` } });
      if (res.status !== 200) throw new Error(`GET /trust answered ${res.status}`);
      return (await res.json()) as { checks: { id: string; evidence: Record<string, unknown> }[] };
    };
    const chainEvidence = async () => (await trustCall()).checks.find((c) => c.id === 'audit_chain')!.evidence;
    const probe = await chainEvidence();

    // The neighbour is another client, not this process: its loops run in a
    // worker thread, so their requests' client side does not take the server's event loop.
    const trustLatencies: number[] = [];
    const withNeighbour = async <T>(fn: () => Promise<T>): Promise<T> => {
      const worker = new Worker(NEIGHBOUR_LOOP, { eval: true, workerData: { url: trustUrl, token, loops } });
      const done = new Promise<number[]>((resolve, reject) => {
        worker.once('message', (m: number[] | { error: string }) => ('error' in m ? reject(new Error(m.error)) : resolve(m)));
        worker.once('error', reject);
      });
      await new Promise((r) => worker.once('online', r));
      try {
        return await fn();
      } finally {
        worker.postMessage('stop');
        trustLatencies.push(...(await done));
        await worker.terminate();
      }
    };

    const url = `${config.publicBaseUrl}/webhooks/twilio/voice`;
    const opts = {
      method: 'POST' as const,
      path: '/webhooks/twilio/voice',
      connections: 50,
      seconds,
      request: () => {
        const params = {
          CallSid: `CA${randomBytes(16).toString('hex')}`,
          AccountSid: config.twilio.accountSid,
          From: `+4930${randomInt(10_000_000, 99_999_999)}`,
          To: number,
          FromCountry: 'DE',
          CallStatus: 'ringing',
          Direction: 'inbound',
        };
        const signature = twilio.getExpectedTwilioSignature(config.twilio.authToken, url, params);
        return { body: new URLSearchParams(params).toString(), headers: { 'x-twilio-signature': signature, 'content-type': 'application/x-www-form-urlencoded' } };
      },
    };
    const { baseline, candidate } = await compare(
      rounds,
      (s) => load(app, { ...opts, seconds: s ?? opts.seconds }),
      (s) => withNeighbour(() => load(app, { ...opts, seconds: s ?? opts.seconds })),
    );
    trustServer.close();
    if (baseline.errors + baseline.non2xx + candidate.errors + candidate.non2xx > 0) throw new Error('webhook calls failed during the bench');

    // What the job then does with the neighbour's backlog, and the check afterwards.
    const [, jobSeconds] = await timed(() => runAuditChainVerification({ serviceDb: sql, now: () => new Date() }, { sweepBudget: 0 }));
    const trustServerAfter = app.listen(0, '127.0.0.1');
    await new Promise((r) => trustServerAfter.once('listening', r));
    const afterUrl = `http://127.0.0.1:${(trustServerAfter.address() as AddressInfo).port}/api/orgs/${neighbour!.id}/trust`;
    const after = (await (await fetch(afterUrl, { headers: { authorization: `Bearer ${token}` } })).json()) as { checks: { id: string; evidence: Record<string, unknown> }[] };
    trustServerAfter.close();
    const afterEvidence = after.checks.find((c) => c.id === 'audit_chain')!.evidence;

    const sorted = [...trustLatencies].sort((a, b) => a - b);
    const trustP99 = sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * 0.99))] ?? 0;
    const trustMean = sorted.reduce((a, b) => a + b, 0) / Math.max(1, sorted.length);
    const p99Ratio = candidate.p99Ms / Math.max(baseline.p99Ms, 1);
    const n = entries.toLocaleString('en');
    return {
      p99Ratio,
      lines: [
        `noisy neighbour on ${database.embedded ? 'embedded PGlite' : 'PostgreSQL'}: incoming-call webhook (signed, 50 connections) while another organisation with ${n} audit entries calls /trust in ${loops === 1 ? 'a loop' : `${loops} loops`}`,
        `  webhook alone:          ${fmt(baseline)}`,
        `  webhook with neighbour: ${fmt(candidate)}`,
        `  neighbour's /trust:     ${trustLatencies.length} calls, mean ${trustMean.toFixed(1)} ms, p99 ${trustP99.toFixed(1)} ms; each verified ${String(probe.checked_now)} of ${String(probe.entries)} entries`,
        `  p99 ratio ${p99Ratio.toFixed(2)} (goal <= 1.5), throughput ratio ${(candidate.rps / baseline.rps).toFixed(2)}`,
        `  seeding ${n} entries (chain trigger on) ${seedSeconds.toFixed(1)} s; audit-chain-verify over them ${jobSeconds.toFixed(1)} s, then /trust verified ${String(afterEvidence.checked_now)} (through #${String(afterEvidence.verified_through)})`,
      ],
    };
  } finally {
    await twilioFake.close();
    await elFake.close();
    await sql.end();
    await database.drop();
  }
}
