/**
 * SQL for public.exports: the record that an Art. 15/20 export was made (who,
 * of whom by keyed hash, and how much), never its content. Each function takes
 * the transaction to run in.
 */
import { setNull } from '../db/column-fragments.js';
import type { Tx } from '../db/database.js';
import { erasureColumns } from '../privacy/personal-data-map.js';

/** Records an export made by the signed-in user (under RLS). */
export async function insertExport(
  tx: Tx,
  e: { orgId: string; subjectType: string; subjectHash: Buffer | null; counts: Record<string, number> },
): Promise<{ id: string; created_at: Date }> {
  const [row] = await tx<{ id: string; created_at: Date }[]>`
          insert into public.exports (org_id, requested_by, subject_type, subject_hash, counts)
          values (${e.orgId}, auth.uid(), ${e.subjectType}, ${e.subjectHash}, ${tx.json(e.counts)})
          returning id, created_at`;
  return row!;
}

/** One record of an export made, as the dashboard lists it: never whom it was of, only how. */
export interface ExportRecord {
  id: string;
  requested_by: string | null;
  subject_type: 'email' | 'phone' | 'organization';
  counts: Record<string, number>;
  created_at: Date;
}

/** The organisation's latest export records, newest first (under RLS: owners and admins only). */
export function listExports(tx: Tx, orgId: string, limit: number) {
  return tx<ExportRecord[]>`
          select id, requested_by, subject_type, counts, created_at
          from public.exports
          where org_id = ${orgId}
          order by created_at desc, id
          limit ${limit}`;
}

/**
 * Erasure: the records of exports of this subject (within `orgId`, or in every
 * organisation when null) stop pointing at them; that an export was made stays.
 */
export function eraseExportSubject(tx: Tx, hash: Buffer, orgId: string | null, exceptOrgIds: string[] = []) {
  return tx`
      update public.exports set ${setNull(tx, erasureColumns('exports', 'null_columns'))}
      where subject_hash = ${hash} ${orgId ? tx`and org_id = ${orgId}` : tx``}
        ${exceptOrgIds.length ? tx`and org_id <> all(${exceptOrgIds}::uuid[])` : tx``}`;
}
