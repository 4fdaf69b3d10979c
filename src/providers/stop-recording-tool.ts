/**
 * The `stop_recording` webhook tool every agent carries: how a caller withdraws consent
 * mid-call (GDPR Art. 7(3)). Once the caller is connected, keypad tones go to ElevenLabs, not
 * to us, so the agent calls this tool when the caller asks not to be recorded, and ElevenLabs
 * posts to our endpoint.
 *
 * Each agent's tool sends a secret of its own in a request header: an HMAC of our agent id
 * under ELEVENLABS_WEBHOOK_SECRET (domain-separated, so it is not the post-call signing key).
 * The endpoint recomputes it for the agent of the call named in the body and compares in
 * constant time, so a secret read out of one agent's tool can withdraw only that agent's calls.
 */
import { createHmac } from 'node:crypto';
import type { ElevenLabs } from '@elevenlabs/elevenlabs-js';

export const STOP_RECORDING_TOOL_NAME = 'stop_recording';
export const STOP_RECORDING_PATH = '/webhooks/elevenlabs/tools/stop-recording';
/** Request header carrying the agent's tool secret (lower case, as Node reports headers). */
export const STOP_RECORDING_SECRET_HEADER = 'x-stop-recording-secret';

/** The tool secret of one of our agents (by our agent id): 64 hex characters. */
export function stopRecordingSecret(webhookSecret: string, agentId: string): string {
  return createHmac('sha256', webhookSecret).update(`stop_recording_tool:v1:${agentId}`).digest('hex');
}

/** What the platform needs to create or update an agent's tool. */
export interface StopRecordingTool {
  /** PUBLIC_BASE_URL + STOP_RECORDING_PATH */
  url: string;
  /** stopRecordingSecret(…) of the agent */
  secret: string;
}

export function stopRecordingTool(publicBaseUrl: string, webhookSecret: string, agentId: string): StopRecordingTool {
  return { url: `${publicBaseUrl.replace(/\/+$/, '')}${STOP_RECORDING_PATH}`, secret: stopRecordingSecret(webhookSecret, agentId) };
}

/**
 * The instruction added to every agent's system prompt: ask to stop recording, in any
 * language, and the agent calls the tool at once.
 */
export const STOP_RECORDING_PROMPT =
  'If the caller asks, in any language and in any words, not to be recorded, to stop the recording, or withdraws ' +
  `their consent to recording, call the ${STOP_RECORDING_TOOL_NAME} tool at once, before anything else, and then say ` +
  'to the caller exactly the sentence the tool returns.';

/**
 * The tool as ElevenLabs' tools API takes it (`POST /v1/convai/tools`), in the SDK's shape: a
 * webhook POST whose body carries the call's id (our dynamic variable `call_id`) and the
 * conversation id (ElevenLabs' system variable), never values the language model chooses.
 * ElevenLabs wants exactly one of description, dynamic_variable, constant_value and
 * is_system_provided per property, hence no description on them.
 */
export function stopRecordingToolConfig(tool: StopRecordingTool): ElevenLabs.ToolRequestModelToolConfig.Webhook {
  return {
    type: 'webhook',
    name: STOP_RECORDING_TOOL_NAME,
    description:
      'Stops and deletes the recording of this call. Call it whenever the caller asks not to be recorded or withdraws consent to recording.',
    responseTimeoutSecs: 10,
    disableInterruptions: true,
    forcePreToolSpeech: false,
    apiSchema: {
      url: tool.url,
      method: 'POST',
      requestHeaders: { [STOP_RECORDING_SECRET_HEADER]: tool.secret },
      requestBodySchema: {
        type: 'object',
        description: 'Identifies the call whose recording stops.',
        required: ['call_id', 'conversation_id'],
        properties: {
          call_id: { type: 'string', dynamicVariable: 'call_id' },
          conversation_id: { type: 'string', dynamicVariable: 'system__conversation_id' },
        },
      },
    },
  };
}
