import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * A newcomer's first hour, scripted: the README's blocks marked ```sh walk are
 * pasted, as they are, into one bash (so TOKEN=$(…) carries on) against a real
 * local-mode server on its own data folder and port. Each command must exit 0
 * and print what the `# prints:` lines after it say (`…` stands for anything).
 */
interface Step {
  command: string;
  prints: string[];
}

function walkSteps(readme: string): Step[] {
  const steps: Step[] = [];
  for (const block of readme.matchAll(/^```sh walk\n([\s\S]*?)^```$/gm)) {
    for (const line of block[1]!.split('\n')) {
      const prints = /^# prints: (.*)$/.exec(line);
      if (prints) steps.at(-1)!.prints.push(prints[1]!);
      else if (line.trim() && !line.startsWith('#')) steps.push({ command: line, prints: [] });
    }
  }
  return steps;
}

/** A `# prints:` line as a pattern: literal text, `…` for anything on the line. */
function printsPattern(text: string): RegExp {
  return new RegExp(text.split('…').map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('.*'));
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-readme-'));
let server: ChildProcess | undefined;
afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the README, pasted', () => {
  it('finds the marked blocks', () => {
    const steps = walkSteps(readFileSync('README.md', 'utf8'));
    expect(steps.length).toBeGreaterThanOrEqual(8);
    expect(steps.some((s) => s.command.startsWith('TOKEN=$(') || s.command.startsWith('ME=$(npm run -s token'))).toBe(true);
    expect(steps.filter((s) => s.command.startsWith('npm run -s call')).length).toBe(3);
    expect(printsPattern('{"id":"…","name":"Demo Organisation"…}').test('{"id":"x-1","name":"Demo Organisation","role":"owner"}')).toBe(true);
    expect(printsPattern('{"id":"…","name":"Demo Organisation"…}').test('{"name":"Demo Organisation"}')).toBe(false);
  });

  it('every command exits 0 and prints what the README says; the idle server logs no routine job lines', async () => {
    const port = await freePort();
    const env: NodeJS.ProcessEnv = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'info', JOB_SCHEDULE_OVERRIDE: '*/5 * * * * *' };
    delete env.DATABASE_URL;
    delete env.NODE_ENV;
    delete env.HOST;
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    server.stdout!.on('data', (d) => (log += d));
    server.stderr!.on('data', (d) => (log += d));
    const deadline = Date.now() + 150_000;
    for (;;) {
      const ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (ready?.ok) break;
      if (server.exitCode !== null || Date.now() > deadline) throw new Error(`the server did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 250));
    }

    const steps = walkSteps(readFileSync('README.md', 'utf8'));
    const out = path.join(dataDir, 'walk');
    const script = [
      'set -o pipefail',
      ...steps.map((s, i) => `{ ${s.command.replaceAll('localhost:3000', `127.0.0.1:${port}`)}\n} > ${out}.${i}.out 2> ${out}.${i}.err; echo $? > ${out}.${i}.rc`),
    ].join('\n');
    writeFileSync(`${out}.sh`, script);
    await new Promise<void>((resolve, reject) => {
      const walk = spawn('bash', [`${out}.sh`], { env, stdio: 'ignore' });
      walk.once('exit', () => resolve());
      walk.once('error', reject);
    });

    for (const [i, step] of steps.entries()) {
      const stdout = readFileSync(`${out}.${i}.out`, 'utf8');
      const stderr = readFileSync(`${out}.${i}.err`, 'utf8');
      const what = `${step.command}\n--- stdout:\n${stdout}\n--- stderr:\n${stderr}`;
      expect(readFileSync(`${out}.${i}.rc`, 'utf8').trim(), what).toBe('0');
      for (const p of step.prints) expect(stdout, `${p}\n${what}`).toMatch(printsPattern(p));
    }

    // Local mode listens on this machine only.
    const listening = log.split('\n').find((l) => l.includes('"msg":"listening"'));
    expect(JSON.parse(listening!)).toMatchObject({ host: '127.0.0.1', port });
    // Then the server is left alone: after the walk's work is done (a few ticks), jobs tick
    // every 5 seconds and say nothing at info level.
    await new Promise((r) => setTimeout(r, 12_000));
    const mark = log.length;
    await new Promise((r) => setTimeout(r, 12_000));
    // (The retention purge's own summary stays: it runs once a day, here every tick only by the override.)
    const idleInfo = log
      .slice(mark)
      .split('\n')
      .filter((l) => l.startsWith('{') && (JSON.parse(l) as { level: number }).level <= 30 && !l.includes('"msg":"retention purge finished"'));
    expect(idleInfo).toEqual([]);
    // Jobs ticked every 5 seconds throughout: routine runs stay at debug; a run that did something says so.
    const jobLines = log.split('\n').filter((l) => l.includes('"msg":"job '));
    expect(jobLines.filter((l) => l.includes('"msg":"job started"'))).toEqual([]);
    for (const l of jobLines.filter((x) => x.includes('"msg":"job finished"'))) {
      expect(Object.values((JSON.parse(l) as { counts: Record<string, number> }).counts).some((n) => n > 0), l).toBe(true);
    }
    expect(log).toMatch(/"msg":"job scheduler started"/);
  }, 600_000);
});
