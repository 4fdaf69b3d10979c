/**
 * SQL for public.audit_chain_checkpoints: how far each audit chain has been
 * verified (and re-verified from #1), and the first break found. Also the
 * reads of public.audit_logs the verification job plans with. Each function
 * takes the transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import type { BrokenLink } from './audit-verify.js';
import type { ChainCheckpoint } from './audit-checkpoints.js';

type Db = ServiceDb | Tx;

/** The checkpoint's columns, bigints as text, from the table aliased `c`. */
const COLUMNS = `c.chain_key, c.verified_index::text as verified_index, c.verified_hash, c.verified_row_id, c.verified_at,
  c.sweep_index::text as sweep_index, c.sweep_hash, c.sweep_started_at, c.full_verified_at, c.full_verified_index::text as full_verified_index,
  c.broken_index::text as broken_index, c.broken_row_id, c.broken_problem, c.broken_found_at`;

/** Gives the chain a checkpoint row if it has none. */
export function ensureCheckpoint(tx: Tx, chainKey: string) {
  return tx`insert into public.audit_chain_checkpoints (chain_key) values (${chainKey}) on conflict (chain_key) do nothing`;
}

/** The chain's checkpoint row, locked for this transaction. */
export function lockCheckpoint(tx: Tx, chainKey: string) {
  return tx.unsafe<ChainCheckpoint[]>(`select ${COLUMNS} from public.audit_chain_checkpoints c where c.chain_key = $1 for update`, [chainKey]);
}

/** Records the first break found in the chain. */
export function storeBreak(tx: Tx, chainKey: string, found: BrokenLink, at: Date) {
  return tx`
    update public.audit_chain_checkpoints
    set broken_index = ${found.chainIndex}, broken_row_id = ${found.id}, broken_problem = ${found.problem}, broken_found_at = ${at}
    where chain_key = ${chainKey}`;
}

/** The chain's entry #index: its id and hash. */
export function entryAt(tx: Tx, chainKey: string, index: string) {
  return tx<{ id: string; row_hash: string }[]>`
    select id, row_hash from public.audit_logs where chain_key = ${chainKey} and chain_index = ${index}::bigint`;
}

/** The chain's last entry before #index. */
export function lastEntryBefore(tx: Tx, chainKey: string, index: string) {
  return tx<{ chain_index: string; id: string; row_hash: string }[]>`
    select a.chain_index::text as chain_index, a.id, a.row_hash from public.audit_logs a
    where a.chain_key = ${chainKey} and a.chain_index < ${index}::bigint order by a.chain_index desc limit 1`;
}

/** Moves the checkpoint to the last entry verified. */
export function setVerified(tx: Tx, chainKey: string, v: { index: string; hash: string | null; rowId: string | null; at: Date }) {
  return tx`
        update public.audit_chain_checkpoints
        set verified_index = ${v.index}::bigint, verified_hash = ${v.hash},
            verified_row_id = ${v.rowId}, verified_at = ${v.at}, updated_at = now()
        where chain_key = ${chainKey}`;
}

/** A sweep reached the checkpoint: the pass is recorded and the next starts from #1. */
export function completeSweep(tx: Tx, chainKey: string, startedAt: Date, verifiedIndex: string) {
  return tx`
          update public.audit_chain_checkpoints
          set sweep_index = 0, sweep_hash = null, sweep_started_at = null,
              full_verified_at = ${startedAt}, full_verified_index = ${verifiedIndex}::bigint, updated_at = now()
          where chain_key = ${chainKey}`;
}

/** Where the sweep got to. */
export function advanceSweep(tx: Tx, chainKey: string, s: { index: string; hash: string | null; startedAt: Date }) {
  return tx`
          update public.audit_chain_checkpoints
          set sweep_index = ${s.index}::bigint, sweep_hash = ${s.hash}, sweep_started_at = ${s.startedAt}, updated_at = now()
          where chain_key = ${chainKey}`;
}

/**
 * Each chain's last entry and whether its checkpoint still stands, with a
 * loose index scan over the distinct chains (one index probe per chain).
 */
export function chainsToVerify(db: Db) {
  return db<{ chain_key: string; latest: string; verified_index: string | null; anchor_ok: boolean }[]>`
    with recursive keys as (
      (select chain_key from public.audit_logs order by chain_key limit 1)
      union all
      select (select a.chain_key from public.audit_logs a where a.chain_key > k.chain_key order by a.chain_key limit 1)
      from keys k where k.chain_key is not null
    )
    select k.chain_key,
      (select max(a.chain_index) from public.audit_logs a where a.chain_key = k.chain_key)::text as latest,
      c.verified_index::text as verified_index,
      coalesce(c.verified_index = 0 or exists (select 1 from public.audit_logs a
        where a.chain_key = k.chain_key and a.chain_index = c.verified_index and a.row_hash = c.verified_hash), false) as anchor_ok
    from keys k left join public.audit_chain_checkpoints c on c.chain_key = k.chain_key
    where k.chain_key is not null`;
}

/** Chains with nothing new: verified as of `now`. */
export function touchVerified(db: Db, chainKeys: string[], now: Date) {
  return db`update public.audit_chain_checkpoints set verified_at = ${now}, updated_at = now() where chain_key = any(${chainKeys}::uuid[])`;
}

/** Chains due for a sweep: a pass in progress first, then never or longest ago swept. */
export function chainsToSweep(db: Db, now: Date, intervalHours: number, limit: number) {
  return db<{ chain_key: string }[]>`
    select chain_key from public.audit_chain_checkpoints
    where verified_index > 0
      and (sweep_index > 0 or full_verified_at is null or full_verified_at < ${now}::timestamptz - make_interval(hours => ${intervalHours}))
    order by sweep_index > 0 desc, full_verified_at asc nulls first, chain_key
    limit ${limit}`;
}

/** A chain's checkpoint, its last entry number and the entry the checkpoint stands on, in one statement. */
export function chainHead(db: Db, chainKey: string) {
  return db.unsafe<(ChainCheckpoint & { present: boolean; latest: string; anchor_hash: string | null; anchor_id: string | null })[]>(
    `select c.chain_key is not null as present, ${COLUMNS},
       coalesce((select max(a.chain_index) from public.audit_logs a where a.chain_key = q.k), 0)::text as latest,
       a.row_hash as anchor_hash, a.id as anchor_id
     from (select $1::uuid as k) q
     left join public.audit_chain_checkpoints c on c.chain_key = q.k
     left join public.audit_logs a on a.chain_key = q.k and a.chain_index = c.verified_index`,
    [chainKey],
  );
}
