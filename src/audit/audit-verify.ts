import type { ServiceDb } from '../db/database.js';

export interface BrokenLink {
  chainKey: string;
  chainIndex: string;
  id: string;
  problem: 'content_changed' | 'prev_hash_mismatch' | 'missing_rows';
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
