import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Express } from 'express';
import proxyaddr from 'proxy-addr';
import { ipPrefix } from '../lib/crypto.js';
import { requestLog } from '../lib/logger.js';
import { runWithContext } from '../lib/request-context.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AheadRoute, PlainAnswer, PlainRequest } from '../lib/plain-route.js';
import { errorAnswer } from './error-handler.js';

export interface AheadOptions {
  /** Response headers every answer carries (helmet's, taken once). */
  headers: [string, string][];
  metrics: Metrics;
  /** Logs a failure of an answer's `after` work. */
  onAfterError(err: unknown): void;
}

const INCOMING_ID = /^[A-Za-z0-9._-]{8,64}$/;
const ROUTES = Symbol.for('voice-gdpr.routes-ahead-of-express');

type TrustFn = (addr: string, i: number) => boolean;
type Handle = (req: IncomingMessage, res: ServerResponse, next?: (err?: unknown) => void) => void;

/**
 * Serves a few routes before Express sees the request: the Twilio webhooks,
 * the busiest routes by far, which need none of Express's routing, body
 * parsers or response helpers. Express prepares every request it dispatches
 * (it swaps the prototypes of the request and the response, which V8 then
 * handles on its slow paths) and walks its router; measured on the voice
 * webhook (`npm run bench -- incoming`), bare Express spends about three times
 * the CPU of a bare `node:http` handler per request. Each route here gets what
 * every Express route gets (helmet's security headers, a request id kept or
 * made, the request context for log lines and audit rows, the per-request log
 * line, the HTTP metrics, and the error answers of the app's error handler),
 * by calling the same functions. Everything else goes to Express unchanged.
 *
 * The app stays an Express application (tests, `app.listen` and the route
 * listing keep working): its `handle`, which Express's request listener calls
 * for every request, is wrapped.
 */
export function serveAheadOfExpress(app: Express, routes: AheadRoute[], opts: AheadOptions): void {
  const byPath = new Map(routes.map((r) => [r.path, r]));
  const served = { ...opts, headerLine: opts.headers.flat() };
  const target = app as unknown as { handle: Handle; [ROUTES]?: { method: string; path: string }[] };
  const expressHandle = target.handle.bind(app);
  target[ROUTES] = [...(target[ROUTES] ?? []), ...routes.map((r) => ({ method: r.method.toLowerCase(), path: r.path }))];
  target.handle = (req, res, next) => {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q < 0 ? url : url.slice(0, q);
    const route = byPath.get(path);
    if (route === undefined || req.method !== route.method) return expressHandle(req, res, next);
    serve(route, { raw: req, url, path, query: q < 0 ? '' : url.slice(q + 1) }, res, app.get('trust proxy fn') as TrustFn, served);
  };
}

/** The routes served ahead of Express by `app` (method in lower case, as Express lists its own). */
export function routesAheadOfExpress(app: Express): { method: string; path: string }[] {
  return (app as unknown as { [ROUTES]?: { method: string; path: string }[] })[ROUTES] ?? [];
}

function serve(route: AheadRoute, req: PlainRequest, res: ServerResponse, trust: TrustFn, opts: AheadOptions & { headerLine: string[] }): void {
  const started = process.hrtime.bigint();
  const incoming = req.raw.headers['x-request-id'];
  const requestId = typeof incoming === 'string' && INCOMING_ID.test(incoming) ? incoming : randomUUID();
  let after: (() => Promise<void>) | undefined;
  res.once('finish', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    opts.metrics.requestFinished({ route: route.path, method: route.method, status: res.statusCode, seconds });
    requestLog.info({ request_id: requestId, method: route.method, path: req.path, status: res.statusCode, ms: seconds * 1e3 }, 'request');
    if (after) after().catch(opts.onAfterError);
  });
  const write = (answer: PlainAnswer) => {
    const headers = [...opts.headerLine, 'x-request-id', requestId];
    if (answer.body !== undefined) headers.push('content-type', answer.contentType ?? 'text/plain; charset=utf-8', 'content-length', String(Buffer.byteLength(answer.body)));
    after = answer.after;
    res.writeHead(answer.status, headers);
    res.end(answer.body);
  };
  runWithContext({ requestId, ip: ipPrefix(proxyaddr(req.raw, trust)) }, () => {
    route.handle(req).then(write, (err: unknown) => {
      const { status, body } = errorAnswer(err);
      if (res.headersSent) {
        res.destroy();
        return;
      }
      write({ status, contentType: 'application/json; charset=utf-8', body: JSON.stringify({ ...body, request_id: requestId }) });
    });
  });
}
