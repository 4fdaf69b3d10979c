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
  /**
   * One agent per language, each on its own number: a German, a Polish and an English
   * (UK) number, so a caller from each country hears the consent question and then the
   * agent in one language. Each first message opens with the catalogue's disclosure.
   */
  agents: [
    {
      name: 'Demo agent (Deutsch)',
      language: 'de',
      number: '+493012345678',
      firstMessage: 'Guten Tag! Sie sprechen mit einem KI-Assistenten. Dieses Gespräch wird aufgezeichnet. Wie kann ich Ihnen helfen?',
    },
    {
      name: 'Demo agent (polski)',
      language: 'pl',
      number: '+48221234567',
      firstMessage: 'Dzień dobry! Ta rozmowa jest prowadzona przez asystenta AI. Ta rozmowa jest nagrywana. W czym mogę pomóc?',
    },
    {
      name: 'Demo agent (English)',
      language: 'en',
      number: '+442071838750',
      firstMessage: 'Hello! You are speaking with an AI assistant. This call is recorded. How can I help you today?',
    },
  ],
} as const;

export interface DemoSeed {
  organization_id: string;
  /** The first (German) agent's id. */
  agent_id: string;
  agents: { agent_id: string; name: string; language: string; phone_number: string }[];
  phone_numbers: string[];
  users: { role: 'owner' | 'admin' | 'member'; user_id: string; email: string; token: string }[];
}

/**
 * Creates (or finds) the demo organisation with an owner, an admin and a
 * member, its three agents (German, Polish, English) and their numbers, and signs a local token for each
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
    const agentIds: string[] = [];
    for (const demo of DEMO.agents) {
      let [agent] = await agentsRepo.findAgentByName(tx, orgId, demo.name);
      if (!agent) [agent] = await agentsRepo.insertDemoAgent(tx, orgId, demo.name, demo.language, demo.firstMessage);
      await phoneNumbersRepo.insertAgentPhoneNumber(tx, orgId, agent!.id, demo.number);
      agentIds.push(agent!.id);
    }
    return { orgId, agentIds, ids };
  });

  // Each agent exists at the agent platform too (ElevenLabs, or local mode's stand-in).
  for (const [i, demo] of DEMO.agents.entries()) {
    const agentId = result.agentIds[i]!;
    const [agentRow] = await agentsRepo.findAgentPlatformId(serviceDb, agentId);
    if (agentRow?.elevenlabs_agent_id) continue;
    const [prefs] = await preferencesRepo.findRetentionDays(serviceDb, result.orgId);
    const retentionDays = prefs?.retention_days ?? 30;
    const spec = agentSpec(
      { id: agentId, name: demo.name, language: demo.language, first_message: demo.firstMessage },
      retentionDays,
      { publicBaseUrl: config.publicBaseUrl, webhookSecret: config.elevenlabs.webhookSecret },
    );
    const { externalId, toolId } = await platform.createAgent(spec);
    await agentsRepo.setAgentPlatformIds(serviceDb, agentId, externalId, toolId);
    await recordAgentSynced(serviceDb, { agentId, orgId: result.orgId, retentionDays });
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
  return {
    organization_id: result.orgId,
    agent_id: result.agentIds[0]!,
    agents: DEMO.agents.map((a, i) => ({ agent_id: result.agentIds[i]!, name: a.name, language: a.language, phone_number: a.number })),
    phone_numbers: DEMO.agents.map((a) => a.number),
    users,
  };
}
