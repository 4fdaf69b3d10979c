import type { ServiceDb, Tx } from '../db/database.js';

export interface BrokenLink {
  chainKey: string;
  chainIndex: string;
  id: string;
  /**
   * content_changed: the row no longer hashes to its row_hash; prev_hash_mismatch:
   * it does not link to the entry before it; missing_rows: entries before it are
   * gone; checkpoint_changed: an entry already verified (a checkpoint, see
   * audit-checkpoints.ts) now has another hash, or is gone.
   */
  problem: 'content_changed' | 'prev_hash_mismatch' | 'missing_rows' | 'checkpoint_changed';
}

export interface VerifyReport {
  rows: number;
  chains: number;
  broken: BrokenLink[];
}

/**
 * Recomputes every organisation's audit hash chain and reports, per chain,
 * the first broken link: a row whose content no longer matches its hash, a
 * row not linked to its predecessor, or a gap where rows were removed.
 */
export async function verifyAuditChains(serviceDb: ServiceDb, opts: { orgId?: string } = {}): Promise<VerifyReport> {
  const report: VerifyReport = { rows: 0, chains: 0, broken: [] };
  let chain: string | null = null;
  let prevHash: string | null = null;
  let prevIndex = 0n;
  let chainBroken = false;
  const filter = opts.orgId ? serviceDb`where a.chain_key = ${opts.orgId}` : serviceDb``;
  const cursor = serviceDb`
    select a.id, a.chain_key, a.chain_index::text as chain_index, a.prev_hash, a.row_hash,
           app.audit_row_hash(a) as computed
    from public.audit_logs a ${filter}
    order by a.chain_key, a.chain_index`.cursor(1000);
  for await (const rows of cursor) {
    for (const row of rows) {
      report.rows += 1;
      if (row.chain_key !== chain) {
        chain = row.chain_key as string;
        report.chains += 1;
        prevHash = null;
        prevIndex = 0n;
        chainBroken = false;
      }
      if (chainBroken) continue;
      const index = BigInt(row.chain_index as string);
      let problem: BrokenLink['problem'] | null = null;
      if (row.computed !== row.row_hash) problem = 'content_changed';
      else if (index !== prevIndex + 1n) problem = 'missing_rows';
      else if ((row.prev_hash ?? null) !== prevHash) problem = 'prev_hash_mismatch';
      if (problem) {
        report.broken.push({ chainKey: row.chain_key as string, chainIndex: row.chain_index as string, id: row.id as string, problem });
        chainBroken = true;
      }
      prevHash = row.row_hash as string;
      prevIndex = index;
    }
  }
  return report;
}

/** Where a verification starts: the entry before it (#0 and no hash: the chain's start). */
export interface ChainPosition {
  index: string;
  hash: string | null;
}

export interface SegmentReport {
  /** Entries read and verified: at most the `maxEntries` asked for. */
  checked: number;
  /** The last entry read (the start position when none was). */
  last: ChainPosition & { id: string | null };
  /** The first broken link in the segment, if any. */
  broken: BrokenLink | null;
}

/**
 * Verifies the entries #from.index+1 to #from.index+maxEntries of one chain
 * (fewer if the chain is shorter), in the database, as `verifyAuditChains`
 * does for a whole chain: each must hash to its row_hash, follow the entry
 * before it and carry that entry's hash. The range is bounded by entry number,
 * not by a LIMIT, so the database never reads more than `maxEntries` rows
 * whatever the plan. An empty answer while later entries exist means a gap of
 * at least `maxEntries` (see `nextEntryAfter`).
 */
export async function verifyChainSegment(db: ServiceDb | Tx, chainKey: string, from: ChainPosition, maxEntries: number): Promise<SegmentReport> {
  const [r] = await db<{ checked: number; last_index: string | null; last_hash: string | null; last_id: string | null; broken_index: string | null; broken_id: string | null; problem: BrokenLink['problem'] | null }[]>`
    with segment as (
      select a.id, a.chain_index, a.prev_hash, a.row_hash, app.audit_row_hash(a) as computed
      from public.audit_logs a
      where a.chain_key = ${chainKey} and a.chain_index > ${from.index}::bigint and a.chain_index <= ${from.index}::bigint + ${maxEntries}
    ), linked as (
      select s.*,
        lag(s.chain_index) over w as before_index,
        lag(s.row_hash) over w as before_hash
      from segment s window w as (order by s.chain_index)
    ), judged as (
      select l.id, l.chain_index, l.row_hash,
        case
          when l.computed <> l.row_hash then 'content_changed'
          when l.chain_index <> coalesce(l.before_index, ${from.index}::bigint) + 1 then 'missing_rows'
          when l.prev_hash is distinct from (case when l.before_index is null then ${from.hash}::text else l.before_hash end) then 'prev_hash_mismatch'
        end as problem
      from linked l
    ), last as (
      select chain_index, row_hash, id from judged order by chain_index desc limit 1
    ), first_broken as (
      select chain_index, id, problem from judged where problem is not null order by chain_index limit 1
    )
    select (select count(*)::int from judged) as checked,
      (select chain_index::text from last) as last_index, (select row_hash from last) as last_hash, (select id from last) as last_id,
      (select chain_index::text from first_broken) as broken_index, (select id from first_broken) as broken_id,
      (select problem from first_broken) as problem`;
  return {
    checked: r!.checked,
    last: r!.last_index === null ? { index: from.index, hash: from.hash, id: null } : { index: r!.last_index, hash: r!.last_hash, id: r!.last_id },
    broken: r!.problem ? { chainKey, chainIndex: r!.broken_index!, id: r!.broken_id!, problem: r!.problem } : null,
  };
}

/** The first entry of a chain after entry #index, if any (one index lookup). */
export async function nextEntryAfter(db: ServiceDb | Tx, chainKey: string, index: string): Promise<{ index: string; id: string; prevHash: string | null } | null> {
  const [row] = await db<{ chain_index: string; id: string; prev_hash: string | null }[]>`
    select a.chain_index::text as chain_index, a.id, a.prev_hash from public.audit_logs a
    where a.chain_key = ${chainKey} and a.chain_index > ${index}::bigint
    order by a.chain_index limit 1`;
  return row ? { index: row.chain_index, id: row.id, prevHash: row.prev_hash } : null;
}
