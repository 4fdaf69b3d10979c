/**
 * The reads behind the trust checks: the database catalogue (row-level security,
 * the audit log's guards) and counts over the tables each control is about.
 * Read only; each function takes the connection or transaction to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import { AGENT_CONFIG_VERSION } from '../providers/agent-platform.js';

/** Whether row-level security is on, for each named table in `public` (null: no such table). */
export function rlsOfTables(db: ServiceDb | Tx, tables: readonly string[]) {
  return db<{ table: string; enabled: boolean | null }[]>`
      select t.name as table, c.relrowsecurity as enabled
      from unnest(${tables as unknown as string[]}::text[]) as t(name)
      left join pg_catalog.pg_class c on c.relname = t.name and c.relnamespace = 'public'::regnamespace and c.relkind = 'r'`;
}

/** The audit log's append-only rules and its TRUNCATE trigger, as the catalogue has them. */
export function auditLogGuards(db: ServiceDb | Tx) {
  return db<{ rules: string[]; trigger_enabled: boolean }[]>`
      select
        coalesce((select array_agg(r.rulename::text order by r.rulename) from pg_catalog.pg_rules r
                  join pg_catalog.pg_rewrite w on w.rulename = r.rulename and w.ev_class = 'public.audit_logs'::regclass
                  where r.schemaname = 'public' and r.tablename = 'audit_logs' and w.ev_enabled <> 'D'), '{}') as rules,
        exists (select 1 from pg_catalog.pg_trigger t where t.tgrelid = 'public.audit_logs'::regclass
                and t.tgname = 'prevent_audit_truncate' and t.tgenabled <> 'D') as trigger_enabled`;
}

/** The organisation's privacy preferences the checks report on. */
export function preferencesOf(db: ServiceDb | Tx, orgId: string) {
  return db<{ retention_days: number; dtmf_consent: boolean; consent_scope: string; transcript_encryption: boolean }[]>`
      select retention_days, dtmf_consent, consent_scope, transcript_encryption from public.privacy_preferences where org_id = ${orgId}`;
}

/** The last successful retention purge. */
export function lastSucceededPurge(db: ServiceDb | Tx) {
  return db<{ finished_at: Date; counts: Record<string, number> }[]>`
      select finished_at, counts from public.job_runs
      where job_name = 'retention-purge' and status = 'succeeded' order by finished_at desc limit 1`;
}

/** How many of the organisation's transcripts there are, and how many are encrypted. */
export function transcriptEncryptionCounts(db: ServiceDb | Tx, orgId: string) {
  return db<{ total: number; encrypted: number }[]>`
      select count(*)::int as total, count(*) filter (where ciphertext is not null)::int as encrypted
      from public.transcripts where org_id = ${orgId}`;
}

/** The organisation's agents at the platform: how many, how many out of line or failing. */
export function agentSyncCounts(db: ServiceDb | Tx, orgId: string) {
  return db<{ agents: number; out_of_line: number; failing: number; last_error_at: Date | null }[]>`
      select count(*)::int as agents,
             count(*) filter (where s.agent_id is null or s.config_version < ${AGENT_CONFIG_VERSION}
                              or s.retention_days is distinct from coalesce(p.retention_days, 30))::int as out_of_line,
             count(*) filter (where s.attempts > 0)::int as failing,
             max(s.updated_at) filter (where s.attempts > 0) as last_error_at
      from public.agents a
      left join app.agent_platform_sync s on s.agent_id = a.id
      left join public.privacy_preferences p on p.org_id = a.org_id
      where a.org_id = ${orgId} and a.elevenlabs_agent_id is not null`;
}

/** The organisation's erasure requests by status, with how many are overdue at `now`. */
export function erasureCounts(db: ServiceDb | Tx, orgId: string, now: Date) {
  return db<{ status: string; n: number; overdue: number }[]>`
      select status, count(*)::int as n,
        count(*) filter (where status not in ('completed', 'cancelled') and coalesce(extended_until, due_at) < ${now})::int as overdue
      from public.erasure_requests where org_id = ${orgId} group by status`;
}

/** Open (not yet notified) security incidents that affect the organisation. */
export function openIncidentsOf(db: ServiceDb | Tx, orgId: string) {
  return db<{ id: string; detected_at: Date; last_paged_at: Date | null }[]>`
      select id, detected_at, last_paged_at from public.security_incidents
      where notified_at is null and ${orgId}::uuid = any(affected_org_ids)`;
}
