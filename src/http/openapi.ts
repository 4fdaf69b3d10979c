import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { Router } from 'express';
import { describeAdmin } from '../admin/admin-openapi.js';
import { describeAgents } from '../agents/agents-openapi.js';
import { describeCalls } from '../calls/calls-openapi.js';
import { describeDashboard } from '../dashboard/dashboard-openapi.js';
import { describeErasure } from '../erasure/erasure-openapi.js';
import { describeIncidentNotices } from '../incidents/incidents-openapi.js';
import { describeRecordingStorage } from '../recording-storage/recording-storage-openapi.js';
import { describeLegalHolds } from '../legal-holds/legal-holds-openapi.js';
import { describeForgetMe } from '../forget-me/forget-me-openapi.js';
import { describeOrgs } from '../orgs/orgs-openapi.js';
import { describePrivacy } from '../privacy/privacy-openapi.js';
import { describePublic } from '../trust/trust-openapi.js';
import { describeWebhooks } from '../webhooks/webhooks-openapi.js';
import { pageSecurityPolicy } from '../lib/page-security.js';
import { ApiDescriber, SECURITY, type Describe } from '../lib/openapi.js';
import { STOP_RECORDING_SECRET_HEADER } from '../providers/stop-recording-tool.js';
import { describePlatform } from './platform-openapi.js';
import { apiDocsPage } from './api-docs-page.js';

/**
 * Every feature's descriptions. A new route is described in its feature's
 * `*-openapi.ts` (or a new one added here); test/openapi.test.ts lists the
 * routes of the app that no description covers.
 */
const DESCRIPTIONS: Describe[] = [
  describePlatform,
  describeOrgs,
  describeCalls,
  describeAgents,
  describePrivacy,
  describeErasure,
  describeLegalHolds,
  describeWebhooks,
  describeIncidentNotices,
  describeRecordingStorage,
  describeAdmin,
  describePublic,
  describeForgetMe,
  describeDashboard,
];

export const TAGS = [
  { name: 'Organisations', description: 'Organisations, members and invitations.' },
  { name: 'Calls', description: 'Calls, their recordings and transcripts, and the leads they left.' },
  { name: 'Agents', description: "The organisation's voice agents and their phone numbers." },
  { name: 'Privacy', description: 'Privacy settings, erasure requests, exports, the activity log, records of processing.' },
  { name: 'Trust', description: 'Sub-processors and the live trust checks.' },
  { name: 'Outgoing webhooks', description: "Endpoints the organisation registers for events." },
  { name: 'Operators', description: 'Platform operators only: incidents, sub-processors, impersonation, public erasure requests.' },
  { name: 'Provider webhooks', description: 'Signed callbacks from Twilio and ElevenLabs.' },
  { name: 'Public', description: 'Public pages and endpoints: forget-me, trust, sub-processors.' },
  { name: 'Platform', description: 'Health, metrics, sign-in and this description.' },
  { name: 'Dashboard', description: 'Server-rendered HTML pages of the dashboard (session cookie, CSRF on forms).' },
];

export type OpenApiDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;

/** The OpenAPI 3.1 document, built from the routes' own zod schemas. */
export function buildOpenApiDocument(opts: { publicBaseUrl?: string; version?: string } = {}): OpenApiDocument {
  const registry = new OpenAPIRegistry();
  registry.registerComponent('securitySchemes', SECURITY.bearer, {
    type: 'http',
    scheme: 'bearer',
    bearerFormat: 'JWT',
    description: 'An access token: Supabase Auth\'s in production, this server\'s own in local mode (`npm run -s token`).',
  });
  registry.registerComponent('securitySchemes', SECURITY.session, {
    type: 'apiKey',
    in: 'cookie',
    name: 'session',
    description: 'The dashboard\'s session cookie (set by signing in); forms also send the `csrf` cookie\'s value as `_csrf`.',
  });
  registry.registerComponent('securitySchemes', SECURITY.twilio, {
    type: 'apiKey',
    in: 'header',
    name: 'X-Twilio-Signature',
    description: "Twilio's HMAC-SHA1 of the URL (from PUBLIC_BASE_URL) and the form fields, with TWILIO_AUTH_TOKEN.",
  });
  registry.registerComponent('securitySchemes', SECURITY.elevenLabs, {
    type: 'apiKey',
    in: 'header',
    name: 'ElevenLabs-Signature',
    description: "`t=<unix time>,v0=<hex HMAC-SHA256 of \"t.body\">` with ELEVENLABS_WEBHOOK_SECRET; older than 30 minutes is refused.",
  });
  registry.registerComponent('securitySchemes', SECURITY.stopRecording, {
    type: 'apiKey',
    in: 'header',
    name: STOP_RECORDING_SECRET_HEADER,
    description: "The per-agent secret the stop_recording tool sends (derived from ELEVENLABS_WEBHOOK_SECRET).",
  });
  registry.registerComponent('securitySchemes', SECURITY.metrics, {
    type: 'http',
    scheme: 'bearer',
    description: 'METRICS_TOKEN (required in production).',
  });
  const api = new ApiDescriber(registry);
  for (const describe of DESCRIPTIONS) describe(api);
  return new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'EU voice agent backend',
      version: opts.version ?? '0.1.0',
      description:
        'The HTTP API of the EU-GDPR backend for AI voice agents on the phone. Refusals are JSON `{error: {code, message, details?}, request_id}` under /api, pages under /app.',
    },
    servers: opts.publicBaseUrl ? [{ url: opts.publicBaseUrl }] : [],
    tags: TAGS,
  });
}

/** GET /openapi.json and GET /docs/api: the document (built on the first request, then kept) and a page of it. */
export function openApiRoutes(opts: { publicBaseUrl: string }): Router {
  let doc: OpenApiDocument | undefined;
  let page: string | undefined;
  const document = () => (doc ??= buildOpenApiDocument(opts));
  const router = Router();
  router.get('/openapi.json', (_req, res) => {
    res.set('Cache-Control', 'public, max-age=300').json(document());
  });
  router.get('/docs/api', pageSecurityPolicy(), (_req, res) => {
    page ??= apiDocsPage(document() as Parameters<typeof apiDocsPage>[0], TAGS.map((t) => t.name));
    res.set('Cache-Control', 'public, max-age=300').type('html').send(page);
  });
  return router;
}
