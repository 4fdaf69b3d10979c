import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { SequencedQueryQueue } from './pglite-queue.js';

/**
 * The embedded database: PGlite (PostgreSQL in WASM) file-backed in the data
 * folder and served over the PostgreSQL wire protocol on 127.0.0.1, so the
 * rest of the code talks to it exactly as to a real server.
 *
 * Only one process may open the files. It writes a lock file with its pid and
 * port; another process of ours (a CLI next to a running server) finds the lock
 * and connects to that port instead of opening the files itself.
 */
export interface EmbeddedDatabase {
  url: string;
  /** True when this process owns the files (and must close them). */
  owner: boolean;
  close(): Promise<void>;
}

interface LockFile {
  pid: number;
  port: number;
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function urlFor(port: number): string {
  return `postgres://postgres@127.0.0.1:${port}/postgres`;
}

/** Opens (or joins) the embedded database in dataDir. */
export async function openEmbeddedDatabase(dataDir: string, port = 0): Promise<EmbeddedDatabase> {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const lockPath = path.join(dataDir, 'pglite.lock');

  if (existsSync(lockPath)) {
    const lock = JSON.parse(readFileSync(lockPath, 'utf8')) as LockFile;
    if (lock.pid !== process.pid && pidAlive(lock.pid) && (await portOpen(lock.port))) {
      return { url: urlFor(lock.port), owner: false, close: async () => {} };
    }
    rmSync(lockPath, { force: true });
  }

  // Claim the lock before opening the files: 'wx' fails if another process won the race.
  writeFileSync(lockPath, JSON.stringify({ pid: process.pid, port: -1 }), { flag: 'wx', mode: 0o600 });
  try {
    const db = await PGlite.create({ dataDir: path.join(dataDir, 'pgdata') });
    // PGlite serialises queries; the socket server multiplexes a few clients onto it.
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port, maxConnections: 16 });
    // Its handlers take the server's queue when they connect: swap in ours first (see SequencedQueryQueue).
    // (pglite-socket is pinned in package.json: this reaches into its internals.)
    if (!('queryQueue' in server)) throw new Error('pglite-socket changed: its server has no queryQueue to replace.');
    (server as unknown as { queryQueue: SequencedQueryQueue }).queryQueue = new SequencedQueryQueue(db);
    await server.start();
    // getServerConn() answers "host:port" with the port the OS assigned.
    const boundPort = Number(server.getServerConn().split(':').pop());
    writeFileSync(lockPath, JSON.stringify({ pid: process.pid, port: boundPort } satisfies LockFile), { mode: 0o600 });
    let closed = false;
    return {
      url: urlFor(boundPort),
      owner: true,
      async close() {
        if (closed) return;
        closed = true;
        await server.stop();
        await db.close();
        rmSync(lockPath, { force: true });
      },
    };
  } catch (err) {
    rmSync(lockPath, { force: true });
    throw err;
  }
}
