import { createClient, type WebSocketLikeConstructor } from '@supabase/supabase-js';
import WebSocket from 'ws';
import { createImpersonationService } from './admin/impersonation-service.js';
import { retentionListener, type AgentSyncDeps } from './agents/agent-platform-sync.js';
import { createAgentsService } from './agents/agents-service.js';
import { createLocalInviter, createSupabaseInviter, type Inviter } from './auth/invitations.js';
import { createLocalSignIn, type LocalSignIn } from './auth/local-sign-in.js';
import { createSignInTrail, type SignInTrail } from './auth/sign-in-trail.js';
import { createSupabaseMagicLink } from './auth/supabase-magic-link.js';
import { localDashboardSignIn, supabaseDashboardSignIn, type DashboardSignIn } from './dashboard/dashboard-routes.js';
import { createTokenVerifier } from './auth/tokens.js';
import type { AppConfig } from './config/env.js';
import type { ServiceDb } from './db/database.js';
import { createUserDb } from './db/user-db.js';
import type { AppDeps } from './http/app.js';
import type { JobContext } from './jobs/job-context.js';
import { createMailer, type Mailer } from './lib/mailer.js';
import { createOrgsService } from './orgs/orgs-service.js';
import { createPreferencesService } from './preferences/preferences-service.js';
import { createCallFlowService } from './calls/call-flow-service.js';
import { createCallsService } from './calls/calls-service.js';
import { createLeadsService } from './calls/leads-service.js';
import { createErasureService } from './erasure/erasure-service.js';
import { createLegalHoldsService } from './legal-holds/legal-holds-service.js';
import { createExportService } from './exports/export-service.js';
import { createIncidentsService } from './incidents/incidents-service.js';
import { createIncidentNoticesService } from './incidents/incident-notices-service.js';
import { createSubprocessorsService } from './subprocessors/subprocessors-service.js';
import { createTrustService } from './trust/trust-service.js';
import { createRecordsOfProcessingService } from './privacy/records-of-processing-service.js';
import { createCallerRightsService } from './forget-me/caller-rights-service.js';
import { createForgetMeService } from './forget-me/forget-me-service.js';
import { createPostCallService } from './calls/post-call-service.js';
import { createWithdrawalService } from './calls/withdrawal-service.js';
import type { AgentPlatform } from './providers/agent-platform.js';
import { createElevenLabsClient } from './providers/elevenlabs-client.js';
import { createElevenLabsPlatform } from './providers/elevenlabs-platform.js';
import { createLocalAgentPlatform } from './providers/local-platform.js';
import { createLocalTelephony, createTwilioTelephony, type Telephony } from './providers/telephony.js';
import { createTranscriptReader } from './transcripts/transcript-store.js';
import { createWebhooksService } from './webhooks/webhooks-service.js';
import { createAlertsService } from './alerts/alerts-service.js';
import { createMetrics } from './metrics/metrics.js';
import { createCustomerStorage } from './recording-storage/customer-storage.js';
import { createRecordingStorageService } from './recording-storage/recording-storage-service.js';

export interface Overrides {
  mailer?: Mailer;
  agentPlatform?: AgentPlatform;
  telephony?: Telephony;
  /** The clock of every service and job built here (tests set it; the wall clock otherwise). */
  now?: () => Date;
}

/** ElevenLabs when an API key is configured; otherwise local mode's stand-in. */
export function buildAgentPlatform(config: AppConfig): AgentPlatform {
  return config.elevenlabs.apiKey
    ? createElevenLabsPlatform(createElevenLabsClient({ apiKey: config.elevenlabs.apiKey, baseUrl: config.elevenlabs.baseUrl }))
    : createLocalAgentPlatform();
}

/** Twilio when an account is configured; otherwise local mode's stand-in that records nothing. */
export function buildTelephony(config: AppConfig): Telephony {
  return config.twilio.live ? createTwilioTelephony(config.twilio) : createLocalTelephony();
}

/**
 * Wires the services from configuration: the one place that decides between
 * local mode (this server signs people in) and Supabase Auth. The scheduled
 * jobs get theirs from here too (`jobs`): the same instances the API uses.
 */
export function buildAppDeps(config: AppConfig, serviceDb: ServiceDb, overrides: Overrides = {}): AppDeps & { mailer: Mailer; jobs: JobContext } {
  const now = overrides.now ?? (() => new Date());
  const mailer = overrides.mailer ?? createMailer(config);
  const agentPlatform = overrides.agentPlatform ?? buildAgentPlatform(config);
  const toolKeys = { publicBaseUrl: config.publicBaseUrl, webhookSecret: config.elevenlabs.webhookSecret };
  const telephony = overrides.telephony ?? buildTelephony(config);
  const userDb = createUserDb(serviceDb);
  const agentSync: AgentSyncDeps = { serviceDb, agentPlatform, toolKeys };
  const webhookPolicy = { allowPrivateNetwork: config.webhooksAllowPrivateNetwork };
  // The customer's store follows the outgoing webhook URL rules (the same switch for private networks).
  const customerStorage = createCustomerStorage({ serviceDb, keys: config.storageKeys, policy: webhookPolicy });
  const recordingDeliveries = { serviceDb, telephony, customerStorage, deletions: { serviceDb, telephony, agentPlatform, customerStorage } };
  const tokenVerifier = createTokenVerifier(config);

  // Every sign-in is audited in the person's organisations: local mode's when its link is
  // exchanged, Supabase Auth's on each new session's first request (sessionTrail).
  const signInTrail = createSignInTrail({ serviceDb, blindIndexKey: config.blindIndexKey, now });
  let sessionTrail: SignInTrail | undefined;
  let inviter: Inviter;
  let localSignIn: LocalSignIn | undefined;
  let dashboardSignIn: DashboardSignIn | undefined;
  if (config.supabase.url && config.supabase.serviceRoleKey) {
    const supabase = createClient(config.supabase.url, config.supabase.serviceRoleKey, {
      auth: { autoRefreshToken: false, persistSession: false },
      // supabase-js builds a realtime client up front and needs a WebSocket for
      // it; Node 20 has no global one. (We never open a channel: nothing connects.)
      // ws's typings list a `new (address: null)` overload first, hence the cast.
      realtime: { transport: WebSocket as unknown as WebSocketLikeConstructor },
    });
    inviter = createSupabaseInviter(supabase, config.blindIndexKey, config.publicBaseUrl);
    // The dashboard's e-mailed sign-in needs the project's public (anon) key; without it
    // the sign-in page says sign-in is not configured, and the API still serves bearer tokens.
    if (config.supabase.anonKey) {
      dashboardSignIn = supabaseDashboardSignIn(
        createSupabaseMagicLink({ supabaseUrl: config.supabase.url, anonKey: config.supabase.anonKey, publicBaseUrl: config.publicBaseUrl }),
      );
    }
  } else {
    localSignIn = createLocalSignIn({
      serviceDb,
      mailer,
      jwtSecret: config.supabase.jwtSecret!,
      blindIndexKey: config.blindIndexKey,
      publicBaseUrl: config.publicBaseUrl,
      operatorEmails: config.operatorEmails,
      signInTrail,
    });
    inviter = createLocalInviter(localSignIn, config.blindIndexKey);
    dashboardSignIn = localDashboardSignIn(localSignIn);
  }
  // Access tokens Supabase Auth issued: with Supabase Auth, and in production whatever signs in
  // (a session local sign-in started is recorded when its link is exchanged, so never audited twice).
  if (!localSignIn || config.mode === 'production') sessionTrail = signInTrail;

  const erasure = createErasureService({
    serviceDb,
    userDb,
    telephony,
    agentPlatform,
    customerStorage,
    mailer,
    blindIndexKey: config.blindIndexKey,
    dpoEmail: config.dpoEmail,
    publicBaseUrl: config.publicBaseUrl,
    now,
  });

  const subprocessors = createSubprocessorsService({ serviceDb, userDb, mailer, publicBaseUrl: config.publicBaseUrl, now });
  const alerts = createAlertsService({ serviceDb, mailer, opsEmail: config.opsEmail, dpoEmail: config.dpoEmail, now, onRaised: (condition) => metrics.alertRaised(condition) });
  const metrics = createMetrics({ serviceDb, now, openAlerts: () => alerts.open() });
  const incidents = createIncidentsService({ serviceDb, mailer, dpoEmail: config.dpoEmail, publicBaseUrl: config.publicBaseUrl, now });
  const incidentNotices = createIncidentNoticesService({ serviceDb, userDb, mailer, linkSecret: config.forgetMeSecret, publicBaseUrl: config.publicBaseUrl, now });

  return {
    serviceDb,
    userDb,
    tokenVerifier,
    mailer,
    blindIndexKey: config.blindIndexKey,
    localSignIn,
    sessionTrail,
    dashboardSignIn,
    secureCookies: config.mode === 'production',
    orgs: createOrgsService({ userDb, serviceDb, inviter, blindIndexKey: config.blindIndexKey }),
    // A changed retention window is pushed to every agent at the platform (ElevenLabs keeps
    // conversations forever otherwise); what fails is retried by the agent-platform-sync job.
    preferences: createPreferencesService({
      userDb,
      listeners: [retentionListener(agentSync)],
    }),
    agents: createAgentsService({ userDb, serviceDb, platform: agentPlatform, toolKeys }),
    impersonations: createImpersonationService({ serviceDb, maxMinutes: config.impersonationMaxMinutes }),
    agentPlatform,
    telephony,
    callFlow: createCallFlowService({
      serviceDb,
      telephony,
      agentPlatform,
      publicBaseUrl: config.publicBaseUrl,
      blindIndexKey: config.blindIndexKey,
      recordingDeliveries,
    }),
    postCall: createPostCallService({
      serviceDb,
      telephony,
      agentPlatform,
      blindIndexKey: config.blindIndexKey,
      webhookSecret: config.elevenlabs.webhookSecret,
      transcriptKeys: config.transcriptKeys,
      transcriptKeyId: config.transcriptKeyId,
    }),
    withdrawal: createWithdrawalService({ serviceDb, telephony, agentPlatform, webhookSecret: config.elevenlabs.webhookSecret }),
    calls: createCallsService({
      userDb,
      deletions: { serviceDb, telephony, agentPlatform, customerStorage },
      transcripts: createTranscriptReader(config.transcriptKeys),
      recordingStore: customerStorage,
    }),
    leads: createLeadsService({ userDb, blindIndexKey: config.blindIndexKey }),
    legalHolds: createLegalHoldsService({ userDb, blindIndexKey: config.blindIndexKey, now }),
    erasure,
    forgetMe: createForgetMeService({
      erasure,
      serviceDb,
      mailer,
      telephony,
      secret: config.forgetMeSecret,
      publicBaseUrl: config.publicBaseUrl,
      smsVerification: config.features.smsVerification,
      operator: config.operator,
      now,
      rights: createCallerRightsService({
        serviceDb,
        blindIndexKey: config.blindIndexKey,
        transcripts: createTranscriptReader(config.transcriptKeys),
        publicBaseUrl: config.publicBaseUrl,
        now,
      }),
    }),
    exports: createExportService({ userDb, blindIndexKey: config.blindIndexKey, transcripts: createTranscriptReader(config.transcriptKeys) }),
    incidents,
    incidentNotices,
    subprocessors,
    trust: createTrustService({ serviceDb, userDb, subprocessors, now }),
    recordsOfProcessing: createRecordsOfProcessingService({ serviceDb, userDb, subprocessors }),
    webhooks: createWebhooksService({ userDb, policy: webhookPolicy }),
    recordingStorage: createRecordingStorageService({
      userDb,
      serviceDb,
      keys: config.storageKeys,
      keyId: config.storageKeyId,
      feature: config.features.recordingStorage,
      policy: webhookPolicy,
    }),
    twilioAuthToken: config.twilio.authToken,
    publicBaseUrl: config.publicBaseUrl,
    trustProxy: config.trustProxy,
    metrics,
    metricsRoute: { token: config.metricsToken, feature: config.features.metrics },
    alerts,
    jobs: {
      serviceDb,
      telephony,
      agentPlatform,
      customerStorage,
      recordingDeliveries,
      config,
      now,
      erasure,
      incidents,
      incidentNotices,
      subprocessors,
      agentSync,
      webhookDeliveries: { serviceDb, policy: webhookPolicy, now },
      alerts,
      metrics,
    },
  };
}

/**
 * What `npm run job` runs a job on: the same wiring as the server's
 * (buildAppDeps), of which it takes the jobs' part.
 */
export function buildJobContext(config: AppConfig, serviceDb: ServiceDb, overrides: Overrides = {}): JobContext {
  return buildAppDeps(config, serviceDb, overrides).jobs;
}
