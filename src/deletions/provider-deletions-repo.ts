/**
 * SQL for public.provider_deletions, the durable queue of deletions we owe
 * Twilio and ElevenLabs. It holds the one definition of a queue row: the
 * columns a caller fills in when queuing, and the rule that queuing the same
 * resource twice is a no-op. Statements of other modules that queue in bulk
 * (the retention purge's batches) embed both from here, so a change to the
 * queue is made once. Each function takes the transaction or connection to
 * run on.
 */
import type postgres from 'postgres';
import type { ServiceDb, Tx } from '../db/database.js';

export type DeletionReason =
  | 'no_consent'
  | 'retention'
  | 'erasure'
  | 'call_deleted'
  | 'account_deletion'
  | 'agent_deleted'
  | 'consent_withdrawn'
  /** Twilio's copy of a recording confirmed in the organisation's own store. */
  | 'delivered_to_storage';

export interface DeletionRequest {
  orgId: string | null;
  /** customer_storage: the organisation's own S3-compatible store (resource_type 'object', resource_id the object key). */
  provider: 'twilio' | 'elevenlabs' | 'customer_storage';
  resourceType: 'recording' | 'conversation' | 'agent' | 'tool' | 'object';
  resourceId: string;
  reason: DeletionReason;
  erasureRequestId?: string | null;
}

/**
 * The columns of a queued deletion, in this order, as every insert into the
 * queue lists them (the rest are the worker's: state, attempts, receipt).
 */
export const PROVIDER_DELETION_COLUMNS = ['org_id', 'provider', 'resource_type', 'resource_id', 'reason', 'erasure_request_id'] as const;
export type ProviderDeletionColumn = (typeof PROVIDER_DELETION_COLUMNS)[number];

/** One resource is deleted once: the unique key a second queuing of it runs into. */
export const PROVIDER_DELETION_KEY = ['provider', 'resource_type', 'resource_id'] as const;

type Db = Tx | ServiceDb;

/**
 * `"org_id","provider",…`: PROVIDER_DELETION_COLUMNS as a fragment to embed in
 * `insert into public.provider_deletions (${queueColumns(tx)}) select …`. The
 * names go through postgres.js's identifier escaping, never into the text as
 * they are; the fragment starts with nothing before the helper, so postgres.js
 * renders it as a plain identifier list whatever statement it is embedded in.
 */
export function queueColumns(db: Db): postgres.Fragment {
  return db`${db(PROVIDER_DELETION_COLUMNS)}`;
}

/** `on conflict ("provider","resource_type","resource_id") do nothing`: an existing row is left as it is. */
export function onQueueConflict(db: Db): postgres.Fragment {
  return db`on conflict (${db`${db(PROVIDER_DELETION_KEY)}`}) do nothing`;
}

/** Records a deletion we owe a provider, in the caller's transaction. Queuing the same resource twice is a no-op. */
export async function queueProviderDeletion(db: Db, d: DeletionRequest): Promise<void> {
  const row: Record<ProviderDeletionColumn, string | null> = {
    org_id: d.orgId,
    provider: d.provider,
    resource_type: d.resourceType,
    resource_id: d.resourceId,
    reason: d.reason,
    erasure_request_id: d.erasureRequestId ?? null,
  };
  await db`
    insert into public.provider_deletions ${db(row, PROVIDER_DELETION_COLUMNS)}
    ${onQueueConflict(db)}`;
}

/** A deletion claimed by the worker. */
export interface ClaimedDeletion {
  id: string;
  org_id: string | null;
  provider: string;
  resource_type: string;
  resource_id: string;
  attempts: number;
  /** For a Twilio recording we last knew running: its call's SID, to stop it first. */
  live_call_sid: string | null;
}

/**
 * Leases up to `batchSize` due deletions (FOR UPDATE SKIP LOCKED, next
 * attempt pushed five minutes out), or only the one resource `only` names.
 */
export function claimDueDeletions(
  db: ServiceDb,
  batchSize: number,
  only?: { provider: string; resourceType: string; resourceId: string },
) {
  return db<ClaimedDeletion[]>`
      update public.provider_deletions d
      set next_attempt_at = now() + interval '5 minutes'
      where d.id in (
        select id from public.provider_deletions
        where status = 'pending' and next_attempt_at <= now()
          ${only ? db`and provider = ${only.provider} and resource_type = ${only.resourceType} and resource_id = ${only.resourceId}` : db``}
        order by next_attempt_at
        limit ${batchSize}
        for update skip locked)
      returning d.id, d.org_id, d.provider, d.resource_type, d.resource_id, d.attempts,
        (select c.twilio_call_sid from public.recordings r join public.calls c on c.id = r.call_id
         where d.provider = 'twilio' and d.resource_type = 'recording' and r.twilio_recording_sid = d.resource_id
           and r.status in ('in-progress', 'paused')) as live_call_sid`;
}

/** The provider deleted it (200) or never had it (404): the row is the receipt. */
export function markDeletionDone(db: ServiceDb, id: string, providerStatus: 200 | 404) {
  return db`
          update public.provider_deletions
          set status = 'done', done_at = now(), attempts = attempts + 1, last_error = null,
              provider_status = ${providerStatus}
          where id = ${id}`;
}

/** A failed attempt: retried after `backoffSeconds`, or given up (failed) for a person to look at. */
export function markDeletionAttemptFailed(
  db: ServiceDb,
  f: { id: string; attempts: number; error: string; providerStatus: number | null; giveUp: boolean; backoffSeconds: number },
) {
  return db`
          update public.provider_deletions
          set attempts = ${f.attempts}, last_error = ${f.error}, provider_status = ${f.providerStatus},
              status = ${f.giveUp ? 'failed' : 'pending'},
              next_attempt_at = now() + make_interval(secs => ${f.backoffSeconds})
          where id = ${f.id}`;
}

// ---------------------------------------------------------------------------
// The request's receipts: the provider deletions queued for it
// ---------------------------------------------------------------------------

/** A deletion already queued for another reason (e.g. retention) also counts for this request. */
export async function attachDeletions(tx: Tx, requestId: string, p: { recordingSids: string[]; conversationIds: string[] }): Promise<void> {
  await tx`
        update public.provider_deletions set erasure_request_id = coalesce(erasure_request_id, ${requestId})
        where (provider = 'twilio' and resource_type = 'recording' and resource_id = any(${p.recordingSids}::text[]))
           or (provider = 'elevenlabs' and resource_type = 'conversation'
               and resource_id = any(${p.conversationIds}::text[]))`;
}

/** How many of the request's provider deletions are not done. */
export async function countOpenDeletions(tx: Tx, requestId: string): Promise<number> {
  const [row] = await tx<{ n: number }[]>`
      select count(*)::int as n from public.provider_deletions where erasure_request_id = ${requestId} and status <> 'done'`;
  return row!.n;
}

/** The provider deletions of these requests, oldest first (under RLS). */
export function listReceipts(tx: Tx, requestIds: string[]) {
  return tx`
              select erasure_request_id, provider, resource_type, resource_id, status, attempts, provider_status, done_at, last_error
              from public.provider_deletions where erasure_request_id = any(${requestIds}::uuid[]) order by created_at`;
}

/**
 * A caller who withdrew consent mid-call had the conversation deleted then, and
 * talked on: a deletion already done is owed once more.
 */
export function reopenDoneConversationDeletion(tx: Tx, conversationId: string) {
  return tx`
            update public.provider_deletions
            set status = 'pending', next_attempt_at = now(), attempts = 0, last_error = null, done_at = null, provider_status = null
            where provider = 'elevenlabs' and resource_type = 'conversation' and resource_id = ${conversationId}
              and status = 'done'`;
}
