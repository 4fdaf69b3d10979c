/**
 * Agents: what callers talk to. Each agent lives twice, as our row (the source of truth) and
 * at the agent platform (ElevenLabs), and every change keeps the two in step: the platform is
 * called inside the user's transaction, after every check of ours and before our rows change,
 * so a refusal or outage there rolls our change back and is answered with a 502 that says
 * nothing was changed.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { ConflictError, NotFoundError, UnprocessableError, UpstreamError } from '../lib/errors.js';
import { logger as defaultLogger } from '../lib/logger.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { readOrgPhone } from '../orgs/org-country.js';
import { findRetentionDays } from '../preferences/preferences-repo.js';
import { ProviderError, type AgentPlatform, type PlatformAgent } from '../providers/agent-platform.js';
import { agentSpec, recordAgentSynced, type AgentToolKeys } from './agent-platform-sync.js';
import { checkFirstMessage, SUPPORTED_LANGUAGES, type DisclaimerKey } from './disclaimer-catalogue.js';
import * as repo from './agents-repo.js';
import * as phoneNumbers from './phone-numbers-repo.js';
import type { AgentRow } from './agents-repo.js';

export type { AgentRow } from './agents-repo.js';

export interface NewAgent {
  name: string;
  language: string;
  first_message: string;
  phone_number?: string | null | undefined;
}

/** A partial change; `phone_number: null` detaches the agent's number. */
export type AgentChange = Partial<NewAgent>;

export interface AgentsServiceDeps {
  userDb: UserDb;
  /** Records what the platform confirmed (app.agent_platform_sync), after the user's change committed. */
  serviceDb: ServiceDb;
  platform: AgentPlatform;
  toolKeys: AgentToolKeys;
  logger?: Logger;
}

type Field = keyof NewAgent;
const FIELDS: readonly Field[] = ['name', 'language', 'first_message', 'phone_number'];
/** Fields the platform holds; a change of only the phone number stays with us. */
const PLATFORM_FIELDS: readonly Field[] = ['name', 'language', 'first_message'];

/** Refuses (422 `language_unsupported`) a language without a disclaimer catalogue entry. */
export function assertSupportedLanguage(language: string): void {
  const refusal = languageRefusal(language);
  if (refusal) throw refusal;
}

function languageRefusal(language: string): FirstMessageRefusal | undefined {
  if (SUPPORTED_LANGUAGES.includes(language)) return undefined;
  return new UnprocessableError(
    'language_unsupported',
    `There are no required first-message sentences for language ${JSON.stringify(language)}, so it cannot be used; ` +
      `supported languages are ${SUPPORTED_LANGUAGES.join(', ')}.`,
    { supported: SUPPORTED_LANGUAGES },
  ) as FirstMessageRefusal;
}

/**
 * Refuses a first message that lacks the AI disclosure or (when `recorded`) the recording notice
 * of its language, or says something false about recording: 422 `disclaimer_missing` with the
 * catalogue's message naming the missing sentence and `details: {missing, forbidden}`; 422
 * `language_unsupported` for a language without catalogue entry. Used for agents and for
 * per-call greeting overrides.
 */
export function assertFirstMessage(language: string, firstMessage: string, recorded = true): void {
  const refusal = firstMessageRefusal(language, firstMessage, recorded);
  if (refusal) throw refusal;
}

/** What a first message lacks or must not say: the 422 that assertFirstMessage throws, or undefined when it passes. */
export type FirstMessageRefusal =
  | (UnprocessableError & { code: 'language_unsupported'; details: { supported: readonly string[] } })
  | (UnprocessableError & { code: 'disclaimer_missing'; details: { missing: DisclaimerKey[]; forbidden: Array<'recording_notice' | 'not_recorded_notice'> } });

/** The rule assertFirstMessage enforces, as a value: the refusal it would throw, or undefined. */
export function firstMessageRefusal(language: string, firstMessage: string, recorded = true): FirstMessageRefusal | undefined {
  const check = checkFirstMessage(language, firstMessage, { recorded });
  if (check.ok) return undefined;
  if (check.missing.includes('language')) {
    return new UnprocessableError('language_unsupported', check.message, { supported: SUPPORTED_LANGUAGES }) as FirstMessageRefusal;
  }
  const missing = check.missing.filter((k): k is DisclaimerKey => k !== 'language');
  return new UnprocessableError('disclaimer_missing', check.message, { missing, forbidden: check.forbidden }) as FirstMessageRefusal;
}

/**
 * The rule an agent's language and first message must pass when it is created or changed: a
 * catalogue language as listed, and a first message with its sentences for recorded calls.
 * The 422 that create and update throw, or undefined. The dashboard's live check shows this
 * verdict as the operator types, so the check and saving can never disagree.
 */
export function agentFirstMessageRefusal(language: string, firstMessage: string): FirstMessageRefusal | undefined {
  return languageRefusal(language) ?? firstMessageRefusal(language, firstMessage);
}

function platformLabel(err: ProviderError): string {
  return err.provider === 'elevenlabs' ? 'ElevenLabs' : 'The agent platform';
}

/** Runs a platform call; its failure becomes the 502 the API answers (our transaction then rolls back). */
async function atPlatform<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProviderError) {
      throw new UpstreamError(`${platformLabel(err)} did not ${what}: ${err.message}; nothing was changed.`);
    }
    throw err;
  }
}

/** Agents of an organisation: members read; owners and admins create, change and delete (audited). */
export function createAgentsService(deps: AgentsServiceDeps) {
  const { userDb, platform } = deps;
  const log = deps.logger ?? defaultLogger;

  async function retentionOf(tx: Tx, orgId: string): Promise<number> {
    const [prefs] = await findRetentionDays(tx, orgId);
    const days = prefs?.retention_days;
    if (days === undefined) throw new NotFoundError('Organisation not found.');
    return days;
  }

  /**
   * Finds or adds the organisation's row for `e164` for `agentId` (null while creating), before
   * anything is created at the platform. A number of another agent or organisation is a 409;
   * a detached number of this organisation is reused.
   */
  async function claimPhoneNumber(tx: Tx, orgId: string, e164: string, agentId: string | null): Promise<string> {
    for (let attempt = 0; ; attempt++) {
      const existing = await phoneNumbers.findPhoneNumber(tx, e164);
      if (existing) {
        if (existing.org_id !== orgId) break;
        if (existing.agent_id !== null && existing.agent_id !== agentId) {
          throw new ConflictError(`This phone number already rings another agent of this organisation (${existing.agent_id}); remove it there first.`);
        }
        return existing.id;
      }
      // Not found: RLS hides it, or a concurrent request added it after our look (the insert
      // then waited for that commit); looking once more tells the two apart.
      if (attempt > 0) break;
      const id = await phoneNumbers.insertPhoneNumber(tx, orgId, e164);
      if (id) return id;
    }
    throw new ConflictError('This phone number is already used by another organisation.');
  }

  /** Deletes an agent (and its tool) we just created at the platform, when our side of the change failed. */
  async function compensate(orgId: string, created: PlatformAgent): Promise<void> {
    const externalId = created.externalId;
    try {
      await platform.deleteAgent(externalId);
      if (created.toolId !== null) await platform.deleteTool(created.toolId);
    } catch (err) {
      // The platform now holds an agent no row of ours points at; the id lets an operator remove it.
      log.warn(
        { org_id: orgId, platform: platform.name, external_agent_id: externalId, err_message: (err as Error).message },
        'could not delete the platform agent of a failed create',
      );
    }
  }

  /**
   * Notes what the platform now holds for the agent. The change is committed already, so a
   * failure here only leaves the agent due for the agent-platform-sync job, which pushes it again.
   */
  async function synced(agentId: string, orgId: string, retentionDays: number): Promise<void> {
    try {
      await recordAgentSynced(deps.serviceDb, { agentId, orgId, retentionDays });
    } catch (err) {
      log.warn({ agent_id: agentId, org_id: orgId, err_name: (err as Error).name }, 'platform state of the agent not recorded; the sync job pushes it again');
    }
  }

  async function mustFind(tx: Tx, orgId: string, agentId: string, lock = false): Promise<AgentRow> {
    const agent = await repo.findAgent(tx, orgId, agentId, { lock });
    if (!agent) throw new NotFoundError('Agent not found.');
    return agent;
  }

  return {
    /** The organisation's agents (members). */
    async list(auth: AuthContext, orgId: string): Promise<AgentRow[]> {
      return userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        return repo.listAgents(tx, orgId);
      });
    },

    /** One agent (members). */
    async get(auth: AuthContext, orgId: string, agentId: string): Promise<AgentRow> {
      return userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId);
        return mustFind(tx, orgId, agentId);
      });
    },

    /**
     * Creates an agent (owner/admin): checks the language and disclaimer (422) and reserves the
     * phone number (409) first, then creates the agent at the platform with the organisation's
     * retention window, then writes our rows. If our side fails after the platform created the
     * agent, the platform agent is deleted again.
     */
    async create(auth: AuthContext, orgId: string, input: NewAgent): Promise<AgentRow> {
      let created: PlatformAgent | undefined;
      let retentionDays = 0;
      try {
        const row = await userDb.run(auth.claims, async (tx) => {
          await requireOrgRole(tx, orgId, ADMIN_ROLES);
          const phoneNumber = input.phone_number ? await readOrgPhone(tx, orgId, input.phone_number, 'phone_number') : null;
          const refusal = agentFirstMessageRefusal(input.language, input.first_message);
          if (refusal) throw refusal;
          retentionDays = await retentionOf(tx, orgId);
          const phoneId = phoneNumber ? await claimPhoneNumber(tx, orgId, phoneNumber, null) : null;

          // The id is chosen here: the agent's tool at the platform carries a secret derived from it.
          const id = randomUUID();
          const spec = agentSpec({ id, name: input.name, language: input.language, first_message: input.first_message }, retentionDays, deps.toolKeys);
          const platformAgent = await atPlatform('accept the agent', () => platform.createAgent(spec));
          created = platformAgent;

          await repo.insertAgent(tx, orgId, {
            id,
            name: input.name,
            language: input.language,
            firstMessage: input.first_message,
            externalId: platformAgent.externalId,
            toolId: platformAgent.toolId,
          });
          if (phoneId) await phoneNumbers.setAgentPhoneNumber(tx, id, phoneId);
          await writeAudit(tx, auth.actor, {
            orgId,
            action: 'agent.created',
            targetType: 'agent',
            targetId: id,
            metadata: { language: input.language, platform: platform.name, phone_number_id: phoneId },
          });
          return mustFind(tx, orgId, id);
        });
        await synced(row.id, orgId, retentionDays);
        return row;
      } catch (err) {
        // Also covers a failed COMMIT, which happens after the callback returned.
        if (created !== undefined) await compensate(orgId, created);
        throw err;
      }
    },

    /**
     * Changes an agent (owner/admin). The resulting language and first message are checked
     * (422) and a new number reserved (409) before the platform is told; the platform gets the
     * whole resulting spec. An agent the platform no longer knows (or never had, e.g. the seeded
     * demo agent) is created there anew. A change that changes nothing writes nothing.
     */
    async update(auth: AuthContext, orgId: string, agentId: string, change: AgentChange): Promise<AgentRow> {
      let created: PlatformAgent | undefined;
      let pushedRetention: number | undefined;
      try {
        const row = await userDb.run(auth.claims, async (tx) => {
          await requireOrgRole(tx, orgId, ADMIN_ROLES);
          const before = await mustFind(tx, orgId, agentId, true);
          const next = {
            name: change.name ?? before.name,
            language: change.language ?? before.language,
            first_message: change.first_message ?? before.first_message,
            phone_number:
              change.phone_number === undefined
                ? before.phone_number
                : change.phone_number && (await readOrgPhone(tx, orgId, change.phone_number, 'phone_number')),
          };
          const fields = FIELDS.filter((f) => next[f] !== before[f]);
          if (fields.length === 0) return before;
          const refusal = agentFirstMessageRefusal(next.language, next.first_message);
          if (refusal) throw refusal;

          if (fields.includes('phone_number')) {
            const phoneId = next.phone_number ? await claimPhoneNumber(tx, orgId, next.phone_number, agentId) : null;
            await phoneNumbers.setAgentPhoneNumber(tx, agentId, phoneId);
          }

          let externalId = before.elevenlabs_agent_id;
          let toolId = before.elevenlabs_tool_id;
          if (fields.some((f) => PLATFORM_FIELDS.includes(f))) {
            const retentionDays = await retentionOf(tx, orgId);
            const spec = agentSpec({ id: agentId, name: next.name, language: next.language, first_message: next.first_message }, retentionDays, deps.toolKeys);
            const known = externalId;
            const updated =
              known === null
                ? undefined
                : await atPlatform('accept the change to the agent', async () => {
                    try {
                      return await platform.updateAgent({ externalId: known, toolId }, spec);
                    } catch (err) {
                      if (err instanceof ProviderError && err.status === 404) return undefined;
                      throw err;
                    }
                  });
            if (updated) {
              ({ externalId, toolId } = updated);
            } else {
              created = await atPlatform('accept the agent', () => platform.createAgent(spec));
              ({ externalId, toolId } = created);
            }
            pushedRetention = retentionDays;
          }

          await repo.updateAgent(tx, agentId, { name: next.name, language: next.language, firstMessage: next.first_message, externalId, toolId });
          await writeAudit(tx, auth.actor, {
            orgId,
            action: 'agent.updated',
            targetType: 'agent',
            targetId: agentId,
            metadata: { fields, ...(created ? { recreated_at_platform: true } : {}) },
          });
          return mustFind(tx, orgId, agentId);
        });
        if (pushedRetention !== undefined) await synced(agentId, orgId, pushedRetention);
        return row;
      } catch (err) {
        if (created !== undefined) await compensate(orgId, created);
        throw err;
      }
    },

    /**
     * Deletes an agent (owner/admin): at the platform first (already gone counts as done),
     * then our row. Its phone number stays with the organisation, detached, so no other
     * organisation can take it over and it can be given to another agent.
     */
    async remove(auth: AuthContext, orgId: string, agentId: string): Promise<void> {
      await userDb.run(auth.claims, async (tx) => {
        await requireOrgRole(tx, orgId, ADMIN_ROLES);
        const agent = await mustFind(tx, orgId, agentId, true);
        const externalId = agent.elevenlabs_agent_id;
        const atPlatformResult = externalId === null ? 'none' : await atPlatform('delete the agent', () => platform.deleteAgent(externalId));
        // The agent is gone at the platform; its tool follows. Should that fail, the database
        // queues the tool's deletion (see the agent_platform_sync migration) and it is retried.
        let toolDeleted: string | null = null;
        if (agent.elevenlabs_tool_id !== null) {
          try {
            await platform.deleteTool(agent.elevenlabs_tool_id);
            toolDeleted = agent.elevenlabs_tool_id;
          } catch (err) {
            log.warn({ agent_id: agentId, org_id: orgId, err_message: (err as Error).message }, 'the agent tool is queued for deletion');
          }
        }
        await repo.deleteAgent(tx, agentId, externalId, toolDeleted);
        await writeAudit(tx, auth.actor, {
          orgId,
          action: 'agent.deleted',
          targetType: 'agent',
          targetId: agentId,
          metadata: { platform: platform.name, platform_result: atPlatformResult },
        });
      });
    },
  };
}

export type AgentsService = ReturnType<typeof createAgentsService>;
