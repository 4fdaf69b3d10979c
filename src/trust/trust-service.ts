import { readChainStatus } from '../audit/audit-checkpoints.js';
import { AGENT_CONFIG_VERSION } from '../providers/agent-platform.js';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { requireOrgRole } from '../orgs/org-access.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import * as repo from './trust-repo.js';

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
/** The audit-chain-verify job runs every minute; new entries left unverified this long mean it has stopped. */
export const AUDIT_VERIFY_MAX_AGE_MINUTES = 30;
/**
 * Audit entries after the job's checkpoint that one trust check verifies
 * itself (about half a millisecond of database time): fresh answers between
 * two runs of the job for ordinary organisations, the same bounded cost for
 * one with millions of entries.
 */
export const TRUST_CHAIN_MAX_NEW_ENTRIES = 50;

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
  { id: 'audit_chain', control: 'Tamper-evident audit log', description: 'Each organisation’s audit entries are linked by hashes. A job verifies every new entry within minutes and walks each chain again from its first entry in the background, so an entry altered or removed later is found too; we show up to which entry the chain was verified and when.' },
  { id: 'retention', control: 'Retention window enforced', description: 'Transcripts, recordings and caller details older than your chosen window (30, 90, 180 or 365 days) are deleted by a daily job; we show when it last ran and what it removed.' },
  { id: 'transcript_encryption', control: 'Transcript encryption', description: 'With encryption on, transcripts are stored encrypted with AES-256-GCM under keys only the backend holds; we show the share encrypted.' },
  { id: 'dtmf_consent', control: 'Keypad consent before recording', description: 'With the switch on, callers from Germany, Austria, Switzerland and Poland, or every caller if the organisation chooses, are asked to press 1 before anything is recorded; without consent nothing is recorded.' },
  { id: 'agent_platform', control: 'Agents in line at ElevenLabs', description: 'Every agent at ElevenLabs records no voice, carries the tool a caller uses to stop the recording mid-call, and keeps conversations no longer than your retention window. Changes are pushed at once and retried until ElevenLabs confirms them; this check fails while any agent there differs.' },
  { id: 'erasure_requests', control: 'Erasure requests answered in time', description: 'Requests to erase a person are worked through Twilio and ElevenLabs too, within one month (Art. 12(3)); we show their state.' },
  { id: 'incidents', control: 'Breach notification clock', description: 'Open security incidents page the data-protection officer every 30 minutes until the supervisory authority has been told.' },
  { id: 'subprocessors', control: 'Sub-processor list', description: 'The processors we use are listed publicly; new ones are announced 30 days ahead and customers may object.' },
];

const name = (id: string) => CONTROLS.find((c) => c.id === id)!.control;

/**
 * Live checks of each control for one organisation, read from the database
 * catalogue and the job history at the moment of the request.
 */
export function createTrustService(deps: {
  serviceDb: ServiceDb;
  userDb: UserDb;
  subprocessors: Pick<SubprocessorsService, 'publicList'>;
  now?: () => Date;
  /** Audit entries after the checkpoint verified per check (default TRUST_CHAIN_MAX_NEW_ENTRIES). */
  chainMaxNewEntries?: number;
}) {
  const now = deps.now ?? (() => new Date());
  const chainMaxNewEntries = deps.chainMaxNewEntries ?? TRUST_CHAIN_MAX_NEW_ENTRIES;

  /** Runs the checks with `db` (the service connection, or a transaction in tests). */
  async function checks(db: ServiceDb | Tx, orgId: string): Promise<TrustCheck[]> {
    const out: TrustCheck[] = [];

    const rls = await repo.rlsOfTables(db, PERSONAL_DATA_TABLES);
    const off = rls.filter((r) => !r.enabled).map((r) => r.table);
    out.push({
      id: 'rls_enabled', control: name('rls_enabled'), status: off.length ? 'fail' : 'pass',
      detail: off.length ? `Row-level security is OFF on: ${off.join(', ')}.` : `Row-level security is on for all ${rls.length} personal-data tables.`,
      evidence: { tables: rls.length, disabled: off },
    });

    const [catalogue] = await repo.auditLogGuards(db);
    const missing = ['prevent_audit_delete', 'prevent_audit_update'].filter((r) => !catalogue!.rules.includes(r));
    if (!catalogue!.trigger_enabled) missing.push('prevent_audit_truncate (trigger)');
    out.push({
      id: 'audit_append_only', control: name('audit_append_only'), status: missing.length ? 'fail' : 'pass',
      detail: missing.length ? `Missing or disabled: ${missing.join(', ')}.` : 'Rules prevent_audit_update and prevent_audit_delete and the TRUNCATE trigger are in place.',
      evidence: { rules: catalogue!.rules, truncate_trigger: catalogue!.trigger_enabled },
    });

    out.push(await auditChainCheck(db, orgId));

    const [prefs] = await repo.preferencesOf(db, orgId);
    const [purge] = await repo.lastSucceededPurge(db);
    const purgeAge = purge ? (now().getTime() - purge.finished_at.getTime()) / 3_600_000 : Infinity;
    out.push({
      id: 'retention', control: name('retention'), status: purgeAge <= PURGE_MAX_AGE_HOURS ? 'pass' : 'fail',
      detail: purge
        ? `Window ${prefs?.retention_days ?? 30} days; the purge last finished ${purgeAge.toFixed(1)} hours ago${purgeAge > PURGE_MAX_AGE_HOURS ? ' — more than two days: it is not running' : ''}.`
        : `Window ${prefs?.retention_days ?? 30} days; the purge has never completed.`,
      evidence: { retention_days: prefs?.retention_days ?? 30, last_purge_finished_at: purge?.finished_at ?? null, last_purge_counts: purge?.counts ?? null },
    });

    const [enc] = await repo.transcriptEncryptionCounts(db, orgId);
    const share = enc!.total ? enc!.encrypted / enc!.total : 1;
    out.push({
      id: 'transcript_encryption', control: name('transcript_encryption'),
      status: prefs?.transcript_encryption ? (share === 1 ? 'pass' : 'fail') : 'info',
      detail: prefs?.transcript_encryption
        ? `${(share * 100).toFixed(1)} % of ${enc!.total} transcripts are encrypted.`
        : `Encryption is off for this organisation (${enc!.encrypted} of ${enc!.total} transcripts encrypted from earlier).`,
      evidence: { switch: prefs?.transcript_encryption ?? false, ...enc },
    });

    const dtmfOn = prefs?.dtmf_consent ?? true;
    const scope = prefs?.consent_scope ?? 'listed_countries';
    out.push({
      id: 'dtmf_consent', control: name('dtmf_consent'), status: 'info',
      detail: !dtmfOn
        ? 'Off: no keypad consent prompt; every call is recorded without asking first.'
        : scope === 'all_callers'
          ? 'On, for every caller: each caller is asked in their language before anything is recorded, and nothing is recorded without consent.'
          : 'On, for callers from DE, AT, CH and PL: they are asked before anything is recorded; calls from other countries are recorded without asking first.',
      evidence: { switch: dtmfOn, scope },
    });

    const [sync] = await repo.agentSyncCounts(db, orgId);
    out.push({
      id: 'agent_platform', control: name('agent_platform'), status: sync!.out_of_line ? 'fail' : 'pass',
      detail: sync!.out_of_line
        ? `${sync!.out_of_line} of ${sync!.agents} agent(s) not yet confirmed at the agent platform with this organisation's settings${sync!.failing ? `; ${sync!.failing} failing, retried with backoff` : ''}.`
        : `All ${sync!.agents} agent(s) confirmed: no voice recording, the stop-recording tool, a ${prefs?.retention_days ?? 30}-day window.`,
      evidence: { agents: sync!.agents, out_of_line: sync!.out_of_line, failing: sync!.failing, config_version: AGENT_CONFIG_VERSION },
    });

    const erasures = await repo.erasureCounts(db, orgId, now());
    const byStatus = Object.fromEntries(erasures.map((e) => [e.status, e.n]));
    const overdue = erasures.reduce((a, e) => a + e.overdue, 0);
    const flagged = byStatus.flagged ?? 0;
    out.push({
      id: 'erasure_requests', control: name('erasure_requests'), status: overdue || flagged ? 'fail' : 'pass',
      detail: overdue || flagged ? `${overdue} overdue and ${flagged} flagged erasure request(s).` : 'No erasure request is overdue or stuck.',
      evidence: { by_status: byStatus, overdue },
    });

    const incidents = await repo.openIncidentsOf(db, orgId);
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

  /**
   * The audit chain as the verification job left it (src/audit/audit-checkpoints.ts),
   * plus at most `chainMaxNewEntries` newer entries verified here: never a
   * walk of the organisation's whole history.
   */
  async function auditChainCheck(db: ServiceDb | Tx, orgId: string): Promise<TrustCheck> {
    const chain = await readChainStatus(db, orgId, chainMaxNewEntries);
    const cp = chain.checkpoint;
    const jobThrough = cp?.verified_index ?? '0';
    const pending = Number(BigInt(chain.latest) - BigInt(chain.checkedThrough));
    const jobAgeMinutes = cp?.verified_at ? (now().getTime() - cp.verified_at.getTime()) / 60_000 : Infinity;
    const stale = pending > 0 && jobAgeMinutes > AUDIT_VERIFY_MAX_AGE_MINUTES;
    const ago = (minutes: number) => (minutes < 120 ? `${Math.max(0, Math.round(minutes))} min` : `${(minutes / 60).toFixed(1)} hours`);
    const evidence = {
      entries: Number(chain.latest),
      verified_through: chain.broken ? null : Number(chain.checkedThrough),
      verified_by_job_through: Number(jobThrough),
      verified_by_job_at: cp?.verified_at ?? null,
      checked_now: chain.checkedNow,
      pending,
      full_verified_at: cp?.full_verified_at ?? null,
      full_verified_through: cp?.full_verified_index ? Number(cp.full_verified_index) : null,
      broken: chain.broken,
    };
    const base = { id: 'audit_chain', control: name('audit_chain'), evidence };
    if (chain.broken) {
      const b = chain.broken;
      const when = cp?.broken_problem && cp.broken_index === b.chainIndex && cp.broken_found_at ? `, found by the verification job at ${cp.broken_found_at.toISOString()}` : '';
      return { ...base, status: 'fail', detail: `The audit chain is broken at entry #${b.chainIndex} (${b.problem})${when}.` };
    }
    if (chain.latest === '0') return { ...base, status: 'pass', detail: 'No audit entries yet.' };
    const byJob = cp?.verified_at
      ? `the verification job verified #1–#${jobThrough} at ${cp.verified_at.toISOString()} (${ago(jobAgeMinutes)} ago)`
      : 'the verification job has never verified this chain';
    const here = chain.checkedNow ? `, this check #${BigInt(chain.checkedThrough) - BigInt(chain.checkedNow) + 1n}–#${chain.checkedThrough}` : '';
    const full = cp?.full_verified_at
      ? ` Last complete re-verification from #1: started ${cp.full_verified_at.toISOString()}, up to #${cp.full_verified_index}.`
      : ' No complete re-verification from #1 yet.';
    if (stale) {
      const stopped = cp?.verified_at ? ` — more than ${AUDIT_VERIFY_MAX_AGE_MINUTES} min ago: it is not running` : '';
      return { ...base, status: 'fail', detail: `${pending} audit entries are not verified yet, and ${byJob}${stopped}.${full}` };
    }
    const waiting = pending ? `; ${pending} newer entries wait for its next run` : '';
    return { ...base, status: 'pass', detail: `Entries #1–#${chain.checkedThrough} of ${chain.latest} verify: ${byJob}${here}${waiting}.${full}` };
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
