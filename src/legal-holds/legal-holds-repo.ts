/**
 * SQL for public.legal_holds (an organisation's Art. 17(3) holds on a person,
 * by keyed hash) and public.erasure_request_holds (what an erasure request
 * skipped in an organisation because of a hold, and when it was carried out
 * after the hold ended). Each function takes the transaction or connection to
 * run on (a user's transaction runs under RLS).
 *
 * A hold is active while ended_at is null and held_until is null or later than now.
 */
import { setNull } from '../db/column-fragments.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { erasureColumns } from '../privacy/personal-data-map.js';

type Db = Tx | ServiceDb;

/** A hold as the organisation sees it (the keyed hash stays in the database). */
export interface LegalHoldRow {
  id: string;
  org_id: string;
  subject_type: 'email' | 'phone';
  subject_hint: string | null;
  reason: string;
  held_until: Date | null;
  placed_by: string | null;
  placed_at: Date;
  ended_at: Date | null;
  ended_by: string | null;
}

const HOLD_COLUMNS = 'id, org_id, subject_type, subject_hint, reason, held_until, placed_by, placed_at, ended_at, ended_by';

/** Places a hold (under RLS: owners and admins, as themselves). */
export async function insertHold(
  tx: Tx,
  h: { orgId: string; subjectType: 'email' | 'phone'; subjectHash: Buffer; subjectHint: string; reason: string; heldUntil: Date | null },
): Promise<LegalHoldRow> {
  const [row] = await tx<LegalHoldRow[]>`
      insert into public.legal_holds (org_id, subject_type, subject_hash, subject_hint, reason, held_until, placed_by)
      values (${h.orgId}, ${h.subjectType}, ${h.subjectHash}, ${h.subjectHint}, ${h.reason}, ${h.heldUntil}, auth.uid())
      returning ${tx.unsafe(HOLD_COLUMNS)}`;
  return row!;
}

/** The organisation's holds, newest first (under RLS). */
export function listHolds(tx: Tx, orgId: string, limit = 500) {
  return tx<LegalHoldRow[]>`
      select ${tx.unsafe(HOLD_COLUMNS)} from public.legal_holds
      where org_id = ${orgId} order by placed_at desc, id desc limit ${limit}`;
}

export async function findHold(tx: Tx, orgId: string, holdId: string): Promise<LegalHoldRow | undefined> {
  const [row] = await tx<LegalHoldRow[]>`select ${tx.unsafe(HOLD_COLUMNS)} from public.legal_holds where id = ${holdId} and org_id = ${orgId}`;
  return row;
}

/** Ends a hold now (under RLS); undefined when it had ended already. */
export async function endHold(tx: Tx, orgId: string, holdId: string): Promise<LegalHoldRow | undefined> {
  const [row] = await tx<LegalHoldRow[]>`
      update public.legal_holds set ended_at = now(), ended_by = auth.uid()
      where id = ${holdId} and org_id = ${orgId} and ended_at is null
      returning ${tx.unsafe(HOLD_COLUMNS)}`;
  return row;
}

/** An active hold on a person in one organisation: the one that lasts longest (no end first). */
export interface ActiveHold {
  id: string;
  org_id: string;
  reason: string;
  held_until: Date | null;
}

/** The active holds on the person `hash`, one per organisation, within `orgId` or everywhere when null. */
export function activeHoldsOn(db: Db, hash: Buffer, orgId: string | null, now: Date) {
  return db<ActiveHold[]>`
      select distinct on (org_id) id, org_id, reason, held_until from public.legal_holds
      where subject_hash = ${hash} and ended_at is null and (held_until is null or held_until > ${now})
        ${orgId ? db`and org_id = ${orgId}` : db``}
      order by org_id, held_until desc nulls first, placed_at desc`;
}

/** Whether the organisation has any active hold (account deletion must not remove held data). */
export async function orgHasActiveHold(db: Db, orgId: string, now: Date): Promise<boolean> {
  const rows = await db`
      select 1 from public.legal_holds
      where org_id = ${orgId} and ended_at is null and (held_until is null or held_until > ${now}) limit 1`;
  return rows.length > 0;
}

/**
 * What the retention purge must leave alone in an organisation: the keyed
 * hashes under an active hold (hex), the calls dialled from them or linked to their
 * leads, and their leads. Empty lists when the organisation holds nothing.
 */
export async function heldDataOfOrg(db: Db, orgId: string, now: Date): Promise<{ hashes: string[]; callIds: string[]; leadIds: string[] }> {
  const holds = await db<{ hash: string }[]>`
      select distinct encode(subject_hash, 'hex') as hash from public.legal_holds
      where org_id = ${orgId} and subject_hash is not null and ended_at is null and (held_until is null or held_until > ${now})`;
  if (holds.length === 0) return { hashes: [], callIds: [], leadIds: [] };
  const hashes = holds.map((h) => h.hash);
  const held = db`select decode(h, 'hex') from unnest(${hashes}::text[]) h`;
  const leads = await db<{ id: string; call_id: string | null }[]>`
      select id, call_id from public.leads
      where org_id = ${orgId} and (phone_hash in (${held}) or email_hash in (${held}))`;
  const calls = await db<{ id: string }[]>`
      select id from public.calls where org_id = ${orgId} and from_hash in (${held})`;
  const callIds = new Set([...calls.map((c) => c.id), ...leads.map((l) => l.call_id).filter((x): x is string => Boolean(x))]);
  return { hashes, callIds: [...callIds], leadIds: leads.map((l) => l.id) };
}

/**
 * Erasure of the person `hash` ran in these organisations: the holds on them
 * there that have ended (or run out) stop pointing at them (the columns the
 * personal-data map clears). The row stays as
 * the record of the hold; a hold that ran out is marked ended when it ran out.
 */
export function clearEndedHolds(tx: Tx, hash: Buffer, orgId: string | null, exceptOrgIds: string[], now: Date) {
  return tx`
      update public.legal_holds
      set ${setNull(tx, erasureColumns('legal_holds', 'null_columns'))}, ended_at = coalesce(ended_at, held_until)
      where subject_hash = ${hash}
        and (ended_at is not null or (held_until is not null and held_until <= ${now}))
        ${orgId ? tx`and org_id = ${orgId}` : tx``}
        ${exceptOrgIds.length ? tx`and org_id <> all(${exceptOrgIds}::uuid[])` : tx``}`;
}

/** Records on a request that a hold kept an organisation's data of the person (once per organisation). */
export async function recordRequestHold(
  tx: Tx,
  r: { requestId: string; orgId: string; holdId: string; reason: string; heldUntil: Date | null; heldCounts: Record<string, number> },
): Promise<void> {
  await tx`
      insert into public.erasure_request_holds (request_id, org_id, hold_id, reason, held_until, held_counts)
      values (${r.requestId}, ${r.orgId}, ${r.holdId}, ${r.reason}, ${r.heldUntil}, ${tx.json(r.heldCounts as never)})
      on conflict (request_id, org_id) do update
        set hold_id = excluded.hold_id, reason = excluded.reason, held_until = excluded.held_until,
            held_counts = excluded.held_counts, erased_at = null, erased_counts = null`;
}

/** A request's holds, with each organisation's name (for the requester's notice, and the organisation's list). */
export interface RequestHold {
  request_id: string;
  org_id: string;
  org_name: string | null;
  reason: string;
  held_until: Date | null;
  held_counts: Record<string, number>;
  held_at: Date;
  erased_at: Date | null;
}

export function listRequestHolds(db: Db, requestIds: string[]) {
  return db<RequestHold[]>`
      select h.request_id, h.org_id, o.name as org_name, h.reason, h.held_until, h.held_counts, h.held_at, h.erased_at
      from public.erasure_request_holds h left join public.organizations o on o.id = h.org_id
      where h.request_id = any(${requestIds}::uuid[]) order by h.held_at`;
}

/**
 * Held parts of requests whose hold has since ended or run out (no active hold
 * on the person in that organisation any more), locked; others' claims are skipped.
 */
export function claimReleasedHolds(tx: Tx, now: Date, limit: number) {
  return tx<{ id: string; request_id: string; org_id: string; subject_hash: Buffer }[]>`
      select h.id, h.request_id, h.org_id, r.subject_hash
      from public.erasure_request_holds h join public.erasure_requests r on r.id = h.request_id
      where h.erased_at is null and r.subject_hash is not null
        and not exists (
          select 1 from public.legal_holds l
          where l.org_id = h.org_id and l.subject_hash = r.subject_hash
            and l.ended_at is null and (l.held_until is null or l.held_until > ${now}))
      order by h.held_at
      limit ${limit}
      for update of h skip locked`;
}

/** The held part was erased: the request is done for that organisation too. */
export async function markRequestHoldErased(tx: Tx, id: string, requestId: string, orgId: string, counts: object): Promise<void> {
  await tx`update public.erasure_request_holds set erased_at = now(), erased_counts = ${tx.json(counts as never)} where id = ${id}`;
  await tx`
      update public.erasure_requests set affected_org_ids = array_append(affected_org_ids, ${orgId}::uuid)
      where id = ${requestId} and not (${orgId}::uuid = any(affected_org_ids))`;
}
