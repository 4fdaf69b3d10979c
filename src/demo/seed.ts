import { agentSpec, recordAgentSynced } from '../agents/agent-platform-sync.js';
import * as agentsRepo from '../agents/agents-repo.js';
import * as phoneNumbersRepo from '../agents/phone-numbers-repo.js';
import { writeAudit, SYSTEM_ACTOR } from '../audit/audit.js';
import { issueLocalAccessToken } from '../auth/tokens.js';
import { findOrCreateUserByEmail } from '../auth/users-repo.js';
import type { AppConfig } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import type { AgentPlatform } from '../providers/agent-platform.js';
import * as orgsRepo from '../orgs/orgs-repo.js';
import * as membershipsRepo from '../orgs/memberships-repo.js';
import * as preferencesRepo from '../preferences/preferences-repo.js';

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
    let [org] = await orgsRepo.findOrganizationByNameAndCreator(tx, DEMO.orgName, ids.owner!);
    if (!org) {
      [org] = await orgsRepo.insertOrganization(tx, DEMO.orgName, ids.owner!);
      await preferencesRepo.insertDefaultPreferences(tx, org!.id);
      await writeAudit(tx, SYSTEM_ACTOR, { orgId: org!.id, action: 'organization.seeded', targetType: 'organization', targetId: org!.id });
    }
    const orgId = org!.id;
    for (const role of ['owner', 'admin', 'member'] as const) {
      await membershipsRepo.insertAcceptedMembership(tx, orgId, ids[role]!, role);
    }
    let [agent] = await agentsRepo.findFirstAgent(tx, orgId);
    if (!agent) {
      [agent] = await agentsRepo.insertDemoAgent(tx, orgId, DEMO.agentLanguage, DEMO.agentFirstMessage);
    }
    await phoneNumbersRepo.insertAgentPhoneNumber(tx, orgId, agent!.id, DEMO.agentNumber);
    return { orgId, agentId: agent!.id, ids };
  });

  // The agent exists at the agent platform too (ElevenLabs, or local mode's stand-in).
  const [agentRow] = await agentsRepo.findAgentPlatformId(serviceDb, result.agentId);
  if (!agentRow?.elevenlabs_agent_id) {
    const [prefs] = await preferencesRepo.findRetentionDays(serviceDb, result.orgId);
    const retentionDays = prefs?.retention_days ?? 30;
    const spec = agentSpec(
      { id: result.agentId, name: 'Demo agent', language: DEMO.agentLanguage, first_message: DEMO.agentFirstMessage },
      retentionDays,
      { publicBaseUrl: config.publicBaseUrl, webhookSecret: config.elevenlabs.webhookSecret },
    );
    const { externalId, toolId } = await platform.createAgent(spec);
    await agentsRepo.setAgentPlatformIds(serviceDb, result.agentId, externalId, toolId);
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
