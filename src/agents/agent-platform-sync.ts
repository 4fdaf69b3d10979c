/**
 * Keeps every agent at ElevenLabs in line with ours, durably: the configuration (no voice
 * recorded there, the stop_recording tool attached, the system prompt) and the organisation's
 * retention window.
 *
 * What ElevenLabs last confirmed for an agent is kept in app.agent_platform_sync (only the
 * service connection reaches it). An agent is due when that differs from what it should be:
 * an older configuration version, another retention window, or no record at all (agents made
 * before this existed, or whose record was lost). The agent-platform-sync job pushes due agents
 * every minute, leasing rows like the provider-deletion queue (FOR UPDATE SKIP LOCKED, next
 * attempt pushed out while the platform is asked), retrying failures with exponential backoff
 * and never giving up: a retention change made while ElevenLabs is down reaches it later, and
 * the trust check `agent_platform` fails meanwhile. A changed retention window is pushed at
 * once after the change commits; the job only catches what that push could not do.
 */
import type { Logger } from 'pino';
import { SYSTEM_ACTOR, writeAudit } from '../audit/audit.js';
import type { ServiceDb, Tx } from '../db/database.js';
import { backoffSeconds } from '../deletions/provider-deletions.js';
import { logger as defaultLogger } from '../lib/logger.js';
import { AGENT_CONFIG_VERSION, ProviderError, type AgentPlatform, type AgentSpec } from '../providers/agent-platform.js';
import { stopRecordingTool } from '../providers/stop-recording-tool.js';
import * as syncRepo from './agent-platform-sync-repo.js';
import type { DueAgent } from './agent-platform-sync-repo.js';
import { setPlatformIdsIfUnchanged } from './agents-repo.js';
import type { PreferencesListener } from '../preferences/preferences-service.js';

/** What building an agent's tool needs: where ElevenLabs posts, and the key its secret comes from. */
export interface AgentToolKeys {
  publicBaseUrl: string;
  webhookSecret: string;
}

/** The whole spec of one of our agents, as the platform must hold it. */
export function agentSpec(
  agent: { id: string; name: string; language: string; first_message: string },
  retentionDays: number,
  keys: AgentToolKeys,
): AgentSpec {
  return {
    name: agent.name,
    language: agent.language,
    firstMessage: agent.first_message,
    retentionDays,
    stopRecordingTool: stopRecordingTool(keys.publicBaseUrl, keys.webhookSecret, agent.id),
  };
}

/** Records what the platform confirmed for an agent (after a create or update succeeded). */
export async function recordAgentSynced(
  db: ServiceDb | Tx,
  s: { agentId: string; orgId: string; retentionDays: number; configVersion?: number },
): Promise<void> {
  await syncRepo.upsertSynced(db, s);
}

export interface AgentSyncDeps {
  serviceDb: ServiceDb;
  agentPlatform: AgentPlatform;
  toolKeys: AgentToolKeys;
  logger?: Logger;
}

export interface AgentSyncCounts {
  claimed: number;
  pushed: number;
  recreated: number;
  failed: number;
}

/**
 * Pushes due agents (all, or one organisation's with `orgId`) to the platform. Rows are leased,
 * not held: a short statement claims due rows and pushes their next attempt five minutes out;
 * the platform is asked outside any transaction and each outcome written back.
 */
export async function syncAgents(deps: AgentSyncDeps, opts: { orgId?: string; batchSize?: number; maxBatches?: number } = {}): Promise<AgentSyncCounts> {
  const db = deps.serviceDb;
  const log = deps.logger ?? defaultLogger;
  const counts: AgentSyncCounts = { claimed: 0, pushed: 0, recreated: 0, failed: 0 };
  const batchSize = opts.batchSize ?? 25;

  // Agents without a record are due: give them one (config version 0 = never confirmed).
  await syncRepo.insertMissingRecords(db, opts.orgId);

  for (let batch = 0; batch < (opts.maxBatches ?? 20); batch += 1) {
    const rows = await syncRepo.leaseDueAgents(db, opts.orgId, batchSize);

    for (const row of rows) {
      counts.claimed += 1;
      await pushOne(deps, row, counts, log);
    }
    if (rows.length < batchSize) break;
  }
  return counts;
}

async function pushOne(deps: AgentSyncDeps, row: DueAgent, counts: AgentSyncCounts, log: Logger): Promise<void> {
  const db = deps.serviceDb;
  const spec = agentSpec({ id: row.agent_id, name: row.name, language: row.language, first_message: row.first_message }, row.retention_days, deps.toolKeys);
  try {
    let current = { externalId: row.elevenlabs_agent_id, toolId: row.elevenlabs_tool_id };
    let recreated = false;
    try {
      current = await deps.agentPlatform.updateAgent(current, spec);
    } catch (err) {
      // The platform lost the agent (deleted by hand, or never had it, like a seeded demo agent): make it anew.
      if (!(err instanceof ProviderError && err.status === 404)) throw err;
      current = await deps.agentPlatform.createAgent(spec);
      recreated = true;
    }
    await db.begin(async (tx) => {
      // The agent may have been deleted or changed meanwhile: write only to the row we pushed.
      const [still] = await setPlatformIdsIfUnchanged(tx, {
        agentId: row.agent_id,
        pushedExternalId: row.elevenlabs_agent_id,
        externalId: current.externalId,
        toolId: current.toolId,
      });
      if (!still) return;
      await recordAgentSynced(tx, { agentId: row.agent_id, orgId: row.org_id, retentionDays: row.retention_days });
      if (recreated || row.confirmed_retention_days !== row.retention_days) {
        await writeAudit(tx, SYSTEM_ACTOR, {
          orgId: row.org_id,
          action: 'agent.retention_pushed',
          targetType: 'agent',
          targetId: row.agent_id,
          metadata: { retention_days: row.retention_days, config_version: AGENT_CONFIG_VERSION, attempts: row.attempts + 1, recreated },
        });
      }
    });
    counts.pushed += 1;
    if (recreated) counts.recreated += 1;
  } catch (err) {
    const e = err instanceof ProviderError ? err : new ProviderError(deps.agentPlatform.name, (err as Error).message);
    const attempts = row.attempts + 1;
    await db.begin(async (tx) => {
      await syncRepo.recordFailure(tx, row.agent_id, { attempts, lastError: e.message.slice(0, 500), backoffSeconds: backoffSeconds(attempts) });
      await writeAudit(tx, SYSTEM_ACTOR, {
        orgId: row.org_id,
        action: 'agent.retention_push_failed',
        targetType: 'agent',
        targetId: row.agent_id,
        metadata: { retention_days: row.retention_days, attempts, provider_status: e.status ?? null },
      });
    });
    counts.failed += 1;
    log.warn({ agent_id: row.agent_id, org_id: row.org_id, attempts, status: e.status }, 'agent not pushed to the platform; retried later');
  }
}

/**
 * A preferences listener: a changed retention window is pushed to the organisation's agents at
 * once, after the change committed. It never throws; what fails stays due for the job.
 */
export function retentionListener(deps: AgentSyncDeps): PreferencesListener {
  const log = deps.logger ?? defaultLogger;
  return async (orgId, before, after) => {
    if (before.retention_days === after.retention_days) return;
    try {
      const counts = await syncAgents(deps, { orgId, maxBatches: 4 });
      if (counts.failed > 0) {
        log.warn({ org_id: orgId, failed_agents: counts.failed }, 'retention not pushed to every agent yet; the agent-platform-sync job retries');
      }
    } catch (err) {
      log.warn({ org_id: orgId, err_name: (err as Error).name }, 'retention push deferred to the agent-platform-sync job');
    }
  };
}
