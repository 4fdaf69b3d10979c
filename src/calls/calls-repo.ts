import { SUPPORTED_LANGUAGES } from '../agents/disclaimer-catalogue.js';
import { setNull } from '../db/column-fragments.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { erasureColumns, exportedColumns } from '../privacy/personal-data-map.js';

/** Everything an incoming call needs to know about the number dialled. */
export interface CallRouting {
  phone_number_id: string;
  org_id: string;
  agent_id: string | null;
  agent_language: string | null;
  agent_first_message: string | null;
  elevenlabs_agent_id: string | null;
  dtmf_consent: boolean;
  consent_scope: 'listed_countries' | 'all_callers';
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
  consent_state: 'not_required' | 'pending' | 'given' | 'refused' | 'withdrawn' | 'do_not_record';
  consent_attempts: number;
  /** The catalogue language of the consent prompt, fixed at intake; null when no prompt applies. */
  consent_language: string | null;
  recording_allowed: boolean;
  elevenlabs_conversation_id: string | null;
  answer_twiml: string | null;
}

/** Number → agent → organisation → privacy preferences, in one look-up. */
export async function findRouting(db: Tx | ServiceDb, dialled: string): Promise<CallRouting | undefined> {
  const [row] = await db<CallRouting[]>`
    select n.id as phone_number_id, n.org_id, a.id as agent_id, a.language as agent_language,
           a.first_message as agent_first_message, a.elevenlabs_agent_id,
           coalesce(p.dtmf_consent, true) as dtmf_consent, coalesce(p.consent_scope, 'listed_countries') as consent_scope,
           coalesce(p.retention_days, 30) as retention_days
    from public.phone_numbers n
    left join public.agents a on a.id = n.agent_id
    left join public.privacy_preferences p on p.org_id = n.org_id
    where n.e164 = ${dialled}`;
  return row;
}

const CALL_COLUMNS = `id, org_id, agent_id, twilio_call_sid, from_number, from_hash, to_number, caller_country, status,
  consent_state, consent_attempts, consent_language, recording_allowed, elevenlabs_conversation_id, answer_twiml`;

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

/** A route joined with the call row just created for it (null when the call already existed). */
export type RoutedCall = CallRouting & { call: CallRow | null };

export interface NewCall {
  callSid: string;
  from: string | null;
  fromHash: Buffer | null;
  to: string;
  country: string | null;
  /** The caller's country is one of LISTED_CONSENT_COUNTRIES (asked under `listed_countries`). */
  countryListed: boolean;
  /** The prompt language the caller's country decides (COUNTRY_LANGUAGES), if it does. */
  countryLanguage: string | null;
}

/**
 * Looks up the dialled numbers and creates the calls for many incoming calls
 * in one statement (one round trip, one commit, no transaction held open):
 * the hot path of every incoming call. For each input, in order: undefined
 * for a number we do not serve, else its route with `call` set to the row
 * created, or null when Twilio already told us about this CallSid (a retry,
 * also when the same CallSid appears twice in one batch).
 */
export async function routeAndInsertCalls(db: ServiceDb, calls: readonly NewCall[]): Promise<(RoutedCall | undefined)[]> {
  // One row per CallSid goes to the database; later copies are retries of the first.
  const firstIndex = new Map<string, number>();
  const firstCopy = new Set<number>();
  const unique: NewCall[] = [];
  calls.forEach((c, index) => {
    if (!firstIndex.has(c.callSid)) {
      firstIndex.set(c.callSid, unique.length);
      firstCopy.add(index);
      unique.push(c);
    }
  });
  const rows = await db<
    (CallRouting & {
      ord: string;
      created_id: string | null;
      created_status: string | null;
      created_consent_state: CallRow['consent_state'] | null;
      created_consent_language: string | null;
    })[]
  >`
    with input as (
      select * from unnest(
        ${unique.map((c) => c.callSid)}::text[], ${unique.map((c) => c.from)}::text[],
        ${unique.map((c) => c.fromHash?.toString('hex') ?? null)}::text[], ${unique.map((c) => c.to)}::text[],
        ${unique.map((c) => c.country)}::text[], ${unique.map((c) => String(c.countryListed))}::text[],
        ${unique.map((c) => c.countryLanguage)}::text[]
      ) with ordinality as t(call_sid, from_number, from_hash_hex, to_number, country, listed, country_language, ord)
    ), route as (
      select i.*, n.id as phone_number_id, n.org_id, a.id as agent_id, a.language as agent_language,
             a.first_message as agent_first_message, a.elevenlabs_agent_id,
             coalesce(p.dtmf_consent, true) as dtmf_consent, coalesce(p.consent_scope, 'listed_countries') as consent_scope,
             coalesce(p.retention_days, 30) as retention_days
      from input i
      join public.phone_numbers n on n.e164 = i.to_number
      left join public.agents a on a.id = n.agent_id
      left join public.privacy_preferences p on p.org_id = n.org_id
    ), decided as (
      -- A number on the do-not-record list (Art. 21, every organisation) is never asked and never
      -- recorded: one primary-key look-up of the caller's keyed hash, in this same statement.
      -- Asked: the switch is on, and the scope is everyone or the caller's country is listed.
      -- In the language of the caller's country, else the agent's (its catalogue key), else English.
      select r.*, r.dtmf_consent and (r.consent_scope = 'all_callers' or r.listed::boolean) as asks,
             r.from_hash_hex is not null and exists (
               select 1 from public.do_not_record_numbers d where d.phone_hash = decode(r.from_hash_hex, 'hex')) as objects,
             coalesce(
               r.country_language,
               case when r.agent_language = any(${SUPPORTED_LANGUAGES as string[]}::text[]) then r.agent_language
                    when split_part(r.agent_language, '-', 1) = any(${SUPPORTED_LANGUAGES as string[]}::text[])
                      then split_part(r.agent_language, '-', 1) end,
               'en') as prompt_language
      from route r
    ), created as (
      insert into public.calls
        (org_id, agent_id, phone_number_id, twilio_call_sid, from_number, from_hash, to_number, caller_country,
         consent_state, consent_language, status)
      select org_id, agent_id, phone_number_id, call_sid, from_number, decode(from_hash_hex, 'hex'), to_number, country,
             case when objects then 'do_not_record' when asks then 'pending' else 'not_required' end,
             case when asks and not objects then prompt_language end, 'ringing'
      from decided
      on conflict (twilio_call_sid) do nothing
      returning id, twilio_call_sid, status, consent_state, consent_language
    )
    select r.ord, r.phone_number_id, r.org_id, r.agent_id, r.agent_language, r.agent_first_message, r.elevenlabs_agent_id,
           r.dtmf_consent, r.consent_scope, r.retention_days,
           c.id as created_id, c.status as created_status, c.consent_state as created_consent_state,
           c.consent_language as created_consent_language
    from route r left join created c on c.twilio_call_sid = r.call_sid`;

  const byOrd = new Map(rows.map((r) => [Number(r.ord) - 1, r]));
  return calls.map((c, index) => {
    const at = firstIndex.get(c.callSid)!;
    const r = byOrd.get(at);
    if (!r) return undefined;
    const route: CallRouting = {
      phone_number_id: r.phone_number_id,
      org_id: r.org_id,
      agent_id: r.agent_id,
      agent_language: r.agent_language,
      agent_first_message: r.agent_first_message,
      elevenlabs_agent_id: r.elevenlabs_agent_id,
      dtmf_consent: r.dtmf_consent,
      consent_scope: r.consent_scope,
      retention_days: r.retention_days,
    };
    // Only the first copy of a CallSid in the batch created the row.
    const createdHere = r.created_id !== null && firstCopy.has(index);
    const call: CallRow | null = createdHere
      ? {
          id: r.created_id!,
          org_id: r.org_id,
          agent_id: r.agent_id,
          twilio_call_sid: c.callSid,
          from_number: c.from,
          from_hash: c.fromHash,
          to_number: c.to,
          caller_country: c.country,
          status: r.created_status!,
          consent_state: r.created_consent_state!,
          consent_attempts: 0,
          consent_language: r.created_consent_language,
          recording_allowed: false,
          elevenlabs_conversation_id: null,
          answer_twiml: null,
        }
      : null;
    return { ...route, call };
  });
}

/** The agent platform took the call: its answer, what may be recorded, and the proof of the greeting. */
export function markCallAnswered(
  tx: Tx,
  a: { callId: string; twiml: string; recorded: boolean; greetingSha256: string; disclosureVersion: string },
) {
  return tx`
      update public.calls set answer_twiml = ${a.twiml}, recording_allowed = ${a.recorded}, status = 'in-progress',
        answered_at = coalesce(answered_at, now()), greeting_sha256 = ${a.greetingSha256},
        disclosure_version = ${a.disclosureVersion}
      where id = ${a.callId}`;
}

export function setConsentAttempts(tx: Tx, callId: string, attempt: number) {
  return tx`update public.calls set consent_attempts = ${attempt} where id = ${callId}`;
}

export function setConsentState(tx: Tx, callId: string, state: 'given' | 'refused') {
  return tx`update public.calls set consent_state = ${state} where id = ${callId}`;
}

/** Twilio's status callback; a terminal status also ends the call. `count` is 0 for a call we do not know. */
export function updateCallStatus(db: Tx | ServiceDb, p: { callSid: string; status: string; duration: number | null; terminal: boolean }) {
  return db`
        update public.calls set
          status = ${p.status},
          duration_seconds = coalesce(${p.duration}::int, duration_seconds),
          ended_at = case when ${p.terminal} then coalesce(ended_at, now()) else ended_at end,
          outcome = case when ${p.terminal} then ${p.status} else outcome end
        where twilio_call_sid = ${p.callSid}`;
}

export function setConversationId(tx: Tx, callId: string, conversationId: string) {
  return tx`update public.calls set elevenlabs_conversation_id = ${conversationId} where id = ${callId}`;
}

/** Calls of an organisation, newest first, as its members see them (under RLS). */
/** Filters of the calls list: a start-time range [from, to), the outcome and the consent state. */
export interface CallFilters {
  from?: Date;
  to?: Date;
  outcome?: string;
  consentState?: string;
}

export function listCalls(tx: Tx, orgId: string, opts: { limit: number; before?: Date } & CallFilters) {
  return tx`
          select id, agent_id, twilio_call_sid, from_number, caller_country, status, consent_state, consent_language,
                 recording_allowed, greeting_sha256, disclosure_version, started_at, ended_at, duration_seconds, outcome
          from public.calls
          where org_id = ${orgId} ${opts.before ? tx`and started_at < ${opts.before}` : tx``}
            ${opts.from ? tx`and started_at >= ${opts.from}` : tx``} ${opts.to ? tx`and started_at < ${opts.to}` : tx``}
            ${opts.outcome ? tx`and outcome = ${opts.outcome}` : tx``} ${opts.consentState ? tx`and consent_state = ${opts.consentState}` : tx``}
          order by started_at desc
          limit ${opts.limit}`;
}

/** One call for its detail page (under RLS). */
export function findCallDetail(tx: Tx, orgId: string, callId: string) {
  return tx`
          select id, agent_id, twilio_call_sid, from_number, to_number, caller_country, status, consent_state, consent_language,
                 recording_allowed, greeting_sha256, disclosure_version, elevenlabs_conversation_id,
                 started_at, answered_at, ended_at, duration_seconds, outcome
          from public.calls where id = ${callId} and org_id = ${orgId}`;
}

/** What deleting a call owes the agent platform. */
export function findCallForDeletion(tx: Tx, orgId: string, callId: string) {
  return tx<{ id: string; elevenlabs_conversation_id: string | null }[]>`
          select id, elevenlabs_conversation_id from public.calls where id = ${callId} and org_id = ${orgId}`;
}

export function deleteCall(tx: Tx, callId: string) {
  return tx`delete from public.calls where id = ${callId}`;
}

/** The agent of a call, to check its tool secret; read before any lock is taken. */
export function findCallAgent(db: Tx | ServiceDb, callId: string) {
  return db<{ agent_id: string | null }[]>`select agent_id from public.calls where id = ${callId}`;
}

/** A call being withdrawn from, with its agent's language, locked for the rest of the transaction. */
export interface CallForWithdrawal {
  id: string;
  org_id: string;
  agent_id: string | null;
  twilio_call_sid: string;
  from_hash: Buffer | null;
  caller_country: string | null;
  status: string;
  ended_at: Date | null;
  consent_state: string;
  elevenlabs_conversation_id: string | null;
  agent_language: string | null;
}

export function lockCallForWithdrawal(tx: Tx, callId: string) {
  return tx<CallForWithdrawal[]>`
          select c.id, c.org_id, c.agent_id, c.twilio_call_sid, c.from_hash, c.caller_country, c.status, c.ended_at,
                 c.consent_state, c.elevenlabs_conversation_id, a.language as agent_language
          from public.calls c left join public.agents a on a.id = c.agent_id
          where c.id = ${callId}
          for update of c`;
}

/** Consent withdrawn: nothing more may be recorded. */
export function markConsentWithdrawn(tx: Tx, callId: string, conversationId: string | null) {
  return tx`
          update public.calls set consent_state = 'withdrawn', recording_allowed = false,
            elevenlabs_conversation_id = coalesce(elevenlabs_conversation_id, ${conversationId})
          where id = ${callId}`;
}

/** A call's id and agent by Twilio's CallSid (the local call simulator's withdrawal). */
/** What the call simulator reports at the end of a call (service handle; ids and states only). */
export function findCallSummaryBySid(db: Tx | ServiceDb, callSid: string) {
  return db<
    {
      id: string;
      org_id: string;
      status: string;
      caller_country: string | null;
      consent_state: CallRow['consent_state'];
      consent_language: string | null;
      recording_allowed: boolean;
      duration_seconds: number | null;
      agent_language: string | null;
      elevenlabs_agent_id: string | null;
    }[]
  >`
    select c.id, c.org_id, c.status, c.caller_country, c.consent_state, c.consent_language, c.recording_allowed,
           c.duration_seconds, a.language as agent_language, a.elevenlabs_agent_id
    from public.calls c left join public.agents a on a.id = c.agent_id
    where c.twilio_call_sid = ${callSid}`;
}

export function findCallAndAgentBySid(db: Tx | ServiceDb, callSid: string) {
  return db<{ id: string; agent_id: string | null }[]>`select id, agent_id from public.calls where twilio_call_sid = ${callSid}`;
}

/** A call of a person, as erasure and export find it. */
export interface SubjectCall {
  id: string;
  org_id: string;
  elevenlabs_conversation_id: string | null;
}

/**
 * "This person's calls", the one definition erasure and export share: dialled
 * from their number, or linked to a lead with their address or number (by
 * keyed hash), within `orgId` or in every organisation when null.
 */
export function findSubjectCalls(db: Tx | ServiceDb, hash: Buffer, orgId: string | null, exceptOrgIds: string[] = []) {
  const except = (col: string) => (exceptOrgIds.length ? db`and ${db(col)} <> all(${exceptOrgIds}::uuid[])` : db``);
  return db<SubjectCall[]>`
      select id, org_id, elevenlabs_conversation_id from public.calls where from_hash = ${hash} ${orgId ? db`and org_id = ${orgId}` : db``} ${except('org_id')}
      union
      select c.id, c.org_id, c.elevenlabs_conversation_id from public.calls c
      join public.leads l on l.call_id = c.id
      where (l.phone_hash = ${hash} or l.email_hash = ${hash}) ${orgId ? db`and l.org_id = ${orgId}` : db``} ${except('l.org_id')}`;
}

/** Erasure: the caller's columns of these calls cleared (per the map); the calls stay as statistics. `count` says how many. */
export function scrubCalls(tx: Tx, callIds: string[]) {
  return tx`
          update public.calls set ${setNull(tx, erasureColumns('calls', 'null_columns'))}, erased_at = now()
          where id = any(${callIds}::uuid[])`;
}

/** The conversations at the agent platform of the organisation's calls (account deletion queues their deletion). */
export function conversationIdsOfOrg(tx: Tx, orgId: string) {
  return tx<{ id: string }[]>`
          select elevenlabs_conversation_id as id from public.calls where org_id = ${orgId} and elevenlabs_conversation_id is not null`;
}

/** The organisation's calls for an export (these only, when `callIds` is given), with the personal columns the map exports. */
export function listCallsForExport(tx: Tx, orgId: string, callIds: string[] | null) {
  const columns = [
    'id', 'agent_id', ...exportedColumns('calls'), 'to_number', 'caller_country', 'direction', 'status',
    'consent_state', 'consent_language', 'recording_allowed', 'greeting_sha256', 'disclosure_version',
    'started_at', 'answered_at', 'ended_at', 'duration_seconds', 'outcome',
  ].map((column) => `c.${column}`);
  return tx`
      select ${tx(columns)}
      from public.calls c where c.org_id = ${orgId} ${callIds ? tx`and c.id = any(${callIds}::uuid[])` : tx``} order by c.started_at`;
}
