/**
 * SQL for the organisations' phone numbers (the numbers callers dial). Functions
 * taking a `Tx` run inside a user's transaction, so row-level security decides what
 * they see and change.
 */
import type { Tx } from '../db/database.js';

/** A phone number row, as far as the caller may see it. */
export interface PhoneNumberRow {
  id: string;
  org_id: string;
  agent_id: string | null;
}

/** A phone number by E.164, if it is in one of the caller's organisations (RLS hides the rest). */
export async function findPhoneNumber(tx: Tx, e164: string): Promise<PhoneNumberRow | undefined> {
  const [row] = await tx<PhoneNumberRow[]>`
    select id, org_id, agent_id from public.phone_numbers where e164 = ${e164} for update`;
  return row;
}

/**
 * Adds a number to the organisation, detached; returns its id, or undefined when the number
 * already exists anywhere (numbers are unique across organisations, and RLS hides other
 * organisations' rows, so the unique index is the only place that can tell).
 */
export async function insertPhoneNumber(tx: Tx, orgId: string, e164: string): Promise<string | undefined> {
  const [row] = await tx<{ id: string }[]>`
    insert into public.phone_numbers (org_id, e164) values (${orgId}, ${e164})
    on conflict (e164) do nothing
    returning id`;
  return row?.id;
}

/** Adds a number that rings the agent (the demo seed, service handle); a number that exists anywhere is left as it is. */
export function insertAgentPhoneNumber(tx: Tx, orgId: string, agentId: string, e164: string) {
  return tx`
      insert into public.phone_numbers (org_id, agent_id, e164)
      values (${orgId}, ${agentId}, ${e164})
      on conflict (e164) do nothing`;
}

/** Points the agent at exactly this number (or at none): its other numbers are detached, not deleted. */
export async function setAgentPhoneNumber(tx: Tx, agentId: string, phoneNumberId: string | null): Promise<void> {
  await tx`
    update public.phone_numbers set agent_id = null
    where agent_id = ${agentId} and id is distinct from ${phoneNumberId}`;
  if (phoneNumberId) await tx`update public.phone_numbers set agent_id = ${agentId} where id = ${phoneNumberId}`;
}
