import { agentSpec, recordAgentSynced } from '../agents/agent-platform-sync.js';
import { writeAudit, SYSTEM_ACTOR } from '../audit/audit.js';
import { issueLocalAccessToken } from '../auth/tokens.js';
import { findOrCreateUserByEmail } from '../auth/users-repo.js';
import type { AppConfig } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import type { AgentPlatform } from '../providers/agent-platform.js';

export const DEMO = {
  orgName: 'Demo Organisation',
  owner: 'owner@demo.example',
  admin: 'admin@demo.example',
  member: 'member@demo.example',
  agentNumber: '+493012345678',
  agentLanguage: 'en',
  agentFirstMessage: 'Hello! You are speaking with an AI assistant. This call is recorded. How can I help you today?',
} as const;

export interface DemoSeed {
  organization_id: string;
  agent_id: string;
  phone_numbers: string[];
  users: { role: 'owner' | 'admin' | 'member'; user_id: string; email: string; token: string }[];
}

/**
 * Creates (or finds) the demo organisation with an owner, an admin and a
 * member, an agent and its phone number, and signs a local token for each
 * user. Running it again changes nothing but the tokens.
 */
export async function seedDemo(
  serviceDb: ServiceDb,
  config: Pick<AppConfig, 'blindIndexKey' | 'supabase' | 'publicBaseUrl' | 'elevenlabs'>,
  platform: AgentPlatform,
): Promise<DemoSeed> {
  const people = { owner: DEMO.owner, admin: DEMO.admin, member: DEMO.member } as const;
  const result = await serviceDb.begin(async (tx) => {
    const ids: Record<string, string> = {};
    for (const [role, email] of Object.entries(people)) {
      ids[role] = (await findOrCreateUserByEmail(tx, config.blindIndexKey, email)).id;
    }
    let [org] = await tx<{ id: string }[]>`
      select id from public.organizations where name = ${DEMO.orgName} and created_by = ${ids.owner!}`;
    if (!org) {
      [org] = await tx<{ id: string }[]>`
        insert into public.organizations (name, created_by) values (${DEMO.orgName}, ${ids.owner!}) returning id`;
      await tx`insert into public.privacy_preferences (org_id) values (${org!.id})`;
      await writeAudit(tx, SYSTEM_ACTOR, { orgId: org!.id, action: 'organization.seeded', targetType: 'organization', targetId: org!.id });
    }
    const orgId = org!.id;
    for (const role of ['owner', 'admin', 'member'] as const) {
      await tx`
        insert into public.memberships (org_id, user_id, role, accepted_at)
        values (${orgId}, ${ids[role]!}, ${role}, now())
        on conflict (org_id, user_id) do nothing`;
    }
    let [agent] = await tx<{ id: string }[]>`select id from public.agents where org_id = ${orgId} order by created_at limit 1`;
    if (!agent) {
      [agent] = await tx<{ id: string }[]>`
        insert into public.agents (org_id, name, language, first_message)
        values (${orgId}, 'Demo agent', ${DEMO.agentLanguage}, ${DEMO.agentFirstMessage}) returning id`;
    }
    await tx`
      insert into public.phone_numbers (org_id, agent_id, e164)
      values (${orgId}, ${agent!.id}, ${DEMO.agentNumber})
      on conflict (e164) do nothing`;
    return { orgId, agentId: agent!.id, ids };
  });

  // The agent exists at the agent platform too (ElevenLabs, or local mode's stand-in).
  const [agentRow] = await serviceDb<{ elevenlabs_agent_id: string | null }[]>`
    select elevenlabs_agent_id from public.agents where id = ${result.agentId}`;
  if (!agentRow?.elevenlabs_agent_id) {
    const [prefs] = await serviceDb<{ retention_days: number }[]>`
      select retention_days from public.privacy_preferences where org_id = ${result.orgId}`;
    const retentionDays = prefs?.retention_days ?? 30;
    const spec = agentSpec(
      { id: result.agentId, name: 'Demo agent', language: DEMO.agentLanguage, first_message: DEMO.agentFirstMessage },
      retentionDays,
      { publicBaseUrl: config.publicBaseUrl, webhookSecret: config.elevenlabs.webhookSecret },
    );
    const { externalId, toolId } = await platform.createAgent(spec);
    await serviceDb`update public.agents set elevenlabs_agent_id = ${externalId}, elevenlabs_tool_id = ${toolId} where id = ${result.agentId}`;
    await recordAgentSynced(serviceDb, { agentId: result.agentId, orgId: result.orgId, retentionDays });
  }

  const users: DemoSeed['users'] = [];
  for (const role of ['owner', 'admin', 'member'] as const) {
    const token = await issueLocalAccessToken(config.supabase.jwtSecret!, {
      sub: result.ids[role]!,
      email: people[role],
      expiresInSeconds: 12 * 3600,
    });
    users.push({ role, user_id: result.ids[role]!, email: people[role], token });
  }
  return { organization_id: result.orgId, agent_id: result.agentId, phone_numbers: [DEMO.agentNumber], users };
}
