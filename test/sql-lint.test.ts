import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The lint rule of eslint.config.js that keeps SQL in repos: a tagged
// template in src/ outside a `*-repo.ts` module or src/db/ is an error.
// Tests and benchmarks may use SQL directly.

const eslint = new ESLint({ cwd: process.cwd() });
const RULE = 'no-restricted-syntax';
const SOURCE = [
  "import type { Tx } from '../db/database.js';",
  'export async function callsOf(tx: Tx, orgId: string) {',
  '  return tx`select id from public.calls where org_id = ${orgId}`;',
  '}',
  '',
].join('\n');

async function sqlErrors(filePath: string): Promise<string[]> {
  const [result] = await eslint.lintText(SOURCE, { filePath });
  return result!.messages.filter((m) => m.ruleId === RULE).map((m) => `${m.line}: ${m.message}`);
}

describe('lint: SQL only in repos, src/db/ and migrations', () => {
  it('refuses a tagged SQL template in a service, a route or a job of src/', async () => {
    for (const file of ['src/calls/calls-service.ts', 'src/erasure/erasure-routes.ts', 'src/retention/retention-jobs.ts', 'src/lib/anything.ts']) {
      const errors = await sqlErrors(file);
      expect(errors, file).toHaveLength(1);
      expect(errors[0]).toMatch(/^3: SQL belongs in the table's repo/);
    }
  });

  it('accepts it in a *-repo.ts module and under src/db/', async () => {
    expect(await sqlErrors('src/calls/calls-repo.ts')).toEqual([]);
    expect(await sqlErrors('src/db/ping.ts')).toEqual([]);
  });

  it('does not apply to tests and benchmarks', async () => {
    expect(await sqlErrors('test/some.test.ts')).toEqual([]);
    expect(await sqlErrors('bench/some.bench.ts')).toEqual([]);
  });

  it('holds for the whole of src/ today', async () => {
    const results = await eslint.lintFiles(['src']);
    const offending = results.flatMap((r) => r.messages.filter((m) => m.ruleId === RULE).map((m) => `${r.filePath.replace(`${process.cwd()}/`, '')}:${m.line}`));
    expect(offending).toEqual([]);
  });
});
