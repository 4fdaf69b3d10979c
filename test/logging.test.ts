import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Logs one line the way the server does, then one after logToStderr (as every CLI does). */
const SCRIPT = `
import { logger, logToStderr } from './src/lib/logger.ts';
logger.info({ job: 'x', email: 'someone@example.com' }, 'to stdout');
logToStderr();
logger.info({ job: 'y' }, 'to stderr');
`;

async function logs(env: Record<string, string>) {
  const e: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'info' };
  delete e.LOG_FORMAT;
  Object.assign(e, env);
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], { env: e });
}

describe('log lines', () => {
  it('one JSON object per line when not on a terminal; pretty with LOG_FORMAT=pretty (a terminal\'s default); personal data redacted either way; CLIs log to stderr', async () => {
    const json = await logs({});
    const line = JSON.parse(json.stdout.trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, msg: 'to stdout', job: 'x', email: '[redacted]' });
    expect(JSON.parse(json.stderr.trim())).toMatchObject({ msg: 'to stderr', job: 'y' });

    const pretty = await logs({ LOG_FORMAT: 'pretty' });
    expect(pretty.stdout).toMatch(/INFO.*: .*to stdout/);
    expect(pretty.stdout).toContain('"[redacted]"');
    expect(pretty.stdout).not.toContain('someone@example.com');
    expect(() => JSON.parse(pretty.stdout.trim())).toThrow();
    expect(pretty.stderr).toMatch(/INFO.*: .*to stderr/);
  }, 60_000);
});
