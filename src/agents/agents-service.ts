/**
 * Agents: what callers talk to. Each agent lives twice, as our row (the source of truth) and
 * at the agent platform (ElevenLabs), and every change keeps the two in step: the platform is
 * called inside the user's transaction, after every check of ours and before our rows change,
 * so a refusal or outage there rolls our change back and is answered with a 502 that says
 * nothing was changed.
 */
import type { Logger } from 'pino';
import type { AuthContext } from '../auth/auth-middleware.js';
import { writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import type { UserDb } from '../db/user-db.js';
import { ConflictError, NotFoundError, UnprocessableError, UpstreamError } from '../lib/errors.js';
import { logger as defaultLogger } from '../lib/logger.js';
import { ADMIN_ROLES, requireOrgRole } from '../orgs/org-access.js';
import { readOrgPhone } from '../orgs/org-country.js';
import type { PreferencesListener } from '../preferences/preferences-service.js';
import { ProviderError, type AgentPlatform, type AgentSpec } from '../providers/agent-platform.js';
import { checkFirstMessage, SUPPORTED_LANGUAGES } from './disclaimer-catalogue.js';
import * as repo from './agents-repo.js';
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
  platform: AgentPlatform;
  logger?: Logger;
}

type Field = keyof NewAgent;
const FIELDS: readonly Field[] = ['name', 'language', 'first_message', 'phone_number'];
/** Fields the platform holds; a change of only the phone number stays with us. */
const PLATFORM_FIELDS: readonly Field[] = ['name', 'language', 'first_message'];

/** Refuses (422 `language_unsupported`) a language without a disclaimer catalogue entry. */
export function assertSupportedLanguage(language: string): void {
  if (!SUPPORTED_LANGUAGES.includes(language)) {
    throw new UnprocessableError(
      'language_unsupported',
      `There are no required first-message sentences for language ${JSON.stringify(language)}, so it cannot be used; ` +
        `supported languages are ${SUPPORTED_LANGUAGES.join(', ')}.`,
      { supported: SUPPORTED_LANGUAGES },
    );
  }
}

/**
 * Refuses a first message that lacks the AI disclosure or (when `recorded`) the recording notice
 * of its language, or says something false about recording: 422 `disclaimer_missing` with the
 * catalogue's message naming the missing sentence and `details: {missing, forbidden}`; 422
 * `language_unsupported` for a language without catalogue entry. Used for agents and for
 * per-call greeting overrides.
 */
export function assertFirstMessage(language: string, firstMessage: string, recorded = true): void {
  const check = checkFirstMessage(language, firstMessage, { recorded });
  if (check.ok) return;
  if (check.missing.includes('language')) {
    throw new UnprocessableError('language_unsupported', check.message, { supported: SUPPORTED_LANGUAGES });
  }
  throw new UnprocessableError('disclaimer_missing', check.message, { missing: check.missing, forbidden: check.forbidden });
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
    const days = await repo.readRetentionDays(tx, orgId);
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
      const existing = await repo.findPhoneNumber(tx, e164);
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
      const id = await repo.insertPhoneNumber(tx, orgId, e164);
      if (id) return id;
    }
    throw new ConflictError('This phone number is already used by another organisation.');
  }

  /** Deletes an agent we just created at the platform, when our side of the create failed. */
  async function compensate(orgId: string, externalId: string): Promise<void> {
    try {
      await platform.deleteAgent(externalId);
    } catch (err) {
      // The platform now holds an agent no row of ours points at; the id lets an operator remove it.
      log.warn(
        { org_id: orgId, platform: platform.name, external_agent_id: externalId, err_message: (err as Error).message },
        'could not delete the platform agent of a failed create',
      );
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
      let created: string | undefined;
      try {
        return await userDb.run(auth.claims, async (tx) => {
          await requireOrgRole(tx, orgId, ADMIN_ROLES);
          const phoneNumber = input.phone_number ? await readOrgPhone(tx, orgId, input.phone_number, 'phone_number') : null;
          assertSupportedLanguage(input.language);
          assertFirstMessage(input.language, input.first_message);
          const retentionDays = await retentionOf(tx, orgId);
          const phoneId = phoneNumber ? await claimPhoneNumber(tx, orgId, phoneNumber, null) : null;

          const spec: AgentSpec = { name: input.name, language: input.language, firstMessage: input.first_message, retentionDays };
          const { externalId } = await atPlatform('accept the agent', () => platform.createAgent(spec));
          created = externalId;

          const id = await repo.insertAgent(tx, orgId, { name: input.name, language: input.language, firstMessage: input.first_message, externalId });
          if (phoneId) await repo.setAgentPhoneNumber(tx, id, phoneId);
          await writeAudit(tx, auth.actor, {
            orgId,
            action: 'agent.created',
            targetType: 'agent',
            targetId: id,
            metadata: { language: input.language, platform: platform.name, phone_number_id: phoneId },
          });
          return mustFind(tx, orgId, id);
        });
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
      let created: string | undefined;
      try {
        return await userDb.run(auth.claims, async (tx) => {
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
          assertSupportedLanguage(next.language);
          assertFirstMessage(next.language, next.first_message);

          if (fields.includes('phone_number')) {
            const phoneId = next.phone_number ? await claimPhoneNumber(tx, orgId, next.phone_number, agentId) : null;
            await repo.setAgentPhoneNumber(tx, agentId, phoneId);
          }

          let externalId = before.elevenlabs_agent_id;
          if (fields.some((f) => PLATFORM_FIELDS.includes(f))) {
            const spec: AgentSpec = {
              name: next.name,
              language: next.language,
              firstMessage: next.first_message,
              retentionDays: await retentionOf(tx, orgId),
            };
            const known = externalId;
            const updated =
              known !== null &&
              (await atPlatform('accept the change to the agent', async () => {
                try {
                  await platform.updateAgent(known, spec);
                  return true;
                } catch (err) {
                  if (err instanceof ProviderError && err.status === 404) return false;
                  throw err;
                }
              }));
            if (!updated) {
              ({ externalId } = await atPlatform('accept the agent', () => platform.createAgent(spec)));
              created = externalId;
            }
          }

          await repo.updateAgent(tx, agentId, { name: next.name, language: next.language, firstMessage: next.first_message, externalId });
          await writeAudit(tx, auth.actor, {
            orgId,
            action: 'agent.updated',
            targetType: 'agent',
            targetId: agentId,
            metadata: { fields, ...(created ? { recreated_at_platform: true } : {}) },
          });
          return mustFind(tx, orgId, agentId);
        });
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
        await repo.deleteAgent(tx, agentId, externalId);
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

export interface RetentionPusherDeps {
  /** The service connection: this runs after the user's change committed, for the whole organisation. */
  serviceDb: ServiceDb;
  platform: AgentPlatform;
  logger?: Logger;
  /** How many platform calls run at once (default 4). */
  concurrency?: number;
}

/**
 * Returns `pushRetention(orgId, retentionDays)`, which re-sends every agent of the organisation
 * to the platform with the new retention window (ElevenLabs keeps conversations for 2 years
 * unless told otherwise). It never throws: the preference change is already committed, so a
 * failure is logged as a warning with the organisation id and the number of agents that failed.
 */
export function createRetentionPusher(deps: RetentionPusherDeps): (orgId: string, retentionDays: number) => Promise<void> {
  const log = deps.logger ?? defaultLogger;
  const concurrency = Math.max(1, deps.concurrency ?? 4);
  return async (orgId, retentionDays) => {
    let agents: repo.AgentForSync[];
    try {
      agents = await repo.listAgentsForSync(deps.serviceDb, orgId);
    } catch (err) {
      log.warn({ org_id: orgId, err_message: (err as Error).message }, 'retention not pushed to the agent platform: agents could not be read');
      return;
    }
    let failed = 0;
    let next = 0;
    const worker = async () => {
      while (next < agents.length) {
        const agent = agents[next++]!;
        try {
          await deps.platform.updateAgent(agent.elevenlabs_agent_id, {
            name: agent.name,
            language: agent.language,
            firstMessage: agent.first_message,
            retentionDays,
          });
        } catch {
          failed += 1;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, agents.length) }, worker));
    if (failed > 0) {
      log.warn(
        { org_id: orgId, platform: deps.platform.name, agents: agents.length, failed_agents: failed, retention_days: retentionDays },
        'retention not pushed to every agent at the platform',
      );
    }
  };
}

/** A preferences listener that pushes a changed retention window with `pushRetention`. */
export function retentionListener(pushRetention: (orgId: string, retentionDays: number) => Promise<void>): PreferencesListener {
  return async (orgId, before, after) => {
    if (before.retention_days !== after.retention_days) await pushRetention(orgId, after.retention_days);
  };
}
