/**
 * What the backend needs from the conversational-AI platform (ElevenLabs in
 * production). Services depend on this interface; `src/container.ts` picks the
 * implementation: ElevenLabs through its SDK when ELEVENLABS_API_KEY is set,
 * otherwise (local mode only) a stand-in that keeps agents here and answers
 * calls by speaking the agent's first message, so the flow can be tried offline.
 */
export interface AgentSpec {
  name: string;
  /** catalogue language code, e.g. `de` or `pt-br` */
  language: string;
  firstMessage: string;
  /** the organisation's retention window, pushed to platform_settings.privacy.retention_days */
  retentionDays: number;
}

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
  createAgent(spec: AgentSpec): Promise<{ externalId: string }>;
  updateAgent(externalId: string, spec: AgentSpec): Promise<void>;
  /** 'not_found' counts as done. */
  deleteAgent(externalId: string): Promise<'deleted' | 'not_found'>;
  /** Returns the TwiML that connects the caller to the agent. */
  registerCall(input: RegisterCallInput): Promise<string>;
  /** 'not_found' counts as done. */
  deleteConversation(conversationId: string): Promise<'deleted' | 'not_found'>;
}
