import type { ServiceDb, Tx } from '../db/database.js';
import { logger } from '../lib/logger.js';
import type { AgentPlatform } from '../providers/agent-platform.js';
import { ProviderError } from '../providers/agent-platform.js';
import type { Telephony } from '../providers/telephony.js';

export type DeletionReason = 'no_consent' | 'retention' | 'erasure' | 'call_deleted' | 'account_deletion' | 'agent_deleted' | 'consent_withdrawn';

export interface DeletionRequest {
  orgId: string | null;
  provider: 'twilio' | 'elevenlabs';
  resourceType: 'recording' | 'conversation' | 'agent' | 'tool';
  resourceId: string;
  reason: DeletionReason;
  erasureRequestId?: string | null;
}

/** Records a deletion we owe a provider, in the caller's transaction. Queuing the same resource twice is a no-op. */
export async function queueProviderDeletion(db: Tx | ServiceDb, d: DeletionRequest): Promise<void> {
  await db`
    insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason, erasure_request_id)
    values (${d.orgId}, ${d.provider}, ${d.resourceType}, ${d.resourceId}, ${d.reason}, ${d.erasureRequestId ?? null})
    on conflict (provider, resource_type, resource_id) do nothing`;
}

export const MAX_DELETION_ATTEMPTS = 12;

/** Backoff after the n-th failure: 30 s, 1 min, 2 min … capped at 6 h. */
export function backoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 6 * 3600);
}

export interface DeletionWorkerDeps {
  serviceDb: ServiceDb;
  telephony: Telephony;
  agentPlatform: AgentPlatform;
}

export interface DeletionRunCounts {
  claimed: number;
  done: number;
  retried: number;
  failed: number;
}

interface ClaimedDeletion {
  id: string;
  provider: string;
  resource_type: string;
  resource_id: string;
  attempts: number;
  /** For a Twilio recording we last knew running: its call's SID, to stop it first. */
  live_call_sid: string | null;
}

async function perform(deps: DeletionWorkerDeps, row: ClaimedDeletion) {
  if (row.provider === 'twilio' && row.resource_type === 'recording') {
    // A recording still running (a caller withdrew consent mid-call, and Twilio was down
    // then) is stopped first: deleting it must not leave the rest of the call recorded.
    // A stop that fails for an outage throws, and the row is retried.
    if (row.live_call_sid) await deps.telephony.stopRecording(row.live_call_sid, row.resource_id);
    return deps.telephony.deleteRecording(row.resource_id);
  }
  if (row.provider === 'elevenlabs' && row.resource_type === 'conversation') return deps.agentPlatform.deleteConversation(row.resource_id);
  if (row.provider === 'elevenlabs' && row.resource_type === 'agent') return deps.agentPlatform.deleteAgent(row.resource_id);
  if (row.provider === 'elevenlabs' && row.resource_type === 'tool') return deps.agentPlatform.deleteTool(row.resource_id);
  throw new ProviderError(row.provider, `unknown deletion ${row.provider}/${row.resource_type}`, 400);
}

/**
 * Works due deletions in batches. Rows are leased, not held: a short
 * transaction claims due rows with FOR UPDATE SKIP LOCKED (so replicas never
 * work the same row) and pushes their next attempt five minutes out; the
 * providers are then asked outside any transaction, and each outcome written
 * back. A crash mid-batch leaves the lease to expire and the row is tried
 * again. 2xx and 404 are done; 5xx, 429 and timeouts are retried with
 * exponential backoff; after MAX_DELETION_ATTEMPTS, or on a refusal that will
 * not change, the row is marked failed for a person to look at.
 * Pass `only` to work one resource right away (e.g. just after queuing it).
 */
export async function runProviderDeletions(
  deps: DeletionWorkerDeps,
  opts: { batchSize?: number; maxBatches?: number; only?: { provider: string; resourceType: string; resourceId: string } } = {},
): Promise<DeletionRunCounts> {
  const counts: DeletionRunCounts = { claimed: 0, done: 0, retried: 0, failed: 0 };
  const batchSize = opts.batchSize ?? 50;
  const db = deps.serviceDb;
  for (let batch = 0; batch < (opts.maxBatches ?? 20); batch += 1) {
    const rows = await db<ClaimedDeletion[]>`
      update public.provider_deletions d
      set next_attempt_at = now() + interval '5 minutes'
      where d.id in (
        select id from public.provider_deletions
        where status = 'pending' and next_attempt_at <= now()
          ${opts.only ? db`and provider = ${opts.only.provider} and resource_type = ${opts.only.resourceType} and resource_id = ${opts.only.resourceId}` : db``}
        order by next_attempt_at
        limit ${batchSize}
        for update skip locked)
      returning d.id, d.provider, d.resource_type, d.resource_id, d.attempts,
        (select c.twilio_call_sid from public.recordings r join public.calls c on c.id = r.call_id
         where d.provider = 'twilio' and d.resource_type = 'recording' and r.twilio_recording_sid = d.resource_id
           and r.status in ('in-progress', 'paused')) as live_call_sid`;
    for (const row of rows) {
      counts.claimed += 1;
      try {
        const outcome = await perform(deps, row);
        await db`
          update public.provider_deletions
          set status = 'done', done_at = now(), attempts = attempts + 1, last_error = null,
              provider_status = ${outcome === 'deleted' ? 200 : 404}
          where id = ${row.id}`;
        counts.done += 1;
      } catch (err) {
        const e = err instanceof ProviderError ? err : new ProviderError(row.provider, (err as Error).message);
        const attempts = row.attempts + 1;
        const giveUp = !e.retryable || attempts >= MAX_DELETION_ATTEMPTS;
        await db`
          update public.provider_deletions
          set attempts = ${attempts}, last_error = ${e.message.slice(0, 500)}, provider_status = ${e.status ?? null},
              status = ${giveUp ? 'failed' : 'pending'},
              next_attempt_at = now() + make_interval(secs => ${backoffSeconds(attempts)})
          where id = ${row.id}`;
        if (giveUp) counts.failed += 1;
        else counts.retried += 1;
        logger.warn({ deletion_id: row.id, provider: row.provider, attempts, status: e.status, give_up: giveUp }, 'provider deletion failed');
      }
    }
    if (rows.length < batchSize || opts.only) break;
  }
  return counts;
}
