/**
 * SQL for public.call_consents: the append-only proof of what a caller was
 * asked and answered, and of a withdrawal. Each function takes the transaction
 * to run in; the caller holds the call row's lock, so attempts cannot race.
 */
import { setNull } from '../db/column-fragments.js';
import type { Tx } from '../db/database.js';
import { accountDeletionColumns, erasureColumns, exportedColumns } from '../privacy/personal-data-map.js';

/**
 * A keypad answer to the consent prompt, once per attempt. (The call row is
 * locked, so the check cannot race; ON CONFLICT is not available on a table
 * with rules.)
 */
export function insertConsentAnswer(
  tx: Tx,
  a: {
    orgId: string;
    callId: string;
    callSid: string;
    callerHash: Buffer | null;
    country: string | null;
    language: string;
    promptVersion: string;
    promptHash: string;
    digit: string | null;
    outcome: string;
    attempt: number;
  },
) {
  return tx`
          insert into public.call_consents
            (org_id, call_id, twilio_call_sid, caller_hash, country, prompt_language, prompt_version, prompt_hash, digit, outcome, attempt)
          select ${a.orgId}, ${a.callId}, ${a.callSid}, ${a.callerHash}, ${a.country}, ${a.language},
                 ${a.promptVersion}, ${a.promptHash}, ${a.digit}, ${a.outcome}, ${a.attempt}
          where not exists (
            select 1 from public.call_consents where twilio_call_sid = ${a.callSid} and attempt = ${a.attempt})`;
}

/** A withdrawal, as the call's next attempt. */
export function insertWithdrawal(
  tx: Tx,
  w: { orgId: string; callId: string; callSid: string; callerHash: Buffer | null; country: string | null; language: string; promptVersion: string; promptHash: string },
) {
  return tx`
          insert into public.call_consents
            (org_id, call_id, twilio_call_sid, caller_hash, country, prompt_language, prompt_version, prompt_hash, digit, outcome, attempt)
          select ${w.orgId}, ${w.callId}, ${w.callSid}, ${w.callerHash}, ${w.country},
                 ${w.language}, ${w.promptVersion}, ${w.promptHash}, null, 'withdrawn',
                 coalesce(max(attempt), 0) + 1
          from public.call_consents where twilio_call_sid = ${w.callSid}`;
}

/** A call's consent answers for its detail page (under RLS). */
export function listConsentsOfCall(tx: Tx, callId: string) {
  return tx`
          select digit, outcome, attempt, prompt_language, prompt_version, prompt_hash, created_at
          from public.call_consents where call_id = ${callId} order by attempt`;
}

/**
 * Erasure: the proofs of consent of the person (by keyed hash) and of their
 * calls stop pointing at them (per the map); the proofs stay (Art. 7(1)).
 * Within `orgId`, or everywhere when null. `count` says how many changed.
 */
export function eraseSubjectConsents(tx: Tx, hash: Buffer, callIds: string[], orgId: string | null, exceptOrgIds: string[] = []) {
  return tx`
      update public.call_consents set ${setNull(tx, erasureColumns('call_consents', 'null_columns'))}, erased_at = now()
      where (caller_hash = ${hash} ${callIds.length ? tx`or call_id = any(${callIds}::uuid[])` : tx``}) ${orgId ? tx`and org_id = ${orgId}` : tx``}
        ${exceptOrgIds.length ? tx`and org_id <> all(${exceptOrgIds}::uuid[])` : tx``}
        and (caller_hash is not null or erased_at is null)`;
}

/** Account deletion: the organisation's proofs of consent outlive it without pointing at anyone (per the map). */
export function clearOrgConsents(tx: Tx, orgId: string) {
  return tx`update public.call_consents set ${setNull(tx, accountDeletionColumns('call_consents', 'null_columns'))}, erased_at = now() where org_id = ${orgId} and (caller_hash is not null or erased_at is null)`;
}

/** The consent answers given in these calls, for an export, with the personal columns the map exports. */
export function listConsentsForExport(tx: Tx, callIds: string[]) {
  return tx`
      select ${tx(['call_id', 'country', 'prompt_language', 'prompt_version', 'prompt_hash', 'digit', 'outcome', 'attempt', 'created_at', ...exportedColumns('call_consents')])}
      from public.call_consents where call_id = any(${callIds}::uuid[]) order by created_at`;
}
