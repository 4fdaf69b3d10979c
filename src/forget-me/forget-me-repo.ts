import type { ServiceDb, Tx } from '../db/database.js';

/**
 * SQL for the forget-me flow's own tables: rate-limit windows (app.forget_me_limits)
 * and SMS codes (app.forget_me_codes). A confirmation link's single use is a nonce
 * in app.used_nonces (src/db/used-nonces-repo.ts).
 */

/**
 * Counts one hit for `bucket` in the window starting at `windowStart` and
 * returns the window's count (this hit included). Windows older than
 * `forgetBefore` are removed in the same transaction.
 */
export async function countHit(db: ServiceDb, bucket: Buffer, windowStart: Date, forgetBefore: Date): Promise<number> {
  return db.begin(async (tx) => {
    await tx`delete from app.forget_me_limits where window_start < ${forgetBefore}`;
    const [row] = await tx<{ hits: number }[]>`
      insert into app.forget_me_limits (bucket, window_start, hits) values (${bucket}, ${windowStart}, 1)
      on conflict (bucket, window_start) do update set hits = app.forget_me_limits.hits + 1
      returning hits`;
    return row!.hits;
  });
}

/** Stores a request's SMS code (as its keyed hash); codes long expired are removed. */
export async function storeCode(db: ServiceDb, requestId: string, codeHash: Buffer, expiresAt: Date, forgetBefore: Date): Promise<void> {
  await db.begin(async (tx) => {
    await tx`delete from app.forget_me_codes where expires_at < ${forgetBefore}`;
    await tx`
      insert into app.forget_me_codes (request_id, code_hash, expires_at) values (${requestId}, ${codeHash}, ${expiresAt})
      on conflict (request_id) do update set code_hash = excluded.code_hash, expires_at = excluded.expires_at,
        attempts = 0, consumed_at = null`;
  });
}

export interface CodeAttempt {
  code_hash: Buffer;
  attempts: number;
}

/**
 * Spends one attempt on a live code and returns its hash and the attempts
 * used so far, or undefined when there is no live code with attempts left.
 * One statement, whose row lock (inside a transaction) also keeps concurrent
 * guesses from exceeding the limit or using the code twice.
 */
export async function spendAttempt(db: ServiceDb | Tx, requestId: string, now: Date, maxAttempts: number): Promise<CodeAttempt | undefined> {
  const [row] = await db<CodeAttempt[]>`
    update app.forget_me_codes set attempts = attempts + 1
    where request_id = ${requestId} and consumed_at is null and expires_at > ${now} and attempts < ${maxAttempts}
    returning code_hash, attempts`;
  return row;
}

/** Why a code can no longer be used (after spendAttempt found none). */
export async function codeState(db: ServiceDb | Tx, requestId: string): Promise<{ expires_at: Date; attempts: number; consumed_at: Date | null } | undefined> {
  const [row] = await db<{ expires_at: Date; attempts: number; consumed_at: Date | null }[]>`
    select expires_at, attempts, consumed_at from app.forget_me_codes where request_id = ${requestId}`;
  return row;
}

/** Marks a code used; false when another request used it first. */
export async function consumeCode(db: ServiceDb | Tx, requestId: string, now: Date): Promise<boolean> {
  const rows = await db`update app.forget_me_codes set consumed_at = ${now} where request_id = ${requestId} and consumed_at is null returning request_id`;
  return rows.length === 1;
}
