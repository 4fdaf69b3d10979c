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

/*
 * Platform-wide reads for the public /trust page: counts over every
 * organisation, never a name, an id or anything about a person.
 */

/**
 * Every audit chain as the verification job left it: how many chains and
 * entries, how many the job found broken (or whose checkpoint entry no longer
 * holds its hash), how many have entries the job has not verified for longer
 * than `staleBefore`. One index probe per chain (a loose index scan), however
 * long the chains are.
 */
export function platformAuditChains(db: ServiceDb | Tx, staleBefore: Date) {
  return db<{ chains: number; entries: string; broken: number; lagging: number; last_verified_at: Date | null; never_fully_verified: number }[]>`
      with recursive keys as (
        (select chain_key from public.audit_logs order by chain_key limit 1)
        union all
        select (select a.chain_key from public.audit_logs a where a.chain_key > k.chain_key order by a.chain_key limit 1)
        from keys k where k.chain_key is not null
      ), chains as (
        select (select max(a.chain_index) from public.audit_logs a where a.chain_key = k.chain_key) as latest,
               c.chain_key is not null as has_checkpoint, c.verified_index, c.verified_at, c.broken_index, c.full_verified_at,
               c.verified_index = 0 or exists (select 1 from public.audit_logs a
                 where a.chain_key = k.chain_key and a.chain_index = c.verified_index and a.row_hash = c.verified_hash) as anchor_ok
        from keys k left join public.audit_chain_checkpoints c on c.chain_key = k.chain_key
        where k.chain_key is not null
      )
      select count(*)::int as chains, coalesce(sum(latest), 0)::text as entries,
             count(*) filter (where broken_index is not null or (has_checkpoint and not anchor_ok))::int as broken,
             count(*) filter (where coalesce(verified_index, 0) < latest
                              and coalesce(verified_at, '-infinity'::timestamptz) < ${staleBefore})::int as lagging,
             max(verified_at) as last_verified_at,
             count(*) filter (where full_verified_at is null)::int as never_fully_verified
      from chains`;
}

/** Transcripts of the organisations that have encryption switched on: how many, how many encrypted. */
export function platformTranscriptEncryption(db: ServiceDb | Tx) {
  return db<{ orgs_on: number; total: number; encrypted: number }[]>`
      select (select count(*)::int from public.privacy_preferences where transcript_encryption) as orgs_on,
             count(t.*)::int as total, count(t.*) filter (where t.ciphertext is not null)::int as encrypted
      from public.transcripts t
      join public.privacy_preferences p on p.org_id = t.org_id and p.transcript_encryption`;
}

/** Every organisation's agents at the platform: how many, how many out of line or failing. */
export function platformAgentSyncCounts(db: ServiceDb | Tx) {
  return db<{ agents: number; out_of_line: number; failing: number }[]>`
      select count(*)::int as agents,
             count(*) filter (where s.agent_id is null or s.config_version < ${AGENT_CONFIG_VERSION}
                              or s.retention_days is distinct from coalesce(p.retention_days, 30))::int as out_of_line,
             count(*) filter (where s.attempts > 0)::int as failing
      from public.agents a
      left join app.agent_platform_sync s on s.agent_id = a.id
      left join public.privacy_preferences p on p.org_id = a.org_id
      where a.elevenlabs_agent_id is not null`;
}

/** Every organisation's erasure requests: how many are open, overdue at `now`, flagged for a person. */
export function platformErasureCounts(db: ServiceDb | Tx, now: Date) {
  return db<{ open: number; overdue: number; flagged: number; completed: number }[]>`
      select count(*) filter (where status not in ('completed', 'cancelled'))::int as open,
             count(*) filter (where status not in ('completed', 'cancelled') and coalesce(extended_until, due_at) < ${now})::int as overdue,
             count(*) filter (where status = 'flagged')::int as flagged,
             count(*) filter (where status = 'completed')::int as completed
      from public.erasure_requests`;
}

/** The queue of deletions owed to Twilio and ElevenLabs: pending (and the oldest), given up, done since `since`. */
export function providerDeletionCounts(db: ServiceDb | Tx, since: Date) {
  return db<{ pending: number; failed: number; done_recently: number; oldest_pending_at: Date | null }[]>`
      select count(*) filter (where status = 'pending')::int as pending,
             count(*) filter (where status = 'failed')::int as failed,
             count(*) filter (where status = 'done' and done_at >= ${since})::int as done_recently,
             min(created_at) filter (where status = 'pending') as oldest_pending_at
      from public.provider_deletions`;
}

/** When this installation began (app.installation), or now when it has no record. */
export function installedAt(db: ServiceDb | Tx) {
  return db<{ installed_at: Date }[]>`
      select coalesce((select installed_at from app.installation limit 1), now()) as installed_at`;
}

/** A job's newest finished run (succeeded or failed), if it ever finished one. */
export function lastFinishedRun(db: ServiceDb | Tx, jobName: string) {
  return db<{ status: 'succeeded' | 'failed'; finished_at: Date }[]>`
      select status, finished_at from public.job_runs
      where job_name = ${jobName} and status in ('succeeded', 'failed')
      order by started_at desc limit 1`;
}

/** The operational alerts open now (app.ops_alerts): their conditions, no ids. */
export function openAlertConditions(db: ServiceDb | Tx) {
  return db<{ condition: string; opened_at: Date }[]>`
      select condition, opened_at from app.ops_alerts where cleared_at is null order by condition`;
}

/** The organisation's recording storage: whether configured, and its deliveries by state. */
export function recordingDeliveryCounts(db: ServiceDb | Tx, orgId: string) {
  return db<{ configured: boolean; pending: number; failed: number; delivered: number; oldest_failed_at: Date | null }[]>`
    select exists (select 1 from app.recording_storage where org_id = ${orgId}) as configured,
      count(*) filter (where status = 'pending')::int as pending,
      count(*) filter (where status = 'failed')::int as failed,
      count(*) filter (where status = 'delivered')::int as delivered,
      min(updated_at) filter (where status = 'failed') as oldest_failed_at
    from app.recording_deliveries where org_id = ${orgId}`;
}
