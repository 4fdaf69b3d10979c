/**
 * SQL for agents (their numbers: phone-numbers-repo.ts). Functions taking a `Tx` run inside a user's
 * transaction, so row-level security decides what they see and change.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import { exportedColumns } from '../privacy/personal-data-map.js';

/** An agent as the API shows it. */
export interface AgentRow {
  id: string;
  name: string;
  language: string;
  first_message: string;
  /** The E.164 number that rings this agent, or null. */
  phone_number: string | null;
  elevenlabs_agent_id: string | null;
  /** the agent's stop_recording tool at the platform */
  elevenlabs_tool_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface AgentFields {
  name: string;
  language: string;
  firstMessage: string;
  externalId: string | null;
  toolId: string | null;
}

// Our API gives an agent one number; if several rows point at it (written outside the API),
// the oldest one is shown, so the answer is stable.
function phoneOfAgent(tx: Tx) {
  return tx`select p.e164 from public.phone_numbers p where p.agent_id = a.id order by p.created_at, p.e164 limit 1`;
}

/** The organisation's agents, oldest first. */
export async function listAgents(tx: Tx, orgId: string): Promise<AgentRow[]> {
  return tx<AgentRow[]>`
    select a.id, a.name, a.language, a.first_message, (${phoneOfAgent(tx)}) as phone_number,
           a.elevenlabs_agent_id, a.elevenlabs_tool_id, a.created_at, a.updated_at
    from public.agents a
    where a.org_id = ${orgId}
    order by a.created_at, a.id`;
}

/** One agent of the organisation; `lock` takes a row lock until the transaction ends. */
export async function findAgent(tx: Tx, orgId: string, agentId: string, opts: { lock?: boolean } = {}): Promise<AgentRow | undefined> {
  const [row] = await tx<AgentRow[]>`
    select a.id, a.name, a.language, a.first_message, (${phoneOfAgent(tx)}) as phone_number,
           a.elevenlabs_agent_id, a.elevenlabs_tool_id, a.created_at, a.updated_at
    from public.agents a
    where a.org_id = ${orgId} and a.id = ${agentId}
    ${opts.lock ? tx`for update of a` : tx``}`;
  return row;
}

/** Inserts an agent created by the signed-in user, with the id chosen for it. */
/** The organisation's oldest agent (the demo seed finds its agent again, on the service handle). */
/** The organisation's agent of this name, the oldest if several (the demo seed finds its agents so). */
export function findAgentByName(tx: Tx, orgId: string, name: string) {
  return tx<{ id: string }[]>`select id from public.agents where org_id = ${orgId} and name = ${name} order by created_at limit 1`;
}

/** One of the demo organisation's agents, not yet at the agent platform (service handle). */
export function insertDemoAgent(tx: Tx, orgId: string, name: string, language: string, firstMessage: string) {
  return tx<{ id: string }[]>`
        insert into public.agents (org_id, name, language, first_message)
        values (${orgId}, ${name}, ${language}, ${firstMessage}) returning id`;
}

export async function insertAgent(tx: Tx, orgId: string, fields: AgentFields & { id: string }): Promise<void> {
  await tx`
    insert into public.agents (id, org_id, name, language, first_message, elevenlabs_agent_id, elevenlabs_tool_id, created_by)
    values (${fields.id}, ${orgId}, ${fields.name}, ${fields.language}, ${fields.firstMessage}, ${fields.externalId},
            ${fields.toolId}, auth.uid())`;
}

/** Writes every field of an agent (updated_at is set by trigger). */
export async function updateAgent(tx: Tx, agentId: string, fields: AgentFields): Promise<void> {
  await tx`
    update public.agents set
      name = ${fields.name},
      language = ${fields.language},
      first_message = ${fields.firstMessage},
      elevenlabs_agent_id = ${fields.externalId},
      elevenlabs_tool_id = ${fields.toolId}
    where id = ${agentId}`;
}

/**
 * Deletes the agent's row; its phone numbers stay with the organisation, detached (FK `on delete
 * set null`). `deletedAtPlatform` / `toolDeleted`: the platform agent and tool of those ids are
 * gone already, so the database does not queue their deletion (see the agent_deletion_trigger
 * and agent_platform_sync migrations).
 */
export async function deleteAgent(tx: Tx, agentId: string, deletedAtPlatform: string | null, toolDeleted: string | null = null): Promise<void> {
  if (deletedAtPlatform) await tx`select set_config('app.platform_agent_deleted', ${deletedAtPlatform}, true)`;
  if (toolDeleted) await tx`select set_config('app.platform_tool_deleted', ${toolDeleted}, true)`;
  await tx`delete from public.agents where id = ${agentId}`;
}

/** The agent's id at the agent platform, null while it has none (service handle). */
export function findAgentPlatformId(db: Tx | ServiceDb, agentId: string) {
  return db<{ elevenlabs_agent_id: string | null }[]>`
    select elevenlabs_agent_id from public.agents where id = ${agentId}`;
}

/** Stores the platform's ids for an agent just created there (service handle). */
export function setAgentPlatformIds(db: Tx | ServiceDb, agentId: string, externalId: string, toolId: string | null) {
  return db`update public.agents set elevenlabs_agent_id = ${externalId}, elevenlabs_tool_id = ${toolId} where id = ${agentId}`;
}

/**
 * Stores the platform's ids for an agent, only if the agent still has the
 * platform id that was pushed (it may have been deleted or changed meanwhile).
 * Service handle: the agent-platform-sync job.
 */
export function setPlatformIdsIfUnchanged(
  db: Tx | ServiceDb,
  a: { agentId: string; pushedExternalId: string; externalId: string; toolId: string | null },
) {
  return db`
        update public.agents set elevenlabs_agent_id = ${a.externalId}, elevenlabs_tool_id = ${a.toolId}
        where id = ${a.agentId} and elevenlabs_agent_id = ${a.pushedExternalId}
        returning id`;
}

/** The organisation's agents at the agent platform (account deletion queues their deletion). */
export function platformAgentIdsOfOrg(tx: Tx, orgId: string) {
  return tx<{ id: string }[]>`
          select elevenlabs_agent_id as id from public.agents where org_id = ${orgId} and elevenlabs_agent_id is not null`;
}

/** The organisation's agents for an export, with the personal columns the map exports. */
export function listAgentsForExport(tx: Tx, orgId: string) {
  return tx`select ${tx(['id', 'name', 'language', 'first_message', 'elevenlabs_agent_id', 'created_at', 'updated_at', ...exportedColumns('agents')])} from public.agents where org_id = ${orgId}`;
}

/** The organisation's phone numbers for an export, with the personal columns the map exports. */
export function listPhoneNumbersForExport(tx: Tx, orgId: string) {
  return tx`select ${tx(['id', 'agent_id', 'e164', 'created_at', ...exportedColumns('phone_numbers')])} from public.phone_numbers where org_id = ${orgId}`;
}
