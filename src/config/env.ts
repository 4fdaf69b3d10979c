import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import ipaddr from 'ipaddr.js';
import { validate as isCronExpression } from 'node-cron';
import { z } from 'zod';

/** Where the EU residency endpoints live; anything else needs ALLOW_NON_EU_ENDPOINTS=true. */
export const ELEVENLABS_EU_BASE_URL = 'https://api.eu.residency.elevenlabs.io';
export const EU_TWILIO_REGIONS = new Set(['ie1']);
const TWILIO_EDGE_FOR_REGION: Record<string, string> = { ie1: 'dublin', au1: 'sydney', us1: 'ashburn' };

/** Secrets that local mode generates once into the data folder when absent. */
const GENERATED_SECRETS = [
  'SUPABASE_JWT_SECRET',
  'TWILIO_AUTH_TOKEN',
  'ELEVENLABS_WEBHOOK_SECRET',
  'TRANSCRIPT_KEYS',
  'STORAGE_KEYS',
  'FORGET_ME_SECRET',
  'BLIND_INDEX_KEY',
] as const;

/** Variables production refuses to start without. */
const REQUIRED_IN_PRODUCTION = [
  'DATABASE_URL',
  'PUBLIC_BASE_URL',
  'SUPABASE_URL',
  'SUPABASE_SERVICE_ROLE_KEY',
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'ELEVENLABS_API_KEY',
  'ELEVENLABS_WEBHOOK_SECRET',
  'SMTP_URL',
  'MAIL_FROM',
  'DPO_EMAIL',
  'TRANSCRIPT_KEYS',
  'TRANSCRIPT_KEY_ID',
  'FORGET_ME_SECRET',
  'BLIND_INDEX_KEY',
] as const;

const optionalString = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
const optionalUrl = optionalString.pipe(z.string().url({ message: 'must be a URL' }).optional());

const boolFlag = optionalString.pipe(
  z
    .enum(['true', 'false', '1', '0'], { message: 'must be true or false' })
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
);

const envSchema = z.object({
  NODE_ENV: optionalString,
  PORT: optionalString.pipe(z.string().regex(/^\d+$/, { message: 'must be a port number' }).transform(Number).pipe(z.number().int().max(65535)).optional()),
  HOST: optionalString.pipe(
    z
      .string()
      .refine((v) => ipaddr.isValid(v) || /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,251}[A-Za-z0-9])?$/.test(v), { message: 'must be an IP address or a host name' })
      .optional(),
  ),
  DATA_DIR: optionalString,
  DATABASE_URL: optionalString.pipe(
    z
      .string()
      .regex(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
      .optional(),
  ),
  PUBLIC_BASE_URL: optionalUrl,
  SUPABASE_URL: optionalUrl,
  SUPABASE_JWT_SECRET: optionalString.pipe(z.string().min(32, { message: 'must be at least 32 characters' }).optional()),
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  SUPABASE_ANON_KEY: optionalString,
  TWILIO_ACCOUNT_SID: optionalString.pipe(
    z
      .string()
      .regex(/^AC[0-9a-fA-F]{32}$/, { message: 'must look like AC followed by 32 hex digits' })
      .optional(),
  ),
  TWILIO_AUTH_TOKEN: optionalString.pipe(z.string().min(16, { message: 'must be at least 16 characters' }).optional()),
  TWILIO_REGION: optionalString,
  TWILIO_EDGE: optionalString,
  TWILIO_API_BASE_URL: optionalUrl,
  TWILIO_SMS_FROM: optionalString.pipe(z.string().regex(/^\+[1-9]\d{6,14}$/, { message: 'must be an E.164 number' }).optional()),
  ELEVENLABS_API_KEY: optionalString,
  ELEVENLABS_WEBHOOK_SECRET: optionalString.pipe(z.string().min(16, { message: 'must be at least 16 characters' }).optional()),
  ELEVENLABS_BASE_URL: optionalUrl,
  ALLOW_NON_EU_ENDPOINTS: boolFlag,
  WEBHOOKS_ALLOW_PRIVATE_NETWORK: boolFlag,
  SMTP_URL: optionalString.pipe(
    z
      .string()
      .regex(/^smtps?:\/\//, { message: 'must be an smtp:// or smtps:// URL' })
      .optional(),
  ),
  MAIL_FROM: optionalString.pipe(z.string().email({ message: 'must be an e-mail address' }).optional()),
  DPO_EMAIL: optionalString.pipe(z.string().email({ message: 'must be an e-mail address' }).optional()),
  OPS_EMAIL: optionalString.pipe(z.string().email({ message: 'must be an e-mail address' }).optional()),
  METRICS_TOKEN: optionalString.pipe(z.string().min(32, { message: 'must be at least 32 characters' }).optional()),
  OPERATOR_NAME: optionalString.pipe(z.string().max(200, { message: 'must be at most 200 characters' }).optional()),
  PRIVACY_CONTACT_EMAIL: optionalString.pipe(z.string().email({ message: 'must be an e-mail address' }).optional()),
  TRANSCRIPT_KEYS: optionalString,
  TRANSCRIPT_KEY_ID: optionalString,
  STORAGE_KEYS: optionalString,
  STORAGE_KEY_ID: optionalString,
  FORGET_ME_SECRET: optionalString.pipe(z.string().min(32, { message: 'must be at least 32 characters' }).optional()),
  BLIND_INDEX_KEY: optionalString.pipe(z.string().min(32, { message: 'must be at least 32 characters' }).optional()),
  OPERATOR_EMAILS: optionalString,
  IMPERSONATION_MAX_MINUTES: optionalString.pipe(z.string().regex(/^\d+$/, { message: 'must be a whole number of minutes' }).transform(Number).pipe(z.number().int().min(1).max(240)).optional()),
  CRON_ENABLED: boolFlag,
  TRUST_PROXY: optionalString,
  RETENTION_PURGE_BATCH_SIZE: optionalString.pipe(
    z.string().regex(/^\d+$/, { message: 'must be a whole number of rows' }).transform(Number).pipe(z.number().int().min(1).max(100_000)).optional(),
  ),
  JOB_SCHEDULE_OVERRIDE: optionalString.pipe(z.string().refine(isCronExpression, { message: 'must be a cron expression (5 fields, or 6 with seconds)' }).optional()),
});

export type Mode = 'local' | 'production';

/**
 * Whether a feature that needs an optional variable can work. In production an
 * optional feature without its variable is visibly off: its pages say so, its
 * API answers 503 `feature_unavailable`, and the start log lists it.
 */
export interface Feature {
  readonly on: boolean;
  /** Why it is off (names the variable; never a value). */
  readonly reason?: string;
}

/** Express's `trust proxy` setting: how many proxies, or which addresses, may set X-Forwarded-For. */
export type TrustProxy = false | number | string[];

export interface AppConfig {
  readonly mode: Mode;
  readonly port: number;
  /** The address the HTTP server listens on: 127.0.0.1 in local mode, 0.0.0.0 in production, or HOST. */
  readonly host: string;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  readonly publicBaseUrl: string;
  readonly supabase: {
    readonly url: string | undefined;
    readonly jwtSecret: string | undefined;
    readonly serviceRoleKey: string | undefined;
    /** The project's public (anon) key: the dashboard's e-mailed sign-in goes through Supabase Auth with it. */
    readonly anonKey: string | undefined;
  };
  readonly twilio: {
    readonly accountSid: string;
    readonly authToken: string;
    readonly region: string;
    readonly edge: string;
    readonly apiBaseUrl: string | undefined;
    /** Sender of SMS codes (forget-me by phone). */
    readonly smsFrom: string | undefined;
    /** False in local mode without a Twilio account: nothing is recorded or sent. */
    readonly live: boolean;
  };
  readonly elevenlabs: {
    readonly apiKey: string | undefined;
    readonly webhookSecret: string;
    readonly baseUrl: string;
  };
  readonly allowNonEuEndpoints: boolean;
  /**
   * Whether customer webhook endpoints may be plain http:// or on loopback and private
   * networks. Default: only in local mode; production sends to public https:// only.
   */
  readonly webhooksAllowPrivateNetwork: boolean;
  readonly mail: { readonly smtpUrl: string | undefined; readonly from: string };
  readonly dpoEmail: string;
  /** OPS_EMAIL: where operational alerts go (default DPO_EMAIL). */
  readonly opsEmail: string;
  /** METRICS_TOKEN: the bearer token a /metrics scrape must send (required in production, optional locally). */
  readonly metricsToken?: string | undefined;
  /** Who runs the service and where people write about their data: named on the public forget-me pages. */
  readonly operator: { readonly name: string; readonly privacyEmail: string };
  readonly transcriptKeys: ReadonlyMap<string, Buffer>;
  readonly transcriptKeyId: string;
  /** STORAGE_KEYS: key id → 32-byte AES key for the secret keys of customers' recording storage. */
  readonly storageKeys: ReadonlyMap<string, Buffer>;
  /** STORAGE_KEY_ID: the key new secrets are encrypted under. */
  readonly storageKeyId: string;
  readonly forgetMeSecret: string;
  readonly blindIndexKey: Buffer;
  /**
   * OPERATOR_EMAILS (local mode only): the addresses whose local sign-in issues a token with
   * `app_metadata.platform_role = "operator"`, trimmed and lower-cased. Empty in production,
   * where Supabase Auth sets app_metadata and the variable is ignored.
   */
  readonly operatorEmails: readonly string[];
  readonly impersonationMaxMinutes: number;
  readonly cronEnabled: boolean;
  /**
   * TRUST_PROXY: the reverse proxies whose X-Forwarded-For gives the client
   * address (rate limits, audit rows). Default: none, so a client reaching us
   * directly cannot choose its address.
   */
  readonly trustProxy: TrustProxy;
  /** RETENTION_PURGE_BATCH_SIZE: rows per statement of the retention purge (default 5000). */
  readonly retentionPurgeBatchSize?: number | undefined;
  /** Optional features and whether their variables are there. */
  readonly features: {
    /** Forget-me by phone: the SMS code needs TWILIO_SMS_FROM and a Twilio account. */
    readonly smsVerification: Feature;
    /** /metrics: in production only with METRICS_TOKEN, so the figures are never public. */
    readonly metrics: Feature;
    /** Customer recording storage: needs STORAGE_KEYS to encrypt the customers' secret keys. */
    readonly recordingStorage: Feature;
  };
  /** JOB_SCHEDULE_OVERRIDE: one cron expression that replaces every job's schedule (e.g. for tests). */
  readonly jobScheduleOverride?: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Configuration is not valid:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface LoadConfigOptions {
  /** Told about secrets generated into the data folder (names only, never values). */
  onGenerated?: (names: string[], file: string) => void;
}

/** Parses `kid:base64key,kid2:base64key` into 32-byte AES keys. */
export function parseKeyring(value: string, problems: string[], name = 'TRANSCRIPT_KEYS'): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  for (const entry of value.split(',').map((e) => e.trim()).filter(Boolean)) {
    const sep = entry.indexOf(':');
    const kid = sep > 0 ? entry.slice(0, sep) : '';
    const key = sep > 0 ? Buffer.from(entry.slice(sep + 1), 'base64') : Buffer.alloc(0);
    if (!/^[A-Za-z0-9_-]{1,32}$/.test(kid)) {
      problems.push(`${name}: each entry must be kid:base64key with a kid of letters, digits, _ or -`);
    } else if (key.length !== 32) {
      problems.push(`${name}: key "${kid}" must be 32 bytes (base64), got ${key.length}`);
    } else {
      keys.set(kid, key);
    }
  }
  return keys;
}

function loadOrGenerateLocalSecrets(
  dataDir: string,
  env: Record<string, string | undefined>,
  opts: LoadConfigOptions,
): Record<string, string> {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Record<string, string> = {};
  if (existsSync(file)) {
    stored = JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>;
  }
  const generated: string[] = [];
  const make: Record<(typeof GENERATED_SECRETS)[number], () => string> = {
    SUPABASE_JWT_SECRET: () => randomBytes(48).toString('base64url'),
    TWILIO_AUTH_TOKEN: () => randomBytes(16).toString('hex'),
    ELEVENLABS_WEBHOOK_SECRET: () => `wsec_${randomBytes(24).toString('hex')}`,
    TRANSCRIPT_KEYS: () => `k1:${randomBytes(32).toString('base64')}`,
    STORAGE_KEYS: () => `s1:${randomBytes(32).toString('base64')}`,
    FORGET_ME_SECRET: () => randomBytes(32).toString('base64url'),
    BLIND_INDEX_KEY: () => randomBytes(32).toString('base64url'),
  };
  for (const name of GENERATED_SECRETS) {
    if (!env[name] && !stored[name]) {
      stored[name] = make[name]();
      generated.push(name);
    }
  }
  if (!env.TWILIO_ACCOUNT_SID && !stored.TWILIO_ACCOUNT_SID) {
    stored.TWILIO_ACCOUNT_SID = `AC${randomBytes(16).toString('hex')}`;
    generated.push('TWILIO_ACCOUNT_SID');
  }
  if (generated.length > 0) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(file, `${JSON.stringify(stored, null, 2)}\n`, { mode: 0o600 });
    chmodSync(file, 0o600);
    opts.onGenerated?.(generated, file);
  }
  return stored;
}

/** Names Express (proxy-addr) knows for address ranges. */
const TRUST_PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * TRUST_PROXY: a hop count (`1`: one proxy in front), or a comma-separated list
 * of proxy addresses, CIDR ranges and the names loopback, linklocal and
 * uniquelocal. `true` (trust every hop) is refused: the client writes the
 * left-most address of X-Forwarded-For, so it could choose its own.
 */
export function parseTrustProxy(value: string | undefined, problems: string[]): TrustProxy {
  if (value === undefined || value === 'false') return false;
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    if (hops > 10) problems.push('TRUST_PROXY: at most 10 proxies in front of the server');
    return hops === 0 ? false : hops;
  }
  if (value === 'true') {
    problems.push('TRUST_PROXY: "true" would trust a client-written X-Forwarded-For; give the number of proxies in front (e.g. 1) or their addresses');
    return false;
  }
  const entries = value.split(',').map((e) => e.trim()).filter(Boolean);
  for (const entry of entries) {
    const ok = TRUST_PROXY_NAMES.has(entry) || (entry.includes('/') ? isCidr(entry) : ipaddr.isValid(entry));
    if (!ok) problems.push(`TRUST_PROXY: "${entry}" is not an address, a CIDR range, loopback, linklocal or uniquelocal`);
  }
  return entries;
}

const emailAddress = z.string().email();

/**
 * OPERATOR_EMAILS: comma-separated addresses, each trimmed and lower-cased (so they
 * compare case-insensitively); empty entries are skipped, anything else must be an address.
 */
export function parseOperatorEmails(value: string | undefined, problems: string[]): string[] {
  if (!value) return [];
  const out: string[] = [];
  for (const raw of value.split(',')) {
    const email = raw.trim().toLowerCase();
    if (!email) continue;
    if (!emailAddress.safeParse(email).success) {
      problems.push(`OPERATOR_EMAILS: "${raw.trim()}" is not an e-mail address`);
      continue;
    }
    if (!out.includes(email)) out.push(email);
  }
  return out;
}

function isCidr(value: string): boolean {
  try {
    ipaddr.parseCIDR(value);
    return true;
  } catch {
    return false;
  }
}

function isLoopback(url: string): boolean {
  const host = new URL(url).hostname;
  return host === 'localhost' || host === '::1' || host === '[::1]' || /^127\./.test(host);
}

/**
 * Reads the configuration from the environment, once. Every problem is listed
 * together; production mode refuses to start without its secrets, local mode
 * generates the missing ones into the data folder and says so.
 */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  opts: LoadConfigOptions = {},
): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const e = parsed.data;
  const mode: Mode = e.NODE_ENV === 'production' ? 'production' : 'local';
  const dataDir = path.resolve(e.DATA_DIR ?? '.data');
  const problems: string[] = [];

  let values: Record<string, string | undefined> = Object.fromEntries(
    Object.entries(e).filter(([, v]) => typeof v === 'string'),
  ) as Record<string, string | undefined>;
  if (mode === 'production') {
    for (const name of REQUIRED_IN_PRODUCTION) {
      if (!values[name]) problems.push(`${name}: required in production`);
    }
    if (!e.SUPABASE_JWT_SECRET && !e.SUPABASE_URL) {
      problems.push('SUPABASE_JWT_SECRET or SUPABASE_URL: one is required to verify access tokens');
    }
  } else {
    const stored = loadOrGenerateLocalSecrets(dataDir, env, opts);
    values = { ...stored, ...Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) };
  }

  const port = e.PORT ?? 3000;
  const publicBaseUrl = (e.PUBLIC_BASE_URL ?? `http://localhost:${port}`).replace(/\/+$/, '');

  const transcriptKeys = values.TRANSCRIPT_KEYS ? parseKeyring(values.TRANSCRIPT_KEYS, problems) : new Map<string, Buffer>();
  const transcriptKeyId = values.TRANSCRIPT_KEY_ID ?? [...transcriptKeys.keys()][0] ?? '';
  if (transcriptKeys.size > 0 && !transcriptKeys.has(transcriptKeyId)) {
    problems.push(`TRANSCRIPT_KEY_ID: "${transcriptKeyId}" is not in TRANSCRIPT_KEYS`);
  }

  // The storage keyring encrypts the secret keys of customers' recording storage. Optional:
  // without it (production) the feature is visibly off, and the server refuses to start
  // when an organisation has storage configured (src/recording-storage/recording-storage-service.ts).
  const storageKeys = values.STORAGE_KEYS ? parseKeyring(values.STORAGE_KEYS, problems, 'STORAGE_KEYS') : new Map<string, Buffer>();
  const storageKeyId = values.STORAGE_KEY_ID ?? [...storageKeys.keys()][0] ?? '';
  if (storageKeys.size > 0 && !storageKeys.has(storageKeyId)) {
    problems.push(`STORAGE_KEY_ID: "${storageKeyId}" is not in STORAGE_KEYS`);
  }
  if (storageKeys.size === 0 && values.STORAGE_KEY_ID) problems.push('STORAGE_KEY_ID: set, but STORAGE_KEYS is not');

  const region = e.TWILIO_REGION ?? 'ie1';
  const edge = e.TWILIO_EDGE ?? TWILIO_EDGE_FOR_REGION[region] ?? 'dublin';
  const elevenlabsBaseUrl = (e.ELEVENLABS_BASE_URL ?? ELEVENLABS_EU_BASE_URL).replace(/\/+$/, '');
  const allowNonEu = e.ALLOW_NON_EU_ENDPOINTS ?? false;
  if (!allowNonEu) {
    if (!EU_TWILIO_REGIONS.has(region)) {
      problems.push(`TWILIO_REGION: "${region}" is outside the EU (use ie1, or set ALLOW_NON_EU_ENDPOINTS=true)`);
    }
    if (!isLoopback(elevenlabsBaseUrl) && new URL(elevenlabsBaseUrl).hostname !== new URL(ELEVENLABS_EU_BASE_URL).hostname) {
      problems.push(
        `ELEVENLABS_BASE_URL: "${elevenlabsBaseUrl}" is not the EU residency endpoint ${ELEVENLABS_EU_BASE_URL} (or set ALLOW_NON_EU_ENDPOINTS=true)`,
      );
    }
    if (e.TWILIO_API_BASE_URL && !isLoopback(e.TWILIO_API_BASE_URL)) {
      problems.push('TWILIO_API_BASE_URL: only a local fake may replace the Twilio EU region (or set ALLOW_NON_EU_ENDPOINTS=true)');
    }
  }

  const trustProxy = parseTrustProxy(e.TRUST_PROXY, problems);
  const operatorEmails = mode === 'local' ? parseOperatorEmails(e.OPERATOR_EMAILS, problems) : [];

  if (problems.length > 0) throw new ConfigError(problems);

  const twilioLive = Boolean(e.TWILIO_ACCOUNT_SID || e.TWILIO_API_BASE_URL);
  const smsVerification: Feature = !twilioLive
    ? { on: false, reason: 'no Twilio account (TWILIO_ACCOUNT_SID): SMS cannot be sent' }
    : e.TWILIO_SMS_FROM
      ? { on: true }
      : { on: false, reason: 'TWILIO_SMS_FROM is not set' };

  const config: AppConfig = {
    mode,
    port,
    // Local mode has generated secrets and a demo organisation with known addresses: this machine only.
    host: e.HOST ?? (mode === 'local' ? '127.0.0.1' : '0.0.0.0'),
    dataDir,
    databaseUrl: e.DATABASE_URL,
    publicBaseUrl,
    supabase: {
      url: e.SUPABASE_URL,
      jwtSecret: values.SUPABASE_JWT_SECRET,
      serviceRoleKey: e.SUPABASE_SERVICE_ROLE_KEY,
      anonKey: e.SUPABASE_ANON_KEY,
    },
    twilio: {
      accountSid: values.TWILIO_ACCOUNT_SID!,
      authToken: values.TWILIO_AUTH_TOKEN!,
      region,
      edge,
      apiBaseUrl: e.TWILIO_API_BASE_URL,
      smsFrom: e.TWILIO_SMS_FROM,
      live: twilioLive,
    },
    elevenlabs: {
      apiKey: e.ELEVENLABS_API_KEY,
      webhookSecret: values.ELEVENLABS_WEBHOOK_SECRET!,
      baseUrl: elevenlabsBaseUrl,
    },
    allowNonEuEndpoints: allowNonEu,
    webhooksAllowPrivateNetwork: e.WEBHOOKS_ALLOW_PRIVATE_NETWORK ?? mode === 'local',
    mail: { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM ?? 'privacy@localhost' },
    dpoEmail: e.DPO_EMAIL ?? 'dpo@localhost',
    opsEmail: e.OPS_EMAIL ?? e.DPO_EMAIL ?? 'dpo@localhost',
    metricsToken: e.METRICS_TOKEN,
    // Optional even in production: without OPERATOR_NAME the pages say plainly that it is not set, and
    // the privacy contact falls back to the DPO, whom production must name.
    operator: {
      name: e.OPERATOR_NAME ?? (mode === 'local' ? 'Local development instance' : 'Operator not named (OPERATOR_NAME is not set)'),
      privacyEmail: e.PRIVACY_CONTACT_EMAIL ?? e.DPO_EMAIL ?? 'dpo@localhost',
    },
    transcriptKeys,
    transcriptKeyId,
    storageKeys,
    storageKeyId,
    forgetMeSecret: values.FORGET_ME_SECRET!,
    blindIndexKey: Buffer.from(values.BLIND_INDEX_KEY!, 'utf8'),
    operatorEmails,
    impersonationMaxMinutes: e.IMPERSONATION_MAX_MINUTES ?? 60,
    cronEnabled: e.CRON_ENABLED ?? true,
    trustProxy,
    retentionPurgeBatchSize: e.RETENTION_PURGE_BATCH_SIZE,
    features: {
      smsVerification,
      recordingStorage:
        storageKeys.size > 0
          ? { on: true }
          : { on: false, reason: 'STORAGE_KEYS is not set: recordings cannot be delivered to customer storage.' },
      metrics: mode === 'production' && !e.METRICS_TOKEN ? { on: false, reason: 'METRICS_TOKEN is not set: /metrics is served only to a scraper that sends it.' } : { on: true },
    },
    jobScheduleOverride: e.JOB_SCHEDULE_OVERRIDE,
  };
  return Object.freeze(config);
}

/** The features that are off, with why: for the start log. */
export function featuresOff(config: Pick<AppConfig, 'features'>): { feature: string; reason: string }[] {
  return Object.entries(config.features)
    .filter(([, f]) => !f.on)
    .map(([feature, f]) => ({ feature, reason: f.reason ?? 'off' }));
}
