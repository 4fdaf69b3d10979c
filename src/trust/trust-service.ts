import { verifyAuditChains } from '../audit/audit-verify.js';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { requireOrgRole } from '../orgs/org-access.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';

/** Tables that hold personal data: each must have row-level security enabled. */
export const PERSONAL_DATA_TABLES = [
  'organizations', 'users', 'memberships', 'privacy_preferences', 'agents', 'phone_numbers', 'calls', 'call_consents',
  'leads', 'recordings', 'transcripts', 'erasure_requests', 'exports', 'audit_logs', 'impersonations',
  'subprocessor_notices', 'provider_deletions',
] as const;

/** The purge runs daily; two days without a successful run is a failure. */
export const PURGE_MAX_AGE_HOURS = 48;
/** The DPO is paged every 30 minutes; a page older than this means paging has stopped. */
export const PAGING_MAX_AGE_MINUTES = 35;

export interface TrustCheck {
  id: string;
  control: string;
  status: 'pass' | 'fail' | 'info';
  detail: string;
  evidence: Record<string, unknown>;
}

/** Plain-language descriptions of every control, for the public /trust page. */
export const CONTROLS: { id: string; control: string; description: string }[] = [
  { id: 'rls_enabled', control: 'Tenant isolation in the database', description: 'Every table that holds personal data has PostgreSQL row-level security switched on, so the database itself, not only our code, keeps each organisation’s data apart.' },
  { id: 'audit_append_only', control: 'Unchangeable audit log', description: 'Database rules turn any change or deletion of the audit log into nothing, and emptying it is refused.' },
  { id: 'audit_chain', control: 'Tamper-evident audit log', description: 'Each organisation’s audit entries are linked by hashes; the chain is recomputed to show that no entry was altered or removed.' },
  { id: 'retention', control: 'Retention window enforced', description: 'Transcripts, recordings and caller details older than your chosen window (30, 90, 180 or 365 days) are deleted by a daily job; we show when it last ran and what it removed.' },
  { id: 'transcript_encryption', control: 'Transcript encryption', description: 'With encryption on, transcripts are stored encrypted with AES-256-GCM under keys only the backend holds; we show the share encrypted.' },
  { id: 'dtmf_consent', control: 'Keypad consent before recording', description: 'Callers from Germany, Austria, Switzerland and Poland are asked to press 1 before anything is recorded.' },
  { id: 'erasure_requests', control: 'Erasure requests answered in time', description: 'Requests to erase a person are worked through Twilio and ElevenLabs too, within one month (Art. 12(3)); we show their state.' },
  { id: 'incidents', control: 'Breach notification clock', description: 'Open security incidents page the data-protection officer every 30 minutes until the supervisory authority has been told.' },
  { id: 'subprocessors', control: 'Sub-processor list', description: 'The processors we use are listed publicly; new ones are announced 30 days ahead and customers may object.' },
];

const name = (id: string) => CONTROLS.find((c) => c.id === id)!.control;

/**
 * Live checks of each control for one organisation, read from the database
 * catalogue and the job history at the moment of the request.
 */
export function createTrustService(deps: { serviceDb: ServiceDb; userDb: UserDb; subprocessors: Pick<SubprocessorsService, 'publicList'>; now?: () => Date }) {
  const now = deps.now ?? (() => new Date());

  /** Runs the checks with `db` (the service connection, or a transaction in tests). */
  async function checks(db: ServiceDb | Tx, orgId: string): Promise<TrustCheck[]> {
    const out: TrustCheck[] = [];

    const rls = await db<{ table: string; enabled: boolean | null }[]>`
      select t.name as table, c.relrowsecurity as enabled
      from unnest(${PERSONAL_DATA_TABLES as unknown as string[]}::text[]) as t(name)
      left join pg_catalog.pg_class c on c.relname = t.name and c.relnamespace = 'public'::regnamespace and c.relkind = 'r'`;
    const off = rls.filter((r) => !r.enabled).map((r) => r.table);
    out.push({
      id: 'rls_enabled', control: name('rls_enabled'), status: off.length ? 'fail' : 'pass',
      detail: off.length ? `Row-level security is OFF on: ${off.join(', ')}.` : `Row-level security is on for all ${rls.length} personal-data tables.`,
      evidence: { tables: rls.length, disabled: off },
    });

    const [catalogue] = await db<{ rules: string[]; trigger_enabled: boolean }[]>`
      select
        coalesce((select array_agg(r.rulename::text order by r.rulename) from pg_catalog.pg_rules r
                  join pg_catalog.pg_rewrite w on w.rulename = r.rulename and w.ev_class = 'public.audit_logs'::regclass
                  where r.schemaname = 'public' and r.tablename = 'audit_logs' and w.ev_enabled <> 'D'), '{}') as rules,
        exists (select 1 from pg_catalog.pg_trigger t where t.tgrelid = 'public.audit_logs'::regclass
                and t.tgname = 'prevent_audit_truncate' and t.tgenabled <> 'D') as trigger_enabled`;
    const missing = ['prevent_audit_delete', 'prevent_audit_update'].filter((r) => !catalogue!.rules.includes(r));
    if (!catalogue!.trigger_enabled) missing.push('prevent_audit_truncate (trigger)');
    out.push({
      id: 'audit_append_only', control: name('audit_append_only'), status: missing.length ? 'fail' : 'pass',
      detail: missing.length ? `Missing or disabled: ${missing.join(', ')}.` : 'Rules prevent_audit_update and prevent_audit_delete and the TRUNCATE trigger are in place.',
      evidence: { rules: catalogue!.rules, truncate_trigger: catalogue!.trigger_enabled },
    });

    const chain = await verifyAuditChains(db as ServiceDb, { orgId });
    out.push({
      id: 'audit_chain', control: name('audit_chain'), status: chain.broken.length ? 'fail' : 'pass',
      detail: chain.broken.length
        ? `The audit chain is broken at entry #${chain.broken[0]!.chainIndex} (${chain.broken[0]!.problem}).`
        : `All ${chain.rows} audit entries of this organisation verify.`,
      evidence: { rows: chain.rows, broken: chain.broken },
    });

    const [prefs] = await db<{ retention_days: number; dtmf_consent: boolean; transcript_encryption: boolean }[]>`
      select retention_days, dtmf_consent, transcript_encryption from public.privacy_preferences where org_id = ${orgId}`;
    const [purge] = await db<{ finished_at: Date; counts: Record<string, number> }[]>`
      select finished_at, counts from public.job_runs
      where job_name = 'retention-purge' and status = 'succeeded' order by finished_at desc limit 1`;
    const purgeAge = purge ? (now().getTime() - purge.finished_at.getTime()) / 3_600_000 : Infinity;
    out.push({
      id: 'retention', control: name('retention'), status: purgeAge <= PURGE_MAX_AGE_HOURS ? 'pass' : 'fail',
      detail: purge
        ? `Window ${prefs?.retention_days ?? 30} days; the purge last finished ${purgeAge.toFixed(1)} hours ago${purgeAge > PURGE_MAX_AGE_HOURS ? ' — more than two days: it is not running' : ''}.`
        : `Window ${prefs?.retention_days ?? 30} days; the purge has never completed.`,
      evidence: { retention_days: prefs?.retention_days ?? 30, last_purge_finished_at: purge?.finished_at ?? null, last_purge_counts: purge?.counts ?? null },
    });

    const [enc] = await db<{ total: number; encrypted: number }[]>`
      select count(*)::int as total, count(*) filter (where ciphertext is not null)::int as encrypted
      from public.transcripts where org_id = ${orgId}`;
    const share = enc!.total ? enc!.encrypted / enc!.total : 1;
    out.push({
      id: 'transcript_encryption', control: name('transcript_encryption'),
      status: prefs?.transcript_encryption ? (share === 1 ? 'pass' : 'fail') : 'info',
      detail: prefs?.transcript_encryption
        ? `${(share * 100).toFixed(1)} % of ${enc!.total} transcripts are encrypted.`
        : `Encryption is off for this organisation (${enc!.encrypted} of ${enc!.total} transcripts encrypted from earlier).`,
      evidence: { switch: prefs?.transcript_encryption ?? false, ...enc },
    });

    out.push({
      id: 'dtmf_consent', control: name('dtmf_consent'), status: 'info',
      detail: prefs?.dtmf_consent ? 'On: callers from DE, AT, CH and PL are asked before anything is recorded.' : 'Off: no keypad consent prompt; calls from DE, AT, CH and PL are recorded without asking first.',
      evidence: { switch: prefs?.dtmf_consent ?? true },
    });

    const erasures = await db<{ status: string; n: number; overdue: number }[]>`
      select status, count(*)::int as n,
        count(*) filter (where status not in ('completed', 'cancelled') and coalesce(extended_until, due_at) < ${now()})::int as overdue
      from public.erasure_requests where org_id = ${orgId} group by status`;
    const byStatus = Object.fromEntries(erasures.map((e) => [e.status, e.n]));
    const overdue = erasures.reduce((a, e) => a + e.overdue, 0);
    const flagged = byStatus.flagged ?? 0;
    out.push({
      id: 'erasure_requests', control: name('erasure_requests'), status: overdue || flagged ? 'fail' : 'pass',
      detail: overdue || flagged ? `${overdue} overdue and ${flagged} flagged erasure request(s).` : 'No erasure request is overdue or stuck.',
      evidence: { by_status: byStatus, overdue },
    });

    const incidents = await db<{ id: string; detected_at: Date; last_paged_at: Date | null }[]>`
      select id, detected_at, last_paged_at from public.security_incidents
      where notified_at is null and ${orgId}::uuid = any(affected_org_ids)`;
    const stale = incidents.filter((i) => !i.last_paged_at || now().getTime() - i.last_paged_at.getTime() > PAGING_MAX_AGE_MINUTES * 60_000);
    out.push({
      id: 'incidents', control: name('incidents'), status: stale.length ? 'fail' : 'pass',
      detail: incidents.length
        ? `${incidents.length} open incident(s) affecting this organisation; ${stale.length ? `${stale.length} not paged in the last ${PAGING_MAX_AGE_MINUTES} minutes` : 'the DPO is being paged'}.`
        : 'No open incident affects this organisation.',
      evidence: { open: incidents.map((i) => ({ id: i.id, detected_at: i.detected_at, last_paged_at: i.last_paged_at })) },
    });

    const list = await deps.subprocessors.publicList(db);
    out.push({
      id: 'subprocessors', control: name('subprocessors'), status: 'info',
      detail: `List version ${list.version}: ${list.live.length} in use, ${list.announced.length} announced.`,
      evidence: { version: list.version, live: list.live.length, announced: list.announced.length },
    });
    return out;
  }

  return {
    checks,
    /** GET /api/orgs/:orgId/trust (members). */
    async forOrganization(auth: AuthContext, orgId: string) {
      await deps.userDb.run(auth.claims, (tx) => requireOrgRole(tx, orgId));
      const results = await checks(deps.serviceDb, orgId);
      return { organization_id: orgId, checked_at: now(), passing: results.every((c) => c.status !== 'fail'), checks: results };
    },
  };
}

export type TrustService = ReturnType<typeof createTrustService>;
