import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit, type AuditActor } from '../audit/audit.js';
import type { TranscriptReader } from '../calls/calls-service.js';
import * as agentsRepo from '../agents/agents-repo.js';
import * as consentsRepo from '../calls/call-consents-repo.js';
import * as callsRepo from '../calls/calls-repo.js';
import * as leadsRepo from '../calls/leads-repo.js';
import * as recordingsRepo from '../calls/recordings-repo.js';
import type { Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import * as orgsRepo from '../orgs/orgs-repo.js';
import * as membershipsRepo from '../orgs/memberships-repo.js';
import * as preferencesRepo from '../preferences/preferences-repo.js';
import * as transcriptsRepo from '../transcripts/transcripts-repo.js';
import * as exportsRepo from './exports-repo.js';
import { readOrgSubject, subjectHash } from '../erasure/erasure-service.js';
import type { ErasureSubject } from '../erasure/erasure-types.js';

export type { ExportRecord } from './exports-repo.js';

/** Version of the export document's shape (README, "Export format"). */
export const EXPORT_FORMAT_VERSION = 1;

/** What a person's export reads: the transcripts' reader. */
export interface SubjectExportDeps {
  transcripts: TranscriptReader;
}

async function callsData(deps: SubjectExportDeps, tx: Tx, orgId: string, callIds: string[] | null) {
  const calls = await callsRepo.listCallsForExport(tx, orgId, callIds);
  const ids = calls.map((c) => c.id as string);
  if (ids.length === 0) return { calls: [], consents: [], recordings: [], transcripts: [] };
  const consents = await consentsRepo.listConsentsForExport(tx, ids);
  const recordings = await recordingsRepo.listRecordingsForExport(tx, ids);
  const transcriptRows = await transcriptsRepo.listTranscriptsForExport(tx, ids);
  const transcripts = transcriptRows.map((t) => ({ id: t.id, call_id: t.call_id, created_at: t.created_at, turns: deps.transcripts.read(t) }));
  return { calls, consents, recordings, transcripts };
}

/**
 * Everything one organisation holds on one person (found by the keyed hash
 * `hash`): the one definition the organisation's own export and the person's
 * access download (src/forget-me/) share, so both carry the same data.
 */
export async function subjectExportData(deps: SubjectExportDeps, tx: Tx, orgId: string, hash: Buffer) {
  const leads = await leadsRepo.listSubjectLeadsForExport(tx, orgId, hash);
  // The same calls an erasure of this person would reach in this organisation.
  const callIds = (await callsRepo.findSubjectCalls(tx, hash, orgId)).map((c) => c.id);
  const found = leads.length > 0 || callIds.length > 0;
  return { found, data: { leads, ...(await callsData(deps, tx, orgId, callIds)) } as Record<string, unknown> };
}

/** How many of each kind the export holds. */
export function exportCounts(data: Record<string, unknown>): Record<string, number> {
  return Object.fromEntries(Object.entries(data).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).length]));
}

/** Records an export made (public.exports) and audits it as access to personal data; `requested_by` is the signed-in user, if any. */
export async function recordExport(
  tx: Tx,
  actor: AuditActor,
  e: { orgId: string; subjectType: string; hash: Buffer | null; counts: Record<string, number>; via?: string },
) {
  const record = await exportsRepo.insertExport(tx, { orgId: e.orgId, subjectType: e.subjectType, subjectHash: e.hash, counts: e.counts });
  await writeAudit(tx, actor, {
    orgId: e.orgId,
    action: 'export.created',
    targetType: 'export',
    targetId: record.id,
    metadata: { subject_type: e.subjectType, subject_hash: e.hash ? e.hash.toString('hex') : null, counts: e.counts, ...(e.via ? { via: e.via } : {}) },
  });
  return record;
}

/**
 * Art. 15/20 export: everything the organisation holds on one person (found by
 * blind index) or on the whole organisation, as one JSON document with
 * transcripts decrypted. Runs under RLS as the owner or admin; audited as
 * access to personal data.
 */
export function createExportService(deps: { userDb: UserDb; blindIndexKey: Buffer; transcripts: TranscriptReader }) {
  return {
    /**
     * The records of the organisation's latest exports (when, of whom by kind,
     * how much; never the content, which is not kept). Owner, admin.
     */
    async list(auth: AuthContext, orgId: string, limit = 50) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        return exportsRepo.listExports(tx, orgId, limit);
      });
    },

    async export(auth: AuthContext, orgId: string, subject: ErasureSubject | null) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const org = await orgsRepo.findOrganizationForExport(tx, orgId);
        let data: Record<string, unknown>;
        let hash: Buffer | null = null;
        let found: boolean | undefined;
        if (subject) {
          hash = subjectHash(deps.blindIndexKey, await readOrgSubject(tx, orgId, subject));
          ({ found, data } = await subjectExportData(deps, tx, orgId, hash));
        } else {
          const preferences = await preferencesRepo.findPreferencesForExport(tx, orgId);
          const members = await membershipsRepo.listMembersForExport(tx, orgId);
          const agents = await agentsRepo.listAgentsForExport(tx, orgId);
          const phoneNumbers = await agentsRepo.listPhoneNumbersForExport(tx, orgId);
          const leads = await leadsRepo.listLeadsForExport(tx, orgId);
          data = { preferences, members, agents, phone_numbers: phoneNumbers, leads, ...(await callsData(deps, tx, orgId, null)) };
        }
        const counts = exportCounts(data);
        const record = await recordExport(tx, auth.actor, { orgId, subjectType: subject ? subject.type : 'organization', hash, counts });
        return {
          format_version: EXPORT_FORMAT_VERSION,
          export_id: record.id,
          generated_at: record.created_at,
          organization: org,
          subject: subject ? { type: subject.type } : { type: 'organization' },
          // A person's export says whether we hold anything on them at all.
          ...(found === undefined ? {} : { found }),
          counts,
          data,
        };
      });
    },
  };
}

export type ExportService = ReturnType<typeof createExportService>;
