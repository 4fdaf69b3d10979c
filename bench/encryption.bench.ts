import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import type { ServiceDb } from '../src/db/database.js';
import { DEFAULT_BATCH_SIZE, runTranscriptEncryption } from '../src/transcripts/transcript-encryption.js';
import { benchDatabase } from './harness.js';

const FIRST_ID = '00000000-0000-0000-0000-000000000000';

/**
 * The baseline: the job's own walk (same select, same batch size, same locks,
 * same bulk update from unnest, one transaction per batch) with an identity
 * transform, i.e. every plaintext transcript read and written back unchanged.
 * What the job costs beyond this is the encryption itself, the larger
 * ciphertext and its audit rows.
 */
async function plainRewrite(sql: ServiceDb, batchSize: number): Promise<number> {
  let after = FIRST_ID;
  let total = 0;
  for (;;) {
    const seen = await sql.begin(async (tx) => {
      const rows = await tx<{ id: string; org_id: string; content: unknown; ciphertext: string | null }[]>`
        select t.id, t.org_id, t.content, t.ciphertext
        from public.transcripts t
        left join public.privacy_preferences p on p.org_id = t.org_id
        where t.id > ${after}
          and ((t.content is not null and p.transcript_encryption)
               or (t.ciphertext is not null and t.key_id is distinct from 'k1'))
        order by t.id
        limit ${batchSize}
        for update of t skip locked`;
      if (rows.length > 0) {
        const ids = rows.map((r) => r.id);
        const contents = rows.map((r) => JSON.stringify(r.content));
        await tx`
          update public.transcripts t set content = v.content::jsonb
          from unnest(${ids}::uuid[], ${contents}::text[]) as v (id, content)
          where t.id = v.id`;
      }
      return { count: rows.length, last: rows.at(-1)?.id };
    });
    total += seen.count;
    if (!seen.last || seen.count < batchSize) return total;
    after = seen.last;
  }
}

/** The same rows rewritten in SQL alone (`set content = content`), batched by id: no data leaves the server. */
async function sqlRewrite(sql: ServiceDb, batchSize: number): Promise<void> {
  let after = FIRST_ID;
  for (;;) {
    const [last] = await sql<{ id: string | null; n: number }[]>`
      with batch as (
        select id from public.transcripts where id > ${after} and content is not null order by id limit ${batchSize} for update
      ), done as (
        update public.transcripts t set content = t.content from batch where t.id = batch.id returning t.id
      )
      select max(id::text) as id, count(*)::int as n from done`;
    if (!last?.id || last.n < batchSize) return;
    after = last.id;
  }
}

const seconds = async (fn: () => Promise<unknown>) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * The transcript-encryption job over BENCH_ROWS plaintext transcripts (default
 * 100 000, about 1.3 kB of JSON each, spread over 20 organisations with the
 * switch on) against a plain rewrite of the same rows batched the same way.
 * Figure: plain-rewrite time / job time, median of `rounds`. Goal >= 0.7.
 */
export async function benchTranscriptEncryption(rounds: number): Promise<{ ratio: number; lines: string[] }> {
  const rows = Number(process.env.BENCH_ROWS ?? 100_000);
  const database = await benchDatabase();
  const sql = postgres(database.url, { max: 1, onnotice: () => {} });
  try {
    const orgs: string[] = [];
    for (let i = 0; i < 20; i += 1) {
      const [org] = await sql`insert into public.organizations (name) values (${`Bench ${i}`}) returning id`;
      await sql`insert into public.privacy_preferences (org_id, transcript_encryption) values (${org!.id}, true)`;
      orgs.push(org!.id as string);
    }
    // Ten turns of about a hundred characters: a short support call.
    await sql`
      insert into public.transcripts (org_id, content)
      select (${orgs}::uuid[])[1 + g % 20],
             (select jsonb_agg(jsonb_build_object(
                       'role', case when i % 2 = 0 then 'agent' else 'user' end,
                       'message', 'Turn ' || i || ' of call ' || g || ': I would like to move my appointment to Thursday afternoon, if that works.',
                       'time_in_call_secs', i * 4.5))
                from generate_series(1, 10) i)
      from generate_series(1, ${rows}) g`;
    await sql`create table bench_plain as select id, content from public.transcripts`;
    await sql`alter table bench_plain add primary key (id)`;
    const config = { transcriptKeys: new Map([['k1', randomBytes(32)]]), transcriptKeyId: 'k1' };

    const plain: number[] = [];
    const job: number[] = [];
    const sqlOnly: number[] = [];
    for (let round = 0; round < rounds; round += 1) {
      await sql`vacuum analyze public.transcripts`;
      let rewritten = 0;
      plain.push(await seconds(async () => (rewritten = await plainRewrite(sql, DEFAULT_BATCH_SIZE))));
      if (rewritten !== rows) throw new Error(`plain rewrite saw ${rewritten} rows, expected ${rows}`);
      await sql`vacuum analyze public.transcripts`;
      sqlOnly.push(await seconds(() => sqlRewrite(sql, DEFAULT_BATCH_SIZE)));
      await sql`vacuum analyze public.transcripts`;
      let counts = { encrypted: 0 };
      job.push(await seconds(async () => (counts = await runTranscriptEncryption({ serviceDb: sql, config }))));
      if (counts.encrypted !== rows) throw new Error(`job encrypted ${counts.encrypted} rows, expected ${rows}`);
      // Back to plaintext for the next round.
      await sql`
        update public.transcripts t set content = b.content, ciphertext = null, key_id = null
        from bench_plain b where b.id = t.id`;
    }
    const [p, j, s] = [median(plain), median(job), median(sqlOnly)];
    const ratio = p / j;
    return {
      ratio,
      lines: [
        `transcript-encryption job over ${rows} plaintext transcripts on ${database.embedded ? 'embedded PGlite' : 'PostgreSQL'} (batches of ${DEFAULT_BATCH_SIZE}, median of ${rounds})`,
        `  plain rewrite (same walk, identity transform): ${p.toFixed(2)} s (${(rows / p).toFixed(0)} rows/s)`,
        `  encryption job:                                ${j.toFixed(2)} s (${(rows / j).toFixed(0)} rows/s)`,
        `  ratio plain/job ${ratio.toFixed(3)} (goal >= 0.7); for scale, SQL-only "set content = content": ${s.toFixed(2)} s`,
      ],
    };
  } catch (err) {
    console.error('bench failed:', err);
    throw err;
  } finally {
    await sql.end();
    await database.drop();
  }
}
