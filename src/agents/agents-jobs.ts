import type { JobDefinition } from '../lib/job.js';
import { syncAgents, type AgentSyncDeps } from './agent-platform-sync.js';

/**
 * Every minute: agents whose platform copy is out of line (configuration or
 * retention window). It runs on the same deps as the preferences listener that
 * pushes a changed window at once; the job catches what that push could not do.
 */
export const agentPlatformSyncJob: JobDefinition<{ agentSync: AgentSyncDeps }> = {
  name: 'agent-platform-sync',
  schedule: '* * * * *',
  async run({ agentSync }) {
    return { ...(await syncAgents(agentSync)) };
  },
};
