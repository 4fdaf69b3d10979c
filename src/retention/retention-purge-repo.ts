/**
 * SQL of the daily retention purge (retention-purge.ts): one batch statement
 * per kind of row, each walking a partial index of what is still due, oldest
 * first, from where the previous batch stopped. Each function takes the
 * transaction or connection to run on.
 *
 * The batches live here together rather than in the repos of the tables they
 * scrub: they are one tuned family (the same cursor, limit and SKIP LOCKED
 * shape, measured together by bench/purge.bench.ts), and most of them write
 * two tables in one statement (the scrubbed rows and the provider deletion
 * queue), so neither table's repo is the natural home of the whole statement.
 *
 * What a batch clears comes from the personal-data map
 * (src/privacy/personal-data-map.ts, retentionColumns), and what it queues
 * from the queue's own definition (src/deletions/provider-deletions-repo.ts).
 * The WHERE predicates stay literal where they must match a partial index
 * (supabase/migrations/20261122000610_retention_purge_indexes.sql) for the
 * planner to use it; test/retention-purge.test.ts checks those against the map.
 */
import { anyNotNull, setNull } from '../db/column-fragments.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { onQueueConflict, queueColumns } from '../deletions/provider-deletions-repo.js';
import { retentionColumns } from '../privacy/personal-data-map.js';

/** What the window clears on a lead: every personal column (the row stays, anonymised_at set). */
const LEAD_ANONYMISED = retentionColumns('leads', 'anonymise');
/** ... on a recording: its address (the recording itself is queued for deletion at Twilio). */
const RECORDING_CLEARED = retentionColumns('recordings', 'null_columns');
/** ... on a call: the caller's number and hash, the conversation link and the connect TwiML. */
const CALL_CLEARED = retentionColumns('calls', 'null_columns');
/** ... on a proof of consent: the keyed caller hash (the proof itself stays). */
const CONSENT_CLEARED = retentionColumns('call_consents', 'null_columns');

/** Every organisation with its retention window in days (`defaultDays` without privacy preferences). */
export function orgRetentionWindows(db: ServiceDb, defaultDays: number) {
  return db<{ id: string; retention_days: number }[]>`
    select o.id, coalesce(p.retention_days, ${defaultDays})::int as retention_days
    from public.organizations o left join public.privacy_preferences p on p.org_id = o.id
    order by o.id`;
}

/** The (limit+1)-th oldest due transcript time from `from`, read from the index alone, if there is one. */
export async function findTranscriptBound(db: ServiceDb, orgId: string, cutoff: Date, from: string, limit: number): Promise<{ at: string } | undefined> {
  const [bound] = await db<{ at: string }[]>`
    select created_at::text as at from public.transcripts
    where org_id = ${orgId} and created_at >= ${from}::text::timestamptz and created_at < ${cutoff}
    order by created_at offset ${limit} limit 1`;
  return bound;
}

/**
 * One batch of transcripts with its audit row, in one statement
 * (app.purge_transcripts_batch): those created in [from, before), or with
 * `tieLimit`, at most that many created exactly at `from`. Returns the count.
 */
export async function purgeTranscriptsBatch(
  db: ServiceDb,
  b: { orgId: string; from: string; before: string | null; tieLimit: number | null; auditMetadata: Record<string, string | number> },
): Promise<number> {
  const [r] = await db<{ n: number }[]>`
    select app.purge_transcripts_batch(${b.orgId}, ${b.from}::text::timestamptz, ${b.before}::text::timestamptz, ${b.tieLimit}::int,
                                       ${db.json(b.auditMetadata)}::jsonb) as n`;
  return r!.n;
}

/** How many rows a batch changed, and the age of the last one (text, so no precision is lost). */
export interface BatchRow {
  n: number;
  last: string | null;
}

/** A batch selection: the organisation's rows older than `cutoff`, from `from` on, at most `limit`. */
export interface BatchWindow {
  orgId: string;
  cutoff: Date;
  now: Date;
  from: string;
  limit: number;
  /** What an active legal hold keeps (legal-holds-repo heldDataOfOrg): left alone, whatever its age. */
  held?: HeldData;
}

/** The data of people under an active legal hold in the organisation; empty lists (the usual case) change nothing. */
export interface HeldData {
  /** keyed hashes, hex */
  hashes: string[];
  callIds: string[];
  leadIds: string[];
}

/** `and <column> <> all(ids)` when there are ids to leave alone, else nothing (the batch's plan is unchanged). */
function except(tx: Tx, column: string, ids: string[] | undefined) {
  return ids && ids.length ? tx`and ${tx(column)} <> all(${ids}::uuid[])` : tx``;
}

/** Anonymises up to `limit` due leads: every personal column cleared, anonymised_at set. */
export async function anonymiseLeadsBatch(tx: Tx, w: BatchWindow): Promise<BatchRow> {
  const [r] = await tx<BatchRow[]>`
      with due as (
        select id, created_at from public.leads
        where org_id = ${w.orgId} and anonymised_at is null and created_at < ${w.cutoff}
          and created_at >= ${w.from}::text::timestamptz ${except(tx, 'id', w.held?.leadIds)}
        order by created_at
        limit ${w.limit}
        for update skip locked
      ), done as (
        update public.leads l
        set ${setNull(tx, LEAD_ANONYMISED)}, anonymised_at = ${w.now}
        from due where l.id = due.id
        returning due.created_at
      )
      select count(*)::int as n, max(created_at)::text as last from done`;
  return r!;
}

/**
 * Queues the deletion at Twilio (and, for a recording delivered to the
 * organisation's own store, of its object there) of up to `limit` due recordings and marks
 * them deleted, in one statement, so neither can happen without the other
 * (queueProviderDeletion's insert, for a whole batch at once: a row per
 * resource, an existing one left as it is).
 */
export async function queueRecordingsBatch(tx: Tx, w: BatchWindow): Promise<BatchRow> {
  const [r] = await tx<BatchRow[]>`
      with due as (
        select id, twilio_recording_sid, storage_object_key, created_at from public.recordings
        where org_id = ${w.orgId} and deleted_at is null and created_at < ${w.cutoff}
          and created_at >= ${w.from}::text::timestamptz ${except(tx, 'call_id', w.held?.callIds)}
        order by created_at
        limit ${w.limit}
        for update skip locked
      ), queued as (
        insert into public.provider_deletions (${queueColumns(tx)})
        select ${w.orgId}, 'twilio', 'recording', twilio_recording_sid, 'retention', null from due
        ${onQueueConflict(tx)}
      ), queued_in_customer_storage as (
        insert into public.provider_deletions (${queueColumns(tx)})
        select ${w.orgId}, 'customer_storage', 'object', storage_object_key, 'retention', null from due
        where storage_object_key is not null
        ${onQueueConflict(tx)}
      ), marked as (
        update public.recordings r set deleted_at = ${w.now}, ${setNull(tx, RECORDING_CLEARED)}
        from due where r.id = due.id
        returning due.created_at
      )
      select count(*)::int as n, max(created_at)::text as last from marked`;
  return r!;
}

/**
 * Scrubs up to `limit` due calls (the row and its statistics stay) and queues
 * the deletion of their ElevenLabs conversations, in one statement. The due
 * predicate is the one of calls_retention_due_idx, literally, so that the
 * planner reads the partial index.
 */
export async function scrubCallsBatch(tx: Tx, w: BatchWindow): Promise<BatchRow & { conversations: number }> {
  const [r] = await tx<(BatchRow & { conversations: number })[]>`
      with due as (
        select id, elevenlabs_conversation_id, started_at from public.calls
        where org_id = ${w.orgId} and started_at < ${w.cutoff}
          and (from_number is not null or from_hash is not null or elevenlabs_conversation_id is not null)
          and started_at >= ${w.from}::text::timestamptz ${except(tx, 'id', w.held?.callIds)}
        order by started_at
        limit ${w.limit}
        for update skip locked
      ), queued as (
        insert into public.provider_deletions (${queueColumns(tx)})
        select ${w.orgId}, 'elevenlabs', 'conversation', elevenlabs_conversation_id, 'retention', null
        from due where elevenlabs_conversation_id is not null
        ${onQueueConflict(tx)}
      ), scrubbed as (
        update public.calls c
        set ${setNull(tx, CALL_CLEARED)}
        from due where c.id = due.id
        returning due.started_at, due.elevenlabs_conversation_id
      )
      select count(*)::int as n, count(elevenlabs_conversation_id)::int as conversations, max(started_at)::text as last
      from scrubbed`;
  return r!;
}

/**
 * Clears the caller hash of up to `limit` proofs of consent older than the
 * cutoff. call_consents has rules (append-only), so no CTE or RETURNING: a
 * plain update, whose `count` says how many.
 */
export function scrubConsentsBatch(tx: Tx, b: { orgId: string; cutoff: Date; now: Date; limit: number; held?: HeldData | undefined }) {
  const held = b.held?.hashes.length ? tx`and (caller_hash is null or encode(caller_hash, 'hex') <> all(${b.held.hashes}::text[]))` : tx``;
  return tx`
          update public.call_consents set ${setNull(tx, CONSENT_CLEARED)}, erased_at = ${b.now}
          where id in (
            select id from public.call_consents
            where org_id = ${b.orgId} and created_at < ${b.cutoff} and ${anyNotNull(tx, CONSENT_CLEARED)}
              ${except(tx, 'call_id', b.held?.callIds)} ${held}
            limit ${b.limit})`;
}

/**
 * Deletes up to `limit` records of answered access requests older than the
 * cutoff (their subject hash and requester go with the row); `count` says how
 * many. exports_org_id_idx (org_id, created_at) finds them.
 */
export function deleteExportsBatch(tx: Tx, b: { orgId: string; cutoff: Date; limit: number; held?: HeldData | undefined }) {
  const held = b.held?.hashes.length ? tx`and (subject_hash is null or encode(subject_hash, 'hex') <> all(${b.held.hashes}::text[]))` : tx``;
  return tx`
          delete from public.exports where id in (
            select id from public.exports
            where org_id = ${b.orgId} and created_at < ${b.cutoff} ${held}
            limit ${b.limit})`;
}

/**
 * Transcripts of an organisation with held calls (a legal hold): up to `limit`
 * due transcripts, oldest first, except those of the held calls, deleted in
 * one plain statement (the ranged fast path cannot leave rows out). Returns
 * how many and the age of the last one.
 */
export async function deleteTranscriptsExceptBatch(tx: Tx, w: BatchWindow): Promise<BatchRow> {
  const [r] = await tx<BatchRow[]>`
      with due as (
        select id, created_at from public.transcripts
        where org_id = ${w.orgId} and created_at < ${w.cutoff} and created_at >= ${w.from}::text::timestamptz
          ${except(tx, 'call_id', w.held?.callIds)}
        order by created_at
        limit ${w.limit}
        for update skip locked
      ), gone as (
        delete from public.transcripts t using due where t.id = due.id returning due.created_at
      )
      select count(*)::int as n, max(created_at)::text as last from gone`;
  return r!;
}

/**
 * Removes up to `limit` job runs started before `before`: never a run still
 * going, nor the latest success of each job (the trust page reads it).
 * `count` says how many.
 */
export function pruneJobRunsBatch(db: ServiceDb, before: Date, limit: number) {
  return db`
      delete from public.job_runs where id in (
        select j.id from public.job_runs j
        where j.started_at < ${before} and j.status <> 'running'
          and j.id is distinct from (
            select k.id from public.job_runs k
            where k.job_name = j.job_name and k.status = 'succeeded'
            order by k.started_at desc limit 1)
        limit ${limit})`;
}
