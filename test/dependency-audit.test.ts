import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-audit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs CI's verdict on an `npm audit --json` report. */
function verdict(report: unknown): { status: number | null; out: string } {
  const file = path.join(dir, `${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(file, typeof report === 'string' ? report : JSON.stringify(report));
  const run = spawnSync('npx', ['--no-install', 'tsx', 'scripts/audit-verdict.ts', file], { encoding: 'utf8' });
  return { status: run.status, out: run.stdout };
}

const counts = (v: Partial<Record<'critical' | 'high' | 'moderate' | 'low', number>>) => ({ metadata: { vulnerabilities: { critical: 0, high: 0, moderate: 0, low: 0, ...v } } });

describe('CI dependency audit', () => {
  it('fails on a high or critical advisory in a production dependency, naming it', () => {
    const high = verdict({ ...counts({ high: 1 }), vulnerabilities: { 'some-lib': { severity: 'high', range: '<2.0.1', fixAvailable: true } } });
    expect(high.status).toBe(1);
    expect(high.out).toContain('high: some-lib <2.0.1');
    expect(verdict(counts({ critical: 2 })).status).toBe(1);
  });

  it('passes with only moderate or low advisories, and says how many', () => {
    const moderate = verdict(counts({ moderate: 3, low: 1 }));
    expect(moderate.status).toBe(0);
    expect(moderate.out).toContain('0 critical, 0 high, 3 moderate, 1 low');
  });

  it('says in one plain line that there is no verdict when the advisory service cannot be reached, and passes', () => {
    const refused = verdict({ message: '405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk', statusCode: 405 });
    expect(refused.status).toBe(0);
    expect(refused.out.trim().split('\n')).toHaveLength(1);
    expect(refused.out).toContain('no verdict, the advisory service could not be reached (405 Method Not Allowed');
    expect(verdict('not json').status).toBe(0);
  });

  it('writes a CycloneDX SBOM of the production dependencies, offline', () => {
    const out = path.join(dir, 'ci-out');
    const run = spawnSync('bash', ['scripts/dependency-audit.sh', out], { encoding: 'utf8', timeout: 120_000 });
    expect(run.stdout).toMatch(/SBOM: .*sbom\.cdx\.json \(CycloneDX, \d+ production components\)/);
    const sbom = JSON.parse(readFileSync(path.join(out, 'sbom.cdx.json'), 'utf8')) as { bomFormat: string; components: { name: string }[] };
    expect(sbom.bomFormat).toBe('CycloneDX');
    const names = sbom.components.map((c) => c.name);
    expect(names).toContain('express');
    expect(names).not.toContain('vitest');
  }, 150_000);
});
