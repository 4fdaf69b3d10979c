import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openEmbeddedDatabase, type EmbeddedDatabase } from '../src/db/embedded.js';

let dir: string;
let db: EmbeddedDatabase;

beforeAll(async () => {
  dir = mkdtempSync(path.join(tmpdir(), 'voice-gdpr-queue-'));
  db = await openEmbeddedDatabase(dir);
});
afterAll(async () => {
  await db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the embedded database shared by several clients', () => {
  it('keeps each lone statement and each transaction of concurrent clients together', async () => {
    // Two processes' worth of clients, each with several connections, sending
    // parameterised statements (Parse, Bind, Execute, Sync) outside transactions
    // and transactions at the same time.
    const clients = [0, 1].map(() => postgres(db.url, { max: 4, onnotice: () => {} }));
    try {
      await clients[0]!`create table if not exists queue_probe (client int, n int)`;
      const work = clients.flatMap((sql, client) =>
        Array.from({ length: 150 }, async (_, n) => {
          if (n % 10 === 0) {
            return sql.begin(async (tx) => {
              await tx`insert into queue_probe values (${client}, ${n})`;
              const [row] = await tx<{ count: number }[]>`select count(*)::int as count from queue_probe where client = ${client} and n = ${n}`;
              return row!.count;
            });
          }
          await sql`insert into queue_probe values (${client}, ${n})`;
          const [row] = await sql<{ n: number }[]>`select ${n}::int + ${client}::int as n`;
          return row!.n - client - n + 1;
        }),
      );
      const results = await Promise.allSettled(work);
      const failures = results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason));
      expect(failures).toEqual([]);
      expect(results.map((r) => (r as PromiseFulfilledResult<number>).value)).toEqual(results.map(() => 1));
      const [total] = await clients[1]!<{ count: number }[]>`select count(*)::int as count from queue_probe`;
      expect(total!.count).toBe(300);
    } finally {
      await Promise.all(clients.map((sql) => sql.end()));
    }
  });

  it('a failed statement fails alone, and the database keeps serving', async () => {
    const sql = postgres(db.url, { max: 2, onnotice: () => {} });
    try {
      const [bad, good] = await Promise.allSettled([sql`select 1 / ${0}::int as x`, sql`select ${2}::int as x`]);
      expect(bad.status).toBe('rejected');
      expect(good).toMatchObject({ status: 'fulfilled', value: [{ x: 2 }] });
      expect(await sql`select ${3}::int as x`).toEqual([{ x: 3 }]);
    } finally {
      await sql.end();
    }
  });
});
