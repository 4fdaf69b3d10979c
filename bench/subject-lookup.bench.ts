import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { keyedHash } from '../src/lib/crypto.js';
import { benchDatabase } from './harness.js';

/**
 * Subject look-up by blind index over BENCH_LOOKUP_ROWS leads and as many
 * calls (default 1,000,000 each): the queries erasure and export run, timed
 * one by one for random known subjects. Goal: p99 <= 5 ms, with the plan
 * (EXPLAIN) showing index scans, no sequential scan.
 */
export async function benchSubjectLookup(): Promise<{ lines: string[]; p99Ms: number; seqScan: boolean }> {
  const rows = Number(process.env.BENCH_LOOKUP_ROWS ?? 1_000_000);
  const lookups = 2000;
  const database = await benchDatabase();
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  const key = randomBytes(32);
  try {
    const [org] = await sql`insert into public.organizations (name) values ('Lookup bench') returning id`;
    // Hashes are made in SQL for speed (hmac of a counter): the shape of real keyed hashes, 32 random-looking bytes.
    await sql`
      insert into public.calls (org_id, twilio_call_sid, from_number, from_hash, started_at)
      select ${org!.id}, 'CA' || lpad(to_hex(i), 32, '0'), '+4930' || i, pg_catalog.sha256(('phone' || i)::bytea), now()
      from generate_series(1, ${rows}) as i`;
    await sql`
      insert into public.leads (org_id, name, phone, phone_hash, email, email_hash)
      select ${org!.id}, 'Lead ' || i, '+4930' || i, pg_catalog.sha256(('phone' || i)::bytea),
             'lead' || i || '@example.test', pg_catalog.sha256(('email' || i)::bytea)
      from generate_series(1, ${rows}) as i`;
    await sql`analyze public.calls`;
    await sql`analyze public.leads`;

    const query = (hash: Buffer) => sql`
      select c.id from public.calls c where c.from_hash = ${hash}
      union
      select l.id from public.leads l where l.phone_hash = ${hash} or l.email_hash = ${hash}`;
    const times: number[] = [];
    for (let i = 0; i < lookups; i += 1) {
      const n = 1 + Math.floor(Math.random() * rows);
      const [{ h }] = (await sql`select pg_catalog.sha256(${`phone${n}`}::bytea) as h`) as unknown as [{ h: Buffer }];
      const t = performance.now();
      const found = await query(h);
      times.push(performance.now() - t);
      if (found.length < 2) throw new Error('subject not found');
    }
    times.sort((a, b) => a - b);
    const p = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
    const sample = keyedHash(key, 'phone', '+4930123');
    const plan = (await sql`
      explain select c.id from public.calls c where c.from_hash = ${sample}
      union select l.id from public.leads l where l.phone_hash = ${sample} or l.email_hash = ${sample}`).map((r) => r['QUERY PLAN'] as string);
    const seqScan = plan.some((l) => /Seq Scan/.test(l));
    return {
      p99Ms: p(0.99),
      seqScan,
      lines: [
        `subject look-up by blind index over ${rows.toLocaleString('en')} calls and ${rows.toLocaleString('en')} leads on ${database.embedded ? 'embedded PGlite' : 'PostgreSQL'} (${lookups} look-ups)`,
        `  p50 ${p(0.5).toFixed(2)} ms, p99 ${p(0.99).toFixed(2)} ms (goal <= 5 ms), max ${times.at(-1)!.toFixed(2)} ms; sequential scan in plan: ${seqScan ? 'YES' : 'no'}`,
        ...plan.map((l) => `  | ${l}`),
      ],
    };
  } finally {
    await sql.end();
    await database.drop();
  }
}
