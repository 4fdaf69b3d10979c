import type { ServiceDb, Tx } from '../db/database.js';
import * as repo from './audit-repo.js';

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
  const cursor = repo.auditRowsCursor(serviceDb, opts.orgId);
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
  const [r] = await repo.verifySegment(db, chainKey, from, maxEntries);
  return {
    checked: r!.checked,
    last: r!.last_index === null ? { index: from.index, hash: from.hash, id: null } : { index: r!.last_index, hash: r!.last_hash, id: r!.last_id },
    broken: r!.problem ? { chainKey, chainIndex: r!.broken_index!, id: r!.broken_id!, problem: r!.problem } : null,
  };
}

/** The first entry of a chain after entry #index, if any (one index lookup). */
export async function nextEntryAfter(db: ServiceDb | Tx, chainKey: string, index: string): Promise<{ index: string; id: string; prevHash: string | null } | null> {
  const [row] = await repo.nextEntryAfter(db, chainKey, index);
  return row ? { index: row.chain_index, id: row.id, prevHash: row.prev_hash } : null;
}
