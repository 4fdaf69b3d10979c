/**
 * The agent platform in production: ElevenLabs' Agents Platform through its official SDK.
 *
 * Our database is the source of truth for an agent (name, language, first message); every
 * create and update sends the whole spec, so an update that timed out at ElevenLabs (and may
 * or may not have been applied) is repaired by the next one. Failures never leak the SDK's
 * message (it quotes response bodies): each becomes a ProviderError with the HTTP status and,
 * at most, the platform's short error code.
 */
import { ElevenLabsError, ElevenLabsTimeoutError, type ElevenLabs, type ElevenLabsClient } from '@elevenlabs/elevenlabs-js';
import { ProviderError, type AgentPlatform, type AgentSpec, type RegisterCallInput } from './agent-platform.js';

/**
 * The system prompt every agent gets. The first message carries the AI disclosure, but a caller
 * may still ask "am I talking to a person?" later in the call (AI Act Art. 50(1)): the agent
 * must never say yes.
 */
export function defaultSystemPrompt(agentName: string): string {
  return [
    `You are "${agentName}", an AI voice assistant answering phone calls for an organisation.`,
    'You are an AI system, not a human. Never claim or imply that you are a human being; if a caller asks,',
    'say clearly that you are an AI assistant.',
    'Speak the language the conversation is in. Be brief and polite.',
    'Ask only for the personal data you need to help the caller, and never ask for payment card numbers,',
    'passwords or health details.',
  ].join(' ');
}

/** The SDK's request bodies for create and update share these fields. */
function agentBody(spec: AgentSpec): {
  name: string;
  conversationConfig: ElevenLabs.ConversationalConfig;
  platformSettings: ElevenLabs.AgentPlatformSettingsRequestModel;
} {
  return {
    name: spec.name,
    conversationConfig: {
      agent: {
        firstMessage: spec.firstMessage,
        language: spec.language,
        // The first message carries the legally required disclaimer: the caller hears it whole.
        disableFirstMessageInterruptions: true,
        prompt: { prompt: defaultSystemPrompt(spec.name) },
      },
    },
    platformSettings: {
      // ElevenLabs keeps conversations for 2 years unless told otherwise; the organisation's
      // window applies there too, also to conversations already held when it changes.
      privacy: { retentionDays: spec.retentionDays, applyToExistingConversations: true },
      // Per call we replace the greeting (e.g. the unrecorded variant when a caller refuses
      // consent) and set its language; ElevenLabs refuses overrides that are not enabled here.
      overrides: {
        conversationConfigOverride: { agent: { firstMessage: true, language: true } },
      },
    },
  };
}

const ERROR_CODE = /^[a-z0-9_]{1,64}$/;

/**
 * Turns any SDK failure into a ProviderError whose message names the SDK operation, the HTTP
 * status and the platform's error code (e.g. `agents.create answered HTTP 404 (agent_not_found)`),
 * never the response body or a header.
 */
function providerError(operation: string, err: unknown): ProviderError {
  if (err instanceof ElevenLabsTimeoutError) {
    return new ProviderError('elevenlabs', `${operation} timed out`);
  }
  if (err instanceof ElevenLabsError && err.statusCode !== undefined) {
    const detail = (err.body as { detail?: { status?: unknown } } | undefined)?.detail;
    const code = typeof detail?.status === 'string' && ERROR_CODE.test(detail.status) ? ` (${detail.status})` : '';
    return new ProviderError('elevenlabs', `${operation} answered HTTP ${err.statusCode}${code}`, err.statusCode);
  }
  return new ProviderError('elevenlabs', `${operation} failed: ElevenLabs could not be reached`);
}

async function call<T>(operation: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw providerError(operation, err);
  }
}

/** Runs a delete; a 404 means it is already gone, which is what the caller wanted. */
async function remove(operation: string, fn: () => Promise<unknown>): Promise<'deleted' | 'not_found'> {
  try {
    await fn();
    return 'deleted';
  } catch (err) {
    if (err instanceof ElevenLabsError && err.statusCode === 404) return 'not_found';
    throw providerError(operation, err);
  }
}

/**
 * The AgentPlatform backed by ElevenLabs (client from `createElevenLabsClient`). Every method
 * either succeeds or throws a ProviderError.
 */
export function createElevenLabsPlatform(client: ElevenLabsClient): AgentPlatform {
  const convai = client.conversationalAi;
  return {
    name: 'elevenlabs',

    async createAgent(spec: AgentSpec) {
      const { agentId } = await call('agents.create', () => convai.agents.create(agentBody(spec)));
      return { externalId: agentId };
    },

    async updateAgent(externalId: string, spec: AgentSpec) {
      await call('agents.update', () => convai.agents.update(externalId, agentBody(spec)));
    },

    deleteAgent(externalId: string) {
      return remove('agents.delete', () => convai.agents.delete(externalId));
    },

    registerCall(input: RegisterCallInput) {
      return call('twilio.registerCall', () =>
        convai.twilio.registerCall({
          agentId: input.externalAgentId,
          fromNumber: input.fromNumber,
          toNumber: input.toNumber,
          direction: 'inbound',
          conversationInitiationClientData: {
            dynamicVariables: input.dynamicVariables,
            conversationConfigOverride: { agent: { firstMessage: input.firstMessage, language: input.language } },
          },
        }),
      );
    },

    deleteConversation(conversationId: string) {
      return remove('conversations.delete', () => convai.conversations.delete(conversationId));
    },
  };
}
