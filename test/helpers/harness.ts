import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { migrate } from '../../src/db/migrate.js';
import { inject } from 'vitest';
import { issueLocalAccessToken } from '../../src/auth/tokens.js';
import { findOrCreateUserByEmail } from '../../src/auth/users-repo.js';
import { loadConfig, type AppConfig } from '../../src/config/env.js';
import { buildAppDeps, type Overrides } from '../../src/container.js';
import type { ServiceDb } from '../../src/db/database.js';
import { createApp } from '../../src/http/app.js';
import { observeResponses } from './openapi-check.js';

export const JWT_SECRET = 'test-jwt-secret-'.padEnd(48, 'x');

/** The run's database (see global-setup.ts), as the backend's service connection. */
export function openTestDb(): ServiceDb {
  return postgres(inject('databaseUrl'), { max: inject('embedded') ? 1 : 5, onnotice: () => {} });
}

/**
 * A database of this test file's own, for files whose background workers (the
 * provider-deletion queue is global) would otherwise work other files' rows
 * against other files' fakes. On PostgreSQL a fresh migrated database, dropped
 * by close(); the embedded database runs files one after another, so there it
 * is the run's database.
 */
export async function openIsolatedTestDb(): Promise<{ db: ServiceDb; url: string; close(): Promise<void> }> {
  if (inject('embedded')) {
    const db = openTestDb();
    return { db, url: inject('databaseUrl'), close: () => db.end() };
  }
  const admin = postgres(inject('databaseUrl'), { max: 1, onnotice: () => {} });
  const name = `isolated_${Date.now()}_${randomBytes(3).toString('hex')}`;
  await admin.unsafe(`create database ${name}`);
  const url = new URL(inject('databaseUrl'));
  url.pathname = `/${name}`;
  const db = postgres(url.toString(), { max: 5, onnotice: () => {} });
  await migrate(db);
  return {
    db,
    url: url.toString(),
    async close() {
      // A query still waiting (e.g. on a lock a killed child held) must not hold up the drop.
      await db.end({ timeout: 5 });
      await admin.unsafe(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** A complete configuration for tests: every secret given, nothing written to disk. */
export function testConfig(env: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({
    DATA_DIR: mkdtempSync(path.join(tmpdir(), 'voice-gdpr-cfg-')),
    DATABASE_URL: inject('databaseUrl'),
    PUBLIC_BASE_URL: 'https://voice.example.test',
    SUPABASE_JWT_SECRET: JWT_SECRET,
    TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
    TWILIO_AUTH_TOKEN: 'test-twilio-auth-token-0123456789',
    ELEVENLABS_WEBHOOK_SECRET: 'wsec_test_0123456789abcdef',
    TRANSCRIPT_KEYS: `k1:${Buffer.alloc(32, 1).toString('base64')},k0:${Buffer.alloc(32, 2).toString('base64')}`,
    TRANSCRIPT_KEY_ID: 'k1',
    FORGET_ME_SECRET: 'forget-me-secret-'.padEnd(40, 'f'),
    BLIND_INDEX_KEY: 'blind-index-key-'.padEnd(40, 'b'),
    MAIL_FROM: 'privacy@voice.example.test',
    DPO_EMAIL: 'dpo@voice.example.test',
    CRON_ENABLED: 'false',
    ...env,
  });
}

/**
 * The real application on the test database. Every answer it gives is checked
 * against /openapi.json (test/helpers/openapi-check.ts; a mismatch fails the test).
 */
export function buildTestApp(db: ServiceDb, config: AppConfig = testConfig(), overrides: Overrides = {}) {
  const deps = buildAppDeps(config, db, overrides);
  return { app: observeResponses(createApp(deps)), deps, config };
}

export interface TestUser {
  id: string;
  email: string;
  token: string;
}

/** A user with a row and a signed access token. */
export async function createUser(
  db: ServiceDb,
  config: AppConfig,
  opts: { operator?: boolean; email?: string } = {},
): Promise<TestUser> {
  const email = opts.email ?? `u-${randomBytes(5).toString('hex')}@example.test`;
  const row = await findOrCreateUserByEmail(db, config.blindIndexKey, email);
  const token = await issueLocalAccessToken(JWT_SECRET, { sub: row.id, email, operator: opts.operator });
  return { id: row.id, email, token };
}

export interface TestOrg {
  id: string;
  owner: TestUser;
  admin: TestUser;
  member: TestUser;
}

/** An organisation with an owner, an admin and a member (written directly, as a fixture). */
export async function createOrg(db: ServiceDb, config: AppConfig): Promise<TestOrg> {
  const [owner, admin, member] = [await createUser(db, config), await createUser(db, config), await createUser(db, config)];
  const id = randomUUID();
  await db.begin(async (tx) => {
    await tx`insert into public.organizations (id, name, created_by) values (${id}, ${`Org ${id.slice(0, 8)}`}, ${owner.id})`;
    await tx`insert into public.privacy_preferences (org_id) values (${id})`;
    for (const [user, role] of [
      [owner, 'owner'],
      [admin, 'admin'],
      [member, 'member'],
    ] as const) {
      await tx`insert into public.memberships (org_id, user_id, role, accepted_at) values (${id}, ${user.id}, ${role}, now())`;
    }
  });
  return { id, owner, admin, member };
}

export function bearer(user: TestUser): [string, string] {
  return ['Authorization', `Bearer ${user.token}`];
}
