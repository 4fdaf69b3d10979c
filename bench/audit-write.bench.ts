import postgres from 'postgres';
import { issueLocalAccessToken } from '../src/auth/tokens.js';
import { findOrCreateUserByEmail } from '../src/auth/users-repo.js';
import { loadConfig } from '../src/config/env.js';
import { buildAppDeps } from '../src/container.js';
import { createApp } from '../src/http/app.js';
import { ADMIN_ROLES, requireOrgRole } from '../src/orgs/org-access.js';
import type { PreferencesService, PrivacyPreferences } from '../src/preferences/preferences-service.js';
import { benchDatabase, compare, fmt, load } from './harness.js';

/**
 * An audited API write (PUT privacy preferences, which writes audit_logs in the
 * same transaction) against the same write without the audit call, served
 * the same way. Goal: ratio of mean latency <= 1.15.
 */
export async function benchAuditedWrite(seconds: number, rounds: number): Promise<{ ratio: number; lines: string[] }> {
  const database = await benchDatabase();
  const sql = postgres(database.url, { max: database.embedded ? 1 : 10, onnotice: () => {} });
  try {
    const config = loadConfig({
      DATA_DIR: '/tmp/voice-gdpr-bench-config',
      DATABASE_URL: database.url,
      SUPABASE_JWT_SECRET: 'bench-secret-'.padEnd(48, 'x'),
      TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
      TWILIO_AUTH_TOKEN: 'bench-twilio-token-0000',
      ELEVENLABS_WEBHOOK_SECRET: 'wsec_bench_000000000000',
      TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')}`,
      FORGET_ME_SECRET: 'f'.repeat(40),
      BLIND_INDEX_KEY: 'b'.repeat(40),
    });
    const deps = buildAppDeps(config, sql);
    const owner = await findOrCreateUserByEmail(sql, config.blindIndexKey, 'bench-owner@example.test');
    const token = await issueLocalAccessToken(config.supabase.jwtSecret!, { sub: owner.id, email: 'bench-owner@example.test' });
    const auth = { userId: owner.id, isOperator: false, claims: { sub: owner.id, role: 'authenticated' as const }, actor: { type: 'user' as const, id: owner.id } };
    // Many organisations, as in real use: requests do not all queue on one row.
    const orgIds: string[] = [];
    for (let i = 0; i < 32; i += 1) orgIds.push((await deps.orgs.create(auth, `Bench ${i}`)).id);

    const audited = createApp(deps);
    // The same app, route, middleware and UPDATE: only the audit call is left out.
    const unaudited: PreferencesService = {
      read: deps.preferences.read,
      update: (a, orgId, change) =>
        deps.userDb.run(a.claims, async (tx) => {
          await requireOrgRole(tx, orgId, ADMIN_ROLES);
          const [before] = await tx`select dtmf_consent from public.privacy_preferences where org_id = ${orgId} for update`;
          const [after] = await tx<PrivacyPreferences[]>`
            update public.privacy_preferences set dtmf_consent = ${change.dtmf_consent ?? before!.dtmf_consent}, updated_by = auth.uid()
            where org_id = ${orgId} returning retention_days, dtmf_consent, transcript_encryption, updated_at`;
          return after!;
        }),
    };
    const bare = createApp({ ...deps, preferences: unaudited });

    let flip = 0;
    // dtmf_consent: a change with no follow-up work beyond the write and its audit row
    const body = () => JSON.stringify({ dtmf_consent: (flip++ & 1) === 0 });
    const opts = {
      method: 'PUT' as const,
      path: () => `/api/orgs/${orgIds[flip % orgIds.length]}/preferences/privacy`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body,
      connections: database.embedded ? 4 : 16,
      seconds,
    };
    const { baseline, candidate } = await compare(rounds, (s) => load(bare, { ...opts, seconds: s ?? opts.seconds }), (s) => load(audited, { ...opts, seconds: s ?? opts.seconds }));
    const ratio = candidate.meanMs / baseline.meanMs;
    return {
      ratio,
      lines: [
        `audited write (PUT privacy preferences) on ${database.embedded ? 'embedded PGlite' : 'PostgreSQL'}`,
        `  without audit: ${fmt(baseline)}`,
        `  with audit:    ${fmt(candidate)}`,
        `  latency ratio ${ratio.toFixed(3)} (goal <= 1.15), throughput ratio ${(candidate.rps / baseline.rps).toFixed(3)}`,
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
