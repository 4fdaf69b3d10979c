import type { ServiceDb, Tx } from '../db/database.js';

/** Everything an incoming call needs to know about the number dialled. */
export interface CallRouting {
  phone_number_id: string;
  org_id: string;
  agent_id: string | null;
  agent_language: string | null;
  agent_first_message: string | null;
  elevenlabs_agent_id: string | null;
  dtmf_consent: boolean;
  retention_days: number;
}

export interface CallRow {
  id: string;
  org_id: string;
  agent_id: string | null;
  twilio_call_sid: string;
  from_number: string | null;
  from_hash: Buffer | null;
  to_number: string | null;
  caller_country: string | null;
  status: string;
  consent_state: 'not_required' | 'pending' | 'given' | 'refused';
  consent_attempts: number;
  recording_allowed: boolean;
  elevenlabs_conversation_id: string | null;
  answer_twiml: string | null;
}

/** Number → agent → organisation → privacy preferences, in one look-up. */
export async function findRouting(db: Tx | ServiceDb, dialled: string): Promise<CallRouting | undefined> {
  const [row] = await db<CallRouting[]>`
    select n.id as phone_number_id, n.org_id, a.id as agent_id, a.language as agent_language,
           a.first_message as agent_first_message, a.elevenlabs_agent_id,
           coalesce(p.dtmf_consent, true) as dtmf_consent, coalesce(p.retention_days, 30) as retention_days
    from public.phone_numbers n
    left join public.agents a on a.id = n.agent_id
    left join public.privacy_preferences p on p.org_id = n.org_id
    where n.e164 = ${dialled}`;
  return row;
}

const CALL_COLUMNS = `id, org_id, agent_id, twilio_call_sid, from_number, from_hash, to_number, caller_country, status,
  consent_state, consent_attempts, recording_allowed, elevenlabs_conversation_id, answer_twiml`;

/** Creates the call, or returns undefined when Twilio already told us about it (a retry). */
export async function insertCall(
  db: Tx | ServiceDb,
  c: {
    orgId: string;
    agentId: string | null;
    phoneNumberId: string;
    callSid: string;
    from: string | null;
    fromHash: Buffer | null;
    to: string;
    country: string | null;
    consentState: CallRow['consent_state'];
  },
): Promise<CallRow | undefined> {
  const [row] = await db<CallRow[]>`
    insert into public.calls
      (org_id, agent_id, phone_number_id, twilio_call_sid, from_number, from_hash, to_number, caller_country, consent_state, status)
    values
      (${c.orgId}, ${c.agentId}, ${c.phoneNumberId}, ${c.callSid}, ${c.from}, ${c.fromHash}, ${c.to}, ${c.country}, ${c.consentState}, 'ringing')
    on conflict (twilio_call_sid) do nothing
    returning ${db.unsafe(CALL_COLUMNS)}`;
  return row;
}

/** The call with this Twilio SID, locked for the rest of the transaction. */
export async function lockCallBySid(tx: Tx, callSid: string): Promise<CallRow | undefined> {
  const [row] = await tx<CallRow[]>`
    select ${tx.unsafe(CALL_COLUMNS)} from public.calls where twilio_call_sid = ${callSid} for update`;
  return row;
}

export async function findCallBySid(db: Tx | ServiceDb, callSid: string): Promise<CallRow | undefined> {
  const [row] = await db<CallRow[]>`select ${db.unsafe(CALL_COLUMNS)} from public.calls where twilio_call_sid = ${callSid}`;
  return row;
}

export async function findCallById(db: Tx | ServiceDb, id: string): Promise<CallRow | undefined> {
  const [row] = await db<CallRow[]>`select ${db.unsafe(CALL_COLUMNS)} from public.calls where id = ${id}`;
  return row;
}

/** A route joined with the call row just created for it (call_id is null when the call already existed). */
export type RoutedCall = CallRouting & { call: CallRow | null };

/**
 * Looks up the dialled number and creates the call in one statement (one
 * round trip, no transaction): the hot path of every incoming call. Returns
 * undefined for a number we do not serve; `call` is null when Twilio already
 * told us about this CallSid (a retry).
 */
export async function routeAndInsertCall(
  db: ServiceDb,
  c: { callSid: string; from: string | null; fromHash: Buffer | null; to: string; country: string | null; countryNeedsPrompt: boolean },
): Promise<RoutedCall | undefined> {
  const [row] = await db<(CallRouting & { call: CallRow | null })[]>`
    with route as (
      select n.id as phone_number_id, n.org_id, a.id as agent_id, a.language as agent_language,
             a.first_message as agent_first_message, a.elevenlabs_agent_id,
             coalesce(p.dtmf_consent, true) as dtmf_consent, coalesce(p.retention_days, 30) as retention_days
      from public.phone_numbers n
      left join public.agents a on a.id = n.agent_id
      left join public.privacy_preferences p on p.org_id = n.org_id
      where n.e164 = ${c.to}
    ), created as (
      insert into public.calls
        (org_id, agent_id, phone_number_id, twilio_call_sid, from_number, from_hash, to_number, caller_country, consent_state, status)
      select org_id, agent_id, phone_number_id, ${c.callSid}, ${c.from}, ${c.fromHash}, ${c.to}, ${c.country},
             case when dtmf_consent and ${c.countryNeedsPrompt} then 'pending' else 'not_required' end, 'ringing'
      from route
      on conflict (twilio_call_sid) do nothing
      returning ${db.unsafe(CALL_COLUMNS)}
    )
    select route.*, (select row_to_json(created) from created) as call from route`;
  if (!row) return undefined;
  if (row.call) {
    // row_to_json turns bytea into text: give the hash back as bytes.
    row.call.from_hash = c.fromHash;
  }
  return row;
}
