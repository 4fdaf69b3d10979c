import { randomUUID } from 'node:crypto';
import postgres from 'postgres';
import { loadConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { createMailer } from '../src/lib/mailer.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { DEFAULT_PURGE_BATCH_SIZE, retentionCutoff, runRetentionPurge } from '../src/retention/retention-purge.js';
import { benchDatabase } from './harness.js';

const seconds = async (fn: () => Promise<unknown>) => {
  const start = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - start) / 1e9;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * `rows` expired transcripts (31 days and older, a second apart, stored oldest
 * first as they would have arrived) and 1 000 fresh ones, vacuumed and checkpointed.
 */
async function seed(sql: ServiceDb, orgId: string, now: Date, rows: number): Promise<void> {
  await sql`delete from public.transcripts where org_id = ${orgId}`;
  await sql`
    insert into public.transcripts (org_id, content, created_at)
    select ${orgId}, '[{"role":"agent","message":"Hello, you are speaking with an AI assistant."},{"role":"user","message":"I would like an appointment on Tuesday."}]'::jsonb,
           ${now}::timestamptz - interval '31 days' - make_interval(secs => ${rows} - i)
    from generate_series(1, ${rows}) as i`;
  await sql`
    insert into public.transcripts (org_id, content, created_at)
    select ${orgId}, '[{"role":"user","message":"fresh"}]'::jsonb, ${now}::timestamptz - make_interval(secs => 1000 - i)
    from generate_series(1, 1000) as i`;
  await sql.unsafe('vacuum analyze public.transcripts');
  // Both sides start right after a checkpoint, so both pay the same full-page writes.
  await sql.unsafe('checkpoint');
}

/**
 * The retention purge deleting BENCH_ROWS expired transcripts of one
 * organisation (default 1 000 000; 100 000 on the embedded database) against
 * one raw `DELETE` of the same rows, reseeded before each side. Figure:
 * purge time / raw DELETE time, median of `rounds`. Goal <= 1.5.
 */
export async function benchPurge(rounds: number): Promise<{ ratio: number; lines: string[] }> {
  const database = await benchDatabase();
  const rows = Number(process.env.BENCH_ROWS ?? (database.embedded ? 100_000 : 1_000_000));
  const sql = postgres(database.url, { max: database.embedded ? 1 : 4, onnotice: () => {} });
  try {
    const config = loadConfig({
      DATA_DIR: '/tmp/voice-gdpr-bench-config',
      DATABASE_URL: database.url,
      SUPABASE_JWT_SECRET: 'bench-secret-'.padEnd(48, 'x'),
      TWILIO_AUTH_TOKEN: 'bench-twilio-token-0000',
      ELEVENLABS_WEBHOOK_SECRET: 'wsec_bench_000000000000',
      TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      FORGET_ME_SECRET: 'f'.repeat(40),
      BLIND_INDEX_KEY: 'b'.repeat(40),
    });
    const now = new Date();
    const ctx = {
      serviceDb: sql,
      telephony: createLocalTelephony(),
      agentPlatform: createLocalAgentPlatform(),
      mailer: createMailer(config),
      config,
      now: () => now,
    };
    const orgId = randomUUID();
    await sql`insert into public.organizations (id, name) values (${orgId}, 'Bench retention')`;
    await sql`insert into public.privacy_preferences (org_id, retention_days) values (${orgId}, 30)`;
    const cutoff = retentionCutoff(now, 30);

    const raw: number[] = [];
    const purge: number[] = [];
    let deleted = 0;
    for (let i = 0; i < rounds; i += 1) {
      await seed(sql, orgId, now, rows);
      raw.push(await seconds(() => sql`delete from public.transcripts where org_id = ${orgId} and created_at < ${cutoff}`));
      await seed(sql, orgId, now, rows);
      purge.push(
        await seconds(async () => {
          deleted = (await runRetentionPurge(ctx)).transcripts_deleted;
        }),
      );
    }
    if (deleted !== rows) throw new Error(`the purge deleted ${deleted} transcripts, expected ${rows}`);
    const ratio = median(purge) / median(raw);
    return {
      ratio,
      lines: [
        `retention purge, ${rows.toLocaleString('en')} expired transcripts (${database.embedded ? 'embedded' : 'PostgreSQL'}, median of ${rounds}):`,
        `  raw DELETE             ${median(raw).toFixed(2)} s  (${raw.map((s) => s.toFixed(2)).join(', ')})`,
        `  runRetentionPurge      ${median(purge).toFixed(2)} s  (${purge.map((s) => s.toFixed(2)).join(', ')}), batches of ${DEFAULT_PURGE_BATCH_SIZE}`,
        `  ratio purge/raw        ${ratio.toFixed(2)}x  (goal <= 1.5x)`,
      ],
    };
  } finally {
    await sql.end();
    await database.drop();
  }
}
