/**
 * SQL for public.call_consents: the append-only proof of what a caller was
 * asked and answered, and of a withdrawal. Each function takes the transaction
 * to run in; the caller holds the call row's lock, so attempts cannot race.
 */
import type { Tx } from '../db/database.js';

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
