import type { AuthContext } from '../auth/auth-middleware.js';
import { SYSTEM_ACTOR, writeAudit, type AuditActor } from '../audit/audit.js';
import * as agentsRepo from '../agents/agents-repo.js';
import * as consentsRepo from '../calls/call-consents-repo.js';
import * as callsRepo from '../calls/calls-repo.js';
import * as leadsRepo from '../calls/leads-repo.js';
import * as recordingsRepo from '../calls/recordings-repo.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import * as deletionsRepo from '../deletions/provider-deletions-repo.js';
import * as exportsRepo from '../exports/exports-repo.js';
import { keyedHash, normaliseEmail } from '../lib/crypto.js';
import { AppError, NotFoundError } from '../lib/errors.js';
import * as holdsRepo from '../legal-holds/legal-holds-repo.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { readOrgPhone } from '../orgs/org-country.js';
import * as orgsRepo from '../orgs/orgs-repo.js';
import * as transcriptsRepo from '../transcripts/transcripts-repo.js';
import { completionNotice, dueSoonPage, extensionNotice, flaggedPage, pageDpo } from './erasure-notices.js';
import * as repo from './erasure-requests-repo.js';
import {
  checkExtensionTerms,
  daysLeft,
  DUE_SOON_DAYS,
  extension,
  flagReason,
  foundAnything,
  nextProgress,
  shownStatus,
  statusAfterExecution,
  type ErasureCounts,
} from './erasure-transitions.js';
import type { ErasureRequestSummary, ErasureSubject, PendingErasureRequest, PublicErasure, PublicErasureInput } from './erasure-types.js';

export { DUE_SOON_DAYS, foundAnything, MAX_EXTENSION_MONTHS, type ErasureCounts } from './erasure-transitions.js';

export interface ErasureDeps extends DeletionWorkerDeps {
  serviceDb: ServiceDb;
  userDb: UserDb;
  mailer: Mailer;
  blindIndexKey: Buffer;
  dpoEmail: string;
  publicBaseUrl: string;
  now?: () => Date;
}

/** The keyed hash of an e-mail address or phone number (the blind index every table is searched by). */
export function subjectHash(key: Buffer, subject: ErasureSubject): Buffer {
  return keyedHash(key, subject.type, subject.value);
}

/**
 * A subject someone of organisation `orgId` gave, as the blind index knows it: an
 * e-mail address lower-case, a phone number read into E.164 in the organisation's
 * country (400 `invalid_phone` when it cannot be read, never a silent miss).
 */
export async function readOrgSubject(tx: Tx, orgId: string, subject: ErasureSubject): Promise<ErasureSubject> {
  return subject.type === 'email'
    ? { type: 'email', value: normaliseEmail(subject.value) }
    : { type: 'phone', value: await readOrgPhone(tx, orgId, subject.value) };
}

/**
 * Erasure (Art. 17, 19): a request erases a person's leads, their calls'
 * personal fields, transcripts, recordings and the keyed hash in proofs of
 * consent and in the records of their exports, in every organisation it
 * applies to, found through blind indexes; the deletions owed to Twilio and
 * ElevenLabs are queued in the same transaction and worked with retries. The
 * audit log records the erasure with the subject's keyed hash and counts,
 * never the erased data. Each request has due_at = verified + one calendar
 * month (a public request is verified by its link or SMS code; one the
 * organisation files is verified as it is filed). What is cleared, column by column, is the personal-data map's
 * (src/privacy/personal-data-map.ts), read by the repos.
 */
export function createErasureService(deps: ErasureDeps) {
  const db = deps.serviceDb;
  const now = deps.now ?? (() => new Date());

  /**
   * Legal holds (Art. 17(3)): an organisation with an active hold on the person
   * keeps its data of them. Each is recorded on the request (with the hold's
   * reason and end, and what is kept, by counts) and audited in that
   * organisation; the request stays open there until the hold ends
   * (releaseHeld). Returns the organisations to leave out.
   */
  async function applyHolds(tx: Tx, requestId: string, hash: Buffer, orgId: string | null, actor: AuditActor): Promise<string[]> {
    const holds = await holdsRepo.activeHoldsOn(tx, hash, orgId, now());
    for (const h of holds) {
      const calls = await callsRepo.findSubjectCalls(tx, hash, h.org_id);
      const leads = await leadsRepo.countSubjectLeads(tx, hash, h.org_id);
      await holdsRepo.recordRequestHold(tx, {
        requestId,
        orgId: h.org_id,
        holdId: h.id,
        reason: h.reason,
        heldUntil: h.held_until,
        heldCounts: { calls: calls.length, leads },
      });
      await writeAudit(tx, actor, {
        orgId: h.org_id,
        action: 'erasure.held',
        targetType: 'erasure_request',
        targetId: requestId,
        metadata: { subject_hash: hash.toString('hex'), hold_id: h.id, held_until: h.held_until ? h.held_until.toISOString() : null },
      });
    }
    return holds.map((h) => h.org_id);
  }

  /** Erases one subject within `orgId` (or every organisation when null), except where a legal hold keeps it; returns counts. */
  async function eraseSubject(tx: Tx, requestId: string, hash: Buffer, orgId: string | null, actor: AuditActor): Promise<{ counts: ErasureCounts; organizations: string[] }> {
    const held = await applyHolds(tx, requestId, hash, orgId, actor);
    const calls = await callsRepo.findSubjectCalls(tx, hash, orgId, held);
    const callIds = calls.map((c) => c.id);
    const recordings = callIds.length ? await recordingsRepo.recordingsOfCalls(tx, callIds) : [];

    let queued = 0;
    for (const r of recordings) {
      await queueProviderDeletion(tx, { orgId: r.org_id, provider: 'twilio', resourceType: 'recording', resourceId: r.twilio_recording_sid, reason: 'erasure', erasureRequestId: requestId });
      queued += 1;
      // A recording delivered to the organisation's own store is deleted there too (the row is the receipt).
      if (r.storage_object_key) {
        await queueProviderDeletion(tx, { orgId: r.org_id, provider: 'customer_storage', resourceType: 'object', resourceId: r.storage_object_key, reason: 'erasure', erasureRequestId: requestId });
        queued += 1;
      }
    }
    for (const c of calls) {
      if (!c.elevenlabs_conversation_id) continue;
      await queueProviderDeletion(tx, { orgId: c.org_id, provider: 'elevenlabs', resourceType: 'conversation', resourceId: c.elevenlabs_conversation_id, reason: 'erasure', erasureRequestId: requestId });
      queued += 1;
    }
    // A deletion already queued for another reason (e.g. retention) still counts for this request.
    if (recordings.length || calls.some((c) => c.elevenlabs_conversation_id)) {
      await deletionsRepo.attachDeletions(tx, requestId, {
        recordingSids: recordings.map((r) => r.twilio_recording_sid),
        conversationIds: calls.map((c) => c.elevenlabs_conversation_id).filter((x): x is string => Boolean(x)),
      });
    }

    const transcripts = callIds.length ? await transcriptsRepo.deleteTranscriptsOfCalls(tx, callIds) : { count: 0 };
    const recs = callIds.length ? await recordingsRepo.deleteRecordingsOfCalls(tx, callIds) : { count: 0 };
    const leads = await leadsRepo.deleteSubjectLeads(tx, hash, callIds, orgId, held);
    const scrubbed = callIds.length ? await callsRepo.scrubCalls(tx, callIds) : { count: 0 };
    const consents = await consentsRepo.eraseSubjectConsents(tx, hash, callIds, orgId, held);
    // The record that an export was made stays; it stops pointing at the person.
    await exportsRepo.eraseExportSubject(tx, hash, orgId, held);
    // So does the record of a hold that has ended: it stops pointing at the person too.
    await holdsRepo.clearEndedHolds(tx, hash, orgId, held, now());

    const counts: ErasureCounts = {
      calls_scrubbed: scrubbed.count,
      leads_deleted: leads.count,
      transcripts_deleted: transcripts.count,
      recordings_deleted: recs.count,
      consents_scrubbed: consents.count,
      provider_deletions_queued: queued,
      organizations: 0,
    };
    // One audit row in each organisation touched (and in the requesting one), with the keyed hash only.
    const touched = new Set([...calls.map((c) => c.org_id), ...leads.map((l) => l.org_id)]);
    counts.organizations = touched.size;
    const orgs = new Set(touched);
    if (orgId) orgs.add(orgId);
    // A public request (no organisation) is also recorded in the platform's own chain.
    for (const org of orgId ? [...orgs] : [...orgs, null]) {
      await writeAudit(tx, actor, {
        orgId: org,
        action: 'erasure.executed',
        targetType: 'erasure_request',
        targetId: requestId,
        metadata: { subject_hash: hash.toString('hex'), counts },
      });
    }
    return { counts, organizations: [...touched] };
  }

  async function execute(tx: Tx, request: repo.RequestToExecute, actor: AuditActor) {
    const { counts, organizations } = await eraseSubject(tx, request.id, request.subject_hash, request.org_id, actor);
    const status = statusAfterExecution(await deletionsRepo.countOpenDeletions(tx, request.id));
    return repo.recordExecution(tx, request.id, { status, counts, organizations, completedAt: status === 'completed' ? now() : null });
  }

  /** After provider work: completes requests whose deletions are all done, flags those that failed. */
  async function progress(): Promise<{ completed: number; flagged: number; notified: number }> {
    const result = { completed: 0, flagged: 0, notified: 0 };
    for (const r of await repo.listInProgress(db)) {
      const next = nextProgress(r);
      if (next === 'flag') {
        if (await repo.flagRequest(db, r.id, flagReason(r.failed))) {
          result.flagged += 1;
          await pageDpo(deps.mailer, deps.dpoEmail, flaggedPage(r.id, r.failed));
        }
      } else if (next === 'complete') {
        if (await repo.completeRequest(db, r.id)) result.completed += 1;
      }
    }
    result.notified = await notifyCompleted();
    return result;
  }

  /**
   * E-mails each completed request's requester once, then forgets their address. Each request is
   * claimed with its row lock held until the e-mail is sent, so two workers never both send it and a
   * crash before the commit leaves it to the next run.
   */
  async function notifyCompleted(): Promise<number> {
    let sent = 0;
    for (let i = 0; i < 100; i += 1) {
      const outcome = await db.begin(async (tx) => {
        const r = await repo.claimCompletionNotice(tx);
        if (!r) return 'none' as const;
        // Art. 12(4): where a legal hold kept data, the requester is told which organisation keeps what, and why.
        const holds = (await holdsRepo.listRequestHolds(tx, [r.id])).filter((h) => !h.erased_at);
        try {
          await deps.mailer.send({ to: r.contact_email, ...completionNotice(r.id, holds) });
        } catch (err) {
          logger.warn({ erasure_request_id: r.id, err_name: (err as Error).name }, 'completion e-mail not sent yet; retried next run');
          return 'failed' as const;
        }
        await repo.markCompletionNotified(tx, r.id);
        return 'sent' as const;
      });
      if (outcome !== 'sent') break;
      sent += 1;
    }
    return sent;
  }

  const service = {
    /** Public request, unconfirmed: the same work whether or not we hold anything. */
    async filePublicRequest(input: PublicErasureInput): Promise<PendingErasureRequest> {
      const row = await repo.insertPublicRequest(db, {
        subjectType: input.subject.type,
        subjectHash: subjectHash(deps.blindIndexKey, input.subject),
        contactEmail: input.contactEmail ? normaliseEmail(input.contactEmail) : null,
        receivedAt: now(),
      });
      await writeAudit(db, { type: 'public' }, { orgId: null, action: 'erasure.requested', targetType: 'erasure_request', targetId: row.id, metadata: { source: 'public', subject_type: input.subject.type } });
      return row;
    },

    /**
     * The requester proved the address or number: confirm and erase everywhere, in the caller's
     * transaction `tx`, so that the proof being used up (link, code) and the erasure commit together
     * or not at all. Confirming twice is a no-op. Once `tx` has committed, call startProviderWork().
     */
    async confirmPublicRequestIn(tx: Tx, requestId: string): Promise<ErasureRequestSummary> {
      const request = await repo.lockPublicRequest(tx, requestId);
      if (!request) throw new NotFoundError('No such erasure request.');
      if (request.status !== 'pending_confirmation') return (await repo.findSummary(tx, requestId))!;
      await repo.markConfirmed(tx, requestId);
      return execute(tx, request, { type: 'public' });
    },

    /** Confirms a public request in a transaction of its own (see confirmPublicRequestIn), providers next. */
    async confirmPublicRequest(requestId: string): Promise<ErasureRequestSummary> {
      const summary = await db.begin((tx) => service.confirmPublicRequestIn(tx, requestId));
      service.startProviderWork();
      return summary;
    },

    /** Works the deletions owed to Twilio and ElevenLabs now, in the background (the job retries what fails). */
    startProviderWork(): void {
      void service.workProviders().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'provider deletions after an erasure failed'));
    },

    /**
     * Dashboard: an owner or admin erases a person from their organisation. A phone
     * number is read in the organisation's country. The answer says whether anything
     * was found (`found: false` and zero counts when not).
     */
    async fileDashboardRequest(
      auth: AuthContext,
      orgId: string,
      subject: ErasureSubject,
    ): Promise<Omit<ErasureRequestSummary, 'status'> & { status: ErasureRequestSummary['status'] | 'nothing_found' | 'held'; found: boolean; held: boolean }> {
      const request = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const hash = subjectHash(deps.blindIndexKey, await readOrgSubject(tx, orgId, subject));
        const id = await repo.insertDashboardRequest(tx, { orgId, subjectType: subject.type, subjectHash: hash });
        await writeAudit(tx, auth.actor, { orgId, action: 'erasure.requested', targetType: 'erasure_request', targetId: id, metadata: { source: 'dashboard', subject_type: subject.type } });
        return { id, hash };
      });
      // The erasure itself runs on the backend's connection: it must reach rows (e.g. other
      // people's consent records of the same call) whatever the requester may see.
      const summary = await db.begin((tx) => execute(tx, { id: request.id, org_id: orgId, subject_hash: request.hash }, auth.actor));
      service.startProviderWork();
      const found = foundAnything(summary.counts);
      // The organisation's own legal hold on the person: nothing erased until it ends.
      const held = (await holdsRepo.listRequestHolds(db, [request.id])).some((h) => !h.erased_at);
      return { ...summary, status: held ? 'held' : shownStatus(summary.status, found), found, held };
    },

    async list(auth: AuthContext, orgId: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const requests = await repo.listOrgRequests(tx, orgId);
        const ids = requests.map((r) => r.id as string);
        const receipts = ids.length ? await deletionsRepo.listReceipts(tx, ids) : [];
        const holds = ids.length ? await holdsRepo.listRequestHolds(tx, ids) : [];
        return requests.map((r) => {
          // Known once the erasure ran (a person's request; account deletions have other counts).
          const found = r.counts && 'calls_scrubbed' in r.counts ? foundAnything(r.counts as ErasureCounts) : null;
          const own = holds.filter((h) => h.request_id === r.id).map(({ request_id: _r, org_name: _n, ...h }) => h);
          return {
            ...r,
            // The request log: which identity check it passed, when, and the deadline from then.
            identity_check: r.identity_check as string | null,
            verified_at: r.verified_at as Date | null,
            due_at: r.due_at as Date | null,
            status: own.some((h) => !h.erased_at) ? 'held' : shownStatus(r.status as ErasureRequestSummary['status'], found),
            found,
            legal_holds: own,
            receipts: receipts.filter((x) => x.erasure_request_id === r.id).map(({ erasure_request_id: _e, ...x }) => x),
          };
        });
      });
    },

    /**
     * An owner or admin extends one of their organisation's requests: the role and
     * the request's organisation are checked under RLS before the extension runs.
     */
    async extendOrgRequest(auth: AuthContext, orgId: string, requestId: string, months: number, reason: string, opts: { requesterEmail?: string } = {}) {
      await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        if (!(await repo.isOrgRequest(tx, orgId, requestId))) throw new NotFoundError('No such erasure request in this organisation.');
      });
      return service.extend(requestId, months, reason, auth.actor, opts);
    },

    /**
     * Extends a request's deadline by up to two months: valid only before the
     * deadline and only when the requester is told, with the reasons.
     */
    async extend(requestId: string, months: number, reason: string, actor: AuditActor = SYSTEM_ACTOR, opts: { requesterEmail?: string } = {}) {
      checkExtensionTerms(months, reason);
      const r = await repo.findForExtension(db, requestId);
      if (!r) throw new NotFoundError('No such erasure request.');
      const { until, to } = extension(r, months, now(), opts.requesterEmail);
      await deps.mailer.send({ to, ...extensionNotice(r.id, until, reason) });
      await repo.recordExtension(db, requestId, until, reason);
      await writeAudit(db, actor, { orgId: r.org_id, action: 'erasure.extended', targetType: 'erasure_request', targetId: r.id, metadata: { months } });
      // extension() refused a request without a deadline (unverified).
      return { id: r.id, due_at: r.due_at as Date, extended_until: until };
    },

    /** Works the provider queue, then completes, flags and notifies. */
    async workProviders() {
      const deletions = await runProviderDeletions(deps);
      const progressed = await progress();
      return { ...deletions, ...progressed };
    },

    /**
     * Public requests never confirmed (the link lasts 24 hours) are cancelled
     * after two days, and the address they carried is forgotten.
     */
    async expireUnconfirmed(): Promise<{ expired: number }> {
      return { expired: await repo.cancelUnconfirmed(db, now()) };
    },

    /**
     * Carries out the erasure a legal hold kept back, once the hold has ended or
     * its `until` has passed: the request stayed open for that organisation. Each
     * held part is claimed with its row lock (others' claims are skipped) and
     * erased within that organisation, in one transaction with its record.
     */
    async releaseHeld(): Promise<{ released: number }> {
      let released = 0;
      for (let i = 0; i < 20; i += 1) {
        const n = await db.begin(async (tx) => {
          const rows = await holdsRepo.claimReleasedHolds(tx, now(), 10);
          for (const r of rows) {
            const { counts } = await eraseSubject(tx, r.request_id, r.subject_hash, r.org_id, SYSTEM_ACTOR);
            await holdsRepo.markRequestHoldErased(tx, r.id, r.request_id, r.org_id, counts);
          }
          return rows.length;
        });
        released += n;
        if (n < 10) break;
      }
      return { released };
    },

    /**
     * Executes confirmed requests that have not run yet (a crash between
     * confirming and erasing): erasure is idempotent, so running again is safe.
     */
    async resumeConfirmed(): Promise<{ resumed: number }> {
      const rows = await repo.listStaleConfirmed(db, now());
      let resumed = 0;
      for (const { id } of rows) {
        await db.begin(async (tx) => {
          const request = await repo.lockConfirmed(tx, id);
          if (request) {
            await execute(tx, request, SYSTEM_ACTOR);
            resumed += 1;
          }
        });
      }
      return { resumed };
    },

    /**
     * Deletes a whole customer account: every row of the organisation, and at
     * the providers its recordings, conversations and agents (queued first, so
     * an outage delays them and loses nothing). A request row is kept as the receipt.
     */
    async deleteAccount(auth: AuthContext, orgId: string): Promise<ErasureRequestSummary> {
      await deps.userDb.run(auth.claims, (tx) => requireOrgRole(tx, orgId, ['owner']));
      // Deleting the account would remove data a legal hold keeps (Art. 17(3)): end the holds first.
      if (await holdsRepo.orgHasActiveHold(db, orgId, now())) {
        throw new AppError(409, 'legal_hold_active', 'The organisation has an active legal hold: its held data cannot be deleted. End the holds (or wait until they run out), then delete the account.');
      }
      const summary = await db.begin(async (tx) => {
        const requestId = await repo.insertAccountDeletion(tx, orgId, auth.userId);
        const recordings = await recordingsRepo.liveRecordingSidsOfOrg(tx, orgId);
        const conversations = await callsRepo.conversationIdsOfOrg(tx, orgId);
        const agents = await agentsRepo.platformAgentIdsOfOrg(tx, orgId);
        for (const r of recordings) await queueProviderDeletion(tx, { orgId, provider: 'twilio', resourceType: 'recording', resourceId: r.sid, reason: 'account_deletion', erasureRequestId: requestId });
        for (const c of conversations) await queueProviderDeletion(tx, { orgId, provider: 'elevenlabs', resourceType: 'conversation', resourceId: c.id, reason: 'account_deletion', erasureRequestId: requestId });
        for (const a of agents) await queueProviderDeletion(tx, { orgId, provider: 'elevenlabs', resourceType: 'agent', resourceId: a.id, reason: 'account_deletion', erasureRequestId: requestId });
        const counts = { recordings: recordings.length, conversations: conversations.length, agents: agents.length };
        await writeAudit(tx, auth.actor, { orgId, action: 'organization.deleted', targetType: 'organization', targetId: orgId, metadata: { request_id: requestId, counts } });
        await writeAudit(tx, auth.actor, { orgId: null, action: 'organization.deleted', targetType: 'organization', targetId: orgId, metadata: { request_id: requestId, counts } });
        // Proof-of-consent rows outlive the organisation without pointing at anyone.
        await consentsRepo.clearOrgConsents(tx, orgId);
        await orgsRepo.deleteOrganization(tx, orgId);
        return repo.setCounts(tx, requestId, counts);
      });
      void service.workProviders().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'provider deletions after an account deletion failed'));
      return summary;
    },

    progress,

    /** Pages the DPO about each open request within five days of its deadline (once per request). */
    async pageDueSoon(): Promise<{ paged: number }> {
      const rows = await repo.listDueSoon(db, now(), DUE_SOON_DAYS);
      let paged = 0;
      for (const r of rows) {
        const ok = await pageDpo(deps.mailer, deps.dpoEmail, dueSoonPage(r.id, r.deadline, daysLeft(r.deadline, now())));
        if (ok) {
          await repo.markDueSoonPaged(db, r.id);
          paged += 1;
        }
      }
      return { paged };
    },
  };
  return service;
}

export type ErasureService = ReturnType<typeof createErasureService> & PublicErasure;
