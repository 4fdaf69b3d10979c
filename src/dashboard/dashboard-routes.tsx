import path from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router, type NextFunction, type Request, type Response } from 'express';
import helmet from 'helmet';
import { rateLimit } from 'express-rate-limit';
import type { VNode } from 'preact';
import { z } from 'zod';
import { authOf } from '../auth/auth-middleware.js';
import type { LocalSignIn } from '../auth/local-sign-in.js';
import type { SignInTrail } from '../auth/sign-in-trail.js';
import { CONFIRM_PATH, type SupabaseMagicLink } from '../auth/supabase-magic-link.js';
import type { TokenVerifier } from '../auth/tokens.js';
import type { CallsService } from '../calls/calls-service.js';
import type { LeadsService } from '../calls/leads-service.js';
import type { LegalHoldsService } from '../legal-holds/legal-holds-service.js';
import type { ServiceDb } from '../db/database.js';
import { AppError, BadRequestError, ForbiddenError, NotFoundError, UpstreamError } from '../lib/errors.js';
import { logger } from '../lib/logger.js';
import { ADMIN_ROLES } from '../orgs/org-access.js';
import type { OrgRole } from '../orgs/orgs-repo.js';
import type { OrgsService } from '../orgs/orgs-service.js';
import type { PreferencesService } from '../preferences/preferences-service.js';
import { pageSecurityPolicy } from '../lib/page-security.js';
import { renderPage, type PageContext } from './layout.js';
import { LANG_COOKIE, LANGUAGES, languageOf, MESSAGES } from './messages.js';
import { membersRoutes } from './members-page.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import type { AgentsService } from '../agents/agents-service.js';
import type { ExportService } from '../exports/export-service.js';
import type { WebhooksService } from '../webhooks/webhooks-service.js';
import type { TrustService } from '../trust/trust-service.js';
import type { IncidentsService } from '../incidents/incidents-service.js';
import type { IncidentNoticesService } from '../incidents/incident-notices-service.js';
import { incidentsRoutes } from './incidents-routes.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import type { UserDb } from '../db/user-db.js';
import { privacyRoutes } from './privacy-routes.js';
import { erasureRoutes } from './erasure-routes.js';
import { agentsRoutes } from './agents-routes.js';
import { HTMX_ASSET_PATH, sendHtmx } from './htmx.js';
import { exportsRoutes } from './exports-routes.js';
import { activityRoutes } from './activity-routes.js';
import { adminIncidentsRoutes } from './admin-incidents-routes.js';
import { adminSubprocessorsRoutes } from './admin-subprocessors-routes.js';
import { orgSubprocessorsRoutes } from './org-subprocessors-routes.js';
import { webhooksRoutes } from './webhooks-routes.js';
import { recordingStorageRoutes } from './recording-storage-routes.js';
import type { RecordingStorageService } from '../recording-storage/recording-storage-service.js';
import { orgTrustRoutes } from './org-trust-routes.js';
import { leadsRoutes } from './leads-routes.js';
import { legalHoldsRoutes } from './legal-holds-routes.js';
import { invitationsRoutes } from './invitations-routes.js';
import { InvitationsWaiting, INVITATIONS_PAGE } from './invitations-page.js';
import { accountRoutes } from './account-routes.js';
import { OrgDeletedNotice } from './account-page.js';
import { CallPage, CallsPage, CONSENT_STATES, MessagePage, OrgsPage, OUTCOMES, SignInPage, type CallDetail } from './pages.js';
import { createCsrf, endSession, readCookies, requireSession, SESSION_COOKIE, startSession, type SessionOptions } from './session.js';

const ASSETS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'assets');
const SIGN_IN = '/app/sign-in';

/**
 * How a person signs in to the dashboard. Local mode sends our own magic link;
 * production has Supabase Auth send it. Either way the link comes back to the
 * dashboard, and `sessionFrom` turns that request into the access token the
 * session cookie holds (it throws a BadRequestError when the link cannot be used).
 */
export interface DashboardSignIn {
  sendLink(email: string): Promise<void>;
  /** `invitation`: the link was an invitation's, so the person is shown their invitations first. */
  sessionFrom(req: Request): Promise<{ accessToken: string; expiresIn: number; invitation?: boolean }>;
}

const callbackQuery = z.object({ token: z.string().min(10).max(4096) });

/** Local mode: our magic link, whose token the callback exchanges once. */
export function localDashboardSignIn(signIn: LocalSignIn): DashboardSignIn {
  return {
    sendLink: (email) => signIn.sendMagicLink(email),
    async sessionFrom(req) {
      const parsed = callbackQuery.safeParse(req.query);
      if (!parsed.success) throw new BadRequestError('This sign-in link is not valid.');
      const { access_token, expires_in, purpose } = await signIn.exchange(parsed.data.token);
      return { accessToken: access_token, expiresIn: expires_in, invitation: purpose === 'invitation' };
    },
  };
}

const confirmQuery = z.object({ token_hash: z.string().min(1).max(4096), type: z.string().min(1).max(32) });

/**
 * Production: Supabase Auth e-mails the link, which comes back to /app/auth/confirm
 * with a token hash in its query; the server exchanges it with Supabase (verifyOtp),
 * so the session's tokens never travel in a URL.
 */
export function supabaseDashboardSignIn(magicLink: SupabaseMagicLink): DashboardSignIn {
  return {
    sendLink: (email) => magicLink.send(email),
    async sessionFrom(req) {
      const parsed = confirmQuery.safeParse(req.query);
      if (!parsed.success) throw new BadRequestError('This sign-in link is not valid.');
      const { accessToken, expiresIn } = await magicLink.confirm(parsed.data.token_hash, parsed.data.type);
      return { accessToken, expiresIn, invitation: parsed.data.type === 'invite' };
    },
  };
}

export interface DashboardDeps {
  tokenVerifier: TokenVerifier;
  serviceDb: ServiceDb;
  blindIndexKey: Buffer;
  orgs: OrgsService;
  calls: CallsService;
  leads: LeadsService;
  legalHolds: LegalHoldsService;
  preferences: PreferencesService;
  erasure: ErasureService;
  agents: AgentsService;
  exports: ExportService;
  webhooks: WebhooksService;
  recordingStorage: RecordingStorageService;
  trust: TrustService;
  incidents: IncidentsService;
  incidentNotices: IncidentNoticesService;
  subprocessors: SubprocessorsService;
  /** Runs a person's queries under RLS (their own token's claims). */
  userDb: UserDb;
  publicBaseUrl: string;
  signIn?: DashboardSignIn;
  session: SessionOptions;
  /** With Supabase Auth: audits each new session (its first request) as a sign-in. */
  signInTrail?: SignInTrail;
}

const emailBody = z.object({ email: z.string().trim().email().max(254) });
const orgBody = z.object({ name: z.string().trim().min(1).max(200) });
const langBody = z.object({ lang: z.enum(LANGUAGES), next: z.string().max(2000).optional() });
const uuid = z.string().uuid();
const day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/)
  .refine((s) => !Number.isNaN(Date.parse(s)));
const callsQuery = z.object({
  from: day.optional().catch(undefined),
  to: day.optional().catch(undefined),
  outcome: z.enum(OUTCOMES).optional().catch(undefined),
  consent: z.enum(CONSENT_STATES).optional().catch(undefined),
});

/** A path of this dashboard to go back to: never another site ("//host" or a full URL). */
function localPath(next: string | undefined): string {
  return next && next.startsWith('/app') && !next.startsWith('//') ? next : '/app';
}

/** Whether the browser holds a session the API's verifier accepts. */
export async function hasSession(req: Request, verifier: TokenVerifier): Promise<boolean> {
  const token = readCookies(req)[SESSION_COOKIE];
  if (!token) return false;
  try {
    await verifier.verify(token);
    return true;
  } catch {
    return false;
  }
}

/**
 * /app: the organisation's dashboard. Server-rendered pages (Preact's JSX,
 * which escapes every value) over the same services as the API, so every
 * action runs as the signed-in person under RLS, on the API's one code path.
 */
export function dashboardRoutes(deps: DashboardDeps): Router {
  const router = Router();
  const csrf = createCsrf(deps.blindIndexKey, deps.publicBaseUrl, deps.session);

  // Only our own files: no inline script or style anywhere in the dashboard.
  router.use(pageSecurityPolicy());
  // Same-origin requests carry our Origin (under no-referrer a browser sends "Origin: null",
  // which the CSRF check must refuse); other sites still get no referrer.
  router.use(helmet.referrerPolicy({ policy: 'same-origin' }));
  router.get(HTMX_ASSET_PATH, sendHtmx);
  router.use('/assets', express.static(ASSETS, { index: false, fallthrough: false, maxAge: '1h' }));
  router.use(express.urlencoded({ extended: false, limit: '20kb', parameterLimit: 50 }));

  function context(req: Request, res: Response, extra: Partial<PageContext> = {}): PageContext {
    const lang = languageOf(req, readCookies(req));
    res.set('Content-Language', lang);
    return { lang, t: MESSAGES[lang], csrf: csrf.token(req, res), here: req.originalUrl, ...extra };
  }

  function send(res: Response, page: VNode, status = 200): void {
    res.status(status).type('html').set('Cache-Control', 'no-store').send(renderPage(page));
  }

  /** The signed-in person's context: their organisations for the switcher, and the page's organisation. */
  async function signedInContext(req: Request, res: Response, orgId?: string): Promise<PageContext> {
    const auth = authOf(req);
    const orgs = await deps.orgs.list(auth);
    return context(req, res, { session: { email: auth.email, isOperator: auth.isOperator && !auth.impersonation, orgs: orgs.map((o) => ({ id: o.id, name: o.name })) }, orgId });
  }

  // Every POST must come from one of our own pages: our origin and this browser's CSRF token.
  router.use((req, res, next) => {
    if (req.method !== 'POST') return next();
    const refusal = csrf.refusal(req);
    if (!refusal) return next();
    const ctx = context(req, res);
    send(res, <MessagePage ctx={ctx} title={ctx.t.refusedTitle} message={refusal === 'foreign_origin' ? ctx.t.foreignOrigin : ctx.t.csrfMissing} />, 403);
  });

  router.post('/language', (req, res) => {
    const parsed = langBody.safeParse(req.body);
    if (parsed.success) res.cookie(LANG_COOKIE, parsed.data.lang, { httpOnly: true, sameSite: 'lax', secure: deps.session.secure, path: '/', maxAge: 365 * 86_400_000 });
    res.redirect(303, localPath(parsed.success ? parsed.data.next : undefined));
  });

  // Signing in: public pages.
  const signInLimit = rateLimit({ windowMs: 15 * 60 * 1000, limit: 20, standardHeaders: 'draft-8', legacyHeaders: false });
  router.get('/sign-in', (req, res) => {
    send(res, <SignInPage ctx={context(req, res)} sent={req.query.sent === '1'} available={Boolean(deps.signIn)} />);
  });
  router.post('/sign-in', signInLimit, async (req, res) => {
    if (!deps.signIn) throw new NotFoundError('Sign-in is not available here.');
    const parsed = emailBody.safeParse(req.body);
    if (!parsed.success) throw new BadRequestError('That is not an e-mail address.');
    await deps.signIn.sendLink(parsed.data.email);
    res.redirect(303, `${SIGN_IN}?sent=1`);
  });
  // The e-mailed link comes back here and becomes the session cookie: local mode's
  // link to /auth/callback, Supabase's to /auth/confirm (CONFIRM_PATH).
  async function signInFromLink(req: Request, res: Response): Promise<void> {
    if (!deps.signIn) throw new NotFoundError('Sign-in is not available here.');
    let session;
    try {
      session = await deps.signIn.sessionFrom(req);
    } catch (err) {
      // A link that is malformed, unknown, used or expired (400): the person asks for another.
      if (!(err instanceof AppError && err.status === 400)) throw err;
      const ctx = context(req, res);
      send(res, <MessagePage ctx={ctx} title={ctx.t.linkInvalid} message={err.message} link={{ href: SIGN_IN, text: ctx.t.askNewLink }} />, 400);
      return;
    }
    startSession(res, deps.session, session.accessToken, session.expiresIn);
    // An invitation's link leads to the invitations, to be accepted or declined there.
    res.redirect(303, session.invitation ? INVITATIONS_PAGE : '/app');
  }
  router.get('/auth/callback', signInLimit, signInFromLink);
  router.get(CONFIRM_PATH.replace(/^\/app/, ''), signInLimit, signInFromLink);
  router.post('/sign-out', (_req, res) => {
    endSession(res, deps.session);
    res.redirect(303, SIGN_IN);
  });

  // Everything below needs a session.
  router.use(requireSession(deps, SIGN_IN));

  router.get('/', async (req, res) => {
    const auth = authOf(req);
    const orgs = await deps.orgs.list(auth);
    const invitations = await deps.orgs.listInvitations(auth);
    const ctx = await signedInContext(req, res);
    const notices = (
      <>
        {req.query.deleted === '1' && <OrgDeletedNotice ctx={ctx} />}
        <InvitationsWaiting ctx={ctx} count={invitations.length} />
      </>
    );
    send(res, <OrgsPage ctx={ctx} notices={notices} orgs={orgs.map((o) => ({ id: o.id, name: o.name, role: (o as { role?: string }).role ?? '' }))} />);
  });

  router.post('/orgs', async (req, res) => {
    const parsed = orgBody.safeParse(req.body);
    if (!parsed.success) throw new BadRequestError('An organisation needs a name (at most 200 characters).');
    const org = await deps.orgs.create(authOf(req), parsed.data.name);
    res.redirect(303, `/app/orgs/${org.id}/calls`);
  });

  router.get('/switch', (req, res) => {
    const org = uuid.safeParse(req.query.org);
    res.redirect(303, org.success ? `/app/orgs/${org.data}/calls` : '/app');
  });

  function orgIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.orgId);
    if (!parsed.success) throw new NotFoundError('Organisation not found.');
    return parsed.data;
  }
  function callIdOf(req: Request): string {
    const parsed = uuid.safeParse(req.params.callId);
    if (!parsed.success) throw new NotFoundError('Call not found.');
    return parsed.data;
  }

  router.get('/orgs/:orgId/calls', async (req, res) => {
    const orgId = orgIdOf(req);
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const q = callsQuery.parse(req.query);
    const to = q.to ? new Date(Date.parse(q.to) + 86_400_000) : undefined;
    const calls = await deps.calls.list(auth, orgId, {
      limit: 100,
      from: q.from ? new Date(q.from) : undefined,
      to,
      outcome: q.outcome,
      consentState: q.consent,
    });
    const ctx = await signedInContext(req, res, orgId);
    send(res, <CallsPage ctx={ctx} orgName={org.name} calls={calls as unknown as Parameters<typeof CallsPage>[0]['calls']} filters={q} />);
  });

  router.get('/orgs/:orgId/calls/:callId', async (req, res) => {
    const orgId = orgIdOf(req);
    const callId = callIdOf(req);
    const auth = authOf(req);
    const org = await deps.orgs.get(auth, orgId);
    const call = await deps.calls.get(auth, orgId, callId);
    const ctx = await signedInContext(req, res, orgId);
    send(res, <CallPage ctx={ctx} call={call as unknown as CallDetail} canDelete={ADMIN_ROLES.includes(org.role as OrgRole)} />);
  });

  router.post('/orgs/:orgId/calls/:callId/delete', async (req, res) => {
    const orgId = orgIdOf(req);
    const after = await deps.calls.remove(authOf(req), orgId, callIdOf(req));
    res.redirect(303, `/app/orgs/${orgId}/calls`);
    after().catch((err: unknown) => logger.error({ err_name: (err as Error).name }, 'provider deletions after a call deletion failed'));
  });

  router.use(membersRoutes({ orgs: deps.orgs, send, signedInContext }));
  router.use('/orgs/:orgId/privacy', privacyRoutes({ orgs: deps.orgs, preferences: deps.preferences, signedInContext, send }));
  router.use('/orgs/:orgId/erasure-requests', erasureRoutes({ orgs: deps.orgs, erasure: deps.erasure, signedInContext, send }));
  router.use('/orgs/:orgId/agents', agentsRoutes({ orgs: deps.orgs, agents: deps.agents, signedInContext, send }));
  router.use('/orgs/:orgId/exports', exportsRoutes({ orgs: deps.orgs, exports: deps.exports, signedInContext, send }));
  router.use('/orgs/:orgId/activity', activityRoutes({ orgs: deps.orgs, userDb: deps.userDb, signedInContext, send }));
  router.use('/orgs/:orgId/subprocessors', orgSubprocessorsRoutes({ orgs: deps.orgs, subprocessors: deps.subprocessors, signedInContext, send }));
  router.use('/admin/incidents', adminIncidentsRoutes({ incidents: deps.incidents, signedInContext, send }));
  router.use('/admin/subprocessors', adminSubprocessorsRoutes({ subprocessors: deps.subprocessors, signedInContext, send }));
  router.use('/orgs/:orgId/webhooks', webhooksRoutes({ orgs: deps.orgs, webhooks: deps.webhooks, signedInContext, send }));
  router.use('/orgs/:orgId/recording-storage', recordingStorageRoutes({ orgs: deps.orgs, recordingStorage: deps.recordingStorage, signedInContext, send }));
  router.use('/orgs/:orgId/trust', orgTrustRoutes({ orgs: deps.orgs, trust: deps.trust, signedInContext, send }));
  router.use('/orgs/:orgId/incidents', incidentsRoutes({ orgs: deps.orgs, incidentNotices: deps.incidentNotices, signedInContext, send }));
  router.use('/orgs/:orgId/leads', leadsRoutes({ orgs: deps.orgs, leads: deps.leads, signedInContext, send }));
  router.use('/orgs/:orgId/legal-holds', legalHoldsRoutes({ orgs: deps.orgs, legalHolds: deps.legalHolds, signedInContext, send }));
  router.use('/invitations', invitationsRoutes({ orgs: deps.orgs, signedInContext, send }));
  router.use('/orgs/:orgId/delete', accountRoutes({ orgs: deps.orgs, erasure: deps.erasure, signedInContext, send }));

  router.use((req, _res, next) => next(new NotFoundError('No such page.')));

  // Errors as pages, in the person's language: the service's message says why (a role, a missing call).
  router.use(async (err: unknown, req: Request, res: Response, _next: NextFunction) => {
    // A signed-in person keeps the switcher, navigation and sign-out on an error page too.
    let ctx = context(req, res);
    if (req.auth) {
      const orgId = /^\/orgs\/([^/]+)/.exec(req.path)?.[1];
      const signedIn = await signedInContext(req, res).catch(() => undefined);
      // The organisation's navigation only for one of the person's own organisations.
      if (signedIn) ctx = { ...signedIn, orgId: signedIn.session?.orgs.some((o) => o.id === orgId) ? orgId : undefined };
    }
    if (err instanceof AppError && err.status < 500) {
      const title = err instanceof NotFoundError ? ctx.t.notFoundTitle : err instanceof ForbiddenError ? ctx.t.refusedTitle : ctx.t.errorTitle;
      send(res, <MessagePage ctx={ctx} title={title} message={err.message} link={{ href: '/app', text: ctx.t.orgsTitle }} />, err.status);
      return;
    }
    // Signing in goes through Supabase Auth in production: when it cannot be reached, say so, not "something went wrong".
    if (err instanceof UpstreamError) {
      logger.warn({ err_name: err.name, path: req.path }, 'dashboard sign-in could not reach Supabase Auth');
      send(res, <MessagePage ctx={ctx} title={ctx.t.unreachableTitle} message={err.message} link={{ href: SIGN_IN, text: ctx.t.askNewLink }} />, 502);
      return;
    }
    logger.error({ err_name: (err as Error)?.name, path: req.path }, 'dashboard page failed');
    send(res, <MessagePage ctx={ctx} title={ctx.t.errorTitle} message={ctx.t.errorTitle} />, 500);
  });
  return router;
}
