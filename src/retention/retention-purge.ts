import { SYSTEM_ACTOR, writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import { logger } from '../lib/logger.js';
import {
  anonymiseLeadsBatch,
  deleteExportsBatch,
  deleteTranscriptsExceptBatch,
  findTranscriptBound,
  orgRetentionWindows,
  pruneJobRunsBatch,
  purgeTranscriptsBatch,
  queueRecordingsBatch,
  scrubCallsBatch,
  scrubConsentsBatch,
  type HeldData,
} from './retention-purge-repo.js';
import { heldDataOfOrg } from '../legal-holds/legal-holds-repo.js';

/** The window of an organisation without privacy preferences (GDPR Art. 25(2): short by default). */
export const DEFAULT_RETENTION_DAYS = 30;
/** Rows per statement: each batch is one statement of its own, a few milliseconds long (bench/purge.bench.ts). */
export const DEFAULT_PURGE_BATCH_SIZE = 5000;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long job history is kept (counts and error messages, no personal data); each job's latest successful run stays regardless. */
export const JOB_HISTORY_DAYS = 90;

export type RetentionPurgeCounts = {
  transcripts_deleted: number;
  leads_anonymised: number;
  calls_scrubbed: number;
  /** proofs of consent whose keyed caller hash was cleared (the proof itself stays) */
  consents_scrubbed: number;
  /** records of answered access requests (public.exports) deleted, their subject hash with them */
  exports_deleted: number;
  recordings_queued: number;
  conversations_queued: number;
  /** job_runs rows past JOB_HISTORY_DAYS removed */
  job_runs_pruned: number;
  /** Provider deletions the queue completed during this run (the purge's, and any other due). */
  provider_deleted: number;
  /** ... that failed for now and wait for their next attempt (backoff). */
  provider_retried: number;
  /** ... that gave up (refused, or out of attempts): see runbooks/retention.md. */
  provider_failed: number;
};

export interface RetentionPurgeOptions {
  /** Rows per statement (default 5000). */
  batchSize?: number;
  /** Stop after this many batches that changed something; the next run carries on where this one stopped. */
  maxBatches?: number;
}

export type RetentionPurgeDeps = DeletionWorkerDeps & { now: () => Date };

/**
 * The instant before which a row has expired: `now` minus `days` × 24 hours.
 * A row is older than the window when its time is strictly before this; one
 * exactly at the cutoff is kept until the next run.
 */
export function retentionCutoff(now: Date, days: number): Date {
  return new Date(now.getTime() - days * DAY_MS);
}

/**
 * One batch: how many rows it changed, and where the next one starts (the text
 * form of a timestamp, so no precision is lost), or null when nothing is left.
 */
interface BatchResult {
  n: number;
  next: string | null;
  conversations?: number;
  /** Already under way: the next batch's look-up, started while this batch ran (transcripts). */
  lookAhead?: Promise<Bound>;
}

/** The (limit+1)-th oldest due transcript time from some point, if there is one. */
type Bound = { at: string } | undefined;

type Kind = 'transcripts_deleted' | 'leads_anonymised' | 'recordings_queued' | 'calls_scrubbed' | 'consents_scrubbed' | 'exports_deleted';

/**
 * Each batch that changes something writes a `retention.purged` audit row
 * with its counts, committed with the change (in one transaction, or in the
 * batch's own statement): a purge killed at any point leaves every batch that
 * committed audited, and none that did not.
 */
interface BatchAudit {
  orgId: string;
  kind: Kind;
  /** What an active legal hold keeps in the organisation (empty lists when none). */
  held: HeldData;
  /** The audit row's metadata with this kind's count at 0: the batch fills it in. */
  metadata: Record<string, string | number>;
  /** Commits `write` and, when it changed something, the batch's audit row, in one transaction. */
  commit(write: (tx: Tx) => Promise<BatchResult>): Promise<BatchResult>;
}

type Batch = (db: ServiceDb, audit: BatchAudit, cutoff: Date, now: Date, from: string, limit: number, lookAhead?: Promise<Bound>) => Promise<BatchResult>;

// Each batch walks its index oldest first from where the previous one stopped,
// instead of re-reading what the previous batches removed.

/** One batch of transcripts with the batch's audit row (purgeTranscriptsBatch); a Date bound is the cutoff. */
const purgeBatch = (db: ServiceDb, audit: BatchAudit, from: string, before: string | Date | null, tieLimit: number | null): Promise<number> =>
  purgeTranscriptsBatch(db, {
    orgId: audit.orgId,
    from,
    before: before instanceof Date ? before.toISOString() : before,
    tieLimit,
    auditMetadata: audit.metadata,
  });

// Transcripts, the bulk, go by time range: the (limit+1)-th oldest due row's
// time (read from the index alone) bounds a plain ranged DELETE, so each row
// is read once, as a single DELETE would (about twice as fast as selecting
// rows, then deleting them). The DELETE runs inside app.purge_transcripts_batch,
// which counts it with GET DIAGNOSTICS and writes the batch's audit row in the
// same statement: one round trip per batch, and no RETURNING (collecting the
// deleted rows only to count them made a batch up to twice as slow). More than
// `limit` rows with the very same time are taken `limit` at a time.
//
// A batch commits, with its audit row, without waiting for its WAL to reach
// the disk (synchronous_commit off for that transaction alone; the setting
// goes back at commit). A crash of the database can take back the last few
// batches, each with its audit row; the purge is idempotent, so the next run
// redoes them. The WAL is written in the background while the next batch
// runs, instead of each of hundreds of commits waiting for it.
//
// The next batch's bound depends only on this one's, and reads rows this
// batch's DELETE does not touch (from the bound on), so it is looked up on a
// second connection while the DELETE runs. A look-up no batch uses (the run
// stopped, or this range was emptied meanwhile) is dropped: it only reads.
const deleteTranscripts: Batch = async (db, audit, cutoff, now, from, limit, lookAhead) => {
  // A legal hold keeps some calls' transcripts: a plain batch that leaves them out.
  if (audit.held.callIds.length) {
    return audit.commit(async (tx) => {
      const r = await deleteTranscriptsExceptBatch(tx, { orgId: audit.orgId, cutoff, now, from, limit, held: audit.held });
      return { n: r.n, next: r.n < limit ? null : r.last };
    });
  }
  const bound = await (lookAhead ?? findTranscriptBound(db, audit.orgId, cutoff, from, limit));
  if (bound && bound.at !== from) {
    const next = findTranscriptBound(db, audit.orgId, cutoff, bound.at, limit);
    next.catch(() => undefined); // awaited by the next batch, if there is one
    const n = await purgeBatch(db, audit, from, bound.at, null);
    if (n > 0) return { n, next: bound.at, lookAhead: next };
  }
  if (!bound) return { n: await purgeBatch(db, audit, from, cutoff, null), next: null };
  // At least `limit` rows share the time `from` (or the range before the bound was
  // emptied meanwhile): take `limit` of them, and look again from the same time.
  return { n: await purgeBatch(db, audit, bound.at, null, limit), next: bound.at };
};

// Notes are free text about the person, so they go with the name, number and address.
const anonymiseLeads: Batch = (_db, { commit, orgId, held }, cutoff, now, from, limit) =>
  commit(async (tx) => {
    const r = await anonymiseLeadsBatch(tx, { orgId, cutoff, now, from, limit, held });
    return { n: r.n, next: r.n < limit ? null : r.last };
  });

// One statement queues the deletions at Twilio and marks the recordings, so
// neither can happen without the other. (queueProviderDeletion's insert, for
// a whole batch at once: a row per resource, an existing one left as it is.)
const queueRecordings: Batch = (_db, { commit, orgId, held }, cutoff, now, from, limit) =>
  commit(async (tx) => {
    const r = await queueRecordingsBatch(tx, { orgId, cutoff, now, from, limit, held });
    return { n: r.n, next: r.n < limit ? null : r.last };
  });

// The call row and its statistics stay; the caller's number, its keyed hash,
// the link to the ElevenLabs conversation (queued for deletion in the same
// statement) and the connect TwiML go.
const scrubCalls: Batch = (_db, { commit, orgId, held }, cutoff, now, from, limit) =>
  commit(async (tx) => {
    const r = await scrubCallsBatch(tx, { orgId, cutoff, now, from, limit, held });
    return { n: r.n, next: r.n < limit ? null : r.last, conversations: r.conversations };
  });

// The record that an access request was answered keeps the subject's keyed
// hash and who asked: it goes, whole, with the rest of the window, so no
// subject hash outlives the window there. Deleted rows are not read again, so
// each batch starts from the oldest that is left.
const deleteExports: Batch = (_db, { commit, orgId, held }, cutoff, _now, from, limit) =>
  commit(async (tx) => {
    const r = await deleteExportsBatch(tx, { orgId, cutoff, limit, held });
    return { n: r.count, next: r.count < limit ? null : from };
  });

/** The row counts of a run and of each batch's audit row, all zero (one list, in the order they are shown). */
function noRowsPurged() {
  return {
    transcripts_deleted: 0,
    leads_anonymised: 0,
    calls_scrubbed: 0,
    consents_scrubbed: 0,
    exports_deleted: 0,
    recordings_queued: 0,
    conversations_queued: 0,
  };
}

/**
 * The daily retention purge (GDPR Art. 5(1)(e)). For each organisation, with
 * its window from privacy_preferences (30, 90, 180 or 365 days; 30 without
 * preferences), everything older than `ctx.now()` minus the window:
 * transcripts are deleted; leads are anonymised (name, phone, e-mail, their
 * keyed hashes and notes cleared, anonymised_at set; the row stays); Twilio
 * recordings are queued for deletion and marked deleted; calls lose the
 * caller's number and hash, and their ElevenLabs conversation is queued for
 * deletion and unlinked (the call row and its statistics stay); proofs of
 * consent lose the caller's keyed hash (the proof stays); the records of
 * answered access requests (exports) are deleted. Age is created_at, and
 * started_at for calls; "older" is strictly before the cutoff. Which columns
 * go is the personal-data map's (src/privacy/personal-data-map.ts).
 *
 * Work goes in batches of `batchSize` rows, each one statement over a partial
 * index of what is still due, committed in its own transaction together with
 * a `retention.purged` audit row holding that batch's counts (the window, the
 * cutoff, and how many rows of which kind). So nothing is held for long, a run
 * killed half-way loses at most the batch in flight (which the next run
 * redoes: selection is by age and state only), every batch that committed is
 * in the organisation's audit log, and a second run changes nothing. Then the
 * provider deletion queue is worked once (the per-minute provider-deletions
 * job finishes what is left or failed for now).
 */
export async function runRetentionPurge(ctx: RetentionPurgeDeps, opts: RetentionPurgeOptions = {}): Promise<RetentionPurgeCounts> {
  const batchSize = opts.batchSize ?? DEFAULT_PURGE_BATCH_SIZE;
  let batchesLeft = opts.maxBatches ?? Number.POSITIVE_INFINITY;
  const db = ctx.serviceDb;
  const now = ctx.now();
  const counts: RetentionPurgeCounts = {
    ...noRowsPurged(),
    job_runs_pruned: 0,
    provider_deleted: 0,
    provider_retried: 0,
    provider_failed: 0,
  };

  /** A batch's audit: the row's metadata (this batch's counts, the others 0) and its transaction. */
  const batchAudit = (org: { id: string; retention_days: number }, cutoff: Date, kind: Kind, held: HeldData): BatchAudit => {
    const metadata = {
      retention_days: org.retention_days,
      cutoff: cutoff.toISOString(),
      ...noRowsPurged(),
    };
    return {
      orgId: org.id,
      kind,
      held,
      metadata,
      commit: (write) =>
        db.begin(async (tx) => {
          const done = await write(tx);
          if (done.n > 0) {
            await writeAudit(tx, SYSTEM_ACTOR, {
              orgId: org.id,
              action: 'retention.purged',
              metadata: { ...metadata, [kind]: done.n, conversations_queued: done.conversations ?? 0 },
            });
          }
          return done;
        }),
    };
  };

  /** Runs one kind of batch until nothing is due (or the batch budget is spent), counting what committed. */
  async function drain(batch: Batch, audit: BatchAudit, cutoff: Date): Promise<void> {
    let from: string | null = '-infinity';
    let lookAhead: Promise<Bound> | undefined;
    while (from !== null && batchesLeft > 0) {
      const r = await batch(db, audit, cutoff, now, from, batchSize, lookAhead);
      if (r.n > 0) batchesLeft -= 1;
      counts[audit.kind] += r.n;
      counts.conversations_queued += r.conversations ?? 0;
      from = r.next;
      lookAhead = r.lookAhead;
    }
  }

  const orgs = await orgRetentionWindows(db, DEFAULT_RETENTION_DAYS);

  for (const org of orgs) {
    if (batchesLeft <= 0) break;
    const cutoff = retentionCutoff(now, org.retention_days);
    // A legal hold (Art. 17(3)) keeps the held people's data past the window, until it ends.
    const held = await heldDataOfOrg(db, org.id, now);
    await drain(deleteTranscripts, batchAudit(org, cutoff, 'transcripts_deleted', held), cutoff);
    await drain(anonymiseLeads, batchAudit(org, cutoff, 'leads_anonymised', held), cutoff);
    await drain(queueRecordings, batchAudit(org, cutoff, 'recordings_queued', held), cutoff);
    await drain(scrubCalls, batchAudit(org, cutoff, 'calls_scrubbed', held), cutoff);
    // Proofs of consent keep the record of what was asked and answered, but
    // no longer point at the caller once the window has passed. call_consents
    // has rules (append-only), so no CTE or RETURNING: plain batched updates.
    const consents = batchAudit(org, cutoff, 'consents_scrubbed', held);
    while (batchesLeft > 0) {
      const r = await consents.commit(async (tx) => {
        const scrubbed = await scrubConsentsBatch(tx, { orgId: org.id, cutoff, now, limit: batchSize, held });
        return { n: scrubbed.count, next: null };
      });
      if (r.n > 0) batchesLeft -= 1;
      counts.consents_scrubbed += r.n;
      if (r.n < batchSize) break;
    }
    await drain(deleteExports, batchAudit(org, cutoff, 'exports_deleted', held), cutoff);
  }

  // Job history would otherwise grow by a row per job and tick forever. A run
  // still going is never touched, nor the latest success of each job (the
  // trust page reads it).
  const historyCutoff = new Date(now.getTime() - JOB_HISTORY_DAYS * DAY_MS);
  while (batchesLeft > 0) {
    const r = await pruneJobRunsBatch(db, historyCutoff, batchSize);
    counts.job_runs_pruned += r.count;
    if (r.count > 0) batchesLeft -= 1;
    if (r.count < batchSize) break;
  }

  const deletions = await runProviderDeletions(ctx);
  counts.provider_deleted = deletions.done;
  counts.provider_retried = deletions.retried;
  counts.provider_failed = deletions.failed;
  logger.info({ organisations: orgs.length, counts, stopped_early: batchesLeft <= 0 }, 'retention purge finished');
  return counts;
}
