import { readChainStatus } from '../audit/audit-checkpoints.js';
import { AGENT_CONFIG_VERSION } from '../providers/agent-platform.js';
import type { AuthContext } from '../auth/auth-middleware.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { requireOrgRole } from '../orgs/org-access.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import * as repo from './trust-repo.js';
import { CONTROL_IDS, CONTROL_TEXTS, detailText, part, type DetailPart, type JobName } from './trust-messages.js';

/** Tables that hold personal data: each must have row-level security enabled. */
export const PERSONAL_DATA_TABLES = [
  'organizations', 'users', 'memberships', 'privacy_preferences', 'agents', 'phone_numbers', 'calls', 'call_consents',
  'leads', 'recordings', 'transcripts', 'erasure_requests', 'exports', 'audit_logs', 'impersonations',
  'subprocessor_notices', 'provider_deletions',
] as const;

/** The purge runs daily; two days without a successful run is a failure. */
export const PURGE_MAX_AGE_HOURS = 48;
/** The ops-alerts job runs every minute; a last run older than this means alerts have stopped. */
export const OPS_ALERTS_MAX_AGE_MINUTES = 15;
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
/**
 * A deletion owed to Twilio or ElevenLabs is retried with backoff for about 21
 * hours before it is given up; one still pending after two days means the
 * deletions job is not running.
 */
export const PROVIDER_DELETION_MAX_AGE_HOURS = 48;
/**
 * The public /trust page's platform-wide checks are computed at most once per
 * this many seconds and shared by every visitor in between, so that the
 * public page, which anyone may request as often as they like, cannot be used
 * to load the database: a flood of requests costs one round of counts a minute.
 */
export const PUBLIC_TRUST_CACHE_SECONDS = 60;

/**
 * A check's result: `pass`, `fail`, `info` (a setting, neither), or `pending`:
 * a check keyed on a job's runs whose job has not run yet on a fresh
 * installation ("not yet run"). Only `fail` makes `passing` false; a job that
 * has still not run once its first run was long due fails.
 */
export const TRUST_STATUSES = ['pass', 'fail', 'info', 'pending'] as const;
export type TrustStatus = (typeof TRUST_STATUSES)[number];

export interface TrustCheck {
  id: string;
  control: string;
  status: TrustStatus;
  /** The detail in English: the English wording of `details`. */
  detail: string;
  /**
   * The detail as stable codes with parameters, sentence by sentence (see
   * src/trust/trust-messages.ts), so that a page can say it in the reader's
   * language.
   */
  details: DetailPart[];
  evidence: Record<string, unknown>;
}

/** A platform-wide check for the public page: counts only, and when it was read. */
export interface PlatformCheck extends TrustCheck {
  checked_at: Date;
}

/** The public /trust page's live results: every organisation at once, no organisation named. */
export interface PlatformTrust {
  checked_at: Date;
  passing: boolean;
  checks: PlatformCheck[];
  /** How long this result is reused for every visitor. */
  cache_seconds: number;
}

/** Plain-language descriptions of every control, for the public /trust page (in English; the page's other languages: trust-messages.ts). */
export const CONTROLS: { id: string; control: string; description: string }[] = CONTROL_IDS.map((id) => ({ id, ...CONTROL_TEXTS.en[id] }));

/** A detail from its parts: the English text and the parts themselves. */
function say(...parts: (DetailPart | false | null | undefined)[]): Pick<TrustCheck, 'detail' | 'details'> {
  const details = parts.filter((p): p is DetailPart => Boolean(p));
  return { detail: detailText('en', details), details };
}
/** A duration for a detail's parameters, in whole seconds (never negative: the database's clock may run a little ahead of ours). */
const seconds = (ms: number) => Math.max(0, Math.round(ms / 1000));

const name = (id: string) => CONTROLS.find((c) => c.id === id)!.control;

const HOUR_MS = 3_600_000;

/** The kind of an alert condition (`job_failing:retention-purge` is of kind `job_failing`). */
export function alertKind(condition: string): string {
  return condition.split(':')[0]!;
}

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

  /** Row-level security on every personal-data table (the database catalogue: the same for every organisation). */
  async function rlsCheck(db: ServiceDb | Tx): Promise<TrustCheck> {
    const rls = await repo.rlsOfTables(db, PERSONAL_DATA_TABLES);
    const off = rls.filter((r) => !r.enabled).map((r) => r.table);
    return {
      id: 'rls_enabled', control: name('rls_enabled'), status: off.length ? 'fail' : 'pass',
      ...say(off.length ? part('rls_off', { tables: off.join(', ') }) : part('rls_on', { tables: rls.length })),
      evidence: { tables: rls.length, disabled: off },
    };
  }

  /** The audit log's rules and TRUNCATE trigger (the database catalogue). */
  async function auditAppendOnlyCheck(db: ServiceDb | Tx): Promise<TrustCheck> {
    const [catalogue] = await repo.auditLogGuards(db);
    const missing = ['prevent_audit_delete', 'prevent_audit_update'].filter((r) => !catalogue!.rules.includes(r));
    if (!catalogue!.trigger_enabled) missing.push('prevent_audit_truncate (trigger)');
    return {
      id: 'audit_append_only', control: name('audit_append_only'), status: missing.length ? 'fail' : 'pass',
      ...say(missing.length ? part('audit_guards_missing', { missing: missing.join(', ') }) : part('audit_guards_ok')),
      evidence: { rules: catalogue!.rules, truncate_trigger: catalogue!.trigger_enabled },
    };
  }

  /** Runs the checks with `db` (the service connection, or a transaction in tests). */
  async function checks(db: ServiceDb | Tx, orgId: string): Promise<TrustCheck[]> {
    const out: TrustCheck[] = [];

    out.push(await rlsCheck(db));
    out.push(await auditAppendOnlyCheck(db));

    out.push(await auditChainCheck(db, orgId));

    const [prefs] = await repo.preferencesOf(db, orgId);
    const retention = await retentionCheck(db);
    out.push({
      ...retention,
      ...say(part('retention_window', { days: prefs?.retention_days ?? 30 }), ...retention.details),
      evidence: { retention_days: prefs?.retention_days ?? 30, ...retention.evidence },
    });

    const [enc] = await repo.transcriptEncryptionCounts(db, orgId);
    const share = enc!.total ? enc!.encrypted / enc!.total : 1;
    out.push({
      id: 'transcript_encryption', control: name('transcript_encryption'),
      status: prefs?.transcript_encryption ? (share === 1 ? 'pass' : 'fail') : 'info',
      ...say(prefs?.transcript_encryption
        ? part('encryption_org', { percent: Number((share * 100).toFixed(1)), total: enc!.total })
        : part('encryption_org_off', { encrypted: enc!.encrypted, total: enc!.total })),
      evidence: { switch: prefs?.transcript_encryption ?? false, ...enc },
    });

    const dtmfOn = prefs?.dtmf_consent ?? true;
    const scope = prefs?.consent_scope ?? 'listed_countries';
    out.push({
      id: 'dtmf_consent', control: name('dtmf_consent'), status: 'info',
      ...say(!dtmfOn ? part('dtmf_off') : scope === 'all_callers' ? part('dtmf_all_callers') : part('dtmf_listed_countries')),
      evidence: { switch: dtmfOn, scope },
    });

    const [sync] = await repo.agentSyncCounts(db, orgId);
    out.push({
      id: 'agent_platform', control: name('agent_platform'), status: sync!.out_of_line ? 'fail' : 'pass',
      ...say(sync!.out_of_line
        ? part('agents_out_of_line_org', { out_of_line: sync!.out_of_line, agents: sync!.agents, failing: sync!.failing })
        : part('agents_confirmed_org', { agents: sync!.agents, days: prefs?.retention_days ?? 30 })),
      evidence: { agents: sync!.agents, out_of_line: sync!.out_of_line, failing: sync!.failing, config_version: AGENT_CONFIG_VERSION },
    });

    const erasures = await repo.erasureCounts(db, orgId, now());
    const byStatus = Object.fromEntries(erasures.map((e) => [e.status, e.n]));
    const overdue = erasures.reduce((a, e) => a + e.overdue, 0);
    const flagged = byStatus.flagged ?? 0;
    out.push({
      id: 'erasure_requests', control: name('erasure_requests'), status: overdue || flagged ? 'fail' : 'pass',
      ...say(overdue || flagged ? part('erasures_late_org', { overdue, flagged }) : part('erasures_ok_org')),
      evidence: { by_status: byStatus, overdue },
    });

    const incidents = await repo.openIncidentsOf(db, orgId);
    const stale = incidents.filter((i) => !i.last_paged_at || now().getTime() - i.last_paged_at.getTime() > PAGING_MAX_AGE_MINUTES * 60_000);
    out.push({
      id: 'incidents', control: name('incidents'), status: stale.length ? 'fail' : 'pass',
      ...say(incidents.length ? part('incidents_open', { open: incidents.length, stale: stale.length, max_minutes: PAGING_MAX_AGE_MINUTES }) : part('incidents_none')),
      evidence: { open: incidents.map((i) => ({ id: i.id, detected_at: i.detected_at, last_paged_at: i.last_paged_at })) },
    });

    out.push(await opsAlertsCheck(db));
    // Shown once the organisation has its own recording storage (or had deliveries).
    const [rs] = await repo.recordingDeliveryCounts(db, orgId);
    if (rs && (rs.configured || rs.pending || rs.failed || rs.delivered)) {
      out.push({
        id: 'recording_storage', control: name('recording_storage'), status: rs.failed ? 'fail' : 'pass',
        ...say(rs.failed
          ? part('recordings_failed', { failed: rs.failed, delivered: rs.delivered, pending: rs.pending })
          : part('recordings_ok', { delivered: rs.delivered, pending: rs.pending, configured: Boolean(rs.configured) })),
        evidence: { configured: rs.configured, delivered: rs.delivered, pending: rs.pending, failed: rs.failed, oldest_failed_at: rs.oldest_failed_at },
      });
    }

    const list = await deps.subprocessors.publicList(db);
    out.push({
      id: 'subprocessors', control: name('subprocessors'), status: 'info',
      ...say(part('subprocessor_list', { version: list.version, live: list.live.length, announced: list.announced.length })),
      evidence: { version: list.version, live: list.live.length, announced: list.announced.length },
    });
    return out;
  }

  /** How long this installation has existed (app.installation), in milliseconds. */
  async function installationAgeMs(db: ServiceDb | Tx): Promise<number> {
    const [row] = await repo.installedAt(db);
    return now().getTime() - row!.installed_at.getTime();
  }

  /**
   * A job that has never finished a run: `pending` ("not yet run") while the
   * installation is younger than `graceMs` (its first run is not yet overdue),
   * `fail` after. The detail names the job's schedule in words.
   */
  async function neverRun(db: ServiceDb | Tx, graceMs: number, job: JobName): Promise<{ status: TrustStatus; part: DetailPart }> {
    const age = await installationAgeMs(db);
    const params = { job, installed_seconds_ago: seconds(age) };
    return age <= graceMs ? { status: 'pending', part: part('job_pending', params) } : { status: 'fail', part: part('job_never_ran', params) };
  }
  /** A check whose job has never run: its state, and the detail saying so. */
  const neverRunCheck = (never: { status: TrustStatus; part: DetailPart }) => ({ status: never.status, ...say(never.part) });

  /** The daily retention purge, by its newest successful run (shared by both lists; the per-organisation one adds the window). */
  async function retentionCheck(db: ServiceDb | Tx): Promise<TrustCheck> {
    const [purge] = await repo.lastSucceededPurge(db);
    const base = { id: 'retention', control: name('retention') };
    const evidence = { last_purge_finished_at: purge?.finished_at ?? null, last_purge_counts: purge?.counts ?? null };
    if (purge) {
      const age = now().getTime() - purge.finished_at.getTime();
      const late = age > PURGE_MAX_AGE_HOURS * HOUR_MS;
      return {
        ...base, status: late ? 'fail' : 'pass', evidence,
        ...say(part('purge_finished', { seconds_ago: seconds(age), late })),
      };
    }
    const [last] = await repo.lastFinishedRun(db, 'retention-purge');
    if (last) {
      return { ...base, status: 'fail', evidence, ...say(part('purge_never_completed', { failed_at: last.finished_at.toISOString() })) };
    }
    return { ...base, ...neverRunCheck(await neverRun(db, PURGE_MAX_AGE_HOURS * HOUR_MS, 'retention-purge')), evidence };
  }

  /**
   * The operational alerts (src/alerts): failing while any condition is open,
   * naming the kinds open and how many of each (never an id, an organisation
   * or a person); pending until the ops-alerts job first runs; failing when
   * it has stopped.
   */
  async function opsAlertsCheck(db: ServiceDb | Tx): Promise<TrustCheck> {
    const open = await repo.openAlertConditions(db);
    const [last] = await repo.lastFinishedRun(db, 'ops-alerts');
    const byKind: Record<string, number> = {};
    for (const a of open) byKind[alertKind(a.condition)] = (byKind[alertKind(a.condition)] ?? 0) + 1;
    const base = { id: 'ops_alerts', control: name('ops_alerts') };
    const evidence = { open: open.length, open_by_kind: byKind, last_run_at: last?.finished_at ?? null };
    const jobAge = last ? now().getTime() - last.finished_at.getTime() : Infinity;
    const stopped = jobAge > OPS_ALERTS_MAX_AGE_MINUTES * 60_000;
    if (open.length) {
      const kinds = Object.entries(byKind).map(([k, n]) => (n > 1 ? `${k} (${n})` : k)).join(', ');
      const since = open.reduce((a, o) => (o.opened_at < a ? o.opened_at : a), open[0]!.opened_at);
      return {
        ...base, status: 'fail', evidence,
        ...say(
          part('alerts_open', { open: open.length, kinds, since: since.toISOString() }),
          last && stopped && part('alerts_job_not_running', { seconds_ago: seconds(jobAge) }),
        ),
      };
    }
    if (!last) return { ...base, ...neverRunCheck(await neverRun(db, OPS_ALERTS_MAX_AGE_MINUTES * 60_000, 'ops-alerts')), evidence };
    if (stopped) {
      return { ...base, status: 'fail', evidence, ...say(part('alerts_job_stopped', { seconds_ago: seconds(jobAge), max_minutes: OPS_ALERTS_MAX_AGE_MINUTES })) };
    }
    return { ...base, status: 'pass', evidence, ...say(part('alerts_none', { seconds_ago: seconds(jobAge) })) };
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
      const found = cp?.broken_problem && cp.broken_index === b.chainIndex && cp.broken_found_at ? cp.broken_found_at.toISOString() : null;
      return { ...base, status: 'fail', ...say(part('chain_broken', { entry: Number(b.chainIndex), problem: b.problem, found_at: found })) };
    }
    if (chain.latest === '0') return { ...base, status: 'pass', ...say(part('no_audit_entries')) };
    const job = {
      job_through: cp?.verified_at ? Number(jobThrough) : null,
      job_at: cp?.verified_at ? cp.verified_at.toISOString() : null,
      job_seconds_ago: cp?.verified_at ? seconds(jobAgeMinutes * 60_000) : null,
    };
    const full = cp?.full_verified_at
      ? part('chain_full_verified', { at: cp.full_verified_at.toISOString(), through: Number(cp.full_verified_index) })
      : part('chain_never_fully_verified');
    if (stale && !cp?.verified_at && !(await repo.lastFinishedRun(db, 'audit-chain-verify')).length) {
      // The job has not run at all yet: a fresh installation's, or one whose scheduler never started.
      const never = await neverRun(db, AUDIT_VERIFY_MAX_AGE_MINUTES * 60_000, 'audit-chain-verify');
      return {
        ...base, status: never.status,
        ...say(never.part, part('chain_checked_here', { through: Number(chain.checkedThrough), entries: Number(chain.latest), pending }), full),
      };
    }
    if (stale) return { ...base, status: 'fail', ...say(part('chain_stale', { ...job, pending, max_minutes: AUDIT_VERIFY_MAX_AGE_MINUTES }), full) };
    const checkedFrom = chain.checkedNow ? Number(BigInt(chain.checkedThrough) - BigInt(chain.checkedNow) + 1n) : null;
    return {
      ...base, status: 'pass',
      ...say(part('chain_verified_org', { ...job, through: Number(chain.checkedThrough), entries: Number(chain.latest), checked_from: checkedFrom, pending }), full),
    };
  }

  /**
   * The platform-wide checks of the public /trust page, with `db` (the service
   * connection, or a transaction in tests). Counts over every organisation,
   * never a name, an id or anything about a person. Per-organisation settings
   * (keypad consent) are not summed up here, and open security incidents are
   * left to the organisations affected (their own trust check) and the
   * supervisory authority: a public page is not where an incident is announced.
   */
  async function platformChecks(db: ServiceDb | Tx): Promise<PlatformCheck[]> {
    const out: PlatformCheck[] = [];
    const at = (c: TrustCheck): PlatformCheck => ({ ...c, checked_at: now() });

    out.push(at(await rlsCheck(db)));
    out.push(at(await auditAppendOnlyCheck(db)));

    const [chains] = await repo.platformAuditChains(db, new Date(now().getTime() - AUDIT_VERIFY_MAX_AGE_MINUTES * 60_000));
    const c = chains!;
    const lastVerified = c.last_verified_at && part('chains_last_verified', { at: c.last_verified_at.toISOString() });
    const never = !c.broken && c.lagging && !(await repo.lastFinishedRun(db, 'audit-chain-verify')).length
      ? await neverRun(db, AUDIT_VERIFY_MAX_AGE_MINUTES * 60_000, 'audit-chain-verify')
      : undefined;
    out.push(at({
      id: 'audit_chain', control: name('audit_chain'), status: never?.status ?? (c.broken || c.lagging ? 'fail' : 'pass'),
      ...(never ? say(never.part, part('chains_wait_first_run', { chains: c.chains, entries: Number(c.entries) })) : c.broken
        ? say(part('chains_broken', { broken: c.broken, chains: c.chains }), lastVerified)
        : c.lagging
          ? say(part('chains_lagging', { lagging: c.lagging, chains: c.chains, max_minutes: AUDIT_VERIFY_MAX_AGE_MINUTES }), lastVerified)
          : c.chains
            ? say(part('chains_verified', { chains: c.chains, entries: Number(c.entries) }), lastVerified)
            : say(part('no_audit_entries'))),
      evidence: { chains: c.chains, entries: Number(c.entries), broken: c.broken, lagging: c.lagging, last_verified_at: c.last_verified_at, never_fully_verified: c.never_fully_verified },
    }));

    out.push(at(await retentionCheck(db)));

    const [enc] = await repo.platformTranscriptEncryption(db);
    const e = enc!;
    out.push(at({
      id: 'transcript_encryption', control: name('transcript_encryption'),
      status: e.orgs_on === 0 ? 'info' : e.encrypted === e.total ? 'pass' : 'fail',
      ...say(e.orgs_on === 0 ? part('encryption_nowhere') : part('encryption_share', { encrypted: e.encrypted, total: e.total, organisations: e.orgs_on })),
      evidence: { ...e },
    }));

    const [sync] = await repo.platformAgentSyncCounts(db);
    const a = sync!;
    out.push(at({
      id: 'agent_platform', control: name('agent_platform'), status: a.out_of_line ? 'fail' : 'pass',
      ...say(a.out_of_line ? part('agents_out_of_line', { out_of_line: a.out_of_line, agents: a.agents, failing: a.failing }) : part('agents_confirmed', { agents: a.agents })),
      evidence: { ...a, config_version: AGENT_CONFIG_VERSION },
    }));

    const [erasure] = await repo.platformErasureCounts(db, now());
    const r = erasure!;
    out.push(at({
      id: 'erasure_requests', control: name('erasure_requests'), status: r.overdue || r.flagged ? 'fail' : 'pass',
      ...say(r.overdue || r.flagged ? part('erasures_late', { overdue: r.overdue, flagged: r.flagged, open: r.open }) : part('erasures_ok', { open: r.open, completed: r.completed })),
      evidence: { ...r },
    }));

    const since = new Date(now().getTime() - 30 * 86_400_000);
    const [deletions] = await repo.providerDeletionCounts(db, since);
    const d = deletions!;
    const oldestHours = d.oldest_pending_at ? (now().getTime() - d.oldest_pending_at.getTime()) / 3_600_000 : 0;
    const late = oldestHours > PROVIDER_DELETION_MAX_AGE_HOURS;
    out.push(at({
      id: 'provider_deletions', control: name('provider_deletions'), status: d.failed || late ? 'fail' : 'pass',
      ...say(
        d.failed ? part('deletions_given_up', { failed: d.failed }) : part('deletions_none_given_up'),
        d.pending ? part('deletions_waiting', { pending: d.pending, oldest_hours: Number(oldestHours.toFixed(1)), late }) : part('deletions_none_waiting'),
        part('deletions_done', { done: d.done_recently }),
      ),
      evidence: { pending: d.pending, failed: d.failed, done_last_30_days: d.done_recently, oldest_pending_hours: d.pending ? Number(oldestHours.toFixed(1)) : null },
    }));

    out.push(at(await opsAlertsCheck(db)));

    const list = await deps.subprocessors.publicList(db);
    out.push(at({
      id: 'subprocessors', control: name('subprocessors'), status: 'info',
      ...say(part('subprocessor_list', { version: list.version, live: list.live.length, announced: list.announced.length })),
      evidence: { version: list.version, live: list.live.length, announced: list.announced.length },
    }));
    return out;
  }

  /** One computation shared by every visitor for PUBLIC_TRUST_CACHE_SECONDS (and by requests arriving while it runs). */
  let cached: { at: number; result: Promise<PlatformTrust> } | undefined;

  return {
    checks,
    platformChecks,
    /**
     * GET /trust (public): the platform-wide checks, computed at most once per
     * PUBLIC_TRUST_CACHE_SECONDS (see there); a failed computation is not kept.
     */
    platform(): Promise<PlatformTrust> {
      const t = now().getTime();
      if (!cached || t - cached.at >= PUBLIC_TRUST_CACHE_SECONDS * 1000) {
        const entry = {
          at: t,
          result: platformChecks(deps.serviceDb).then((results) => ({
            checked_at: new Date(t),
            passing: results.every((r) => r.status !== 'fail'),
            checks: results,
            cache_seconds: PUBLIC_TRUST_CACHE_SECONDS,
          })),
        };
        entry.result.catch(() => {
          if (cached === entry) cached = undefined;
        });
        cached = entry;
      }
      return cached.result;
    },
    /** GET /api/orgs/:orgId/trust (members). */
    async forOrganization(auth: AuthContext, orgId: string) {
      await deps.userDb.run(auth.claims, (tx) => requireOrgRole(tx, orgId));
      const results = await checks(deps.serviceDb, orgId);
      return { organization_id: orgId, checked_at: now(), passing: results.every((c) => c.status !== 'fail'), checks: results };
    },
  };
}

export type TrustService = ReturnType<typeof createTrustService>;
