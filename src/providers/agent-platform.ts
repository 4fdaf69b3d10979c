/**
 * What the backend needs from the conversational-AI platform (ElevenLabs in
 * production). Services depend on this interface; `src/container.ts` picks the
 * implementation: ElevenLabs through its SDK when ELEVENLABS_API_KEY is set,
 * otherwise (local mode only) a stand-in that keeps agents here and answers
 * calls by speaking the agent's first message, so the flow can be tried offline.
 */
import type { StopRecordingTool } from './stop-recording-tool.js';

export interface AgentSpec {
  name: string;
  /** catalogue language code, e.g. `de` or `pt-br` */
  language: string;
  firstMessage: string;
  /** the organisation's retention window, pushed to platform_settings.privacy.retention_days */
  retentionDays: number;
  /** the `stop_recording` webhook tool the agent carries (mid-call withdrawal of consent) */
  stopRecordingTool: StopRecordingTool;
}

/** Where an agent lives at the platform: the agent and its stop_recording tool. */
export interface PlatformAgent {
  externalId: string;
  /** null where the platform has no tools (local mode) */
  toolId: string | null;
}

/**
 * The version of the agent configuration we send (privacy settings, tool, prompt). An agent
 * whose platform copy was last confirmed with an older version is pushed again by the
 * agent-platform-sync job. Raise it whenever agentBody changes what ElevenLabs must hold.
 */
export const AGENT_CONFIG_VERSION = 2;

export interface RegisterCallInput {
  externalAgentId: string;
  fromNumber: string;
  toNumber: string;
  /** per-call greeting (already checked against the disclaimer catalogue) */
  firstMessage: string;
  language: string;
  /** ids the agent and the post-call webhook carry back to us; never personal data */
  dynamicVariables: Record<string, string | number | boolean>;
}

/** A provider call failed (outage, timeout, refusal): nothing of ours was changed. */
export class ProviderError extends Error {
  constructor(
    readonly provider: string,
    message: string,
    /** HTTP status from the provider, when there was one */
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  /** 5xx, 429, timeouts and network errors are worth retrying; other 4xx are not. */
  get retryable(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429;
  }
}

export interface AgentPlatform {
  readonly name: 'elevenlabs' | 'local';
  /** Creates the agent with everything it carries (its tool); on failure nothing is left behind. */
  createAgent(spec: AgentSpec): Promise<PlatformAgent>;
  /**
   * Sends the whole spec to an existing agent, creating its tool anew when it has none or the
   * platform lost it. Throws a ProviderError with status 404 when the agent itself is gone.
   */
  updateAgent(current: PlatformAgent, spec: AgentSpec): Promise<PlatformAgent>;
  /** 'not_found' counts as done. */
  deleteAgent(externalId: string): Promise<'deleted' | 'not_found'>;
  /** 'not_found' counts as done. */
  deleteTool(toolId: string): Promise<'deleted' | 'not_found'>;
  /** Returns the TwiML that connects the caller to the agent. */
  registerCall(input: RegisterCallInput): Promise<string>;
  /** 'not_found' counts as done. */
  deleteConversation(conversationId: string): Promise<'deleted' | 'not_found'>;
}
