import type { OpenAPIRegistry, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { z } from 'zod';

/**
 * The shared vocabulary of the API description (served at /openapi.json): each
 * feature describes its own routes next to them, in a `*-openapi.ts` module,
 * with the zod schemas its routes parse with; src/http/openapi.ts gathers them.
 * A route without a description fails test/openapi.test.ts.
 */

/** The security schemes, by the names the document gives them. */
export const SECURITY = {
  /** Supabase Auth's access token (production) or this server's own (local mode). */
  bearer: 'bearerAuth',
  /** The dashboard's session cookie (the access token itself) with its CSRF cookie on forms. */
  session: 'sessionCookie',
  twilio: 'twilioSignature',
  elevenLabs: 'elevenLabsSignature',
  stopRecording: 'stopRecordingSecret',
  metrics: 'metricsToken',
} as const;

/** The `{error: {code, message, details?}, request_id}` body of every refusal (src/http/error-handler.ts). */
export const ErrorBody = z
  .object({
    error: z.object({
      code: z.string().meta({ description: 'A stable machine-readable code, e.g. `validation_failed`, `not_found`, `forbidden`.' }),
      message: z.string(),
      details: z.unknown().optional(),
    }),
    request_id: z.string().optional(),
  })
  .meta({ id: 'Error', description: 'A refused or failed request.' });

const ERROR_TEXT: Record<number, string> = {
  400: 'The request is malformed (`validation_failed`, `bad_request`, `invalid_json`, `invalid_phone`, ...); `details` lists each problem.',
  401: 'No valid credentials (`unauthorized`).',
  403: 'Not allowed (`forbidden`, `invalid_signature`, ...).',
  404: 'No such resource, or not visible to the caller (`not_found`).',
  409: 'Conflicts with the current state (`conflict`, `last_owner`, ...).',
  410: 'Gone (`expired`, ...).',
  413: 'The request body is too large (`payload_too_large`).',
  415: 'The request body encoding is not supported.',
  422: 'Understood but refused by a rule (the code says which).',
  429: 'Too many requests (`rate_limited`).',
  500: 'Something went wrong on our side (`internal`).',
  502: 'A provider (Twilio, ElevenLabs) refused or did not answer (`upstream_failed`); nothing was changed.',
  503: 'The feature is off in this deployment, or a dependency is down.',
};

/** The statuses every JSON API operation may answer with, whatever it does. */
export const API_ERRORS = [400, 401, 403, 404, 413, 415, 500] as const;

type Schema = z.ZodType;
type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

interface Common {
  method: Method;
  /** The Express path, e.g. `/api/orgs/:orgId/calls/:callId` (turned into `{callId}`). */
  path: string;
  tags: string[];
  summary: string;
  description?: string;
  /** Security scheme names (SECURITY values); several mean any one of them. Omitted: public. */
  security?: string[];
  params?: z.ZodObject;
  query?: z.ZodObject;
  headers?: z.ZodObject;
}

export interface JsonOperation extends Common {
  /** The JSON request body (the schema the route parses with). */
  body?: Schema;
  /** Other request media types the route reads, e.g. a form. */
  bodyContent?: Record<string, Schema>;
  /** Success responses: a status → a JSON schema, `null` for no body, or full content. */
  responses: Record<number, Schema | null | { description: string; content: Record<string, Schema>; headers?: z.ZodObject }>;
  /** Error statuses beyond API_ERRORS (or instead of them, with `replaceErrors`). */
  errors?: number[];
  replaceErrors?: boolean;
}

export interface HtmlOperation extends Common {
  /** Statuses answered with a page (200 unless given). */
  pages?: number[];
  /** Statuses answered with a redirect (303 after a form post, typically). */
  redirects?: number[];
  /** A form body the route reads (application/x-www-form-urlencoded). */
  form?: Schema;
  /** Statuses answered with an error page. */
  errorPages?: number[];
}

/** `:name` → `{name}`, and no trailing slash (Express matches both). */
export function openApiPath(expressPath: string): string {
  const p = expressPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
  return p.length > 1 ? p.replace(/\/+$/, '') : p;
}

const html = { 'text/html': { schema: z.string() } };

/** What a feature's description module gets: a registry with a few shortcuts for this API's shapes. */
export class ApiDescriber {
  constructor(readonly registry: OpenAPIRegistry) {}

  private base(op: Common): Omit<RouteConfig, 'responses'> {
    const request: NonNullable<RouteConfig['request']> = {};
    if (op.params) request.params = op.params;
    if (op.query) request.query = op.query;
    if (op.headers) request.headers = op.headers;
    return {
      method: op.method,
      path: openApiPath(op.path),
      tags: op.tags,
      summary: op.summary,
      ...(op.description ? { description: op.description } : {}),
      security: op.security ? op.security.map((name) => ({ [name]: [] })) : [],
      request,
    };
  }

  /** A JSON operation: its body schema, its success answers and its error answers. */
  json(op: JsonOperation): void {
    const config = this.base(op);
    const content: Record<string, { schema: Schema }> = {};
    if (op.body) content['application/json'] = { schema: op.body };
    for (const [type, schema] of Object.entries(op.bodyContent ?? {})) content[type] = { schema };
    if (Object.keys(content).length) config.request!.body = { content, required: true };
    const responses: RouteConfig['responses'] = {};
    for (const [status, r] of Object.entries(op.responses)) {
      if (r === null) responses[status] = { description: 'Done; no body.' };
      else if (r instanceof z.ZodType) responses[status] = { description: 'Success.', content: { 'application/json': { schema: r } } };
      else {
        responses[status] = {
          description: r.description,
          content: Object.fromEntries(Object.entries(r.content).map(([type, schema]) => [type, { schema }])),
          ...(r.headers ? { headers: r.headers } : {}),
        };
      }
    }
    const errors = new Set<number>([...(op.replaceErrors ? [] : API_ERRORS), ...(op.errors ?? [])]);
    if (!op.security && !op.replaceErrors) errors.delete(401);
    for (const status of [...errors].sort()) {
      responses[status] = { description: ERROR_TEXT[status] ?? 'Refused.', content: { 'application/json': { schema: ErrorBody } } };
    }
    this.registry.registerPath({ ...config, responses });
  }

  /** A server-rendered page or form post (the dashboard, the public pages). */
  html(op: HtmlOperation): void {
    const config = this.base(op);
    if (op.form) config.request!.body = { content: { 'application/x-www-form-urlencoded': { schema: op.form } }, required: true };
    const responses: RouteConfig['responses'] = {};
    for (const status of op.pages ?? [200]) responses[status] = { description: 'An HTML page.', content: html };
    for (const status of op.redirects ?? []) responses[status] = { description: 'A redirect (see `Location`).' };
    for (const status of op.errorPages ?? [400, 403, 404, 500]) responses[status] = { description: ERROR_TEXT[status] ?? 'Refused.', content: html };
    this.registry.registerPath({ ...config, responses });
  }

  /** Anything else, as the generator's own route config (paths in Express syntax too). */
  raw(config: RouteConfig): void {
    this.registry.registerPath({ ...config, path: openApiPath(config.path) });
  }
}

/** A feature's descriptions: a function that registers them. */
export type Describe = (api: ApiDescriber) => void;

/** A timestamp as JSON sends it. */
export const timestamp = z.iso.datetime({ offset: true });
export const uuid = z.uuid();
