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
import { ProviderError, type AgentPlatform, type AgentSpec, type PlatformAgent, type RegisterCallInput } from './agent-platform.js';
import { STOP_RECORDING_PROMPT, stopRecordingToolConfig } from './stop-recording-tool.js';

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
    STOP_RECORDING_PROMPT,
  ].join(' ');
}

/**
 * The SDK's request bodies for create and update share these fields.
 *
 * No agent records voice at ElevenLabs (`record_voice: false`; ElevenLabs records by default):
 * the Twilio recording, started only with the caller's consent, is the one recording, so no
 * caller who refused, stayed silent or withdrew is ever recorded there, at any moment.
 * Transcripts stay for the organisation's window; a call without consent has its conversation
 * deleted after the call.
 */
function agentBody(spec: AgentSpec, toolId: string): {
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
        prompt: { prompt: defaultSystemPrompt(spec.name), toolIds: [toolId] },
      },
    },
    platformSettings: {
      privacy: {
        recordVoice: false,
        deleteAudio: true,
        // ElevenLabs keeps conversations forever unless told otherwise; the organisation's
        // window applies there too, also to conversations already held when it changes.
        retentionDays: spec.retentionDays,
        applyToExistingConversations: true,
      },
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

  async function createTool(spec: AgentSpec): Promise<string> {
    const tool = await call('tools.create', () => convai.tools.create({ toolConfig: stopRecordingToolConfig(spec.stopRecordingTool) }));
    return tool.id;
  }

  /** Undoes a tool created for a change that then failed; a leftover is only an unused tool. */
  async function removeQuietly(toolId: string): Promise<void> {
    try {
      await convai.tools.delete(toolId);
    } catch {
      // Nothing of ours points at it; ElevenLabs lists it with no dependent agents.
    }
  }
  return {
    name: 'elevenlabs',

    async createAgent(spec: AgentSpec): Promise<PlatformAgent> {
      const toolId = await createTool(spec);
      try {
        const { agentId } = await call('agents.create', () => convai.agents.create(agentBody(spec, toolId)));
        return { externalId: agentId, toolId };
      } catch (err) {
        await removeQuietly(toolId);
        throw err;
      }
    },

    async updateAgent(current: PlatformAgent, spec: AgentSpec): Promise<PlatformAgent> {
      let toolId = current.toolId;
      let createdTool = false;
      if (toolId !== null) {
        const kept = toolId;
        const updated = await call('tools.update', async () => {
          try {
            await convai.tools.update(kept, { toolConfig: stopRecordingToolConfig(spec.stopRecordingTool) });
            return true;
          } catch (err) {
            if (err instanceof ElevenLabsError && err.statusCode === 404) return false;
            throw err;
          }
        });
        if (!updated) toolId = null;
      }
      if (toolId === null) {
        toolId = await createTool(spec);
        createdTool = true;
      }
      const finalToolId = toolId;
      try {
        await call('agents.update', () => convai.agents.update(current.externalId, agentBody(spec, finalToolId)));
      } catch (err) {
        if (createdTool) await removeQuietly(finalToolId);
        throw err;
      }
      // A tool replaced because the platform lost it is gone already; nothing else to remove.
      return { externalId: current.externalId, toolId: finalToolId };
    },

    deleteAgent(externalId: string) {
      return remove('agents.delete', () => convai.agents.delete(externalId));
    },

    deleteTool(toolId: string) {
      return remove('tools.delete', () => convai.tools.delete(toolId));
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
