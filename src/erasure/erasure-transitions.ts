/**
 * The life of an erasure request, as pure rules: received (public:
 * pending_confirmation) → confirmed → executed, then completed once every
 * provider deletion is done, or flagged when one failed for good; a deadline
 * one month after verification (Art. 12(3); it does not run while the
 * requester's identity is unproven), extended once by at most two months.
 * The service applies them; the repos store the result.
 */
import { ConflictError, UnprocessableError } from '../lib/errors.js';
import type { ErasureRequestSummary } from './erasure-types.js';

/** Art. 12(3): one month to answer, and at most two more if the person is told why in time. */
export const MAX_EXTENSION_MONTHS = 2;
/** A request this close to its deadline and not done pages the DPO. */
export const DUE_SOON_DAYS = 5;

export interface ErasureCounts {
  calls_scrubbed: number;
  leads_deleted: number;
  transcripts_deleted: number;
  recordings_deleted: number;
  consents_scrubbed: number;
  provider_deletions_queued: number;
  organizations: number;
}

/** Whether an erasure found anything of the person (its counts are all zero when not). */
export function foundAnything(counts: Partial<ErasureCounts>): boolean {
  const { organizations: _orgs, ...erased } = counts;
  return Object.values(erased).some((n) => typeof n === 'number' && n > 0);
}

/**
 * The status an organisation is shown: a request that ran and found nothing of
 * the person is `nothing_found`, not `completed` (stored as completed: the
 * public flow must not tell the two apart, and its events stay the same).
 */
export function shownStatus(status: ErasureRequestSummary['status'], found: boolean | null): ErasureRequestSummary['status'] | 'nothing_found' {
  return status === 'completed' && found === false ? 'nothing_found' : status;
}

/** After the erasure ran: done at once when no provider deletion is still open, else in progress. */
export function statusAfterExecution(openDeletions: number): 'completed' | 'in_progress' {
  return openDeletions === 0 ? 'completed' : 'in_progress';
}

/** A request in progress, by its provider deletions: flagged when one failed for good, completed when none is pending. */
export function nextProgress(deletions: { failed: number; open: number }): 'flag' | 'complete' | 'wait' {
  if (deletions.failed > 0) return 'flag';
  return deletions.open === 0 ? 'complete' : 'wait';
}

/** Why a request was flagged (stored with it). */
export function flagReason(failed: number): string {
  return `${failed} deletion(s) at a provider failed after retries`;
}

/** Checks an extension's terms before anything is read: one or two months, with reasons for the requester. */
export function checkExtensionTerms(months: number, reason: string): void {
  if (months < 1 || months > MAX_EXTENSION_MONTHS) throw new UnprocessableError('invalid_extension', 'An extension is one or two months.');
  if (reason.trim().length < 10) throw new UnprocessableError('invalid_extension', 'Give the requester the reasons for the extension.');
}

/**
 * The new deadline of a request extended by `months`, and whom to tell: valid
 * only for an open request not extended before, before its deadline, and when
 * the requester can be told (the request's address, or one the organisation gives).
 */
export function extension(
  r: { status: string; due_at: Date | null; extended_until: Date | null; contact_email: string | null },
  months: number,
  now: Date,
  requesterEmail?: string,
): { until: Date; to: string } {
  if (r.status === 'completed' || r.status === 'cancelled') throw new ConflictError('That request is closed.');
  if (r.extended_until) throw new ConflictError('That request was already extended.');
  // The month runs from verification: an unverified request has no deadline to extend.
  if (!r.due_at) throw new ConflictError('That request is not verified yet: its deadline has not started.');
  if (now >= r.due_at) throw new UnprocessableError('extension_too_late', 'The one-month deadline has passed: an extension is only valid if the requester is told before it.');
  // A dashboard request has no address of ours: the organisation gives one to tell (and it is not kept).
  const to = r.contact_email ?? requesterEmail;
  if (!to) throw new UnprocessableError('requester_unreachable', 'We have no address to tell the requester (give requester_email), so an extension would not be valid.');
  const until = new Date(r.due_at);
  until.setUTCMonth(until.getUTCMonth() + months);
  return { until, to };
}

/** Whole days from `now` to `deadline`, rounded up (zero or less: due now). */
export function daysLeft(deadline: Date, now: Date): number {
  return Math.ceil((deadline.getTime() - now.getTime()) / 86_400_000);
}
