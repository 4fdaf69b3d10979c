import type { ServiceDb, Tx } from '../db/database.js';
import { logger } from '../lib/logger.js';
import * as repo from './audit-checkpoints-repo.js';
import { nextEntryAfter, verifyChainSegment, type BrokenLink, type ChainPosition } from './audit-verify.js';

/** Entries verified per transaction by the job. */
export const VERIFY_BATCH_SIZE = 5000;
/** Entries the sweep re-verifies per run, over all chains (about half a second of database time). */
export const SWEEP_ENTRIES_PER_RUN = 50_000;
/** Chains the sweep takes up per run (each costs a few transactions, however short). */
export const SWEEP_CHAINS_PER_RUN = 500;
/** A chain is walked again from #1 once its last complete pass is this old. */
export const SWEEP_INTERVAL_HOURS = 24;

/** One row of public.audit_chain_checkpoints (bigints as strings). */
export interface ChainCheckpoint {
  chain_key: string;
  verified_index: string;
  verified_hash: string | null;
  verified_row_id: string | null;
  verified_at: Date | null;
  sweep_index: string;
  sweep_hash: string | null;
  sweep_started_at: Date | null;
  full_verified_at: Date | null;
  full_verified_index: string | null;
  broken_index: string | null;
  broken_row_id: string | null;
  broken_problem: BrokenLink['problem'] | null;
  broken_found_at: Date | null;
}

/** The stored break of a checkpoint, as a BrokenLink. */
export function storedBreak(cp: ChainCheckpoint | null): BrokenLink | null {
  return cp?.broken_problem ? { chainKey: cp.chain_key, chainIndex: cp.broken_index!, id: cp.broken_row_id!, problem: cp.broken_problem } : null;
}

/** The chain's checkpoint row, created if missing, locked for this transaction. */
async function lockCheckpoint(tx: Tx, chainKey: string): Promise<ChainCheckpoint> {
  await repo.ensureCheckpoint(tx, chainKey);
  const [cp] = await repo.lockCheckpoint(tx, chainKey);
  return cp!;
}

/** The first break found wins (the lowest entry number): it is where to start looking. */
function breakToStore(cp: ChainCheckpoint, found: BrokenLink | null): BrokenLink | null {
  if (!found) return null;
  if (cp.broken_index !== null && BigInt(cp.broken_index) <= BigInt(found.chainIndex)) return null;
  logger.error({ chain_key: found.chainKey, chain_index: found.chainIndex, row_id: found.id, problem: found.problem }, 'audit chain broken');
  return found;
}

async function storeBreak(tx: Tx, chainKey: string, found: BrokenLink | null, at: Date): Promise<void> {
  if (!found) return;
  await repo.storeBreak(tx, chainKey, found, at);
}

/**
 * Verifies up to `maxEntries` entries from `from`, stepping over a gap of
 * `maxEntries` or more (reported as missing_rows at the entry after it).
 */
async function verifyFrom(tx: Tx, chainKey: string, from: ChainPosition, maxEntries: number, upTo?: string) {
  const segment = await verifyChainSegment(tx, chainKey, from, maxEntries);
  if (segment.checked > 0) return segment;
  const next = await nextEntryAfter(tx, chainKey, from.index);
  if (!next || (upTo !== undefined && BigInt(next.index) > BigInt(upTo))) return segment;
  // Everything between is gone: report it, then go on from the entry after the gap.
  const resumed = await verifyChainSegment(tx, chainKey, { index: (BigInt(next.index) - 1n).toString(), hash: next.prevHash }, maxEntries);
  return { ...resumed, broken: { chainKey, chainIndex: next.index, id: next.id, problem: 'missing_rows' as const } };
}

/**
 * The entry a checkpoint stands on must still carry the hash it had when it
 * was verified: a chain rewritten through it (hashes recomputed) or cut short
 * fails here. Returns where to go on from, and the break if the entry changed.
 */
async function checkAnchor(tx: Tx, cp: ChainCheckpoint, position: { index: string; hash: string | null; id: string | null }) {
  if (position.index === '0') return { from: position, broken: null };
  const [entry] = await repo.entryAt(tx, cp.chain_key, position.index);
  if (entry && entry.row_hash === position.hash) return { from: position, broken: null };
  const broken: BrokenLink = { chainKey: cp.chain_key, chainIndex: position.index, id: entry?.id ?? position.id ?? cp.verified_row_id!, problem: 'checkpoint_changed' };
  if (entry) return { from: { index: position.index, hash: entry.row_hash, id: entry.id }, broken };
  // The entry is gone: go on from the last entry before it.
  const [before] = await repo.lastEntryBefore(tx, cp.chain_key, position.index);
  return { from: before ? { index: before.chain_index, hash: before.row_hash, id: before.id } : { index: '0', hash: null, id: null }, broken };
}

/**
 * Extends one chain's checkpoint to its last entry, one transaction per
 * batch (the checkpoint row is locked, so runs of the job never overlap on a
 * chain). Breaks are recorded and the walk goes on over the chain as it is.
 */
export async function advanceChain(db: ServiceDb, chainKey: string, now: Date, batchSize = VERIFY_BATCH_SIZE): Promise<{ verified: number; broken: number }> {
  let verified = 0;
  let broken = 0;
  for (let more = true; more; ) {
    more = await db.begin(async (tx) => {
      const cp = await lockCheckpoint(tx, chainKey);
      const anchor = await checkAnchor(tx, cp, { index: cp.verified_index, hash: cp.verified_hash, id: cp.verified_row_id });
      const segment = await verifyFrom(tx, chainKey, anchor.from, batchSize);
      const found = breakToStore(cp, anchor.broken ?? segment.broken);
      await storeBreak(tx, chainKey, found, now);
      if (found) broken += 1;
      await repo.setVerified(tx, chainKey, { index: segment.last.index, hash: segment.last.hash, rowId: segment.last.id ?? anchor.from.id ?? null, at: now });
      verified += segment.checked;
      // Until a batch finds nothing new (a batch with a gap in it can be short).
      return segment.checked > 0;
    });
  }
  return { verified, broken };
}

/**
 * Advances the sweep of one chain (a re-verification from entry #1 up to the
 * checkpoint) by at most `budget` entries. An entry edited behind the
 * checkpoint around the rules is found here. When the sweep reaches the
 * checkpoint, the pass is recorded (full_verified_at = when it started) and
 * the next run starts again from #1.
 */
export async function sweepChain(db: ServiceDb, chainKey: string, now: Date, budget: number, batchSize = VERIFY_BATCH_SIZE): Promise<{ verified: number; broken: number; completed: boolean }> {
  let verified = 0;
  let broken = 0;
  let completed = false;
  while (verified < budget && !completed) {
    const progressed = await db.begin(async (tx) => {
      const cp = await lockCheckpoint(tx, chainKey);
      const target = BigInt(cp.verified_index);
      const startedAt = cp.sweep_index === '0' ? now : cp.sweep_started_at ?? now;
      const room = Number(target - BigInt(cp.sweep_index));
      const n = Math.min(batchSize, budget - verified, room);
      const segment = n > 0 ? await verifyFrom(tx, chainKey, { index: cp.sweep_index, hash: cp.sweep_hash }, n, cp.verified_index) : null;
      let found = segment?.broken ?? null;
      const reached = segment ? BigInt(segment.last.index) : BigInt(cp.sweep_index);
      // Nothing left before the checkpoint, or the walk arrived there: the pass is over.
      completed = reached >= target || (segment !== null && segment.checked === 0);
      if (completed && !found && (reached !== target || segment?.last.hash !== cp.verified_hash) && target > 0n && segment) {
        // The walk from #1 does not arrive at the checkpoint's hash.
        found = { chainKey, chainIndex: cp.verified_index, id: cp.verified_row_id!, problem: 'checkpoint_changed' };
      }
      const stored = breakToStore(cp, found);
      await storeBreak(tx, chainKey, stored, now);
      if (stored) broken += 1;
      if (completed) {
        await repo.completeSweep(tx, chainKey, startedAt, cp.verified_index);
      } else {
        await repo.advanceSweep(tx, chainKey, { index: segment!.last.index, hash: segment!.last.hash, startedAt });
      }
      verified += segment?.checked ?? 0;
      return (segment?.checked ?? 0) > 0;
    });
    if (!progressed) break;
  }
  return { verified, broken, completed };
}

export interface VerifyRunOptions {
  batchSize?: number;
  /** Entries the sweep may re-verify in this run, over all chains. */
  sweepBudget?: number;
}

/**
 * The audit-chain-verify job: brings every chain's checkpoint up to its last
 * entry (the chains with the fewest new entries first, so one organisation
 * with a huge backlog delays nobody else), then spends at most `sweepBudget`
 * entries (and SWEEP_CHAINS_PER_RUN chains) re-verifying chains from their
 * first entry: a pass in progress first, then chains never walked or walked
 * more than SWEEP_INTERVAL_HOURS ago, oldest first. Idempotent and resumable: every step is
 * committed with its position.
 */
export async function runAuditChainVerification(ctx: { serviceDb: ServiceDb; now: () => Date }, opts: VerifyRunOptions = {}) {
  const db = ctx.serviceDb;
  const now = ctx.now();
  const batchSize = opts.batchSize ?? VERIFY_BATCH_SIZE;
  // Each chain's last entry and whether its checkpoint still stands, with a
  // loose index scan over the distinct chains (one index probe per chain).
  const chains = await repo.chainsToVerify(db);
  const pending = (c: (typeof chains)[number]) => BigInt(c.latest) - BigInt(c.verified_index ?? 0);
  const idle = chains.filter((c) => c.verified_index !== null && c.anchor_ok && pending(c) === 0n).map((c) => c.chain_key);
  const idleSet = new Set(idle);
  const busy = chains.filter((c) => !idleSet.has(c.chain_key)).sort((a, b) => (pending(a) < pending(b) ? -1 : pending(a) > pending(b) ? 1 : 0));
  // `chains`: the chains this run verified or re-verified entries of (an idle run counts none,
  // so its job line stays at debug level; the idle chains' checkpoints are only touched).
  const counts = { chains: busy.length, entries_verified: 0, entries_reverified: 0, sweeps_completed: 0, breaks_found: 0 };
  if (idle.length) {
    await repo.touchVerified(db, idle, now);
  }
  for (const chain of busy) {
    const r = await advanceChain(db, chain.chain_key, now, batchSize);
    counts.entries_verified += r.verified;
    counts.breaks_found += r.broken;
  }

  let budget = opts.sweepBudget ?? SWEEP_ENTRIES_PER_RUN;
  const order = await repo.chainsToSweep(db, now, SWEEP_INTERVAL_HOURS, SWEEP_CHAINS_PER_RUN);
  for (const { chain_key } of order) {
    if (budget <= 0) break;
    const r = await sweepChain(db, chain_key, now, budget, batchSize);
    budget -= r.verified;
    if (r.verified > 0 && !busy.some((c) => c.chain_key === chain_key)) counts.chains += 1;
    counts.entries_reverified += r.verified;
    counts.breaks_found += r.broken;
    if (r.completed) counts.sweeps_completed += 1;
  }
  return counts;
}

export interface ChainStatus {
  checkpoint: ChainCheckpoint | null;
  /** The chain's last entry number (0 for an empty chain). */
  latest: string;
  /** Entries #1 to #checkedThrough are covered: by the job's checkpoint, then by this call. */
  checkedThrough: string;
  /** Entries verified by this call: at most the limit it was given. */
  checkedNow: number;
  /** A break stored by the job, or found by this call. */
  broken: BrokenLink | null;
}

/**
 * A chain's verification state for the trust check: the stored checkpoint,
 * whether the entry it stands on still carries its hash, and at most
 * `maxNewEntries` entries after it verified now. Its cost does not depend on
 * the chain's length: a few index lookups and at most `maxNewEntries` rows.
 */
export async function readChainStatus(db: ServiceDb | Tx, chainKey: string, maxNewEntries: number): Promise<ChainStatus> {
  const [head] = await repo.chainHead(db, chainKey);
  const checkpoint: ChainCheckpoint | null = head!.present ? head! : null;
  let broken = storedBreak(checkpoint);
  let from: ChainPosition = { index: checkpoint?.verified_index ?? '0', hash: checkpoint?.verified_hash ?? null };
  if (checkpoint && from.index !== '0' && head!.anchor_hash !== checkpoint.verified_hash) {
    broken ??= { chainKey, chainIndex: from.index, id: head!.anchor_id ?? checkpoint.verified_row_id!, problem: 'checkpoint_changed' };
    if (head!.anchor_hash) from = { index: from.index, hash: head!.anchor_hash };
  }
  const segment = await verifyChainSegment(db, chainKey, from, maxNewEntries);
  broken ??= segment.broken;
  if (maxNewEntries > 0 && segment.checked === 0 && BigInt(head!.latest) > BigInt(from.index)) {
    // Later entries exist but none of the next `maxNewEntries`: they are gone.
    const next = await nextEntryAfter(db, chainKey, from.index);
    if (next) broken ??= { chainKey, chainIndex: next.index, id: next.id, problem: 'missing_rows' };
  }
  return { checkpoint, latest: head!.latest, checkedThrough: segment.last.index, checkedNow: segment.checked, broken };
}
