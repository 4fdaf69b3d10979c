import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { routesAheadOfExpress } from '../../src/http/ahead-of-express.js';
import { buildOpenApiDocument, type OpenApiDocument } from '../../src/http/openapi.js';
import { openApiPath } from '../../src/lib/openapi.js';

/**
 * The API description checked against the running app, from test code only:
 *
 * - `listRoutes(app)` walks Express 5's router stack for every (method, path),
 *   and adds the routes served ahead of Express;
 *   `undescribedRoutes` lists those the document does not describe.
 * - `checkResponse` validates one answer (status, content type, JSON body)
 *   against the document, with Ajv's JSON Schema 2020-12 (OpenAPI 3.1's dialect).
 * - `observeResponses(app)` puts an observer in front of everything the app
 *   serves that checks every answer the test receives; test/helpers/harness.ts
 *   does it for every app it builds, and test/helpers/openapi-setup.ts fails the
 *   test whose request got an answer the document does not allow.
 */

type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';
const METHODS: Method[] = ['get', 'post', 'put', 'patch', 'delete'];

export interface RouteEntry {
  method: Method;
  /** In OpenAPI's form: `/api/orgs/{orgId}`, no trailing slash. */
  path: string;
}

interface Layer {
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
  rawPath?: string | string[];
  slash?: boolean;
}

function paths(p: string | string[] | undefined): string[] {
  if (p === undefined) return [''];
  return Array.isArray(p) ? p : [p];
}

/** Every route of a router stack (the app's, or a Router's), with its mount path prefixed. */
export function listRoutes(appOrRouter: Express | { stack: Layer[] }): RouteEntry[] {
  const stack = 'router' in appOrRouter ? (appOrRouter.router as unknown as { stack: Layer[] }).stack : (appOrRouter as { stack: Layer[] }).stack;
  const out = new Map<string, RouteEntry>();
  const walk = (layers: Layer[], prefix: string) => {
    for (const layer of layers) {
      if (layer.route) {
        for (const path of paths(layer.route.path)) {
          for (const m of Object.keys(layer.route.methods)) {
            if (m === '_all') continue;
            const entry = { method: m as Method, path: openApiPath(`${prefix}${path}`) };
            out.set(`${entry.method} ${entry.path}`, entry);
          }
        }
      } else if (layer.handle?.stack) {
        for (const mount of layer.slash ? [''] : paths(layer.rawPath)) walk(layer.handle.stack, `${prefix}${mount === '/' ? '' : mount}`);
      }
    }
  };
  walk(stack, '');
  if ('router' in appOrRouter) {
    for (const r of routesAheadOfExpress(appOrRouter)) out.set(`${r.method} ${r.path}`, { method: r.method as Method, path: openApiPath(r.path) });
  }
  return [...out.values()].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
}

/** The routes the document does not describe, as `METHOD /path` lines. */
export function undescribedRoutes(routes: RouteEntry[], doc: OpenApiDocument): string[] {
  return routes.filter((r) => !(doc.paths?.[r.path] as Record<string, unknown> | undefined)?.[r.method]).map((r) => `${r.method.toUpperCase()} ${r.path}`);
}

/** Operations the document describes that no route serves (a description left behind). */
export function describedButAbsent(routes: RouteEntry[], doc: OpenApiDocument, optional: string[] = []): string[] {
  const live = new Set(routes.map((r) => `${r.method.toUpperCase()} ${r.path}`));
  const out: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const m of METHODS) if ((item as Record<string, unknown>)[m] && !live.has(`${m.toUpperCase()} ${path}`) && !optional.includes(`${m.toUpperCase()} ${path}`)) out.push(`${m.toUpperCase()} ${path}`);
  }
  return out;
}

interface Media {
  schema?: unknown;
}
interface Operation {
  responses?: Record<string, { content?: Record<string, Media> }>;
}

export interface Answer {
  method: string;
  /** The request path, without the query. */
  path: string;
  status: number;
  contentType?: string;
  body?: string;
}

/** The outcome of one check: which operation, and what did not match (empty: it matched). */
export interface Checked {
  operation?: string;
  problems: string[];
}

const pointer = (...parts: string[]) => parts.map((p) => encodeURIComponent(p.replace(/~/g, '~0').replace(/\//g, '~1'))).join('/');

/** Checks answers against one document. */
export class ResponseChecker {
  private readonly ajv: Ajv2020;
  private readonly templates: { path: string; re: RegExp; literal: number }[];
  private readonly validators = new Map<string, ValidateFunction>();

  constructor(readonly doc: OpenApiDocument) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateSchema: false });
    addFormats.default(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema(doc as object, 'openapi.json');
    this.templates = Object.keys(doc.paths ?? {}).map((path) => ({
      path,
      re: new RegExp(`^${path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{[^}]+\}/g, '[^/]+')}/?$`),
      literal: path.replace(/\{[^}]+\}/g, '').length,
    }));
    // The most literal template wins: /api/orgs/{orgId}/members before /api/orgs/{orgId}/{x}.
    this.templates.sort((a, b) => b.literal - a.literal);
  }

  /** The template of the operation a request path and method reach, if the document has one. */
  match(method: string, path: string): string | undefined {
    const m = method.toLowerCase();
    for (const t of this.templates) if (t.re.test(path) && (this.doc.paths![t.path] as Record<string, unknown>)[m]) return t.path;
    return undefined;
  }

  check(answer: Answer): Checked {
    const method = answer.method.toLowerCase();
    const template = this.match(method, answer.path);
    if (!template) return { problems: [] };
    const operation = `${method.toUpperCase()} ${template}`;
    const op = (this.doc.paths![template] as Record<string, Operation>)[method]!;
    const response = op.responses?.[String(answer.status)];
    if (!response) return { operation, problems: [`${operation}: status ${answer.status} is not documented (documented: ${Object.keys(op.responses ?? {}).join(', ')})`] };
    const hasBody = Boolean(answer.body && answer.body.length > 0);
    // Redirects and bodiless answers: Express's short redirect text is not part of the contract.
    if (answer.status >= 300 && answer.status < 400) return { operation, problems: [] };
    if (!response.content || Object.keys(response.content).length === 0) {
      return { operation, problems: hasBody ? [`${operation} ${answer.status}: a body was sent where none is documented`] : [] };
    }
    const type = (answer.contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (!(type in response.content)) {
      return { operation, problems: [`${operation} ${answer.status}: content type ${type || '(none)'} is not documented (documented: ${Object.keys(response.content).join(', ')})`] };
    }
    if (type !== 'application/json' || response.content[type]!.schema === undefined) return { operation, problems: [] };
    let body: unknown;
    try {
      body = JSON.parse(answer.body ?? '');
    } catch {
      return { operation, problems: [`${operation} ${answer.status}: the body is not JSON`] };
    }
    const ref = `openapi.json#/${pointer('paths', template, method, 'responses', String(answer.status), 'content', type, 'schema')}`;
    const validate = this.validators.get(ref) ?? this.ajv.compile({ $ref: ref });
    this.validators.set(ref, validate);
    if (validate(body)) return { operation, problems: [] };
    const errors = (validate.errors ?? []).slice(0, 5).map((e) => `${e.instancePath || '/'} ${e.message}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`);
    return { operation, problems: [`${operation} ${answer.status}: the body does not match its schema: ${errors.join('; ')}`] };
  }
}

/** What the observed apps of this test file saw: operations exercised and answers that did not match. */
export const observed = {
  exercised: new Map<string, Set<number>>(),
  problems: [] as string[],
  answers: 0,
};

let sharedChecker: ResponseChecker | undefined;
/** One checker (and one document) per test file. */
export function responseChecker(): ResponseChecker {
  return (sharedChecker ??= new ResponseChecker(buildOpenApiDocument()));
}

/** Keeps a copy of what is written, to check the answer once it is finished. */
const observer = (req: IncomingMessage & { originalUrl?: string }, res: ServerResponse, next: () => void) => {
  const chunks: Buffer[] = [];
  const keep = (chunk: unknown, encoding?: unknown) => {
    if (chunk === undefined || chunk === null || typeof chunk === 'function') return;
    chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
  };
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as unknown as { write: unknown }).write = (...args: unknown[]) => {
    keep(args[0], args[1]);
    return write(...args);
  };
  (res as unknown as { end: unknown }).end = (...args: unknown[]) => {
    keep(args[0], args[1]);
    return end(...args);
  };
  // An answer may pass its headers to writeHead only (then getHeader does not see them).
  let written: string | undefined;
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  (res as unknown as { writeHead: unknown }).writeHead = (...args: unknown[]) => {
    const headers = args.find((a) => typeof a === 'object' && a !== null);
    if (Array.isArray(headers)) {
      for (let i = 0; i + 1 < headers.length; i += 2) if (String(headers[i]).toLowerCase() === 'content-type') written = String(headers[i + 1]);
    } else if (headers) {
      for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === 'content-type') written = String(v);
    }
    return writeHead(...args);
  };
  const method = req.method ?? 'GET';
  const path = (req.originalUrl ?? req.url ?? '/').split('?')[0]!;
  res.on('finish', () => {
    if (method === 'HEAD' || method === 'OPTIONS') return;
    const contentType = res.getHeader('content-type') ?? written;
    const result = responseChecker().check({ method, path, status: res.statusCode, contentType: contentType === undefined ? undefined : String(contentType), body: Buffer.concat(chunks).toString('utf8') });
    if (!result.operation) return;
    observed.answers++;
    const statuses = observed.exercised.get(result.operation) ?? new Set<number>();
    statuses.add(res.statusCode);
    observed.exercised.set(result.operation, statuses);
    observed.problems.push(...result.problems);
  });
  next();
};

/** Puts the observer in front of everything the app does, the routes served ahead of Express included. */
export function observeResponses(app: Express): Express {
  type Handle = (req: IncomingMessage, res: ServerResponse, next?: unknown) => void;
  const target = app as unknown as { handle: Handle };
  const inner = target.handle.bind(app);
  target.handle = (req, res, next) => observer(req, res, () => inner(req, res, next));
  return app;
}

/** The problems seen since the last call (and forgets them). */
export function takeProblems(): string[] {
  return observed.problems.splice(0);
}

/** One line per operation exercised: `GET /api/orgs/{orgId} 200,404`. */
export function exercisedSummary(): string[] {
  return [...observed.exercised].sort(([a], [b]) => a.localeCompare(b)).map(([op, statuses]) => `${op} ${[...statuses].sort().join(',')}`);
}
