import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * Every command-line tool in src/cli/ (bootstrap.ts is their shared start, cliArgs):
 * --help prints usage on stdout and exits 0; an unknown option exits 2 with one line
 * on stderr and no stack trace. Neither opens the database nor generates secrets.
 */
const CLIS = ['token', 'seed', 'job', 'migrate', 'audit-verify', 'records-of-processing', 'call'] as const;
const dataDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-cli-help-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function cli(name: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, LOG_LEVEL: 'info' };
  delete env.DATABASE_URL;
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', `src/cli/${name}.ts`, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

describe('command-line tools', () => {
  it('--help prints usage and exits 0; an unknown option exits 2 with one line, no stack trace', async () => {
    // Two at a time: each is a Node process loading the sources.
    const results: { name: string; help: Awaited<ReturnType<typeof cli>>; bad: Awaited<ReturnType<typeof cli>> }[] = [];
    const queue = [...CLIS];
    await Promise.all(
      [0, 1].map(async () => {
        for (let name = queue.shift(); name; name = queue.shift()) {
          results.push({ name, help: await cli(name, name === 'call' ? ['-h'] : ['--help']), bad: await cli(name, ['--no-such-option']) });
        }
      }),
    );
    expect(results.map((r) => r.name).sort()).toEqual([...CLIS].sort());
    for (const { name, help, bad } of results) {
      expect(help.code, `${name} --help: ${help.stderr}`).toBe(0);
      expect(help.stdout, name).toMatch(/^usage: npm run /);
      expect(help.stderr, name).not.toMatch(/\n\s+at /);

      expect(bad.code, `${name} --no-such-option: ${bad.stderr}`).toBe(2);
      expect(bad.stdout, name).toBe('');
      const lines = bad.stderr.trim().split('\n');
      expect(lines, `${name}: ${bad.stderr}`).toHaveLength(1);
      expect(lines[0], name).toMatch(/Unknown option '--no-such-option'.*usage: npm run /);
    }
    // None of it needed the data folder: no secrets were generated.
    expect(results.every((r) => !r.help.stderr.includes('generated missing secrets'))).toBe(true);
  }, 600_000);
});
