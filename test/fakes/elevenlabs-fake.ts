/**
 * A small local fake of the ElevenLabs Agents Platform REST API (conversational AI) for tests.
 *
 * It answers the endpoints our server uses with complete responses the official SDK
 * (@elevenlabs/elevenlabs-js) accepts: agents (create, get, update, delete), the Twilio
 * register-call endpoint (returns TwiML) and conversations (get, delete). Shapes follow
 * ElevenLabs' published OpenAPI description (elevenlabs/elevenlabs-docs, fern/apis/api/openapi.json;
 * see docs/providers.md) and, for newer endpoints, the SDK's own schemas.
 * Point the SDK at it with `createElevenLabsClient({ apiKey, baseUrl: fake.url })`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/* eslint-disable @typescript-eslint/no-explicit-any -- agent and conversation documents are free-form JSON */

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

export interface ElevenLabsFake {
  /** Base URL of the fake, e.g. http://127.0.0.1:54321 (no trailing slash). */
  url: string;
  /** Every request received, including failed and rejected ones. */
  requests: ElevenLabsFakeRequest[];
  /** Agents by id, each the full document GET /v1/convai/agents/{id} answers (snake_case JSON). */
  agents: Map<string, any>;
  /** Conversations by id, each the full document GET /v1/convai/conversations/{id} answers. */
  conversations: Map<string, any>;
  /** Bodies of POST /v1/convai/twilio/register-call, in order. */
  registeredCalls: any[];
  deletedConversations: string[];
  deletedAgents: string[];
  /** The next n API requests answer 500 ('500') or never answer until the client gives up ('timeout'). */
  failNext(n: number, mode: '500' | 'timeout'): void;
  /** Forget all requests, agents, conversations and pending failures. */
  reset(): void;
  /** Store an agent directly (as if created earlier); `patch` is deep-merged over the defaults. */
  addAgent(id: string, patch?: any): any;
  /** Store a conversation directly; `patch` (snake_case) is deep-merged over a finished conversation. */
  addConversation(id: string, agentId: string, patch?: any): any;
  close(): Promise<void>;
}

/** Starts the fake on 127.0.0.1 with an ephemeral port. The xi-api-key header is enforced only when apiKey is given. */
export async function startElevenLabsFake(opts: { apiKey?: string } = {}): Promise<ElevenLabsFake> {
  const requests: ElevenLabsFakeRequest[] = [];
  const agents = new Map<string, any>();
  const conversations = new Map<string, any>();
  const registeredCalls: any[] = [];
  const deletedConversations: string[] = [];
  const deletedAgents: string[] = [];
  const hanging = new Set<ServerResponse>();
  let failures: { mode: '500' | 'timeout'; left: number } | null = null;

  function addAgent(id: string, patch: any = {}): any {
    const agent = deepMerge(defaultAgent(id), patch);
    agent.agent_id = id;
    agents.set(id, agent);
    return agent;
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
    return conv;
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
        const merged = deepMerge(agent, body ?? {});
        merged.agent_id = id;
        merged.metadata.updated_at_unix_secs = nowSecs();
        agents.set(id, merged);
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
      registeredCalls.push(body);
      const id = newId('conv');
      const conv = defaultConversation(id, body.agent_id, agent.name);
      conv.status = 'initiated';
      conv.conversation_initiation_client_data = body.conversation_initiation_client_data ?? {};
      conv.metadata.conversation_initiation_source = 'twilio';
      conversations.set(id, conv);
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

    if ((m = /^\/v1\/convai\/conversations\/([^/]+)$/.exec(path))) {
      const id = m[1]!;
      const conv = conversations.get(id);
      if (!conv) return notFound(res, 'conversation_not_found', `Conversation with id ${id} not found`);
      if (method === 'GET') return json(res, 200, conv);
      if (method === 'DELETE') {
        conversations.delete(id);
        deletedConversations.push(id);
        return json(res, 200, {});
      }
      return methodNotAllowed(res);
    }

    // FastAPI's answer for an unknown route.
    json(res, 404, { detail: 'Not Found' });
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

      if (failures && failures.left > 0) {
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
    registeredCalls,
    deletedConversations,
    deletedAgents,
    failNext(n: number, mode: '500' | 'timeout') {
      failures = n > 0 ? { mode, left: n } : null;
    },
    reset() {
      requests.length = 0;
      agents.clear();
      conversations.clear();
      registeredCalls.length = 0;
      deletedConversations.length = 0;
      deletedAgents.length = 0;
      failures = null;
    },
    addAgent,
    addConversation,
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
function newId(prefix: 'agent' | 'conv'): string {
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
