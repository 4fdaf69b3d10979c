import type { AuthContext } from '../auth/auth-middleware.js';
import { SYSTEM_ACTOR, writeAudit, type AuditActor } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { queueProviderDeletion, runProviderDeletions, type DeletionWorkerDeps } from '../deletions/provider-deletions.js';
import { keyedHash, normaliseEmail } from '../lib/crypto.js';
import { ConflictError, NotFoundError, UnprocessableError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import type { Mailer } from '../lib/mailer.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { readOrgPhone } from '../orgs/org-country.js';
import type { ErasureRequestSummary, ErasureSubject, PublicErasure, PublicErasureInput } from './erasure-types.js';

/** Art. 12(3): one month to answer, and at most two more if the person is told why in time. */
export const MAX_EXTENSION_MONTHS = 2;
/** A request this close to its deadline and not done pages the DPO. */
export const DUE_SOON_DAYS = 5;

export interface ErasureDeps extends DeletionWorkerDeps {
  serviceDb: ServiceDb;
  userDb: UserDb;
  mailer: Mailer;
  blindIndexKey: Buffer;
  dpoEmail: string;
  publicBaseUrl: string;
  now?: () => Date;
}

export interface ErasureCounts {
  calls_scrubbed: number;
  leads_deleted: number;
  transcripts_deleted: number;
  recordings_deleted: number;
  consents_scrubbed: number;
  provider_deletions_queued: number;
  organizations: number;
}

const SUMMARY_COLUMNS = 'id, org_id, source, subject_type, status, received_at, confirmed_at, due_at, extended_until, completed_at, flagged_at, counts';

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
 * The status an organisation is shown: a request that ran and found nothing of
 * the person is `nothing_found`, not `completed` (stored as completed: the
 * public flow must not tell the two apart, and its events stay the same).
 */
function shownStatus(status: ErasureRequestSummary['status'], found: boolean | null): ErasureRequestSummary['status'] | 'nothing_found' {
  return status === 'completed' && found === false ? 'nothing_found' : status;
}

/** Whether an erasure found anything of the person (its counts are all zero when not). */
export function foundAnything(counts: Partial<ErasureCounts>): boolean {
  const { organizations: _orgs, ...erased } = counts;
  return Object.values(erased).some((n) => typeof n === 'number' && n > 0);
}

/**
 * Erasure (Art. 17, 19): a request erases a person's leads, their calls'
 * personal fields, transcripts, recordings and the keyed hash in proofs of
 * consent, in every organisation it applies to, found through blind indexes;
 * the deletions owed to Twilio and ElevenLabs are queued in the same
 * transaction and worked with retries. The audit log records the erasure with
 * the subject's keyed hash and counts, never the erased data. Each request
 * has due_at = received + one calendar month.
 */
export function createErasureService(deps: ErasureDeps) {
  const db = deps.serviceDb;
  const now = deps.now ?? (() => new Date());

  /** Erases one subject within `orgId` (or every organisation when null); returns counts. */
  async function eraseSubject(tx: Tx, requestId: string, hash: Buffer, orgId: string | null, actor: AuditActor): Promise<{ counts: ErasureCounts; organizations: string[] }> {
    const scope = orgId ? tx`and org_id = ${orgId}` : tx``;
    // The person's calls: dialled from their number, or linked to a lead with their address or number.
    const calls = await tx<{ id: string; org_id: string; elevenlabs_conversation_id: string | null }[]>`
      select id, org_id, elevenlabs_conversation_id from public.calls where from_hash = ${hash} ${scope}
      union
      select c.id, c.org_id, c.elevenlabs_conversation_id from public.calls c
      join public.leads l on l.call_id = c.id
      where (l.phone_hash = ${hash} or l.email_hash = ${hash}) ${orgId ? tx`and l.org_id = ${orgId}` : tx``}`;
    const callIds = calls.map((c) => c.id);
    const recordings = callIds.length
      ? await tx<{ org_id: string; twilio_recording_sid: string }[]>`
          select org_id, twilio_recording_sid from public.recordings where call_id = any(${callIds}::uuid[])`
      : [];

    let queued = 0;
    for (const r of recordings) {
      await queueProviderDeletion(tx, { orgId: r.org_id, provider: 'twilio', resourceType: 'recording', resourceId: r.twilio_recording_sid, reason: 'erasure', erasureRequestId: requestId });
      queued += 1;
    }
    for (const c of calls) {
      if (!c.elevenlabs_conversation_id) continue;
      await queueProviderDeletion(tx, { orgId: c.org_id, provider: 'elevenlabs', resourceType: 'conversation', resourceId: c.elevenlabs_conversation_id, reason: 'erasure', erasureRequestId: requestId });
      queued += 1;
    }
    // A deletion already queued for another reason (e.g. retention) still counts for this request.
    if (recordings.length || calls.some((c) => c.elevenlabs_conversation_id)) {
      await tx`
        update public.provider_deletions set erasure_request_id = coalesce(erasure_request_id, ${requestId})
        where (provider = 'twilio' and resource_type = 'recording' and resource_id = any(${recordings.map((r) => r.twilio_recording_sid)}::text[]))
           or (provider = 'elevenlabs' and resource_type = 'conversation'
               and resource_id = any(${calls.map((c) => c.elevenlabs_conversation_id).filter((x): x is string => Boolean(x))}::text[]))`;
    }

    const transcripts = callIds.length ? await tx`delete from public.transcripts where call_id = any(${callIds}::uuid[])` : { count: 0 };
    const recs = callIds.length ? await tx`delete from public.recordings where call_id = any(${callIds}::uuid[])` : { count: 0 };
    const leads = await tx<{ org_id: string }[]>`
      delete from public.leads
      where (phone_hash = ${hash} or email_hash = ${hash} ${callIds.length ? tx`or call_id = any(${callIds}::uuid[])` : tx``}) ${scope}
      returning org_id`;
    const scrubbed = callIds.length
      ? await tx`
          update public.calls set from_number = null, from_hash = null, elevenlabs_conversation_id = null,
            answer_twiml = null, erased_at = now()
          where id = any(${callIds}::uuid[])`
      : { count: 0 };
    const consents = await tx`
      update public.call_consents set caller_hash = null, erased_at = now()
      where (caller_hash = ${hash} ${callIds.length ? tx`or call_id = any(${callIds}::uuid[])` : tx``}) ${scope}
        and (caller_hash is not null or erased_at is null)`;

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
    for (const org of orgs) {
      await writeAudit(tx, actor, {
        orgId: org,
        action: 'erasure.executed',
        targetType: 'erasure_request',
        targetId: requestId,
        metadata: { subject_hash: hash.toString('hex'), counts },
      });
    }
    if (!orgId) {
      await writeAudit(tx, actor, {
        orgId: null,
        action: 'erasure.executed',
        targetType: 'erasure_request',
        targetId: requestId,
        metadata: { subject_hash: hash.toString('hex'), counts },
      });
    }
    return { counts, organizations: [...touched] };
  }

  async function execute(tx: Tx, request: { id: string; org_id: string | null; subject_hash: Buffer }, actor: AuditActor) {
    const { counts, organizations } = await eraseSubject(tx, request.id, request.subject_hash, request.org_id, actor);
    const [pending] = await tx<{ n: number }[]>`
      select count(*)::int as n from public.provider_deletions where erasure_request_id = ${request.id} and status <> 'done'`;
    const done = pending!.n === 0;
    const [row] = await tx<ErasureRequestSummary[]>`
      update public.erasure_requests
      set status = ${done ? 'completed' : 'in_progress'}, counts = ${tx.json(counts as never)},
          affected_org_ids = ${organizations}::uuid[],
          completed_at = ${done ? now() : null}
      where id = ${request.id}
      returning ${tx.unsafe(SUMMARY_COLUMNS)}`;
    return row!;
  }

  /** After provider work: completes requests whose deletions are all done, flags those that failed. */
  async function progress(): Promise<{ completed: number; flagged: number; notified: number }> {
    const result = { completed: 0, flagged: 0, notified: 0 };
    const rows = await db<{ id: string; failed: number; open: number }[]>`
      select r.id,
        count(*) filter (where d.status = 'failed')::int as failed,
        count(*) filter (where d.status = 'pending')::int as open
      from public.erasure_requests r
      left join public.provider_deletions d on d.erasure_request_id = r.id
      where r.status = 'in_progress'
      group by r.id`;
    for (const r of rows) {
      if (r.failed > 0) {
        const [flagged] = await db`
          update public.erasure_requests set status = 'flagged', flagged_at = now(),
            flag_reason = ${`${r.failed} deletion(s) at a provider failed after retries`}
          where id = ${r.id} and status = 'in_progress' returning id`;
        if (flagged) {
          result.flagged += 1;
          await pageDpo(`Erasure request ${r.id} needs a person`, [
            `Erasure request ${r.id} could not be completed: ${r.failed} deletion(s) at Twilio or ElevenLabs failed after retries.`,
            'The request is flagged, not dropped. See runbooks/erasure.md: look at provider_deletions for this request, fix the cause, and re-queue.',
          ]);
        }
      } else if (r.open === 0) {
        const [completed] = await db`
          update public.erasure_requests set status = 'completed', completed_at = now()
          where id = ${r.id} and status = 'in_progress' returning id`;
        if (completed) result.completed += 1;
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
        const [r] = await tx<{ id: string; contact_email: string }[]>`
          select id, contact_email from public.erasure_requests
          where status = 'completed' and contact_email is not null and completion_notified_at is null
          limit 1 for update skip locked`;
        if (!r) return 'none' as const;
        try {
          await deps.mailer.send({
            to: r.contact_email,
            subject: 'Your erasure request is complete / Ihr Löschantrag ist erledigt',
            text: [
              `Your request ${r.id} to erase your personal data is complete. We have deleted what we held about you, and asked our processors (Twilio, ElevenLabs) to delete their copies; they have confirmed.`,
              '',
              `Ihr Antrag ${r.id} auf Löschung Ihrer personenbezogenen Daten ist erledigt. Wir haben gelöscht, was wir über Sie gespeichert hatten, und unsere Auftragsverarbeiter (Twilio, ElevenLabs) haben die Löschung ihrer Kopien bestätigt.`,
            ].join('\n'),
          });
        } catch (err) {
          logger.warn({ erasure_request_id: r.id, err_name: (err as Error).name }, 'completion e-mail not sent yet; retried next run');
          return 'failed' as const;
        }
        await tx`update public.erasure_requests set completion_notified_at = now(), contact_email = null where id = ${r.id}`;
        return 'sent' as const;
      });
      if (outcome !== 'sent') break;
      sent += 1;
    }
    return sent;
  }

  async function pageDpo(subject: string, lines: string[]): Promise<boolean> {
    try {
      await deps.mailer.send({ to: deps.dpoEmail, subject, text: lines.join('\n') });
      return true;
    } catch (err) {
      logger.error({ err_name: (err as Error).name }, 'could not e-mail the DPO');
      return false;
    }
  }

  const service = {
    /** Public request, unconfirmed: the same work whether or not we hold anything. */
    async filePublicRequest(input: PublicErasureInput): Promise<ErasureRequestSummary> {
      const [row] = await db<ErasureRequestSummary[]>`
        insert into public.erasure_requests (org_id, source, subject_type, subject_hash, contact_email, status, received_at, due_at)
        values (null, 'public', ${input.subject.type}, ${subjectHash(deps.blindIndexKey, input.subject)},
                ${input.contactEmail ? normaliseEmail(input.contactEmail) : null}, 'pending_confirmation',
                ${now()}, ${now()}::timestamptz + interval '1 month')
        returning ${db.unsafe(SUMMARY_COLUMNS)}`;
      await writeAudit(db, { type: 'public' }, { orgId: null, action: 'erasure.requested', targetType: 'erasure_request', targetId: row!.id, metadata: { source: 'public', subject_type: input.subject.type } });
      return row!;
    },

    /**
     * The requester proved the address or number: confirm and erase everywhere, in the caller's
     * transaction `tx`, so that the proof being used up (link, code) and the erasure commit together
     * or not at all. Confirming twice is a no-op. Once `tx` has committed, call startProviderWork().
     */
    async confirmPublicRequestIn(tx: Tx, requestId: string): Promise<ErasureRequestSummary> {
      const [request] = await tx<{ id: string; org_id: string | null; subject_hash: Buffer; status: string }[]>`
        select id, org_id, subject_hash, status from public.erasure_requests
        where id = ${requestId} and source = 'public' for update`;
      if (!request) throw new NotFoundError('No such erasure request.');
      if (request.status !== 'pending_confirmation') {
        const [row] = await tx<ErasureRequestSummary[]>`select ${tx.unsafe(SUMMARY_COLUMNS)} from public.erasure_requests where id = ${requestId}`;
        return row!;
      }
      await tx`update public.erasure_requests set status = 'confirmed', confirmed_at = now() where id = ${requestId}`;
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
    ): Promise<Omit<ErasureRequestSummary, 'status'> & { status: ErasureRequestSummary['status'] | 'nothing_found'; found: boolean }> {
      const request = await deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const hash = subjectHash(deps.blindIndexKey, await readOrgSubject(tx, orgId, subject));
        const [row] = await tx<{ id: string }[]>`
          insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
          values (${orgId}, 'dashboard', ${subject.type}, ${hash}, 'confirmed', auth.uid(), now(), now() + interval '1 month')
          returning id`;
        await writeAudit(tx, auth.actor, { orgId, action: 'erasure.requested', targetType: 'erasure_request', targetId: row!.id, metadata: { source: 'dashboard', subject_type: subject.type } });
        return { id: row!.id, hash };
      });
      // The erasure itself runs on the backend's connection: it must reach rows (e.g. other
      // people's consent records of the same call) whatever the requester may see.
      const summary = await db.begin((tx) => execute(tx, { id: request.id, org_id: orgId, subject_hash: request.hash }, auth.actor));
      service.startProviderWork();
      const found = foundAnything(summary.counts);
      return { ...summary, status: shownStatus(summary.status, found), found };
    },

    async list(auth: AuthContext, orgId: string) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const requests = await tx`
          select ${tx.unsafe(SUMMARY_COLUMNS)}, extension_reason, extension_notified_at
          from public.erasure_requests where org_id = ${orgId} order by received_at desc limit 200`;
        const ids = requests.map((r) => r.id as string);
        const receipts = ids.length
          ? await tx`
              select erasure_request_id, provider, resource_type, resource_id, status, attempts, provider_status, done_at, last_error
              from public.provider_deletions where erasure_request_id = any(${ids}::uuid[]) order by created_at`
          : [];
        return requests.map((r) => {
          // Known once the erasure ran (a person's request; account deletions have other counts).
          const found = r.counts && 'calls_scrubbed' in r.counts ? foundAnything(r.counts as ErasureCounts) : null;
          return {
            ...r,
            status: shownStatus(r.status as ErasureRequestSummary['status'], found),
            found,
            receipts: receipts.filter((x) => x.erasure_request_id === r.id).map(({ erasure_request_id: _e, ...x }) => x),
          };
        });
      });
    },

    /**
     * Extends a request's deadline by up to two months: valid only before the
     * deadline and only when the requester is told, with the reasons.
     */
    async extend(requestId: string, months: number, reason: string, actor: AuditActor = SYSTEM_ACTOR, opts: { requesterEmail?: string } = {}) {
      if (months < 1 || months > MAX_EXTENSION_MONTHS) throw new UnprocessableError('invalid_extension', 'An extension is one or two months.');
      if (reason.trim().length < 10) throw new UnprocessableError('invalid_extension', 'Give the requester the reasons for the extension.');
      const [r] = await db<{ id: string; org_id: string | null; status: string; due_at: Date; extended_until: Date | null; contact_email: string | null }[]>`
        select id, org_id, status, due_at, extended_until, contact_email from public.erasure_requests where id = ${requestId}`;
      if (!r) throw new NotFoundError('No such erasure request.');
      if (r.status === 'completed' || r.status === 'cancelled') throw new ConflictError('That request is closed.');
      if (r.extended_until) throw new ConflictError('That request was already extended.');
      if (now() >= r.due_at) throw new UnprocessableError('extension_too_late', 'The one-month deadline has passed: an extension is only valid if the requester is told before it.');
      // A dashboard request has no address of ours: the organisation gives one to tell (and it is not kept).
      const to = r.contact_email ?? opts.requesterEmail;
      if (!to) throw new UnprocessableError('requester_unreachable', 'We have no address to tell the requester (give requester_email), so an extension would not be valid.');
      const until = new Date(r.due_at);
      until.setUTCMonth(until.getUTCMonth() + months);
      await deps.mailer.send({
        to,
        subject: 'Your erasure request: more time needed / Ihr Löschantrag: Fristverlängerung',
        text: `We need more time to complete your erasure request ${r.id}, until ${until.toISOString().slice(0, 10)}.\nReason: ${reason}\n\nWir benötigen mehr Zeit für Ihren Löschantrag ${r.id}, bis ${until.toISOString().slice(0, 10)}.\nGrund: ${reason}`,
      });
      await db`
        update public.erasure_requests set extended_until = ${until}, extension_reason = ${reason}, extension_notified_at = now()
        where id = ${requestId}`;
      await writeAudit(db, actor, { orgId: r.org_id, action: 'erasure.extended', targetType: 'erasure_request', targetId: r.id, metadata: { months } });
      return { id: r.id, due_at: r.due_at, extended_until: until };
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
      const result = await db`
        update public.erasure_requests set status = 'cancelled', contact_email = null
        where status = 'pending_confirmation' and received_at < ${now()}::timestamptz - interval '2 days'`;
      return { expired: result.count };
    },

    /**
     * Executes confirmed requests that have not run yet (a crash between
     * confirming and erasing): erasure is idempotent, so running again is safe.
     */
    async resumeConfirmed(): Promise<{ resumed: number }> {
      const rows = await db<{ id: string }[]>`
        select id from public.erasure_requests
        where status = 'confirmed' and subject_hash is not null and confirmed_at < ${now()}::timestamptz - interval '1 minute'
        limit 50`;
      let resumed = 0;
      for (const { id } of rows) {
        await db.begin(async (tx) => {
          const [request] = await tx<{ id: string; org_id: string | null; subject_hash: Buffer }[]>`
            select id, org_id, subject_hash from public.erasure_requests where id = ${id} and status = 'confirmed' for update skip locked`;
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
      const summary = await db.begin(async (tx) => {
        const [request] = await tx<{ id: string }[]>`
          insert into public.erasure_requests (org_id, source, subject_type, status, requested_by, confirmed_at, due_at)
          values (${orgId}, 'account_deletion', 'organization', 'in_progress', ${auth.userId}, now(), now() + interval '1 month')
          returning id`;
        const requestId = request!.id;
        const recordings = await tx<{ sid: string }[]>`
          select twilio_recording_sid as sid from public.recordings where org_id = ${orgId} and deleted_at is null`;
        const conversations = await tx<{ id: string }[]>`
          select elevenlabs_conversation_id as id from public.calls where org_id = ${orgId} and elevenlabs_conversation_id is not null`;
        const agents = await tx<{ id: string }[]>`
          select elevenlabs_agent_id as id from public.agents where org_id = ${orgId} and elevenlabs_agent_id is not null`;
        for (const r of recordings) await queueProviderDeletion(tx, { orgId, provider: 'twilio', resourceType: 'recording', resourceId: r.sid, reason: 'account_deletion', erasureRequestId: requestId });
        for (const c of conversations) await queueProviderDeletion(tx, { orgId, provider: 'elevenlabs', resourceType: 'conversation', resourceId: c.id, reason: 'account_deletion', erasureRequestId: requestId });
        for (const a of agents) await queueProviderDeletion(tx, { orgId, provider: 'elevenlabs', resourceType: 'agent', resourceId: a.id, reason: 'account_deletion', erasureRequestId: requestId });
        const counts = { recordings: recordings.length, conversations: conversations.length, agents: agents.length };
        await writeAudit(tx, auth.actor, { orgId, action: 'organization.deleted', targetType: 'organization', targetId: orgId, metadata: { request_id: requestId, counts } });
        await writeAudit(tx, auth.actor, { orgId: null, action: 'organization.deleted', targetType: 'organization', targetId: orgId, metadata: { request_id: requestId, counts } });
        // Proof-of-consent rows outlive the organisation without pointing at anyone.
        await tx`update public.call_consents set caller_hash = null, erased_at = now() where org_id = ${orgId} and (caller_hash is not null or erased_at is null)`;
        await tx`delete from public.organizations where id = ${orgId}`;
        const [row] = await tx<ErasureRequestSummary[]>`
          update public.erasure_requests set counts = ${tx.json(counts)} where id = ${requestId}
          returning ${tx.unsafe(SUMMARY_COLUMNS)}`;
        return row!;
      });
      void service.workProviders().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'provider deletions after an account deletion failed'));
      return summary;
    },

    progress,

    /** Pages the DPO about each open request within five days of its deadline (once per request). */
    async pageDueSoon(): Promise<{ paged: number }> {
      const rows = await db<{ id: string; deadline: Date }[]>`
        select id, coalesce(extended_until, due_at) as deadline from public.erasure_requests
        where status in ('confirmed', 'in_progress', 'flagged') and due_soon_paged_at is null
          and coalesce(extended_until, due_at) <= ${now()}::timestamptz + make_interval(days => ${DUE_SOON_DAYS})
        limit 100`;
      let paged = 0;
      for (const r of rows) {
        const days = Math.ceil((r.deadline.getTime() - now().getTime()) / 86_400_000);
        const ok = await pageDpo(`Erasure request ${r.id} is due ${days <= 0 ? 'now' : `in ${days} day(s)`}`, [
          `Erasure request ${r.id} is not done and its deadline (Art. 12(3)) is ${r.deadline.toISOString()}.`,
          'See runbooks/erasure.md.',
        ]);
        if (ok) {
          await db`update public.erasure_requests set due_soon_paged_at = now() where id = ${r.id}`;
          paged += 1;
        }
      }
      return { paged };
    },
  };
  return service;
}

export type ErasureService = ReturnType<typeof createErasureService> & PublicErasure;
