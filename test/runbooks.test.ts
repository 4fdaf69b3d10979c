import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import request from 'supertest';
import twilio from 'twilio';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppConfig } from '../src/config/env.js';
import type { ServiceDb } from '../src/db/database.js';
import { jobDefinitions } from '../src/jobs/registry.js';
import { buildTestApp, createUser, openTestDb, testConfig } from './helpers/harness.js';

/**
 * The runbooks and docs/gdpr.md are followed by people under pressure: every
 * command, job, endpoint and file they name must exist. This reads them, finds
 * each `npm run <script>`, `npm run job -- <name>`, `METHOD /path` and
 * backticked file path, and checks it against package.json, the job registry,
 * the real application and the repository.
 */

const ROOT = fileURLToPath(new URL('..', import.meta.url));

interface Endpoint {
  method: string;
  path: string;
}

interface References {
  scripts: string[];
  jobs: string[];
  endpoints: Endpoint[];
  files: string[];
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
const PREFIXES = ['api', 'webhooks', 'forget-me', 'subprocessors', 'trust', 'healthz', 'readyz', 'auth', 'preferences'];

// `npm run <script>`, `npm run-script <script>`, and the built-ins `npm start` / `npm test`.
const SCRIPT_RE = /\bnpm\s+(?:run(?:-script)?\s+([A-Za-z0-9:_.-]+)|(start|test)\b)/g;
// `npm run job -- <name>`: a placeholder such as `<name>` is not a job.
const JOB_RE = /\bnpm\s+run\s+job\s+--\s+([^\s`'")\],;|]+)/g;
// `METHOD /path`: path characters, or a `<placeholder with spaces>` segment.
const ENDPOINT_RE = new RegExp(
  String.raw`\b(${METHODS.join('|')})\s+(\/(?:${PREFIXES.join('|')})(?:<[^>\n]*>|[^\s\`'"<>()\[\]|,;])*)`,
  'g',
);
// A backticked path to a .ts, .sql or .md file.
const FILE_RE = /`([^`\s]+\.(?:ts|sql|md))`/g;

const unique = <T>(xs: T[], key: (x: T) => string = String): T[] => [...new Map(xs.map((x) => [key(x), x])).values()];

/** Every command, job, endpoint and file path a Markdown text names. */
function findReferences(markdown: string): References {
  const scripts = [...markdown.matchAll(SCRIPT_RE)].map((m) => (m[1] ?? m[2])!);
  const jobs = [...markdown.matchAll(JOB_RE)].map((m) => m[1]!).filter((j) => !j.startsWith('<'));
  const endpoints = [...markdown.matchAll(ENDPOINT_RE)].map((m) => ({
    method: m[1]!,
    // Sentence punctuation after a path is not part of it.
    path: m[2]!.replace(/[.:?!]+$/, ''),
  }));
  const files = [...markdown.matchAll(FILE_RE)].map((m) => m[1]!);
  return {
    scripts: unique(scripts),
    jobs: unique(jobs),
    endpoints: unique(endpoints, (e) => `${e.method} ${e.path}`),
    files: unique(files),
  };
}

/** A path with its parameters (`:orgId`, `<organisation id>`, `{id}`) replaced by fresh uuids, without query or fragment. */
function concretePath(template: string): string {
  return template
    .replace(/[?#].*$/, '')
    .replace(/<[^>]*>/g, () => randomUUID())
    .replace(/\{[^}]*\}/g, () => randomUUID())
    .replace(/\/:[A-Za-z_][A-Za-z0-9_]*/g, () => `/${randomUUID()}`);
}

/** The scripts and jobs named that package.json and the job registry do not have. */
function missingCommands(refs: References, scripts: Record<string, string>, jobNames: string[]): string[] {
  const missing: string[] = [];
  for (const s of refs.scripts) if (!(s in scripts)) missing.push(`npm run ${s}: no such script in package.json`);
  for (const j of refs.jobs) if (!jobNames.includes(j)) missing.push(`npm run job -- ${j}: no such job in jobDefinitions()`);
  return missing;
}

/** The file paths named that do not exist in the repository (a `*` in the last segment must match a file). */
function missingFiles(refs: References, root: string = ROOT): string[] {
  return refs.files.filter((f) => {
    const full = path.resolve(root, f);
    if (!f.includes('*')) return !existsSync(full);
    const dir = path.dirname(full);
    const pattern = new RegExp(`^${path.basename(full).replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    return !existsSync(dir) || !readdirSync(dir).some((name) => pattern.test(name));
  });
}

const packageScripts = (JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
const jobNames = jobDefinitions().map((d) => d.name);

/** Every runbook, and the GDPR map. */
function documents(): { name: string; text: string }[] {
  const runbooks = existsSync(path.join(ROOT, 'runbooks'))
    ? readdirSync(path.join(ROOT, 'runbooks'))
        .filter((f) => f.endsWith('.md'))
        .sort()
        .map((f) => `runbooks/${f}`)
    : [];
  return [...runbooks, 'docs/gdpr.md']
    .filter((f) => existsSync(path.join(ROOT, f)))
    .map((name) => ({ name, text: readFileSync(path.join(ROOT, name), 'utf8') }));
}

const docs = documents();

describe('reference parsing', () => {
  const synthetic = [
    'Run `npm run db:migrate`, then `npm run job -- erasure-work` (or `npm run job -- <name>`).',
    'Start with npm start; check with `npm run audit:verify -- --org <id>`.',
    'Record it: `POST /api/admin/incidents`, then PATCH /api/admin/incidents/:id.',
    'Customers see `GET /api/orgs/<organisation id>/trust` and GET /subprocessors.',
    '| `DELETE /api/orgs/:orgId/members/:userId` | owner |',
    'See `src/incidents/incidents-service.ts` and `runbooks/no-such-runbook.md`.',
    'Typos must fail: `npm run no-such-script`, `npm run job -- no-such-job`, `GET /api/no-such-endpoint`.',
  ].join('\n');
  const refs = findReferences(synthetic);

  it('finds scripts, jobs (not placeholders), endpoints (without trailing punctuation) and files', () => {
    expect(refs.scripts).toEqual(['db:migrate', 'job', 'start', 'audit:verify', 'no-such-script']);
    expect(refs.jobs).toEqual(['erasure-work', 'no-such-job']);
    expect(refs.endpoints).toEqual([
      { method: 'POST', path: '/api/admin/incidents' },
      { method: 'PATCH', path: '/api/admin/incidents/:id' },
      { method: 'GET', path: '/api/orgs/<organisation id>/trust' },
      { method: 'GET', path: '/subprocessors' },
      { method: 'DELETE', path: '/api/orgs/:orgId/members/:userId' },
      { method: 'GET', path: '/api/no-such-endpoint' },
    ]);
    expect(refs.files).toEqual(['src/incidents/incidents-service.ts', 'runbooks/no-such-runbook.md']);
  });

  it('reports a script, a job and a file that do not exist', () => {
    const missing = missingCommands(refs, { 'db:migrate': 'x', job: 'x', start: 'x', 'audit:verify': 'x' }, ['erasure-work']);
    expect(missing).toEqual(['npm run no-such-script: no such script in package.json', 'npm run job -- no-such-job: no such job in jobDefinitions()']);
    expect(missingFiles(refs)).toEqual(['runbooks/no-such-runbook.md']);
    expect(missingFiles(findReferences('`supabase/policies/*.sql` and `supabase/policies/*.nothing.sql`'))).toEqual(['supabase/policies/*.nothing.sql']);
  });

  it('turns every kind of path parameter into a uuid and drops the query', () => {
    const p = concretePath('/api/orgs/:orgId/erasure-requests/<request id>/extension?x=1');
    expect(p).toMatch(/^\/api\/orgs\/[0-9a-f-]{36}\/erasure-requests\/[0-9a-f-]{36}\/extension$/);
    expect(concretePath('/forget-me/confirm?token=…')).toBe('/forget-me/confirm');
  });
});

describe('runbooks and docs/gdpr.md name only what exists', () => {
  let db: ServiceDb;
  let app: Express;
  let config: AppConfig;
  let operatorToken: string;

  beforeAll(async () => {
    db = openTestDb();
    config = testConfig();
    ({ app } = buildTestApp(db, config));
    operatorToken = (await createUser(db, config, { operator: true })).token;
  });
  afterAll(async () => {
    await db.end();
  });

  /**
   * Sends the request as an operator (and with a valid Twilio signature, so
   * that the webhook router's signature check does not hide an unknown path)
   * and says whether the app answered with its unknown-endpoint 404.
   */
  async function isUnknown(ep: Endpoint): Promise<{ unknown: boolean; status: number }> {
    const url = concretePath(ep.path);
    const method = ep.method.toLowerCase() as 'get' | 'post' | 'put' | 'patch' | 'delete';
    const res = await request(app)[method](url)
      .set('Authorization', `Bearer ${operatorToken}`)
      .set('X-Twilio-Signature', twilio.getExpectedTwilioSignature(config.twilio.authToken, `${config.publicBaseUrl}${url}`, {}));
    const error = (res.body as { error?: { code?: string; message?: string } } | undefined)?.error;
    return { unknown: res.status === 404 && error?.code === 'not_found' && error?.message === 'No such endpoint.', status: res.status };
  }

  it('the documents are there', () => {
    expect(docs.map((d) => d.name)).toContain('docs/gdpr.md');
    expect(docs.length).toBeGreaterThan(1);
  });

  it('the probe tells unknown endpoints from known ones, behind every router', async () => {
    for (const path of [
      '/api/no-such-endpoint',
      '/api/orgs/:orgId/no-such-thing',
      '/api/admin/incidents/:id/no-such-thing',
      '/webhooks/twilio/no-such-thing',
      '/forget-me/no-such-thing',
      '/no-such-page',
    ]) {
      expect(await isUnknown({ method: 'POST', path }), path).toMatchObject({ unknown: true });
    }
    expect(await isUnknown({ method: 'GET', path: '/api/admin/incidents' })).toEqual({ unknown: false, status: 200 });
    expect((await isUnknown({ method: 'POST', path: '/webhooks/twilio/voice' })).unknown).toBe(false);
  });

  describe.each(docs.map((d) => [d.name, d.text] as const))('%s', (name, text) => {
    const refs = findReferences(text);

    it('names only npm scripts and jobs that exist', () => {
      expect(missingCommands(refs, packageScripts, jobNames), `${name}: jobs are ${jobNames.join(', ')}`).toEqual([]);
    });

    it('names only endpoints the app serves', async () => {
      const unknown: string[] = [];
      for (const ep of refs.endpoints) {
        if ((await isUnknown(ep)).unknown) unknown.push(`${ep.method} ${ep.path}`);
      }
      expect(unknown).toEqual([]);
    });

    it('names only files that exist', () => {
      expect(missingFiles(refs)).toEqual([]);
    });
  });
});

describe('the README and docs stand alone', () => {
  // A clone of the repository has nothing beside it: every document it ships
  // must point only inside the repository.
  const shipped = [
    'README.md',
    ...readdirSync(path.join(ROOT, 'docs')).filter((f) => f.endsWith('.md')).map((f) => `docs/${f}`),
    ...readdirSync(path.join(ROOT, 'runbooks')).filter((f) => f.endsWith('.md')).map((f) => `runbooks/${f}`),
  ];

  it.each(shipped)('%s points to nothing outside the repository', (file) => {
    const text = readFileSync(path.join(ROOT, file), 'utf8');
    expect(text).not.toMatch(/\.\.\/shared|\/work\/|SPEC\.md/);
  });

  it('the README links to the product description and the providers page, which exist', () => {
    const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
    for (const doc of ['docs/product.md', 'docs/providers.md']) {
      expect(readme).toContain(doc);
      expect(existsSync(path.join(ROOT, doc))).toBe(true);
    }
  });
});
