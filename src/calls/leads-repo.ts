/**
 * SQL for public.leads: the caller of a call, as the post-call webhook found
 * them. Each function takes the transaction to run in.
 */
import type { Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';

export function findLeadOfCall(tx: Tx, callId: string) {
  return tx`select id from public.leads where call_id = ${callId}`;
}

export function insertLead(
  tx: Tx,
  l: { orgId: string; callId: string; name: string | null; phone: string | null; phoneHash: Buffer | null; email: string | null; emailHash: Buffer | null },
) {
  return tx`
            insert into public.leads (org_id, call_id, name, phone, phone_hash, email, email_hash)
            values (${l.orgId}, ${l.callId}, ${l.name}, ${l.phone}, ${l.phoneHash},
                    ${l.email}, ${l.emailHash})`;
}

/** `count` says how many went. */
export function deleteLeadsOfCall(tx: Tx, callId: string) {
  return tx`delete from public.leads where call_id = ${callId}`;
}

/**
 * Erasure: deletes the person's leads (by keyed hash of their number or
 * address) and those of their calls, within `orgId` or everywhere when null.
 */
export function deleteSubjectLeads(tx: Tx, hash: Buffer, callIds: string[], orgId: string | null, exceptOrgIds: string[] = []) {
  return tx<{ org_id: string }[]>`
      delete from public.leads
      where (phone_hash = ${hash} or email_hash = ${hash} ${callIds.length ? tx`or call_id = any(${callIds}::uuid[])` : tx``}) ${orgId ? tx`and org_id = ${orgId}` : tx``}
        ${exceptOrgIds.length ? tx`and org_id <> all(${exceptOrgIds}::uuid[])` : tx``}
      returning org_id`;
}

/** How many leads of the person (by keyed hash) one organisation has (what a legal hold keeps). */
export async function countSubjectLeads(tx: Tx, hash: Buffer, orgId: string): Promise<number> {
  const [row] = await tx<{ n: number }[]>`
      select count(*)::int as n from public.leads where org_id = ${orgId} and (phone_hash = ${hash} or email_hash = ${hash})`;
  return row!.n;
}

/** The lead columns an export shows: the personal ones the map exports, amid the lead's own. */
function exportColumns(): string[] {
  return ['id', 'call_id', ...exportedColumns('leads'), 'anonymised_at', 'created_at'];
}

/** The organisation's leads of one person (by keyed hash), for an export. */
export function listSubjectLeadsForExport(tx: Tx, orgId: string, hash: Buffer) {
  return tx`
            select ${tx(exportColumns())} from public.leads
            where org_id = ${orgId} and (phone_hash = ${hash} or email_hash = ${hash})`;
}

/** Every lead of the organisation, for an export. */
export function listLeadsForExport(tx: Tx, orgId: string) {
  return tx`select ${tx(exportColumns())} from public.leads where org_id = ${orgId}`;
}

/** A lead as the organisation's pages show it (the keyed hashes stay in the database). */
export interface LeadRow {
  id: string;
  call_id: string | null;
  name: string | null;
  phone: string | null;
  email: string | null;
  notes: string | null;
  anonymised_at: Date | null;
  created_at: Date;
  updated_at: Date;
}

/**
 * The organisation's leads, newest first (keyset paging on (created_at, id)):
 * `limit` of them after the cursor, i.e. created before `before`, or at
 * `before` with an id below `beforeId` when given (so leads created in the
 * same instant are neither skipped nor repeated).
 */
export function listLeads(tx: Tx, orgId: string, opts: { limit: number; before?: Date | undefined; beforeId?: string | undefined }) {
  // Times to the millisecond, as the cursor carries them (a JavaScript Date), so a page never skips a lead.
  const cursor = opts.before
    ? opts.beforeId
      ? tx`and (date_trunc('milliseconds', created_at), id) < (${opts.before}::timestamptz, ${opts.beforeId}::uuid)`
      : tx`and date_trunc('milliseconds', created_at) < ${opts.before}::timestamptz`
    : tx``;
  return tx<LeadRow[]>`
            select id, call_id, name, phone, email, notes, anonymised_at, created_at, updated_at
            from public.leads
            where org_id = ${orgId} ${cursor}
            order by date_trunc('milliseconds', created_at) desc, id desc limit ${opts.limit}`;
}

/** Rectification (Art. 16): the given columns of a lead, with their keyed hashes (under RLS: owners and admins). */
export function updateLead(tx: Tx, orgId: string, leadId: string, set: Partial<Record<'name' | 'phone' | 'phone_hash' | 'email' | 'email_hash' | 'notes', string | Buffer | null>>) {
  return tx<LeadRow[]>`
            update public.leads set ${tx(set as Record<string, string | Buffer | null>)}
            where id = ${leadId} and org_id = ${orgId} and anonymised_at is null
            returning id, call_id, name, phone, email, notes, anonymised_at, created_at, updated_at`;
}

export function findLead(tx: Tx, orgId: string, leadId: string) {
  return tx<LeadRow[]>`
            select id, call_id, name, phone, email, notes, anonymised_at, created_at, updated_at
            from public.leads where id = ${leadId} and org_id = ${orgId}`;
}
