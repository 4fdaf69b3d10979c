/**
 * SQL for app.agent_platform_sync: what ElevenLabs last confirmed for each agent,
 * leased like a queue. Only the service connection reaches the table; each
 * function takes the transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import { AGENT_CONFIG_VERSION } from '../providers/agent-platform.js';

/** An agent due for a push, with what it should hold and what was last confirmed. */
export interface DueAgent {
  agent_id: string;
  org_id: string;
  name: string;
  language: string;
  first_message: string;
  elevenlabs_agent_id: string;
  elevenlabs_tool_id: string | null;
  retention_days: number;
  confirmed_retention_days: number | null;
  attempts: number;
}

/** Records what the platform confirmed (only while the agent exists). */
export function upsertSynced(
  db: ServiceDb | Tx,
  s: { agentId: string; orgId: string; retentionDays: number; configVersion?: number },
) {
  return db`
    insert into app.agent_platform_sync (agent_id, org_id, config_version, retention_days, pushed_at, attempts, next_attempt_at, last_error)
    select ${s.agentId}, ${s.orgId}, ${s.configVersion ?? AGENT_CONFIG_VERSION}, ${s.retentionDays}, now(), 0, now(), null
    where exists (select 1 from public.agents where id = ${s.agentId})
    on conflict (agent_id) do update set
      config_version = excluded.config_version, retention_days = excluded.retention_days,
      pushed_at = excluded.pushed_at, attempts = 0, next_attempt_at = excluded.next_attempt_at, last_error = null`;
}

function orgFilter(db: ServiceDb | Tx, orgId: string | undefined) {
  return orgId ? db`and a.org_id = ${orgId}` : db``;
}

/** Agents without a record are due: give them one (config version 0 = never confirmed). */
export function insertMissingRecords(db: ServiceDb | Tx, orgId: string | undefined) {
  return db`
    insert into app.agent_platform_sync (agent_id, org_id)
    select a.id, a.org_id from public.agents a
    where a.elevenlabs_agent_id is not null ${orgFilter(db, orgId)}
      and not exists (select 1 from app.agent_platform_sync s where s.agent_id = a.id)
    on conflict (agent_id) do nothing`;
}

/**
 * Claims up to `batchSize` due agents: their rows are leased (next attempt five
 * minutes out), not held.
 */
export function leaseDueAgents(db: ServiceDb | Tx, orgId: string | undefined, batchSize: number) {
  return db<DueAgent[]>`
      with due as (
        select s.agent_id from app.agent_platform_sync s
        join public.agents a on a.id = s.agent_id
        left join public.privacy_preferences p on p.org_id = a.org_id
        where a.elevenlabs_agent_id is not null ${orgFilter(db, orgId)}
          and s.next_attempt_at <= now()
          and (s.config_version < ${AGENT_CONFIG_VERSION}
               or s.retention_days is distinct from coalesce(p.retention_days, 30))
        order by s.next_attempt_at
        limit ${batchSize}
        for update of s skip locked
      ), leased as (
        update app.agent_platform_sync s set next_attempt_at = now() + interval '5 minutes'
        from due where s.agent_id = due.agent_id
        returning s.agent_id, s.retention_days as confirmed_retention_days, s.attempts
      )
      select l.agent_id, a.org_id, a.name, a.language, a.first_message, a.elevenlabs_agent_id, a.elevenlabs_tool_id,
             coalesce(p.retention_days, 30) as retention_days, l.confirmed_retention_days, l.attempts
      from leased l
      join public.agents a on a.id = l.agent_id
      left join public.privacy_preferences p on p.org_id = a.org_id`;
}

/** A failed push: retried after the backoff. */
export function recordFailure(db: ServiceDb | Tx, agentId: string, a: { attempts: number; lastError: string; backoffSeconds: number }) {
  return db`
        update app.agent_platform_sync
        set attempts = ${a.attempts}, last_error = ${a.lastError},
            next_attempt_at = now() + make_interval(secs => ${a.backoffSeconds})
        where agent_id = ${agentId}`;
}
