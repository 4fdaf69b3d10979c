/**
 * The SQL of the demo seed (src/demo/seed.ts): the demo organisation, its
 * members, agent and number, found or created. Each function takes the
 * transaction or connection to run on (the service handle's).
 */
import type { ServiceDb, Tx } from '../db/database.js';

type Db = ServiceDb | Tx;

export function findOrgByNameAndCreator(tx: Tx, name: string, createdBy: string) {
  return tx<{ id: string }[]>`
      select id from public.organizations where name = ${name} and created_by = ${createdBy}`;
}

export function insertOrg(tx: Tx, name: string, createdBy: string) {
  return tx<{ id: string }[]>`
        insert into public.organizations (name, created_by) values (${name}, ${createdBy}) returning id`;
}

export function insertDefaultPreferences(tx: Tx, orgId: string) {
  return tx`insert into public.privacy_preferences (org_id) values (${orgId})`;
}

export function insertAcceptedMembership(tx: Tx, orgId: string, userId: string, role: 'owner' | 'admin' | 'member') {
  return tx`
        insert into public.memberships (org_id, user_id, role, accepted_at)
        values (${orgId}, ${userId}, ${role}, now())
        on conflict (org_id, user_id) do nothing`;
}

export function findFirstAgent(tx: Tx, orgId: string) {
  return tx<{ id: string }[]>`select id from public.agents where org_id = ${orgId} order by created_at limit 1`;
}

export function insertDemoAgent(tx: Tx, orgId: string, language: string, firstMessage: string) {
  return tx<{ id: string }[]>`
        insert into public.agents (org_id, name, language, first_message)
        values (${orgId}, 'Demo agent', ${language}, ${firstMessage}) returning id`;
}

export function insertPhoneNumber(tx: Tx, orgId: string, agentId: string, e164: string) {
  return tx`
      insert into public.phone_numbers (org_id, agent_id, e164)
      values (${orgId}, ${agentId}, ${e164})
      on conflict (e164) do nothing`;
}

export function findAgentPlatformId(db: Db, agentId: string) {
  return db<{ elevenlabs_agent_id: string | null }[]>`
    select elevenlabs_agent_id from public.agents where id = ${agentId}`;
}

export function findRetentionDays(db: Db, orgId: string) {
  return db<{ retention_days: number }[]>`
      select retention_days from public.privacy_preferences where org_id = ${orgId}`;
}

export function setAgentPlatformIds(db: Db, agentId: string, externalId: string, toolId: string | null) {
  return db`update public.agents set elevenlabs_agent_id = ${externalId}, elevenlabs_tool_id = ${toolId} where id = ${agentId}`;
}
