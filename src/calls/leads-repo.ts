/**
 * SQL for public.leads: the caller of a call, as the post-call webhook found
 * them. Each function takes the transaction to run in.
 */
import type { Tx } from '../db/database.js';

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
