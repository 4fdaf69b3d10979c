import { createHash, randomBytes } from 'node:crypto';
import { writeAudit } from '../audit/audit.js';
import type { TranscriptReader } from '../calls/calls-service.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { subjectHash } from '../erasure/erasure-service.js';
import type { ErasureSubject } from '../erasure/erasure-types.js';
import { EXPORT_FORMAT_VERSION, exportCounts, recordExport, subjectExportData } from '../exports/export-service.js';
import { AppError } from '../lib/errors.js';
import * as orgsRepo from '../orgs/orgs-repo.js';
import * as preferencesRepo from '../preferences/preferences-repo.js';
import * as subprocessorsRepo from '../subprocessors/subprocessors-repo.js';
import * as repo from './privacy-requests-repo.js';
import type { PrivacyRequestType } from './privacy-requests-repo.js';

export type { PrivacyRequestType } from './privacy-requests-repo.js';

/** How long an access download works (single use). */
export const DOWNLOAD_TTL_SECONDS = 24 * 60 * 60;

export interface CallerRightsDeps {
  serviceDb: ServiceDb;
  /** BLIND_INDEX_KEY: the person is found, and the do-not-record list kept, by the keyed hash every table uses. */
  blindIndexKey: Buffer;
  transcripts: TranscriptReader;
  publicBaseUrl: string;
  now?: () => Date;
}

/** What a verified access, do-not-record or recording-allowed request answers. */
export type RightsOutcome =
  | { type: 'access'; id: string; received_at: Date; confirmed_at: Date; download_urls: string[]; expires_at: Date }
  | { type: 'do_not_record'; id: string; received_at: Date; confirmed_at: Date }
  | { type: 'recording_allowed'; id: string; received_at: Date; confirmed_at: Date };

const sha256 = (token: string) => createHash('sha256').update(token, 'utf8').digest();

/**
 * The caller's rights besides erasure, on the public page (the organisation
 * is the controller; the platform answers as its processor and tells it):
 *
 * - access (Art. 15): once verified, one download per organisation holding
 *   data on the person, of the same export the organisation itself makes of
 *   them (src/exports/export-service.ts), with the recipients (the
 *   sub-processors) and how long the organisation keeps the data. Each URL
 *   carries a random token (only its SHA-256 is stored), works once and
 *   expires; each is audited in its organisation and told to it
 *   (`access.completed` webhook, written by a trigger on the download row).
 * - objection to recording (Art. 21): the number's keyed hash goes on the
 *   platform-wide do-not-record list, which call intake reads.
 * - withdrawing that objection (recording allowed again): the number's keyed
 *   hash leaves the list, so its next call is asked for consent as any other.
 *
 * Filing a request does the same work whoever the person is; only the
 * verified answer says what was found.
 */
export function createCallerRightsService(deps: CallerRightsDeps) {
  const db = deps.serviceDb;
  const now = deps.now ?? (() => new Date());
  const base = deps.publicBaseUrl.replace(/\/+$/, '');

  /** Files an unconfirmed request (a keyed hash only), audited in the platform's own chain. */
  async function file(type: PrivacyRequestType, subject: ErasureSubject): Promise<{ id: string }> {
    const row = await repo.insertRequest(db, { type, subjectType: subject.type, subjectHash: subjectHash(deps.blindIndexKey, subject), receivedAt: now() });
    await writeAudit(db, { type: 'public' }, { orgId: null, action: `${type}.requested`, targetType: 'privacy_request', targetId: row.id, metadata: { source: 'public', subject_type: subject.type } });
    return { id: row.id };
  }

  /**
   * Confirms the request `requestId` in the caller's transaction (whatever proved
   * it is used up in the same one); undefined when the id is not a privacy request
   * (it is then an erasure request). A request already answered answers again
   * without links (they were given once).
   */
  async function confirmIn(tx: Tx, requestId: string): Promise<RightsOutcome | undefined> {
    const request = await repo.lockRequest(tx, requestId);
    if (!request) return undefined;
    const at = now();
    if (request.status !== 'pending_confirmation' || !request.subject_hash) {
      if (request.status === 'cancelled') throw new AppError(410, 'link_expired', 'This request has expired: please ask again on the forget-me page.');
      return request.request_type === 'access'
        ? { type: 'access', id: request.id, received_at: request.received_at, confirmed_at: request.confirmed_at ?? at, download_urls: [], expires_at: at }
        : { type: request.request_type, id: request.id, received_at: request.received_at, confirmed_at: request.confirmed_at ?? at };
    }
    const hash = request.subject_hash;
    if (request.request_type === 'do_not_record') {
      await repo.addDoNotRecord(tx, hash, request.id);
      await repo.completeRequest(tx, request.id, at, null);
      // The list is the platform's, for every organisation: recorded in the platform's own chain.
      await writeAudit(tx, { type: 'public' }, {
        orgId: null,
        action: 'do_not_record.added',
        targetType: 'privacy_request',
        targetId: request.id,
        metadata: { subject_hash: hash.toString('hex') },
      });
      return { type: 'do_not_record', id: request.id, received_at: request.received_at, confirmed_at: at };
    }
    if (request.request_type === 'recording_allowed') {
      // The same work whether or not the number was on the list: the answer does not say.
      await repo.removeDoNotRecord(tx, hash);
      await repo.completeRequest(tx, request.id, at, null);
      await writeAudit(tx, { type: 'public' }, {
        orgId: null,
        action: 'do_not_record.removed',
        targetType: 'privacy_request',
        targetId: request.id,
        metadata: { subject_hash: hash.toString('hex') },
      });
      return { type: 'recording_allowed', id: request.id, received_at: request.received_at, confirmed_at: at };
    }

    const orgs = await repo.organizationsHolding(tx, hash);
    const expiresAt = new Date(at.getTime() + DOWNLOAD_TTL_SECONDS * 1000);
    const urls: string[] = [];
    for (const orgId of orgs) {
      const token = randomBytes(32).toString('base64url');
      const download = await repo.insertDownload(tx, { requestId: request.id, orgId, tokenHash: sha256(token), subjectHash: hash, expiresAt, now: at });
      await writeAudit(tx, { type: 'public' }, {
        orgId,
        action: 'access.completed',
        targetType: 'privacy_request',
        targetId: request.id,
        metadata: { subject_hash: hash.toString('hex'), download_id: download.id },
      });
      urls.push(`${base}/forget-me/downloads/${token}`);
    }
    await repo.completeRequest(tx, request.id, at, orgs.length);
    await writeAudit(tx, { type: 'public' }, {
      orgId: null,
      action: 'access.completed',
      targetType: 'privacy_request',
      targetId: request.id,
      metadata: { subject_hash: hash.toString('hex'), organizations: orgs.length },
    });
    return { type: 'access', id: request.id, received_at: request.received_at, confirmed_at: at, download_urls: urls, expires_at: expiresAt };
  }

  /**
   * Opens a download: uses it up and returns the person's export at that
   * organisation, in the organisation's own export format, plus the
   * recipients and the retention window. Used (410 `download_used`), expired
   * (410 `download_expired`) or unknown (404) links give nothing.
   */
  async function download(token: string) {
    const tokenHash = sha256(token);
    const at = now();
    const document = await db.begin(async (tx) => {
      const claim = await repo.claimDownload(tx, tokenHash, at);
      if (!claim) return undefined;
      const organization = await orgsRepo.findOrganizationForExport(tx, claim.org_id);
      const { found, data } = await subjectExportData(deps, tx, claim.org_id, claim.subject_hash);
      const counts = exportCounts(data);
      const record = await recordExport(tx, { type: 'public' }, { orgId: claim.org_id, subjectType: claim.subject_type, hash: claim.subject_hash, counts, via: 'access_request' });
      const [retention] = await preferencesRepo.findRetentionDays(tx, claim.org_id);
      const recipients = await subprocessorsRepo.listPublic(tx);
      return {
        format_version: EXPORT_FORMAT_VERSION,
        export_id: record.id,
        generated_at: record.created_at,
        access_request_id: claim.request_id,
        organization,
        subject: { type: claim.subject_type },
        found,
        counts,
        data,
        // Art. 15(1)(c): who receives the data, as the organisation's processors' sub-processors.
        recipients: recipients
          .filter((r) => r.status === 'live')
          .map((r) => ({ name: r.name, purpose: r.purpose, data_categories: r.data_categories, region: r.region, role: r.role, safeguards: r.safeguards })),
        // Art. 15(1)(d): how long the organisation keeps it.
        retention: {
          retention_days: retention?.retention_days ?? 30,
          applies_to: 'calls, recordings, transcripts and leads: deleted or anonymised this many days after the call',
        },
      };
    });
    if (document) return document;
    const state = await repo.downloadState(db, tokenHash);
    if (state?.used_at) throw new AppError(410, 'download_used', 'This download link has already been used: each link works once. Ask again on the forget-me page for a new one.');
    if (state) throw new AppError(410, 'download_expired', 'This download link has expired: please ask again on the forget-me page.');
    throw new AppError(404, 'download_not_found', 'This download link is not valid: please use the link exactly as it was given.');
  }

  return { file, confirmIn, download, findRequestType: (id: string) => repo.findRequestType(db, id) };
}

export type CallerRightsService = ReturnType<typeof createCallerRightsService>;
