import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { TranscriptReader } from '../calls/calls-service.js';
import type { Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { readOrgSubject, subjectHash } from '../erasure/erasure-service.js';
import type { ErasureSubject } from '../erasure/erasure-types.js';

/** Version of the export document's shape (README, "Export format"). */
export const EXPORT_FORMAT_VERSION = 1;

/**
 * Art. 15/20 export: everything the organisation holds on one person (found by
 * blind index) or on the whole organisation, as one JSON document with
 * transcripts decrypted. Runs under RLS as the owner or admin; audited as
 * access to personal data.
 */
export function createExportService(deps: { userDb: UserDb; blindIndexKey: Buffer; transcripts: TranscriptReader }) {
  async function callsData(tx: Tx, orgId: string, callIds: string[] | null) {
    const filter = callIds ? tx`and c.id = any(${callIds}::uuid[])` : tx``;
    const calls = await tx`
      select c.id, c.agent_id, c.twilio_call_sid, c.from_number, c.to_number, c.caller_country, c.direction, c.status,
             c.consent_state, c.consent_language, c.recording_allowed, c.greeting_sha256, c.disclosure_version,
             c.started_at, c.answered_at, c.ended_at, c.duration_seconds, c.outcome
      from public.calls c where c.org_id = ${orgId} ${filter} order by c.started_at`;
    const ids = calls.map((c) => c.id as string);
    if (ids.length === 0) return { calls: [], consents: [], recordings: [], transcripts: [] };
    const consents = await tx`
      select call_id, country, prompt_language, prompt_version, prompt_hash, digit, outcome, attempt, created_at
      from public.call_consents where call_id = any(${ids}::uuid[]) order by created_at`;
    const recordings = await tx`
      select call_id, twilio_recording_sid, status, duration_seconds, sha256, deleted_at, created_at
      from public.recordings where call_id = any(${ids}::uuid[]) order by created_at`;
    const transcriptRows = await tx<{ id: string; org_id: string; call_id: string; content: unknown; ciphertext: string | null; key_id: string | null; created_at: Date }[]>`
      select id, org_id, call_id, content, ciphertext, key_id, created_at from public.transcripts where call_id = any(${ids}::uuid[])`;
    const transcripts = transcriptRows.map((t) => ({ id: t.id, call_id: t.call_id, created_at: t.created_at, turns: deps.transcripts.read(t) }));
    return { calls, consents, recordings, transcripts };
  }

  return {
    async export(auth: AuthContext, orgId: string, subject: ErasureSubject | null) {
      return deps.userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const [org] = await tx`select id, name, created_at from public.organizations where id = ${orgId}`;
        let data: Record<string, unknown>;
        let hash: Buffer | null = null;
        let found: boolean | undefined;
        if (subject) {
          hash = subjectHash(deps.blindIndexKey, await readOrgSubject(tx, orgId, subject));
          const leads = await tx`
            select id, call_id, name, phone, email, notes, anonymised_at, created_at from public.leads
            where org_id = ${orgId} and (phone_hash = ${hash} or email_hash = ${hash})`;
          const byNumber = await tx<{ id: string }[]>`select id from public.calls where org_id = ${orgId} and from_hash = ${hash}`;
          const callIds = [...new Set([...byNumber.map((c) => c.id), ...leads.map((l) => l.call_id as string).filter(Boolean)])];
          found = leads.length > 0 || callIds.length > 0;
          data = { leads, ...(await callsData(tx, orgId, callIds)) };
        } else {
          const [preferences] = await tx`select retention_days, dtmf_consent, consent_scope, transcript_encryption, updated_at from public.privacy_preferences where org_id = ${orgId}`;
          const members = await tx`
            select m.user_id, u.email, m.role, m.created_at from public.memberships m join public.users u on u.id = m.user_id where m.org_id = ${orgId}`;
          const agents = await tx`select id, name, language, first_message, elevenlabs_agent_id, created_at, updated_at from public.agents where org_id = ${orgId}`;
          const phoneNumbers = await tx`select id, agent_id, e164, created_at from public.phone_numbers where org_id = ${orgId}`;
          const leads = await tx`select id, call_id, name, phone, email, notes, anonymised_at, created_at from public.leads where org_id = ${orgId}`;
          data = { preferences, members, agents, phone_numbers: phoneNumbers, leads, ...(await callsData(tx, orgId, null)) };
        }
        const counts = Object.fromEntries(Object.entries(data).filter(([, v]) => Array.isArray(v)).map(([k, v]) => [k, (v as unknown[]).length]));
        const [record] = await tx<{ id: string; created_at: Date }[]>`
          insert into public.exports (org_id, requested_by, subject_type, subject_hash, counts)
          values (${orgId}, auth.uid(), ${subject ? subject.type : 'organization'}, ${hash}, ${tx.json(counts)})
          returning id, created_at`;
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'export.created',
          targetType: 'export',
          targetId: record!.id,
          metadata: { subject_type: subject ? subject.type : 'organization', subject_hash: hash ? hash.toString('hex') : null, counts },
        });
        return {
          format_version: EXPORT_FORMAT_VERSION,
          export_id: record!.id,
          generated_at: record!.created_at,
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
