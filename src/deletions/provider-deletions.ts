import type { ServiceDb } from '../db/database.js';
import { logger } from '../lib/logger.js';
import type { AgentPlatform } from '../providers/agent-platform.js';
import { ProviderError } from '../providers/agent-platform.js';
import type { Telephony } from '../providers/telephony.js';
import { claimDueDeletions, markDeletionAttemptFailed, markDeletionDone, type ClaimedDeletion } from './provider-deletions-repo.js';

export type { DeletionReason, DeletionRequest } from './provider-deletions-repo.js';
export { queueProviderDeletion } from './provider-deletions-repo.js';

export const MAX_DELETION_ATTEMPTS = 12;

/** Backoff after the n-th failure: 30 s, 1 min, 2 min … capped at 6 h. */
export function backoffSeconds(attempts: number): number {
  return Math.min(30 * 2 ** Math.max(0, attempts - 1), 6 * 3600);
}

/** The organisation's own store, for the objects delivered there (src/recording-storage/customer-storage.ts). */
export interface CustomerObjectDeleter {
  deleteObject(orgId: string, key: string): Promise<'deleted'>;
}

export interface DeletionWorkerDeps {
  serviceDb: ServiceDb;
  telephony: Telephony;
  agentPlatform: AgentPlatform;
  /** Without it, deletions in customers' stores wait for a worker that has it (the provider-deletions job). */
  customerStorage?: CustomerObjectDeleter;
}

export interface DeletionRunCounts {
  claimed: number;
  done: number;
  retried: number;
  failed: number;
}

async function perform(deps: DeletionWorkerDeps, row: ClaimedDeletion) {
  if (row.provider === 'twilio' && row.resource_type === 'recording') {
    // A recording still running (a caller withdrew consent mid-call, and Twilio was down
    // then) is stopped first: deleting it must not leave the rest of the call recorded.
    // A stop that fails for an outage throws, and the row is retried.
    if (row.live_call_sid) await deps.telephony.stopRecording(row.live_call_sid, row.resource_id);
    return deps.telephony.deleteRecording(row.resource_id);
  }
  if (row.provider === 'customer_storage' && row.resource_type === 'object') {
    if (!deps.customerStorage || !row.org_id) throw new ProviderError('customer_storage', 'no customer storage connection here');
    return deps.customerStorage.deleteObject(row.org_id, row.resource_id);
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
    const rows = await claimDueDeletions(db, batchSize, opts.only);
    for (const row of rows) {
      counts.claimed += 1;
      try {
        const outcome = await perform(deps, row);
        await markDeletionDone(db, row.id, outcome === 'deleted' ? 200 : 404);
        counts.done += 1;
      } catch (err) {
        const e = err instanceof ProviderError ? err : new ProviderError(row.provider, (err as Error).message);
        const attempts = row.attempts + 1;
        const giveUp = !e.retryable || attempts >= MAX_DELETION_ATTEMPTS;
        await markDeletionAttemptFailed(db, {
          id: row.id,
          attempts,
          error: e.message.slice(0, 500),
          providerStatus: e.status ?? null,
          giveUp,
          backoffSeconds: backoffSeconds(attempts),
        });
        if (giveUp) counts.failed += 1;
        else counts.retried += 1;
        logger.warn({ deletion_id: row.id, provider: row.provider, attempts, status: e.status, give_up: giveUp }, 'provider deletion failed');
      }
    }
    if (rows.length < batchSize || opts.only) break;
  }
  return counts;
}
