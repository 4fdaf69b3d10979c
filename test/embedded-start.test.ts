import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);

/**
 * The fresh-machine path: no DATABASE_URL, so the server opens the embedded
 * database in its data folder; a second command joins it through the lock file.
 */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

const dataDir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-embedded-'));
let server: ChildProcess | undefined;
const env = (port: number) => {
  const e: Record<string, string | undefined> = { ...process.env, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn' };
  delete e.DATABASE_URL;
  delete e.NODE_ENV;
  return e as NodeJS.ProcessEnv;
};

afterAll(() => {
  server?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

describe('npm start without DATABASE_URL', () => {
  it('serves /readyz on the embedded database, seeds a demo organisation and shuts down cleanly', async () => {
    const port = await freePort();
    server = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], { env: env(port), stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    server.stdout!.on('data', (d) => (output += d));
    server.stderr!.on('data', (d) => (output += d));

    const deadline = Date.now() + 90_000;
    let ready: Response | undefined;
    while (Date.now() < deadline) {
      ready = await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => undefined);
      if (ready?.ok) break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(ready?.status, output).toBe(200);
    expect(await ready!.json()).toEqual({ status: 'ready', database: 'ok' });
    expect(output).toContain('generated missing secrets');
    expect(existsSync(path.join(dataDir, 'db', 'pglite.lock'))).toBe(true);

    const { stdout } = await run('npx', ['tsx', 'src/cli/seed.ts', '--json'], { env: env(port) });
    const seed = JSON.parse(stdout) as { organization_id: string; users: { role: string; token: string }[] };
    const owner = seed.users.find((u) => u.role === 'owner')!;
    const res = await fetch(`http://127.0.0.1:${port}/api/orgs/${seed.organization_id}`, {
      headers: { Authorization: `Bearer ${owner.token}` },
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ id: seed.organization_id, role: 'owner', name: 'Demo Organisation' });

    // The call simulator plays Twilio against the running server.
    const sim = await run(process.execPath, ['--import', 'tsx', 'src/cli/call.ts', '--from', '+4930123456789', '--to', '+493012345678', '--digits', '1'], {
      env: env(port),
    });
    expect(sim.stdout).toContain('<Gather input="dtmf" numDigits="1"');
    // A German caller on the German demo number: asked in German, then greeted in German.
    expect(sim.stdout).toContain('<Say language="de-DE">Dieses Gespräch mit einem KI-Assistenten');
    expect(sim.stdout).toContain('<Say language="de-DE">Guten Tag! Sie sprechen mit einem KI-Assistenten. Dieses Gespräch wird aufgezeichnet.');
    expect(sim.stdout).not.toContain('You are speaking with an AI assistant');
    const consents = await fetch(`http://127.0.0.1:${port}/api/orgs/${seed.organization_id}/audit-logs`, {
      headers: { Authorization: `Bearer ${owner.token}` },
    }).then((r) => r.json() as Promise<{ entries: { action: string }[] }>);
    expect(consents.entries.map((e) => e.action)).toContain('call.consent_given');

    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    server.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(existsSync(path.join(dataDir, 'db', 'pglite.lock'))).toBe(false);
  }, 180_000);
});
