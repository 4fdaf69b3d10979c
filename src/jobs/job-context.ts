import type { AgentSyncDeps } from '../agents/agent-platform-sync.js';
import type { AlertsService } from '../alerts/alerts-service.js';
import type { Metrics } from '../metrics/metrics.js';
import type { AppConfig } from '../config/env.js';
import type { ServiceDb } from '../db/database.js';
import type { ErasureService } from '../erasure/erasure-service.js';
import type { IncidentsService } from '../incidents/incidents-service.js';
import type { IncidentNoticesService } from '../incidents/incident-notices-service.js';
import type { AgentPlatform } from '../providers/agent-platform.js';
import type { Telephony } from '../providers/telephony.js';
import type { SubprocessorsService } from '../subprocessors/subprocessors-service.js';
import type { WebhookDeliveryDeps } from '../webhooks/webhook-delivery.js';
import type { CustomerStorage } from '../recording-storage/customer-storage.js';
import type { RecordingDeliveryDeps } from '../recording-storage/recording-delivery.js';

/**
 * What every scheduled job runs on, built once by container.ts from the same
 * services the API uses (buildAppDeps for the server, buildJobContext for
 * `npm run job`). Each job's definition names the part it reads. `now` is the
 * clock the services in it were built with, injectable so tests control it.
 */
export interface JobContext {
  serviceDb: ServiceDb;
  telephony: Telephony;
  agentPlatform: AgentPlatform;
  /** Organisations' own recording stores (deletions there are queued like any provider's). */
  customerStorage: CustomerStorage;
  recordingDeliveries: RecordingDeliveryDeps;
  config: AppConfig;
  now: () => Date;
  erasure: ErasureService;
  incidents: IncidentsService;
  incidentNotices: IncidentNoticesService;
  subprocessors: SubprocessorsService;
  agentSync: AgentSyncDeps;
  webhookDeliveries: WebhookDeliveryDeps;
  alerts: AlertsService;
  /** Job runs are counted and timed here (the server's /metrics). */
  metrics: Metrics;
}
