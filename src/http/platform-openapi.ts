import { z } from 'zod';
import { callbackQuery, linkBody } from '../auth/local-sign-in-routes.js';
import { SECURITY, uuid, type Describe } from '../lib/openapi.js';

const tags = ['Platform'];

/** Health, metrics, local sign-in, this description, and the redirects (src/http/app.ts, src/metrics/, src/auth/). */
export const describePlatform: Describe = (api) => {
  api.json({ method: 'get', path: '/healthz', tags, summary: 'Liveness: the process answers', responses: { 200: z.object({ status: z.literal('ok') }) }, errors: [500], replaceErrors: true });
  api.json({
    method: 'get',
    path: '/readyz',
    tags,
    summary: 'Readiness: the database answers within two seconds',
    responses: { 200: z.object({ status: z.literal('ready'), database: z.literal('ok') }), 503: z.object({ status: z.literal('not_ready'), database: z.literal('unreachable') }) },
    errors: [500],
    replaceErrors: true,
  });
  api.json({
    method: 'get',
    path: '/metrics',
    tags,
    security: [SECURITY.metrics],
    summary: "Prometheus metrics (text format); METRICS_TOKEN as a bearer token when configured (required in production)",
    responses: { 200: { description: "Prometheus's text exposition format.", content: { 'text/plain': z.string() } } },
    errors: [401, 500, 503],
    replaceErrors: true,
  });
  api.json({ method: 'get', path: '/openapi.json', tags, summary: 'This description (OpenAPI 3.1)', responses: { 200: z.looseObject({ openapi: z.string() }) }, errors: [500], replaceErrors: true });
  api.html({ method: 'get', path: '/docs/api', tags, summary: 'This description as a page', errorPages: [] });
  api.json({
    method: 'post',
    path: '/auth/magic-link',
    tags,
    summary: 'Local mode only: e-mail a sign-in link (says nothing about whether the address is known)',
    body: linkBody,
    responses: { 202: z.object({ message: z.string() }) },
    errors: [400, 413, 415, 429, 500],
    replaceErrors: true,
  });
  api.json({
    method: 'get',
    path: '/auth/callback',
    tags,
    summary: 'Local mode only: exchange the e-mailed token for an access token (a browser is sent on to the dashboard)',
    query: callbackQuery,
    responses: {
      200: z.object({ access_token: z.string(), token_type: z.literal('bearer'), expires_in: z.number().int(), user_id: uuid }),
      303: { description: 'A browser (Accept: text/html) is sent to /app/auth/callback.', content: {} },
    },
    errors: [400, 401, 429, 500],
    replaceErrors: true,
  });
  api.html({ method: 'get', path: '/', tags, summary: 'Into the dashboard, or to sign-in', pages: [], redirects: [303], errorPages: [] });
  api.html({ method: 'get', path: '/preferences/privacy', tags, summary: 'Moved to the dashboard', pages: [], redirects: [301], errorPages: [] });
};
