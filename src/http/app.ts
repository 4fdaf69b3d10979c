import express, { Router, type Express, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';
import { adminRoutes } from '../admin/admin-routes.js';
import type { ImpersonationService } from '../admin/impersonation-service.js';
import { agentsRoutes } from '../agents/agents-routes.js';
import type { AgentsService } from '../agents/agents-service.js';
import { auditRoutes } from '../audit/audit-routes.js';
import { requireAuth } from '../auth/auth-middleware.js';
import type { LocalSignIn } from '../auth/local-sign-in.js';
import { localSignInRoutes } from '../auth/local-sign-in-routes.js';
import type { SignInTrail } from '../auth/sign-in-trail.js';
import type { TokenVerifier } from '../auth/tokens.js';
import type { TrustProxy } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import { pingDatabase } from '../db/ping.js';
import type { UserDb } from '../db/user-db.js';
import { ForbiddenError, NotFoundError } from '../lib/errors.js';
import { invitationsRoutes, orgsRoutes } from '../orgs/orgs-routes.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import { preferencesRoutes } from '../preferences/preferences-routes.js';
import type { PreferencesService } from '../preferences/preferences-service.js';
import type { CallFlowService } from '../calls/call-flow-service.js';
import { callsRoutes } from '../calls/calls-routes.js';
import type { CallsService } from '../calls/calls-service.js';
import { leadsRoutes } from '../calls/leads-routes.js';
import type { LeadsService } from '../calls/leads-service.js';
import { legalHoldsRoutes } from '../legal-holds/legal-holds-routes.js';
import type { LegalHoldsService } from '../legal-holds/legal-holds-service.js';
import { elevenLabsWebhookRoutes } from '../calls/elevenlabs-webhooks.js';
import type { PostCallService } from '../calls/post-call-service.js';
import { twilioWebhookRoutes } from '../calls/twilio-webhooks.js';
import { serveAheadOfExpress } from './ahead-of-express.js';
import { logger } from '../lib/logger.js';
import type { WithdrawalService } from '../calls/withdrawal-service.js';
import type { AgentPlatform } from '../providers/agent-platform.js';
import type { Telephony } from '../providers/telephony.js';
import { accountDeletionRoutes, erasureRoutes } from '../erasure/erasure-routes.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import { exportRoutes } from '../exports/export-routes.js';
import type { ExportService } from '../exports/export-service.js';
import type { IncidentsService } from '../incidents/incidents-service.js';
import type { IncidentNoticesService } from '../incidents/incident-notices-service.js';
import { orgIncidentsRoutes } from '../incidents/incident-notices-routes.js';
import { incidentAckRoutes } from '../incidents/incident-ack-routes.js';
import { orgSubprocessorRoutes, publicSubprocessorRoutes } from '../subprocessors/subprocessors-routes.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import { orgTrustRoutes, publicTrustRoutes } from '../trust/trust-routes.js';
import type { TrustService } from '../trust/trust-service.js';
import { orgRecordsOfProcessingRoutes } from '../privacy/records-of-processing-routes.js';
import type { RecordsOfProcessingService } from '../privacy/records-of-processing-service.js';
import { forgetMeRoutes } from '../forget-me/forget-me-routes.js';
import type { ForgetMeService } from '../forget-me/forget-me-service.js';
import { webhooksRoutes } from '../webhooks/webhooks-routes.js';
import { recordingStorageRoutes } from '../recording-storage/recording-storage-routes.js';
import type { RecordingStorageService } from '../recording-storage/recording-storage-service.js';
import type { WebhooksService } from '../webhooks/webhooks-service.js';
import { dashboardRoutes, hasSession, type DashboardSignIn } from '../dashboard/dashboard-routes.js';
import { errorHandler } from './error-handler.js';
import type { Metrics } from '../metrics/metrics.js';
import { metricsRoutes, type MetricsRouteOptions } from '../metrics/metrics-routes.js';
import type { AlertsService } from '../alerts/alerts-service.js';
import { requestContext } from './request-context-middleware.js';
import { openApiRoutes } from './openapi.js';

export interface AppDeps {
  serviceDb: ServiceDb;
  userDb: UserDb;
  tokenVerifier: TokenVerifier;
  blindIndexKey: Buffer;
  orgs: OrgsService;
  preferences: PreferencesService;
  impersonations: ImpersonationService;
  agents: AgentsService;
  /** Present in local mode only, where this server signs people in itself. */
  localSignIn?: LocalSignIn;
  /** How the dashboard signs a person in (local mode's magic link, or Supabase Auth's). */
  dashboardSignIn?: DashboardSignIn;
  /**
   * With Supabase Auth (no localSignIn): audits each new session, on its first request to the
   * API or the dashboard, as a sign-in. Local mode audits when its magic link is exchanged.
   */
  sessionTrail?: SignInTrail;
  /** Secure cookies (production, served over https only). */
  secureCookies?: boolean;
  agentPlatform: AgentPlatform;
  telephony: Telephony;
  callFlow: CallFlowService;
  postCall: PostCallService;
  /** The agents' stop_recording tool: a caller withdraws consent mid-call. */
  withdrawal: WithdrawalService;
  calls: CallsService;
  leads: LeadsService;
  legalHolds: LegalHoldsService;
  erasure: ErasureService;
  exports: ExportService;
  incidents: IncidentsService;
  /** A processor's breach notices to the organisations an incident names (Art. 33(2)). */
  incidentNotices: IncidentNoticesService;
  subprocessors: SubprocessorsService;
  trust: TrustService;
  /** The record of processing activities (Art. 30), from the personal-data map. */
  recordsOfProcessing: RecordsOfProcessingService;
  forgetMe: ForgetMeService;
  webhooks: WebhooksService;
  /** Customer recording storage (STORAGE_KEYS; visibly off without). */
  recordingStorage: RecordingStorageService;
  twilioAuthToken: string;
  /** The URL Twilio signs webhooks against. */
  publicBaseUrl: string;
  /** Prometheus metrics: request timings here, job runs in the scheduler, queues at scrape time. */
  metrics: Metrics;
  /** Who may scrape /metrics (METRICS_TOKEN; off in production without it). */
  metricsRoute: MetricsRouteOptions;
  /** Operational alerts (their open conditions show in the trust checks). */
  alerts: AlertsService;
  /** Express's `trust proxy` (config TRUST_PROXY): the proxies whose X-Forwarded-For gives the client address. */
  trustProxy?: TrustProxy;
}

/**
 * Helmet's headers in its default configuration do not depend on the request:
 * taken from it once, for the routes served ahead of Express, which write them
 * with their answer. The headers are the same as every other route's.
 */
function helmetHeaderList(helmetMiddleware: RequestHandler): [string, string][] {
  const headers: [string, string][] = [];
  const res = {
    setHeader: (name: string, value: unknown) => headers.push([name.toLowerCase(), String(value)]),
    removeHeader: () => undefined,
  };
  let ran = false;
  helmetMiddleware({} as Request, res as unknown as Response, () => {
    ran = true;
  });
  if (!ran) throw new Error('helmet did not run synchronously');
  return headers;
}

/** Builds the HTTP application: security headers, request context, routes, one error handler. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', deps.trustProxy ?? false);
  const securityHeaders = helmet();
  // Twilio's webhooks, the busiest routes, are served ahead of Express (see serveAheadOfExpress).
  serveAheadOfExpress(app, twilioWebhookRoutes(deps.callFlow, { authToken: deps.twilioAuthToken, publicBaseUrl: deps.publicBaseUrl }), {
    headers: helmetHeaderList(securityHeaders),
    metrics: deps.metrics,
    onAfterError: (err) => logger.error({ err_name: (err as Error).name }, 'post-answer work failed'),
  });
  app.use(deps.metrics.httpMiddleware);
  app.use(securityHeaders);
  app.use(requestContext);
  app.use(metricsRoutes(deps.metrics, deps.metricsRoute));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await Promise.race([
        pingDatabase(deps.serviceDb),
        new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), 2000).unref()),
      ]);
      res.json({ status: 'ready', database: 'ok' });
    } catch {
      res.status(503).json({ status: 'not_ready', database: 'unreachable' });
    }
  });

  const json = express.json({ limit: '100kb', strict: true });

  if (deps.localSignIn) app.use('/auth', json, localSignInRoutes(deps.localSignIn));

  app.use(openApiRoutes({ publicBaseUrl: deps.publicBaseUrl }));
  app.use(publicSubprocessorRoutes(deps.subprocessors));
  app.use(publicTrustRoutes(deps.trust));
  app.use('/webhooks/elevenlabs', elevenLabsWebhookRoutes(deps.postCall, deps.withdrawal));
  // Public pages (each with its own body parsers and headers).
  app.use('/forget-me', forgetMeRoutes(deps.forgetMe));
  app.use('/incidents/acknowledge', incidentAckRoutes(deps.incidentNotices, { publicBaseUrl: deps.publicBaseUrl }));
  // The privacy settings live in the dashboard now, where the person picks the organisation.
  app.get('/preferences/privacy', (_req, res) => {
    res.redirect(301, '/app');
  });

  // The organisation's dashboard; `/` leads a person into it, or to sign-in.
  app.get('/', async (req, res) => {
    res.redirect(303, (await hasSession(req, deps.tokenVerifier)) ? '/app' : '/app/sign-in');
  });
  app.use(
    '/app',
    dashboardRoutes({
      tokenVerifier: deps.tokenVerifier,
      serviceDb: deps.serviceDb,
      blindIndexKey: deps.blindIndexKey,
      orgs: deps.orgs,
      calls: deps.calls,
      leads: deps.leads,
      legalHolds: deps.legalHolds,
      preferences: deps.preferences,
      erasure: deps.erasure,
      agents: deps.agents,
      exports: deps.exports,
      webhooks: deps.webhooks,
      recordingStorage: deps.recordingStorage,
      trust: deps.trust,
      incidents: deps.incidents,
      incidentNotices: deps.incidentNotices,
      subprocessors: deps.subprocessors,
      userDb: deps.userDb,
      publicBaseUrl: deps.publicBaseUrl,
      signIn: deps.dashboardSignIn,
      session: { secure: deps.secureCookies ?? false },
      signInTrail: deps.sessionTrail,
    }),
  );

  const api = Router();
  api.use(json);
  api.use(requireAuth({ ...deps, signInTrail: deps.sessionTrail }));

  // While impersonating, an operator stays inside the one organisation they were let into.
  const orgScope = Router({ mergeParams: true });
  orgScope.use('/:orgId', (req, _res, next) => {
    const imp = req.auth?.impersonation;
    if (imp && req.params.orgId !== imp.orgId) throw new ForbiddenError('This impersonation is limited to one organisation.');
    next();
  });
  orgScope.use('/:orgId/preferences/privacy', preferencesRoutes(deps.preferences));
  orgScope.use('/:orgId/audit-logs', auditRoutes(deps.userDb));
  orgScope.use('/:orgId/calls', callsRoutes(deps.calls));
  orgScope.use('/:orgId/leads', leadsRoutes(deps.leads));
  orgScope.use('/:orgId/erasure-requests', erasureRoutes(deps.erasure));
  orgScope.use('/:orgId/legal-holds', legalHoldsRoutes(deps.legalHolds));
  orgScope.use('/:orgId/exports', exportRoutes(deps.exports));
  orgScope.use('/:orgId/subprocessors', orgSubprocessorRoutes(deps.subprocessors));
  orgScope.use('/:orgId/trust', orgTrustRoutes(deps.trust));
  orgScope.use('/:orgId/records-of-processing', orgRecordsOfProcessingRoutes(deps.recordsOfProcessing));
  orgScope.use('/:orgId/webhooks', webhooksRoutes(deps.webhooks));
  orgScope.use('/:orgId/incidents', orgIncidentsRoutes(deps.incidentNotices));
  orgScope.use('/:orgId/recording-storage', recordingStorageRoutes(deps.recordingStorage));
  orgScope.use('/', accountDeletionRoutes(deps.erasure));
  orgScope.use('/:orgId/agents', agentsRoutes(deps.agents));
  orgScope.use('/', orgsRoutes(deps.orgs));
  api.use('/orgs', orgScope);
  api.use('/invitations', invitationsRoutes(deps.orgs));
  api.use('/admin', adminRoutes(deps));
  app.use('/api', api);

  app.use((_req, _res, next) => next(new NotFoundError('No such endpoint.')));
  app.use(errorHandler);
  return app;
}
