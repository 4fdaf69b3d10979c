/**
 * SQL for public.impersonations: operators' time-limited support access to a
 * user in one organisation. Each function takes the transaction or connection
 * to run on (always the service handle's: operators are no members).
 */
import type { ServiceDb, Tx } from '../db/database.js';

export interface ImpersonationRow {
  id: string;
  operator_id: string;
  target_user_id: string;
  org_id: string;
  started_at: Date;
  expires_at: Date;
  ended_at: Date | null;
}

export function insertImpersonation(
  tx: Tx,
  i: { operatorId: string; targetUserId: string; orgId: string; reason: string; minutes: number },
) {
  return tx<ImpersonationRow[]>`
          insert into public.impersonations (operator_id, target_user_id, org_id, reason, expires_at)
          values (${i.operatorId}, ${i.targetUserId}, ${i.orgId}, ${i.reason}, now() + make_interval(mins => ${i.minutes}))
          returning id, operator_id, target_user_id, org_id, started_at, expires_at, ended_at`;
}

/** Ends one open impersonation of the operator, or (without an id) all of them. */
export function endImpersonations(tx: Tx, operatorId: string, id?: string) {
  return tx<ImpersonationRow[]>`
          update public.impersonations set ended_at = now()
          where operator_id = ${operatorId} and ended_at is null
            ${id ? tx`and id = ${id}` : tx``}
          returning id, operator_id, target_user_id, org_id, started_at, expires_at, ended_at`;
}

/** The operator's impersonation with this id, if it is still open. */
export function findOpenImpersonation(db: Tx | ServiceDb, id: string, operatorId: string) {
  return db<{ id: string; org_id: string; target_user_id: string; expires_at: Date }[]>`
      select id, org_id, target_user_id, expires_at from public.impersonations
      where id = ${id} and operator_id = ${operatorId} and ended_at is null and expires_at > now()`;
}
