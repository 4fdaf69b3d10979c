import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServiceDb } from '../src/db/database.js';
import { createLocalAgentPlatform } from '../src/providers/local-platform.js';
import { createLocalTelephony } from '../src/providers/telephony.js';
import { runRetentionPurge } from '../src/retention/retention-purge.js';
import { createOrg, openIsolatedTestDb, testConfig } from './helpers/harness.js';

let isolated: Awaited<ReturnType<typeof openIsolatedTestDb>>;
let db: ServiceDb;
const config = testConfig();
// Years back, so nothing other test files wrote (on the shared embedded database) is old enough.
const NOW = new Date('2020-03-01T03:00:00.000Z');
const DAY = 86_400_000;

beforeAll(async () => {
  isolated = await openIsolatedTestDb();
  db = isolated.db;
});
afterAll(async () => {
  await isolated.close();
});

describe('retention and proofs of consent', () => {
  it('clears the keyed caller hash of proofs older than the window, keeps the proof, and a second run changes nothing', async () => {
    const org = await createOrg(db, config);
    const consent = async (ageDays: number) => {
      const sid = `CA${randomBytes(16).toString('hex')}`;
      const [row] = await db<{ id: string }[]>`
        insert into public.call_consents (id, org_id, twilio_call_sid, caller_hash, country, prompt_language, prompt_version, prompt_hash, digit, outcome, created_at)
        values (${randomUUID()}, ${org.id}, ${sid}, ${randomBytes(32)}, 'DE', 'de', 'de-2026-11-01', 'h', '1', 'given', ${new Date(NOW.getTime() - ageDays * DAY)})
        returning id`;
      return row!.id;
    };
    const old = await consent(31);
    const fresh = await consent(29);
    const ctx = { serviceDb: db, telephony: createLocalTelephony(), agentPlatform: createLocalAgentPlatform(), now: () => NOW };
    const first = await runRetentionPurge(ctx);
    expect(first.consents_scrubbed).toBe(1);
    const rows = await db`select id, caller_hash is null as scrubbed, erased_at, outcome, digit from public.call_consents where org_id = ${org.id}`;
    expect(rows.find((r) => r.id === old)).toMatchObject({ scrubbed: true, outcome: 'given', digit: '1', erased_at: NOW });
    expect(rows.find((r) => r.id === fresh)).toMatchObject({ scrubbed: false, erased_at: null });
    const second = await runRetentionPurge(ctx);
    expect(second.consents_scrubbed).toBe(0);
  });
});
