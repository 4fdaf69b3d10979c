/**
 * A small local fake of the ElevenLabs Agents Platform REST API (conversational AI) for tests.
 *
 * It answers the endpoints our server uses with complete responses the official SDK
 * (@elevenlabs/elevenlabs-js) accepts: agents (create, get, update, delete), the Twilio
 * register-call endpoint (returns TwiML), conversations (list, get, delete, audio), tools
 * (create, list, get, update, delete, dependent agents) and workspace secrets (create, list,
 * delete). Shapes follow ElevenLabs' published OpenAPI description (elevenlabs/elevenlabs-docs,
 * fern/apis/api/openapi.json; see docs/providers.md) and, for newer fields, the SDK's own schemas.
 * Point the SDK at it with `createElevenLabsClient({ apiKey, baseUrl: fake.url })`.
 *
 * It tells the truth about what ElevenLabs keeps: each conversation takes its agent's privacy
 * settings (PrivacyConfig, ElevenLabs' defaults for anything not sent) when the call is
 * registered; audio is stored from the first moment of the call unless the agent records no
 * voice or runs in zero retention mode; when the call ends (`endConversation`) the deletion
 * flags are applied. Tests read what is held through `audio`, `everStoredAudio`,
 * `storedAudio()` and `storedTranscript()`. Where ElevenLabs' real behaviour is not documented
 * the fake keeps more rather than less (a test of ours can then only fail safe), and every such
 * assumption is marked "Assumed" below.
 *
 * Mid-call behaviour the REST API does not show is driven by methods: `invokeWebhookTool` does
 * what the platform does when the language model calls a webhook tool, `endConversation` ends
 * the call and builds the post_call_transcription payload, `sendPostCallWebhook` delivers it
 * signed.
 */
import { createHmac, randomBytes, createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/* eslint-disable @typescript-eslint/no-explicit-any -- agent, conversation and tool documents are free-form JSON */

/** One HTTP request the fake received, in arrival order. */
export interface ElevenLabsFakeRequest {
  method: string;
  /** Path without the query string, e.g. /v1/convai/agents/create */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON body (undefined when empty; the raw text when it is not JSON). */
  body: any;
  headers: IncomingHttpHeaders;
}

/** An agent's privacy settings (PrivacyConfig), as the platform applies them. */
export interface PrivacySettings {
  record_voice: boolean;
  retention_days: number;
  delete_transcript_and_pii: boolean;
  delete_audio: boolean;
  apply_to_existing_conversations: boolean;
  zero_retention_mode: boolean;
}

/** ElevenLabs' defaults for PrivacyConfig (spec: PrivacyConfig, every field's `default`). */
export const ELEVENLABS_PRIVACY_DEFAULTS: Readonly<PrivacySettings> = Object.freeze({
  record_voice: true,
  retention_days: -1,
  delete_transcript_and_pii: false,
  delete_audio: false,
  apply_to_existing_conversations: false,
  zero_retention_mode: false,
});

/** Audio the platform holds for a conversation. */
export interface StoredAudio {
  /** What GET /v1/convai/conversations/{id}/audio serves (audio/mpeg). */
  bytes: Buffer;
  /** Recorded while the call was live: the platform records from the first moment of the call. */
  recordedWhileLive: true;
  /** When recording began (the call's registration). */
  since: Date;
}

/** One turn of a transcript, as the platform stores it. */
export interface TranscriptTurn {
  role: 'user' | 'agent';
  message: string | null;
  time_in_call_secs: number;
  [key: string]: unknown;
}

export interface EndConversationOptions {
  /** The call's transcript (default: a short greeting and a request). */
  transcript?: TranscriptTurn[];
  /** Call length in seconds (default: time since registration). */
  durationSecs?: number;
  /** Twilio's CallSid of the call (known to the platform from the media stream). */
  callSid?: string;
  /** data_collection_results values by id, e.g. { name: 'Erika Mustermann' }. */
  dataCollection?: Record<string, unknown>;
  terminationReason?: string;
}

/** The body of ElevenLabs' post_call_transcription webhook. */
export interface PostCallTranscriptionPayload {
  type: 'post_call_transcription';
  event_timestamp: number;
  /** The conversation as GET /v1/convai/conversations/{id} shows it, transcript included. */
  data: any;
}

/** One webhook tool call the platform made during a conversation. */
export interface ToolCallRecord {
  conversationId: string;
  toolId: string;
  toolName: string;
  /** When the request was sent. */
  at: Date;
  request: { url: string; method: string; headers: Record<string, string>; body: string | undefined };
  /** The answer, or the transport error. */
  response?: { status: number; headers: Record<string, string>; text: string };
  error?: string;
}

export interface ToolInvocationResult {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the answer is JSON, else the text. */
  body: unknown;
  text: string;
  /** When the request was sent. */
  at: Date;
}

export interface ElevenLabsFake {
  /** Base URL of the fake, e.g. http://127.0.0.1:54321 (no trailing slash). */
  url: string;
  /** Every request received, including failed and rejected ones. */
  requests: ElevenLabsFakeRequest[];
  /** Agents by id, each the full document GET /v1/convai/agents/{id} answers (snake_case JSON). */
  agents: Map<string, any>;
  /** Conversations by id, each the full document GET /v1/convai/conversations/{id} answers. */
  conversations: Map<string, any>;
  /** Tools by id, each the ToolResponseModel GET /v1/convai/tools/{id} answers. */
  tools: Map<string, any>;
  /** Workspace secrets by id (the value too, so tool calls can resolve ConvAISecretLocator). */
  secrets: Map<string, { secret_id: string; name: string; value: string }>;
  /** Audio held now, by conversation id. */
  audio: Map<string, StoredAudio>;
  /** Conversations whose audio was stored at any moment, even if deleted since. */
  everStoredAudio: Set<string>;
  /** Webhook tool calls made through invokeWebhookTool, in order. */
  toolCalls: ToolCallRecord[];
  /** Bodies of POST /v1/convai/twilio/register-call, in order. */
  registeredCalls: any[];
  deletedConversations: string[];
  deletedAgents: string[];
  deletedTools: string[];
  /**
   * The next n API requests (of those matching `only`, when given) answer 500 ('500') or never
   * answer until the client gives up ('timeout').
   */
  failNext(n: number, mode: '500' | 'timeout', only?: { method?: string; path?: RegExp }): void;
  /** Forget all requests, agents, conversations, tools, secrets, audio and pending failures. */
  reset(): void;
  /** Store an agent directly (as if created earlier); `patch` is deep-merged over the defaults. */
  addAgent(id: string, patch?: any): any;
  /** Store a conversation directly; `patch` (snake_case) is deep-merged over a finished conversation. */
  addConversation(id: string, agentId: string, patch?: any): any;
  /** The audio held for a conversation, or null. */
  storedAudio(conversationId: string): Buffer | null;
  /** The transcript held for a conversation, or null when there is none (deleted, or no conversation). */
  storedTranscript(conversationId: string): TranscriptTurn[] | null;
  /** The privacy settings a conversation took from its agent when the call was registered. */
  conversationPrivacy(conversationId: string): PrivacySettings | undefined;
  /** Twilio connected the media stream: the conversation is live and knows the call's CallSid. */
  startCall(conversationId: string, opts: { callSid: string }): void;
  /**
   * The call ends: the conversation is done, its transcript set, then the privacy settings it
   * took at registration applied. Returns the post_call_transcription webhook body.
   */
  endConversation(conversationId: string, opts?: EndConversationOptions): PostCallTranscriptionPayload;
  /** POSTs the conversation's post-call payload to `url`, signed as ElevenLabs signs it. */
  sendPostCallWebhook(conversationId: string, opts: { url: string; secret: string; timestampSecs?: number }): Promise<{ status: number; body: unknown }>;
  /** What the platform does when the agent's language model calls the webhook tool `toolName`. */
  invokeWebhookTool(conversationId: string, toolName: string, llmArgs?: Record<string, unknown>): Promise<ToolInvocationResult>;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. The xi-api-key header is enforced only when apiKey is given. */
export async function startElevenLabsFake(opts: { apiKey?: string } = {}): Promise<ElevenLabsFake> {
  const requests: ElevenLabsFakeRequest[] = [];
  const agents = new Map<string, any>();
  const conversations = new Map<string, any>();
  const tools = new Map<string, any>();
  const secrets = new Map<string, { secret_id: string; name: string; value: string }>();
  const audio = new Map<string, StoredAudio>();
  const everStoredAudio = new Set<string>();
  const toolCalls: ToolCallRecord[] = [];
  const registeredCalls: any[] = [];
  const deletedConversations: string[] = [];
  const deletedAgents: string[] = [];
  const deletedTools: string[] = [];
  /** Per conversation: the privacy settings taken at registration, and the numbers of the call. */
  const privacyOf = new Map<string, PrivacySettings>();
  const callOf = new Map<string, { from: string; to: string; direction: string }>();
  const postCallPayloads = new Map<string, PostCallTranscriptionPayload>();
  const hanging = new Set<ServerResponse>();
  let failures: { mode: '500' | 'timeout'; left: number; only?: { method?: string; path?: RegExp } } | null = null;

  function addAgent(id: string, patch: any = {}): any {
    const agent = deepMerge(defaultAgent(id), patch);
    agent.agent_id = id;
    agents.set(id, agent);
    return agent;
  }

  function storeAudio(conversationId: string): void {
    const conv = conversations.get(conversationId);
    audio.set(conversationId, { bytes: conversationAudio(conversationId), recordedWhileLive: true, since: new Date() });
    everStoredAudio.add(conversationId);
    if (conv) setAudioFlags(conv, true);
  }

  function dropAudio(conversationId: string): void {
    audio.delete(conversationId);
    const conv = conversations.get(conversationId);
    if (conv) setAudioFlags(conv, false);
  }

  function addConversation(id: string, agentId: string, patch: any = {}): any {
    const finished = deepMerge(defaultConversation(id, agentId, agents.get(agentId)?.name), {
      status: 'done',
      transcript: [
        { role: 'agent', message: 'Hello, how can I help?', time_in_call_secs: 0 },
        { role: 'user', message: 'I would like to book an appointment.', time_in_call_secs: 3 },
      ],
      metadata: { call_duration_secs: 42, termination_reason: 'Call ended by remote party' },
      has_audio: true,
      has_user_audio: true,
      has_response_audio: true,
    });
    const conv = deepMerge(finished, patch);
    conv.conversation_id = id;
    conversations.set(id, conv);
    privacyOf.set(id, { ...privacyFor(agents.get(agentId)) });
    // A seeded conversation holds the audio its document says it has.
    if (conv.has_audio) {
      audio.set(id, { bytes: conversationAudio(id), recordedWhileLive: true, since: new Date(conv.metadata.start_time_unix_secs * 1000) });
      everStoredAudio.add(id);
    }
    return conv;
  }

  function conversationOrThrow(id: string): any {
    const conv = conversations.get(id);
    if (!conv) throw new Error(`elevenlabs fake: no conversation ${id}`);
    return conv;
  }

  function startCall(conversationId: string, o: { callSid: string }): void {
    const conv = conversationOrThrow(conversationId);
    if (conv.status === 'done' || conv.status === 'failed') throw new Error(`elevenlabs fake: conversation ${conversationId} is over`);
    conv.status = 'in-progress';
    conv.metadata.accepted_time_unix_secs = nowSecs();
    conv.metadata.phone_call = phoneCall(conversationId, o.callSid);
  }

  function phoneCall(conversationId: string, callSid: string): any {
    const call = callOf.get(conversationId) ?? { from: '', to: '', direction: 'inbound' };
    return {
      type: 'twilio',
      direction: call.direction,
      // Calls registered through register-call use no number imported into ElevenLabs; the
      // SDK requires the field, so the fake names a stable one per called number.
      phone_number_id: `phnum_${createHash('sha256').update(call.to).digest('hex').slice(0, 26)}`,
      agent_number: call.direction === 'inbound' ? call.to : call.from,
      external_number: call.direction === 'inbound' ? call.from : call.to,
      stream_sid: `MZ${createHash('sha256').update(`stream:${conversationId}`).digest('hex').slice(0, 32)}`,
      call_sid: callSid,
    };
  }

  function endConversation(conversationId: string, o: EndConversationOptions = {}): PostCallTranscriptionPayload {
    const conv = conversationOrThrow(conversationId);
    if (conv.status === 'done') throw new Error(`elevenlabs fake: conversation ${conversationId} has already ended`);
    const privacy = privacyOf.get(conversationId) ?? { ...ELEVENLABS_PRIVACY_DEFAULTS };
    const now = nowSecs();
    const transcript: TranscriptTurn[] = structuredClone(
      o.transcript ?? [
        { role: 'agent', message: 'Hello, how can I help?', time_in_call_secs: 0 },
        { role: 'user', message: 'I would like to book an appointment.', time_in_call_secs: 3 },
      ],
    );
    conv.status = 'done';
    conv.transcript = transcript;
    conv.metadata.call_duration_secs = o.durationSecs ?? Math.max(0, now - conv.metadata.start_time_unix_secs);
    conv.metadata.termination_reason = o.terminationReason ?? 'Call ended by remote party';
    const callSid = o.callSid ?? conv.metadata.phone_call?.call_sid;
    if (callSid) conv.metadata.phone_call = phoneCall(conversationId, callSid);
    conv.analysis = {
      evaluation_criteria_results: {},
      data_collection_results: Object.fromEntries(
        Object.entries(o.dataCollection ?? {}).map(([id, value]) => [id, { data_collection_id: id, value, rationale: 'Stated by the caller.' }]),
      ),
      call_successful: 'success',
      transcript_summary: 'The caller asked for help.',
    };

    // The privacy settings the conversation took at registration. A voice that was never
    // recorded has no audio to delete; zero retention mode keeps neither audio nor transcript.
    const deletion = conv.metadata.deletion_settings;
    deletion.delete_audio = privacy.delete_audio;
    deletion.delete_transcript_and_pii = privacy.delete_transcript_and_pii;
    if (audio.has(conversationId) && (privacy.delete_audio || privacy.zero_retention_mode || !privacy.record_voice)) {
      dropAudio(conversationId);
      deletion.deleted_audio_at_time_unix_secs = now;
    }
    // The webhook carries the transcript even when it is not kept: ElevenLabs points
    // zero-retention users to post-call webhooks for exactly that.
    const payload: PostCallTranscriptionPayload = { type: 'post_call_transcription', event_timestamp: now, data: structuredClone(conv) };
    if (privacy.delete_transcript_and_pii || privacy.zero_retention_mode) {
      conv.transcript = [];
      deletion.deleted_transcript_at_time_unix_secs = now;
      // Assumed: the analysis (summary, data collection) stays; the platform does not document
      // whether it goes with the transcript, so the fake keeps more rather than less.
    }
    postCallPayloads.set(conversationId, payload);
    return structuredClone(payload);
  }

  async function sendPostCallWebhook(conversationId: string, o: { url: string; secret: string; timestampSecs?: number }) {
    const payload = postCallPayloads.get(conversationId);
    if (!payload) throw new Error(`elevenlabs fake: conversation ${conversationId} has not ended (call endConversation first)`);
    const body = JSON.stringify(payload);
    const t = o.timestampSecs ?? nowSecs();
    const v0 = createHmac('sha256', o.secret).update(`${t}.${body}`).digest('hex');
    const res = await fetch(o.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'ElevenLabs-Signature': `t=${t},v0=${v0}` },
      body,
    });
    const text = await res.text();
    return { status: res.status, body: parseMaybeJson(text) };
  }

  /** Dynamic variables a tool call can use: the call's own, the agent's placeholders, and system__ ones. */
  function variablesFor(conv: any, agent: any): Record<string, unknown> {
    const call = callOf.get(conv.conversation_id);
    const now = new Date();
    const system: Record<string, unknown> = {
      system__agent_id: conv.agent_id,
      system__current_agent_id: conv.agent_id,
      system__conversation_id: conv.conversation_id,
      system__call_duration_secs: Math.max(0, nowSecs() - conv.metadata.start_time_unix_secs),
      system__time_utc: now.toISOString(),
      system__is_text_only: Boolean(conv.metadata.text_only),
    };
    if (call) {
      system.system__caller_id = call.direction === 'inbound' ? call.from : call.to;
      system.system__called_number = call.direction === 'inbound' ? call.to : call.from;
    }
    const callSid = conv.metadata.phone_call?.call_sid;
    if (callSid) system.system__call_sid = callSid;
    return {
      ...(agent?.conversation_config?.agent?.dynamic_variables?.dynamic_variable_placeholders ?? {}),
      ...(conv.conversation_initiation_client_data?.dynamic_variables ?? {}),
      ...system,
    };
  }

  async function invokeWebhookTool(conversationId: string, toolName: string, llmArgs: Record<string, unknown> = {}): Promise<ToolInvocationResult> {
    const conv = conversationOrThrow(conversationId);
    if (conv.status === 'done' || conv.status === 'failed') {
      throw new Error(`elevenlabs fake: conversation ${conversationId} is over; tools are called only during a call`);
    }
    const agent = agents.get(conv.agent_id);
    if (!agent) throw new Error(`elevenlabs fake: the agent ${conv.agent_id} of conversation ${conversationId} no longer exists`);
    const toolIds: string[] = agent.conversation_config?.agent?.prompt?.tool_ids ?? [];
    const toolId = toolIds.find((id) => tools.get(id)?.tool_config?.name === toolName);
    if (!toolId) {
      throw new Error(`elevenlabs fake: agent ${conv.agent_id} has no tool named ${toolName} (tool_ids: ${toolIds.join(', ') || 'none'})`);
    }
    const tool = tools.get(toolId);
    const config = tool.tool_config;
    if (config.type !== 'webhook') throw new Error(`elevenlabs fake: tool ${toolName} is a ${config.type} tool, not a webhook`);
    conv.status = conv.status === 'initiated' ? 'in-progress' : conv.status;

    const vars = variablesFor(conv, agent);
    const variable = (name: string, where: string): unknown => {
      if (!(name in vars)) {
        // Assumed: the platform cannot fill a missing variable; the fake fails loudly so a test sees it.
        throw new Error(`elevenlabs fake: tool ${toolName}: dynamic variable ${name} (${where}) is not set in conversation ${conversationId}`);
      }
      return vars[name];
    };
    const api = config.api_schema;
    const literal = (prop: any, key: string, value: unknown, where: string): unknown => {
      if (nonEmpty(prop.dynamic_variable)) return variable(prop.dynamic_variable, where);
      if (prop.constant_value !== undefined && prop.constant_value !== '') return prop.constant_value;
      return value;
    };
    const build = (schema: any, args: any, where: string): any => {
      const out: Record<string, unknown> = {};
      const required: string[] = schema.required ?? [];
      for (const [key, prop] of Object.entries<any>(schema.properties ?? {})) {
        const arg = isObject(args) ? args[key] : undefined;
        let value: unknown;
        if (prop.type === 'object') value = arg === undefined && !hasFixedValues(prop) ? undefined : build(prop, arg ?? {}, `${where}.${key}`);
        else value = literal(prop, key, arg, `${where}.${key}`);
        if (value === undefined) {
          if (required.includes(key)) throw new Error(`elevenlabs fake: tool ${toolName}: the language model must supply ${where}.${key}`);
          continue;
        }
        out[key] = value;
      }
      return out;
    };

    let url = api.url as string;
    url = url.replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (_m, name: string) => encodeURIComponent(String(variable(name, 'url'))));
    for (const [key, prop] of Object.entries<any>(api.path_params_schema ?? {})) {
      const value = literal(prop, key, llmArgs[key], `path.${key}`);
      if (value === undefined) throw new Error(`elevenlabs fake: tool ${toolName}: the language model must supply path parameter ${key}`);
      url = url.split(`{${key}}`).join(encodeURIComponent(String(value)));
    }
    const query = api.query_params_schema ? build({ properties: api.query_params_schema.properties, required: api.query_params_schema.required }, llmArgs, 'query') : {};
    if (Object.keys(query).length > 0) {
      const u = new URL(url);
      for (const [k, v] of Object.entries(query)) u.searchParams.set(k, String(v));
      url = u.toString();
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries<any>(api.request_headers ?? {})) {
      if (typeof value === 'string') {
        headers[name] = value.replace(/\{\{([A-Za-z0-9_]+)\}\}/g, (m, v: string) => (v in vars ? String(vars[v]) : m));
      } else if (isObject(value) && typeof value.secret_id === 'string') {
        const secret = secrets.get(value.secret_id);
        if (!secret) throw new Error(`elevenlabs fake: tool ${toolName}: header ${name} names secret ${value.secret_id}, which does not exist`);
        headers[name] = secret.value;
      } else if (isObject(value) && typeof value.variable_name === 'string') {
        headers[name] = String(variable(value.variable_name, `header ${name}`));
      }
    }
    const method: string = api.method ?? 'GET';
    let body: string | undefined;
    if (api.request_body_schema && method !== 'GET') {
      const payload = build(api.request_body_schema, llmArgs, 'body');
      if (api.content_type === 'application/x-www-form-urlencoded') {
        headers['content-type'] = 'application/x-www-form-urlencoded';
        body = new URLSearchParams(Object.entries(payload).map(([k, v]) => [k, String(v)])).toString();
      } else {
        headers['content-type'] = 'application/json';
        body = JSON.stringify(payload);
      }
    }

    const at = new Date();
    const record: ToolCallRecord = { conversationId, toolId, toolName, at, request: { url, method, headers, body } };
    toolCalls.push(record);
    tool.usage_stats.total_calls += 1;
    try {
      const res = await fetch(url, { method, headers, body, signal: AbortSignal.timeout((config.response_timeout_secs ?? 20) * 1000) });
      const text = await res.text();
      const resHeaders = Object.fromEntries(res.headers.entries());
      record.response = { status: res.status, headers: resHeaders, text };
      return { status: res.status, headers: resHeaders, body: parseMaybeJson(text), text, at };
    } catch (err) {
      record.error = (err as Error).message;
      throw err;
    }
  }

  function route(req: ElevenLabsFakeRequest, res: ServerResponse): void {
    const { method, path, body } = req;
    let m: RegExpExecArray | null;

    if (path === '/v1/convai/agents/create') {
      if (method !== 'POST') return methodNotAllowed(res);
      if (!isObject(body)) return validationError(res, ['body'], 'Input should be a valid dictionary', 'dict_type');
      if (!isObject(body.conversation_config)) {
        return validationError(res, ['body', 'conversation_config'], 'Field required', 'missing');
      }
      const issues = validatePlatformSettings(body);
      if (issues.length > 0) return json(res, 422, { detail: issues });
      const id = newId('agent');
      addAgent(id, body);
      return json(res, 200, { agent_id: id });
    }

    if ((m = /^\/v1\/convai\/agents\/([^/]+)$/.exec(path))) {
      const id = m[1]!;
      const agent = agents.get(id);
      if (!agent) return notFound(res, 'agent_not_found', `Agent with id ${id} not found`);
      if (method === 'GET') return json(res, 200, agent);
      if (method === 'PATCH') {
        if (body !== undefined && !isObject(body)) {
          return validationError(res, ['body'], 'Input should be a valid dictionary', 'dict_type');
        }
        const issues = validatePlatformSettings(body ?? {});
        if (issues.length > 0) return json(res, 422, { detail: issues });
        const merged = deepMerge(agent, body ?? {});
        merged.agent_id = id;
        merged.metadata.updated_at_unix_secs = nowSecs();
        agents.set(id, merged);
        // "Whether to apply the privacy settings to existing conversations": only the retention
        // window is documented to reach conversations already held, so only it is carried over
        // (a PATCH never makes the fake forget audio or a transcript it already holds).
        if (isObject(body?.platform_settings?.privacy) && merged.platform_settings.privacy.apply_to_existing_conversations) {
          for (const [cid, conv] of conversations) {
            const held = privacyOf.get(cid);
            if (conv.agent_id === id && held) held.retention_days = merged.platform_settings.privacy.retention_days;
          }
        }
        return json(res, 200, merged);
      }
      if (method === 'DELETE') {
        agents.delete(id);
        deletedAgents.push(id);
        res.writeHead(204);
        res.end();
        return;
      }
      return methodNotAllowed(res);
    }

    if (path === '/v1/convai/twilio/register-call') {
      if (method !== 'POST') return methodNotAllowed(res);
      if (!isObject(body)) return validationError(res, ['body'], 'Input should be a valid dictionary', 'dict_type');
      for (const key of ['agent_id', 'from_number', 'to_number'] as const) {
        if (typeof body[key] !== 'string') return validationError(res, ['body', key], 'Field required', 'missing');
      }
      const direction = body.direction ?? 'inbound';
      if (direction !== 'inbound' && direction !== 'outbound') {
        return validationError(res, ['body', 'direction'], "Input should be 'inbound' or 'outbound'", 'enum');
      }
      const agent = agents.get(body.agent_id);
      if (!agent) return notFound(res, 'agent_not_found', `Agent with id ${body.agent_id} not found`);
      const clientData = body.conversation_initiation_client_data ?? {};
      if (isObject(clientData.conversation_config_override)) {
        const refused = refusedOverride(
          clientData.conversation_config_override,
          agent.platform_settings?.overrides?.conversation_config_override ?? {},
          [],
        );
        if (refused) {
          // ElevenLabs documents that "an error will be thrown if an override is provided for a
          // field that does not have overrides enabled", with the message "Override for field
          // '<field>' is not allowed by config." (seen on the conversation's WebSocket).
          // Assumed: the status code, the error code and that register-call itself refuses.
          return json(res, 400, {
            detail: { status: 'override_not_allowed', message: `Override for field '${refused.at(-1)}' is not allowed by config.`, field: refused.join('.') },
          });
        }
      }
      registeredCalls.push(body);
      const id = newId('conv');
      const conv = defaultConversation(id, body.agent_id, agent.name);
      conv.status = 'initiated';
      conv.conversation_initiation_client_data = clientData;
      conv.metadata.conversation_initiation_source = 'twilio';
      conv.metadata.text_only = Boolean(clientData.conversation_config_override?.conversation?.text_only ?? agent.conversation_config?.conversation?.text_only);
      conversations.set(id, conv);
      callOf.set(id, { from: body.from_number, to: body.to_number, direction });
      // The conversation takes the agent's privacy settings of this moment. Unless it records
      // no voice (or keeps nothing at all), the platform records from the first moment.
      const privacy = { ...privacyFor(agent) };
      privacyOf.set(id, privacy);
      if (privacy.record_voice && !privacy.zero_retention_mode) storeAudio(id);
      const host = req.headers.host ?? 'api.elevenlabs.io';
      const streamUrl = `wss://${host}/v1/convai/conversation/twilio?${new URLSearchParams({
        agent_id: body.agent_id,
        conversation_id: id,
        token: randomBytes(12).toString('hex'),
      }).toString()}`;
      const twiml =
        '<?xml version="1.0" encoding="UTF-8"?>\n' +
        '<Response><Connect>' +
        `<Stream url="${xmlAttr(streamUrl)}">` +
        `<Parameter name="conversation_id" value="${xmlAttr(id)}"/>` +
        '</Stream></Connect></Response>';
      res.writeHead(200, { 'content-type': 'application/xml; charset=utf-8', 'content-length': Buffer.byteLength(twiml) });
      res.end(twiml);
      return;
    }

    if (path === '/v1/convai/conversations') {
      if (method !== 'GET') return methodNotAllowed(res);
      return listConversations(req, res);
    }

    if ((m = /^\/v1\/convai\/conversations\/([^/]+)\/audio$/.exec(path))) {
      if (method !== 'GET') return methodNotAllowed(res);
      const id = m[1]!;
      if (!conversations.has(id)) return notFound(res, 'conversation_not_found', `Conversation with id ${id} not found`);
      const held = audio.get(id);
      // Assumed: the error code and message for a conversation without audio (not in the spec).
      if (!held) return notFound(res, 'audio_not_found', `No audio found for conversation ${id}`);
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': held.bytes.length });
      res.end(held.bytes);
      return;
    }

    if ((m = /^\/v1\/convai\/conversations\/([^/]+)$/.exec(path))) {
      const id = m[1]!;
      const conv = conversations.get(id);
      if (!conv) return notFound(res, 'conversation_not_found', `Conversation with id ${id} not found`);
      if (method === 'GET') return json(res, 200, conv);
      if (method === 'DELETE') {
        conversations.delete(id);
        audio.delete(id);
        deletedConversations.push(id);
        return json(res, 200, {});
      }
      return methodNotAllowed(res);
    }

    if (path === '/v1/convai/tools') {
      if (method === 'GET') {
        const all = [...tools.values()];
        return json(res, 200, { tools: all, has_more: false, next_cursor: null });
      }
      if (method !== 'POST') return methodNotAllowed(res);
      const checked = validateToolRequest(body);
      if ('issues' in checked) return json(res, 422, { detail: checked.issues });
      const id = newId('tool');
      const tool = { id, tool_config: checked.config, access_info: ACCESS_INFO, usage_stats: { total_calls: 0, avg_latency_secs: 0 } };
      tools.set(id, tool);
      return json(res, 200, tool);
    }

    if ((m = /^\/v1\/convai\/tools\/([^/]+)\/dependent-agents$/.exec(path))) {
      if (method !== 'GET') return methodNotAllowed(res);
      const id = m[1]!;
      if (!tools.has(id)) return notFound(res, 'tool_not_found', `Tool with id ${id} not found`);
      const dependent = [...agents.values()]
        .filter((a) => (a.conversation_config?.agent?.prompt?.tool_ids ?? []).includes(id))
        .map((a) => ({ type: 'available', id: a.agent_id, name: a.name, created_at_unix_secs: a.metadata.created_at_unix_secs, access_level: 'admin' }));
      return json(res, 200, { agents: dependent, has_more: false, next_cursor: null });
    }

    if ((m = /^\/v1\/convai\/tools\/([^/]+)$/.exec(path))) {
      const id = m[1]!;
      const tool = tools.get(id);
      // Assumed: the error code for an unknown tool (the spec lists only 422).
      if (!tool) return notFound(res, 'tool_not_found', `Tool with id ${id} not found`);
      if (method === 'GET') return json(res, 200, tool);
      if (method === 'PATCH') {
        const checked = validateToolRequest(body);
        if ('issues' in checked) return json(res, 422, { detail: checked.issues });
        tool.tool_config = checked.config;
        return json(res, 200, tool);
      }
      if (method === 'DELETE') {
        tools.delete(id);
        deletedTools.push(id);
        return json(res, 200, {});
      }
      return methodNotAllowed(res);
    }

    if (path === '/v1/convai/secrets') {
      if (method === 'GET') {
        const list = [...secrets.values()].map((s) => ({
          type: 'stored',
          secret_id: s.secret_id,
          name: s.name,
          used_by: { tools: [], agents: [], others: [] },
        }));
        return json(res, 200, { secrets: list, next_cursor: null });
      }
      if (method !== 'POST') return methodNotAllowed(res);
      if (!isObject(body)) return validationError(res, ['body'], 'Input should be a valid dictionary', 'dict_type');
      const issues: Issue[] = [];
      for (const key of ['name', 'value'] as const) {
        if (body[key] === undefined) issues.push({ type: 'missing', loc: ['body', key], msg: 'Field required', input: body });
        else if (typeof body[key] !== 'string') issues.push({ type: 'string_type', loc: ['body', key], msg: 'Input should be a valid string', input: body[key] });
      }
      if (issues.length > 0) return json(res, 422, { detail: issues });
      const secret = { secret_id: newId('secret'), name: body.name as string, value: body.value as string };
      secrets.set(secret.secret_id, secret);
      return json(res, 200, { type: 'stored', secret_id: secret.secret_id, name: secret.name });
    }

    if ((m = /^\/v1\/convai\/secrets\/([^/]+)$/.exec(path))) {
      const id = m[1]!;
      if (!secrets.has(id)) return notFound(res, 'secret_not_found', `Secret with id ${id} not found`);
      if (method !== 'DELETE') return methodNotAllowed(res);
      secrets.delete(id);
      res.writeHead(204);
      res.end();
      return;
    }

    // FastAPI's answer for an unknown route.
    json(res, 404, { detail: 'Not Found' });
  }

  function listConversations(req: ElevenLabsFakeRequest, res: ServerResponse): void {
    const q = req.query;
    let pageSize = 30;
    if (q.page_size !== undefined) {
      const n = /^-?\d+$/.test(q.page_size) ? Number(q.page_size) : NaN;
      if (Number.isNaN(n)) return validationError(res, ['query', 'page_size'], 'Input should be a valid integer, unable to parse string as an integer', 'int_parsing');
      if (n < 1) return json(res, 422, { detail: [{ type: 'greater_than_equal', loc: ['query', 'page_size'], msg: 'Input should be greater than or equal to 1', input: q.page_size, ctx: { ge: 1 } }] });
      if (n > 100) return json(res, 422, { detail: [{ type: 'less_than_equal', loc: ['query', 'page_size'], msg: 'Input should be less than or equal to 100', input: q.page_size, ctx: { le: 100 } }] });
      pageSize = n;
    }
    const offset = q.cursor ? Number(Buffer.from(q.cursor, 'base64url').toString('utf8')) || 0 : 0;
    const all = [...conversations.values()]
      .filter((c) => !q.agent_id || c.agent_id === q.agent_id)
      .sort((a, b) => b.metadata.start_time_unix_secs - a.metadata.start_time_unix_secs || (a.conversation_id < b.conversation_id ? -1 : 1));
    const page = all.slice(offset, offset + pageSize);
    const hasMore = offset + pageSize < all.length;
    json(res, 200, {
      conversations: page.map((c) => ({
        agent_id: c.agent_id,
        agent_name: c.agent_name,
        conversation_id: c.conversation_id,
        start_time_unix_secs: c.metadata.start_time_unix_secs,
        call_duration_secs: c.metadata.call_duration_secs,
        message_count: c.transcript.length,
        status: c.status,
        termination_reason: c.metadata.termination_reason ?? null,
        call_successful: c.analysis?.call_successful ?? 'unknown',
        transcript_summary: c.analysis?.transcript_summary ?? null,
        main_language: c.metadata.main_language ?? null,
        conversation_initiation_source: c.metadata.conversation_initiation_source ?? null,
        direction: c.metadata.phone_call?.direction ?? null,
      })),
      has_more: hasMore,
      next_cursor: hasMore ? Buffer.from(String(offset + pageSize)).toString('base64url') : null,
    });
  }

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://fake');
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any;
      if (raw.length > 0) {
        try {
          body = JSON.parse(raw);
        } catch {
          body = raw;
        }
      }
      const entry: ElevenLabsFakeRequest = {
        method: req.method ?? 'GET',
        path: decodeURIComponent(u.pathname),
        query: Object.fromEntries(u.searchParams),
        body,
        headers: req.headers,
      };
      requests.push(entry);

      const matches = (only?: { method?: string; path?: RegExp }) =>
        !only || ((!only.method || only.method === entry.method) && (!only.path || only.path.test(entry.path)));
      if (failures && failures.left > 0 && matches(failures.only)) {
        const mode = failures.mode;
        failures.left -= 1;
        if (failures.left === 0) failures = null;
        if (mode === 'timeout') {
          hanging.add(res);
          res.on('close', () => hanging.delete(res));
          return;
        }
        return json(res, 500, { detail: { status: 'internal_error', message: 'Internal server error' } });
      }

      if (opts.apiKey !== undefined) {
        const key = req.headers['xi-api-key'];
        if (!key) {
          return json(res, 401, { detail: { status: 'needs_authorization', message: 'Neither authorization header nor xi-api-key received, please provide one.' } });
        }
        if (key !== opts.apiKey) {
          return json(res, 401, { detail: { status: 'invalid_api_key', message: 'Invalid API key' } });
        }
      }
      try {
        route(entry, res);
      } catch (err) {
        json(res, 500, { detail: { status: 'internal_error', message: `elevenlabs fake: ${(err as Error).message}` } });
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    agents,
    conversations,
    tools,
    secrets,
    audio,
    everStoredAudio,
    toolCalls,
    registeredCalls,
    deletedConversations,
    deletedAgents,
    deletedTools,
    failNext(n: number, mode: '500' | 'timeout', only?: { method?: string; path?: RegExp }) {
      failures = n > 0 ? { mode, left: n, ...(only ? { only } : {}) } : null;
    },
    reset() {
      requests.length = 0;
      agents.clear();
      conversations.clear();
      tools.clear();
      secrets.clear();
      audio.clear();
      everStoredAudio.clear();
      toolCalls.length = 0;
      registeredCalls.length = 0;
      deletedConversations.length = 0;
      deletedAgents.length = 0;
      deletedTools.length = 0;
      privacyOf.clear();
      callOf.clear();
      postCallPayloads.clear();
      failures = null;
    },
    addAgent,
    addConversation,
    storedAudio(conversationId: string) {
      return audio.get(conversationId)?.bytes ?? null;
    },
    storedTranscript(conversationId: string) {
      const conv = conversations.get(conversationId);
      if (!conv || conv.transcript.length === 0) return null;
      return structuredClone(conv.transcript);
    },
    conversationPrivacy(conversationId: string) {
      const p = privacyOf.get(conversationId);
      return p ? { ...p } : undefined;
    },
    startCall,
    endConversation,
    sendPostCallWebhook,
    invokeWebhookTool,
    close() {
      for (const res of hanging) res.destroy();
      hanging.clear();
      return new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
    },
  };
}

/** One entry of FastAPI's 422 `detail` list (pydantic v2 error shape). */
interface Issue {
  type: string;
  loc: (string | number)[];
  msg: string;
  input: unknown;
  ctx?: Record<string, unknown>;
}

type Loc = (string | number)[];

/** The agent's privacy settings: what it was sent, over ElevenLabs' defaults. */
function privacyFor(agent: any): PrivacySettings {
  return { ...ELEVENLABS_PRIVACY_DEFAULTS, ...(agent?.platform_settings?.privacy ?? {}) };
}

const MODEL_TYPE_MSG = 'Input should be a valid dictionary or object to extract fields from';

/** Pydantic's lax booleans: true/false, 0/1 and the usual words. */
function laxBool(v: unknown, loc: Loc, issues: Issue[]): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (v === 0 || v === 1) return v === 1;
  if (typeof v === 'string') {
    const s = v.toLowerCase();
    if (['1', 'on', 't', 'true', 'y', 'yes'].includes(s)) return true;
    if (['0', 'off', 'f', 'false', 'n', 'no'].includes(s)) return false;
  }
  if (typeof v === 'string' || typeof v === 'number') {
    issues.push({ type: 'bool_parsing', loc, msg: 'Input should be a valid boolean, unable to interpret input', input: v });
  } else {
    issues.push({ type: 'bool_type', loc, msg: 'Input should be a valid boolean', input: v });
  }
  return undefined;
}

/** Pydantic's lax integers: whole numbers, numeric strings and booleans. */
function laxInt(v: unknown, loc: Loc, issues: Issue[]): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'number' && Number.isFinite(v)) {
    if (Number.isInteger(v)) return v;
    issues.push({ type: 'int_from_float', loc, msg: 'Input should be a valid integer, got a number with a fractional part', input: v });
    return undefined;
  }
  if (typeof v === 'string') {
    if (/^\s*[+-]?\d+\s*$/.test(v)) return Number(v);
    issues.push({ type: 'int_parsing', loc, msg: 'Input should be a valid integer, unable to parse string as an integer', input: v });
    return undefined;
  }
  issues.push({ type: 'int_type', loc, msg: 'Input should be a valid integer', input: v });
  return undefined;
}

function str(v: unknown, loc: Loc, issues: Issue[]): string | undefined {
  if (typeof v === 'string') return v;
  issues.push({ type: 'string_type', loc, msg: 'Input should be a valid string', input: v });
  return undefined;
}

const PRIVACY_BOOLEANS = ['record_voice', 'delete_transcript_and_pii', 'delete_audio', 'apply_to_existing_conversations', 'zero_retention_mode'] as const;

/**
 * Validates body.platform_settings.privacy as FastAPI would (422 with pydantic's errors) and
 * stores the coerced values back into the body, so what is kept has the spec's types.
 */
function validatePlatformSettings(body: Record<string, any>): Issue[] {
  const issues: Issue[] = [];
  const ps = body.platform_settings;
  if (ps === undefined || ps === null) return issues;
  if (!isObject(ps)) return [{ type: 'model_attributes_type', loc: ['body', 'platform_settings'], msg: MODEL_TYPE_MSG, input: ps }];
  const privacy = ps.privacy;
  if (privacy === undefined || privacy === null) return issues;
  const loc: Loc = ['body', 'platform_settings', 'privacy'];
  if (!isObject(privacy)) return [{ type: 'model_attributes_type', loc, msg: MODEL_TYPE_MSG, input: privacy }];
  const coerced: Record<string, unknown> = {};
  for (const key of PRIVACY_BOOLEANS) {
    if (privacy[key] === undefined) continue;
    const v = laxBool(privacy[key], [...loc, key], issues);
    if (v !== undefined) coerced[key] = v;
  }
  if (privacy.retention_days !== undefined) {
    const v = laxInt(privacy.retention_days, [...loc, 'retention_days'], issues);
    if (v !== undefined) coerced.retention_days = v;
  }
  if (issues.length === 0) Object.assign(privacy, coerced);
  return issues;
}

/**
 * The path of the first override field the agent has not enabled, or null. `enabled` mirrors
 * the override's shape with `true` where overriding is allowed; a null override value means
 * "not overridden".
 */
function refusedOverride(override: Record<string, any>, enabled: any, path: string[]): string[] | null {
  for (const [key, value] of Object.entries(override)) {
    if (value === null || value === undefined) continue;
    const allowed = isObject(enabled) ? enabled[key] : undefined;
    if (isObject(value) && isObject(allowed)) {
      const inner = refusedOverride(value, allowed, [...path, key]);
      if (inner) return inner;
      continue;
    }
    if (allowed !== true) return [...path, key];
  }
  return null;
}

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
const TOOL_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const LITERAL_TYPES = ['boolean', 'string', 'integer', 'number'];
/** ObjectJsonSchemaProperty forbids extra keys; these are the ones the spec and the SDK know. */
const OBJECT_SCHEMA_KEYS = new Set(['type', 'required', 'description', 'properties', 'dynamic_variable', 'constant_value', 'is_omitted', 'required_constraints', 'property_kind']);

/**
 * Validates a ToolRequestModel ({ tool_config }) and returns the tool_config as the platform
 * stores it (spec defaults filled in), or pydantic's errors. Webhook tools are checked in
 * depth; client, system and mcp tools only for their name and description (assumed: the fake
 * does not model them further and stores them as sent).
 */
function validateToolRequest(body: unknown): { config: any } | { issues: Issue[] } {
  if (!isObject(body)) return { issues: [{ type: 'model_attributes_type', loc: ['body'], msg: MODEL_TYPE_MSG, input: body }] };
  const tc = body.tool_config;
  if (tc === undefined) return { issues: [{ type: 'missing', loc: ['body', 'tool_config'], msg: 'Field required', input: body }] };
  if (!isObject(tc) || typeof tc.type !== 'string') {
    return {
      issues: [{ type: 'union_tag_not_found', loc: ['body', 'tool_config'], msg: "Unable to extract tag using discriminator 'type'", input: tc, ctx: { discriminator: "'type'" } }],
    };
  }
  const tags = ['webhook', 'client', 'system', 'mcp'];
  if (!tags.includes(tc.type)) {
    return {
      issues: [
        {
          type: 'union_tag_invalid',
          loc: ['body', 'tool_config'],
          msg: `Input tag '${tc.type}' found using 'type' does not match any of the expected tags: ${tags.map((t) => `'${t}'`).join(', ')}`,
          input: tc,
          ctx: { discriminator: "'type'", tag: tc.type, expected_tags: tags.map((t) => `'${t}'`).join(', ') },
        },
      ],
    };
  }
  const loc: Loc = ['body', 'tool_config', tc.type];
  const issues: Issue[] = [];
  const config: any = structuredClone(tc);
  for (const key of ['name', 'description'] as const) {
    if (tc[key] === undefined) issues.push({ type: 'missing', loc: [...loc, key], msg: 'Field required', input: tc });
    else str(tc[key], [...loc, key], issues);
  }
  if (typeof tc.name === 'string' && !TOOL_NAME.test(tc.name)) {
    issues.push({
      type: 'string_pattern_mismatch',
      loc: [...loc, 'name'],
      msg: `String should match pattern '${TOOL_NAME.source}'`,
      input: tc.name,
      ctx: { pattern: TOOL_NAME.source },
    });
  }
  if (tc.type !== 'webhook') return issues.length > 0 ? { issues } : { config };

  if (tc.response_timeout_secs !== undefined) {
    const t = laxInt(tc.response_timeout_secs, [...loc, 'response_timeout_secs'], issues);
    if (t !== undefined && t < 5) {
      issues.push({ type: 'greater_than_equal', loc: [...loc, 'response_timeout_secs'], msg: 'Input should be greater than or equal to 5', input: tc.response_timeout_secs, ctx: { ge: 5 } });
    } else if (t !== undefined && t > 120) {
      issues.push({ type: 'less_than_equal', loc: [...loc, 'response_timeout_secs'], msg: 'Input should be less than or equal to 120', input: tc.response_timeout_secs, ctx: { le: 120 } });
    } else if (t !== undefined) config.response_timeout_secs = t;
  }
  for (const key of ['disable_interruptions', 'force_pre_tool_speech'] as const) {
    if (tc[key] === undefined) continue;
    const v = laxBool(tc[key], [...loc, key], issues);
    if (v !== undefined) config[key] = v;
  }
  const api = tc.api_schema;
  const aloc: Loc = [...loc, 'api_schema'];
  if (api === undefined) {
    issues.push({ type: 'missing', loc: aloc, msg: 'Field required', input: tc });
  } else if (!isObject(api)) {
    issues.push({ type: 'model_attributes_type', loc: aloc, msg: MODEL_TYPE_MSG, input: api });
  } else {
    if (api.url === undefined) issues.push({ type: 'missing', loc: [...aloc, 'url'], msg: 'Field required', input: api });
    else str(api.url, [...aloc, 'url'], issues);
    if (api.method !== undefined && !HTTP_METHODS.includes(api.method)) {
      issues.push({
        type: 'enum',
        loc: [...aloc, 'method'],
        msg: "Input should be 'GET', 'POST', 'PUT', 'PATCH' or 'DELETE'",
        input: api.method,
        ctx: { expected: "'GET', 'POST', 'PUT', 'PATCH' or 'DELETE'" },
      });
    }
    if (api.request_headers !== undefined && api.request_headers !== null) {
      if (!isObject(api.request_headers)) {
        issues.push({ type: 'dict_type', loc: [...aloc, 'request_headers'], msg: 'Input should be a valid dictionary', input: api.request_headers });
      } else {
        for (const [name, value] of Object.entries(api.request_headers)) {
          const ok =
            typeof value === 'string' ||
            (isObject(value) && (typeof value.secret_id === 'string' || typeof value.variable_name === 'string' || typeof value.env_var_label === 'string'));
          if (!ok) {
            issues.push({ type: 'string_type', loc: [...aloc, 'request_headers', name, 'str'], msg: 'Input should be a valid string', input: value });
          }
        }
      }
    }
    if (api.path_params_schema !== undefined && api.path_params_schema !== null) {
      if (!isObject(api.path_params_schema)) {
        issues.push({ type: 'dict_type', loc: [...aloc, 'path_params_schema'], msg: 'Input should be a valid dictionary', input: api.path_params_schema });
      } else {
        for (const [key, prop] of Object.entries(api.path_params_schema)) validateLiteral(prop, [...aloc, 'path_params_schema', key], issues);
      }
    }
    if (api.query_params_schema !== undefined && api.query_params_schema !== null) {
      const q = api.query_params_schema;
      if (!isObject(q) || !isObject(q.properties)) {
        issues.push({ type: 'missing', loc: [...aloc, 'query_params_schema', 'properties'], msg: 'Field required', input: q });
      } else {
        for (const [key, prop] of Object.entries(q.properties)) validateLiteral(prop, [...aloc, 'query_params_schema', 'properties', key], issues);
      }
    }
    if (api.request_body_schema !== undefined && api.request_body_schema !== null) {
      validateObjectSchema(api.request_body_schema, [...aloc, 'request_body_schema'], issues);
    }
  }
  if (issues.length > 0) return { issues };
  // What the platform stores: the spec's defaults for anything not sent.
  return {
    config: deepMerge(
      {
        type: 'webhook',
        response_timeout_secs: 20,
        disable_interruptions: false,
        force_pre_tool_speech: false,
        assignments: [],
        dynamic_variables: { dynamic_variable_placeholders: {} },
        api_schema: { method: 'GET', request_headers: {}, path_params_schema: {}, query_params_schema: null, request_body_schema: null, auth_connection: null },
      },
      config,
    ),
  };
}

/**
 * A LiteralJsonSchemaProperty. Beyond the spec: ElevenLabs refuses a property that sets none,
 * or more than one, of description (the language model fills it), dynamic_variable,
 * constant_value and is_system_provided (is_omitted also counts). Evidence: a 422 for a
 * property with both description and dynamic_variable (elevenlabs/elevenlabs-js#215) and
 * public integrations noting "can only set ONE of description, dynamic_variable,
 * is_system_provided, constant_value". Assumed: the exact message and error type.
 */
function validateLiteral(prop: unknown, loc: Loc, issues: Issue[]): void {
  if (!isObject(prop)) {
    issues.push({ type: 'model_attributes_type', loc, msg: MODEL_TYPE_MSG, input: prop });
    return;
  }
  if (prop.type === undefined) issues.push({ type: 'missing', loc: [...loc, 'type'], msg: 'Field required', input: prop });
  else if (!LITERAL_TYPES.includes(prop.type)) {
    issues.push({
      type: 'enum',
      loc: [...loc, 'type'],
      msg: "Input should be 'boolean', 'string', 'integer' or 'number'",
      input: prop.type,
      ctx: { expected: "'boolean', 'string', 'integer' or 'number'" },
    });
  }
  for (const key of ['description', 'dynamic_variable'] as const) {
    if (prop[key] !== undefined) str(prop[key], [...loc, key], issues);
  }
  const sources = valueSources(prop);
  if (sources.length !== 1) {
    issues.push({
      type: 'value_error',
      loc,
      msg:
        sources.length === 0
          ? 'Value error, Must set one of: description, dynamic_variable, is_system_provided, or constant_value'
          : `Value error, Can only set one of: description, dynamic_variable, is_system_provided, or constant_value (got ${sources.join(', ')})`,
      input: prop,
      ctx: { error: {} },
    });
  }
}

function valueSources(prop: Record<string, any>): string[] {
  const set: string[] = [];
  if (nonEmpty(prop.description)) set.push('description');
  if (nonEmpty(prop.dynamic_variable)) set.push('dynamic_variable');
  if (prop.constant_value !== undefined && prop.constant_value !== null && prop.constant_value !== '') set.push('constant_value');
  if (prop.is_system_provided === true) set.push('is_system_provided');
  if (prop.is_omitted === true) set.push('is_omitted');
  return set;
}

/** An ObjectJsonSchemaProperty (extra keys forbidden), its properties checked recursively. */
function validateObjectSchema(schema: unknown, loc: Loc, issues: Issue[]): void {
  if (!isObject(schema)) {
    issues.push({ type: 'model_attributes_type', loc, msg: MODEL_TYPE_MSG, input: schema });
    return;
  }
  for (const key of Object.keys(schema)) {
    if (!OBJECT_SCHEMA_KEYS.has(key)) issues.push({ type: 'extra_forbidden', loc: [...loc, key], msg: 'Extra inputs are not permitted', input: schema[key] });
  }
  if (schema.type !== undefined && schema.type !== 'object') {
    issues.push({ type: 'literal_error', loc: [...loc, 'type'], msg: "Input should be 'object'", input: schema.type, ctx: { expected: "'object'" } });
  }
  if (schema.required !== undefined && (!Array.isArray(schema.required) || schema.required.some((r: unknown) => typeof r !== 'string'))) {
    issues.push({ type: 'list_type', loc: [...loc, 'required'], msg: 'Input should be a valid list of strings', input: schema.required });
  }
  if (schema.properties === undefined) return;
  if (!isObject(schema.properties)) {
    issues.push({ type: 'dict_type', loc: [...loc, 'properties'], msg: 'Input should be a valid dictionary', input: schema.properties });
    return;
  }
  for (const [key, prop] of Object.entries(schema.properties)) {
    const ploc: Loc = [...loc, 'properties', key];
    if (isObject(prop) && prop.type === 'object') validateObjectSchema(prop, ploc, issues);
    else if (isObject(prop) && prop.type === 'array') {
      if (prop.items === undefined) issues.push({ type: 'missing', loc: [...ploc, 'items'], msg: 'Field required', input: prop });
    } else validateLiteral(prop, ploc, issues);
  }
}

/** Whether an object schema fills any value itself (so it is sent even without model input). */
function hasFixedValues(schema: any): boolean {
  return Object.values<any>(schema.properties ?? {}).some((p) =>
    p.type === 'object' ? hasFixedValues(p) : nonEmpty(p.dynamic_variable) || (p.constant_value !== undefined && p.constant_value !== ''),
  );
}

function nonEmpty(v: unknown): v is string {
  return typeof v === 'string' && v.length > 0;
}

/** ResourceAccessInfo of everything the fake's single user creates. */
const ACCESS_INFO = { is_creator: true, creator_name: 'Test User', creator_email: 'test@example.com', role: 'admin' };

function setAudioFlags(conv: any, has: boolean): void {
  conv.has_audio = has;
  conv.has_user_audio = has;
  conv.has_response_audio = has;
}

/** Deterministic MP3 bytes of a conversation's recording (ID3 tag, one MPEG frame header, payload). */
function conversationAudio(conversationId: string): Buffer {
  const payload = Buffer.alloc(1600);
  let block = createHash('sha256').update(`elevenlabs-audio:${conversationId}`).digest();
  for (let off = 0; off < payload.length; off += block.length) {
    block.copy(payload, off);
    block = createHash('sha256').update(block).digest();
  }
  return Buffer.concat([Buffer.from([0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0]), Buffer.from([0xff, 0xfb, 0x50, 0xc4]), payload]);
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** An agent as GET /v1/convai/agents/{id} returns it, with the platform's defaults. */
function defaultAgent(id: string): any {
  const now = nowSecs();
  return {
    agent_id: id,
    name: 'Agent',
    conversation_config: {
      asr: { quality: 'high', provider: 'elevenlabs', user_input_audio_format: 'pcm_16000', keywords: [] },
      turn: { turn_timeout: 7, silence_end_call_timeout: -1 },
      tts: {
        model_id: 'eleven_turbo_v2',
        voice_id: 'cjVigY5qzO86Huf0OWal',
        supported_voices: [],
        agent_output_audio_format: 'pcm_16000',
        optimize_streaming_latency: 3,
        stability: 0.5,
        speed: 1,
        similarity_boost: 0.8,
        pronunciation_dictionary_locators: [],
      },
      conversation: {
        text_only: false,
        max_duration_seconds: 600,
        client_events: ['audio', 'interruption', 'user_transcript', 'agent_response'],
      },
      language_presets: {},
      agent: {
        first_message: '',
        language: 'en',
        dynamic_variables: { dynamic_variable_placeholders: {} },
        prompt: {
          prompt: '',
          llm: 'gemini-2.0-flash',
          temperature: 0,
          max_tokens: -1,
          tool_ids: [],
          mcp_server_ids: [],
          native_mcp_server_ids: [],
          knowledge_base: [],
          ignore_default_personality: false,
          rag: {
            enabled: false,
            embedding_model: 'e5_mistral_7b_instruct',
            max_vector_distance: 0.6,
            max_documents_length: 50000,
            max_retrieved_rag_chunks_count: 20,
          },
        },
      },
    },
    metadata: { created_at_unix_secs: now, updated_at_unix_secs: now },
    platform_settings: {
      auth: { enable_auth: false, allowlist: [] },
      evaluation: { criteria: [] },
      data_collection: {},
      overrides: {
        conversation_config_override: {
          agent: { first_message: false, language: false, prompt: { prompt: false } },
          tts: { voice_id: false },
          conversation: { text_only: false },
        },
        custom_llm_extra_body: false,
        enable_conversation_initiation_client_data_from_webhook: false,
      },
      call_limits: { agent_concurrency_limit: -1, daily_limit: 100000, bursting_enabled: true },
      privacy: {
        record_voice: true,
        retention_days: -1,
        delete_transcript_and_pii: false,
        delete_audio: false,
        apply_to_existing_conversations: false,
        zero_retention_mode: false,
      },
    },
    phone_numbers: [],
    whatsapp_accounts: [],
    access_info: { is_creator: true, creator_name: 'Test User', creator_email: 'test@example.com', role: 'admin' },
    tags: [],
  };
}

/** A conversation as GET /v1/convai/conversations/{id} returns it, just started. */
function defaultConversation(id: string, agentId: string, agentName: string | undefined): any {
  return {
    agent_id: agentId,
    agent_name: agentName ?? null,
    conversation_id: id,
    status: 'initiated',
    user_id: null,
    transcript: [],
    metadata: {
      start_time_unix_secs: nowSecs(),
      accepted_time_unix_secs: null,
      call_duration_secs: 0,
      cost: 0,
      deletion_settings: {
        deletion_time_unix_secs: null,
        deleted_logs_at_time_unix_secs: null,
        deleted_audio_at_time_unix_secs: null,
        deleted_transcript_at_time_unix_secs: null,
        delete_transcript_and_pii: false,
        delete_audio: false,
      },
      feedback: { overall_score: null, likes: 0, dislikes: 0 },
      authorization_method: 'authorization_header',
      termination_reason: '',
      error: null,
      main_language: 'en',
      text_only: false,
      conversation_initiation_source: 'unknown',
      timezone: null,
    },
    analysis: null,
    conversation_initiation_client_data: {},
    has_audio: false,
    has_user_audio: false,
    has_response_audio: false,
    has_auxiliary_audio: false,
  };
}

function nowSecs(): number {
  return Math.floor(Date.now() / 1000);
}

/** Ids like the platform's: a prefix and 26 lowercase base-32 characters. */
function newId(prefix: 'agent' | 'conv' | 'tool' | 'secret'): string {
  const alphabet = '0123456789abcdefghjkmnpqrstvwxyz';
  const bytes = randomBytes(26);
  let s = '';
  for (const b of bytes) s += alphabet[b % 32];
  return `${prefix}_${s}`;
}

function isObject(v: unknown): v is Record<string, any> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Recursively merges plain objects (patch wins); arrays and scalars are replaced. Returns a fresh copy. */
function deepMerge(base: any, patch: any): any {
  if (!isObject(base) || !isObject(patch)) return structuredClone(patch === undefined ? base : patch);
  const out: Record<string, any> = structuredClone(base);
  for (const [k, v] of Object.entries(patch)) {
    if (v === undefined) continue;
    out[k] = isObject(out[k]) && isObject(v) ? deepMerge(out[k], v) : structuredClone(v);
  }
  return out;
}

function xmlAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/"/g, '&quot;').replace(/>/g, '&gt;');
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function notFound(res: ServerResponse, status: string, message: string): void {
  json(res, 404, { detail: { status, message } });
}

function validationError(res: ServerResponse, loc: string[], msg: string, type: string): void {
  json(res, 422, { detail: [{ loc, msg, type }] });
}

function methodNotAllowed(res: ServerResponse): void {
  json(res, 405, { detail: 'Method Not Allowed' });
}
