import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { APPLICATION_NAME, type ServiceDb } from '../db/database.js';
import { logger } from '../lib/logger.js';
import { databaseConnections, queueDepths, type QueueDepths } from './metrics-repo.js';

/**
 * The service's Prometheus metrics, in a registry of its own (one per server:
 * tests build several in one process). Labels are route patterns, methods,
 * statuses, job names, queue names and alert conditions: never an id, a
 * number, an address or anything else about a person or an organisation.
 */
export interface Metrics {
  registry: Registry;
  /** Express middleware: times every request by route pattern, method and status. */
  httpMiddleware: RequestHandler;
  /** A request answered outside Express (its route is already a pattern). */
  requestFinished(r: { route: string; method: string; status: number; seconds: number }): void;
  /** A scheduled or manual job run finished. */
  jobFinished(job: string, seconds: number, ok: boolean): void;
  /** An alert condition started to hold (counted once per episode). */
  alertRaised(condition: string): void;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const SID = /^[A-Z]{2}[0-9a-f]{32}$/;

/**
 * A request's route as a label: its path with every identifier-like segment
 * replaced (`/api/orgs/:id/calls/:id`). A request no route answered (a 404
 * for an unknown path) is `unmatched`, so a scanner cannot grow the label set.
 */
export function routeLabel(req: Request, status: number): string {
  if (!req.route && status === 404) return 'unmatched';
  const path = (req.originalUrl.split('?')[0] ?? '/').replace(/\/+$/, '') || '/';
  return path
    .split('/')
    .map((seg) => {
      if (seg === '') return seg;
      if (UUID.test(seg)) return ':id';
      if (SID.test(seg)) return ':sid';
      if (/^\d+$/.test(seg)) return ':n';
      if (seg.length > 40 || /[^A-Za-z0-9._-]/.test(seg)) return ':value';
      return seg;
    })
    .join('/');
}

/** The provider a webhook request comes from, by its path; undefined for other requests. */
function webhookProvider(path: string): 'twilio' | 'elevenlabs' | undefined {
  if (path.startsWith('/webhooks/twilio/')) return 'twilio';
  if (path.startsWith('/webhooks/elevenlabs/')) return 'elevenlabs';
  return undefined;
}

const QUEUES: (keyof QueueDepths)[] = [
  'provider_deletions_pending',
  'provider_deletions_failed',
  'webhook_deliveries_pending',
  'webhook_deliveries_failed',
  'erasure_requests_open',
  'erasure_requests_overdue',
  'incidents_not_notified',
  'recordings_without_sha256',
  'recording_deliveries_pending',
  'recording_deliveries_failed',
];

export interface MetricsDeps {
  serviceDb: ServiceDb;
  now: () => Date;
  /** The alerts open now, by condition (read at scrape time). */
  openAlerts?: () => Promise<{ condition: string }[]>;
}

export function createMetrics(deps: MetricsDeps): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'voice_gdpr_process_' });

  const http = new Histogram({
    name: 'voice_gdpr_http_request_duration_seconds',
    help: 'HTTP request duration by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const webhook = new Histogram({
    name: 'voice_gdpr_webhook_response_duration_seconds',
    help: 'How long our answer to a provider webhook took, per provider',
    labelNames: ['provider'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const jobRuns = new Counter({ name: 'voice_gdpr_job_runs_total', help: 'Job runs finished, per job', labelNames: ['job'] as const, registers: [registry] });
  const jobFailures = new Counter({ name: 'voice_gdpr_job_failures_total', help: 'Job runs that failed, per job', labelNames: ['job'] as const, registers: [registry] });
  const jobDuration = new Histogram({
    name: 'voice_gdpr_job_duration_seconds',
    help: 'Job run duration, per job',
    labelNames: ['job'] as const,
    buckets: [0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [registry],
  });
  const alertsRaised = new Counter({ name: 'voice_gdpr_alerts_raised_total', help: 'Alert episodes raised, per condition', labelNames: ['condition'] as const, registers: [registry] });

  // Read at scrape time from the database: every replica reports the same shared queues.
  new Gauge({
    name: 'voice_gdpr_queue_depth',
    help: 'Items waiting or stuck, per queue and state',
    labelNames: ['queue'] as const,
    registers: [registry],
    async collect() {
      try {
        const depths = await queueDepths(deps.serviceDb, deps.now());
        for (const q of QUEUES) this.set({ queue: q }, depths[q]);
      } catch (err) {
        logger.warn({ err_name: (err as Error).name }, 'metrics: queue depths unavailable');
      }
    },
  });
  new Gauge({
    name: 'voice_gdpr_alerts_open',
    help: 'Alert conditions holding now (1), per condition',
    labelNames: ['condition'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!deps.openAlerts) return;
      try {
        for (const a of await deps.openAlerts()) this.set({ condition: a.condition }, 1);
      } catch (err) {
        logger.warn({ err_name: (err as Error).name }, 'metrics: open alerts unavailable');
      }
    },
  });
  new Gauge({
    name: 'voice_gdpr_alerts_open_by_kind',
    help: 'Alert conditions holding now, per kind (job_failing counts each failing job)',
    labelNames: ['kind'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!deps.openAlerts) return;
      try {
        const byKind = new Map<string, number>();
        for (const a of await deps.openAlerts()) {
          const kind = a.condition.split(':')[0]!;
          byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
        }
        for (const [kind, n] of byKind) this.set({ kind }, n);
      } catch (err) {
        logger.warn({ err_name: (err as Error).name }, 'metrics: open alerts unavailable');
      }
    },
  });
  const poolMax = Number(deps.serviceDb.options?.max ?? 0);
  new Gauge({ name: 'voice_gdpr_db_pool_max_connections', help: 'Connections the pool may open', registers: [registry] }).set(poolMax);
  new Gauge({
    name: 'voice_gdpr_db_pool_connections',
    help: 'The backend’s database connections, open and running a statement',
    labelNames: ['state'] as const,
    registers: [registry],
    async collect() {
      try {
        const c = await databaseConnections(deps.serviceDb, APPLICATION_NAME);
        this.set({ state: 'open' }, c.open);
        this.set({ state: 'active' }, c.active);
      } catch (err) {
        logger.warn({ err_name: (err as Error).name }, 'metrics: database connections unavailable');
      }
    },
  });

  const requestFinished = (r: { route: string; method: string; status: number; seconds: number }) => {
    http.observe({ route: r.route, method: r.method, status: String(r.status) }, r.seconds);
    const provider = webhookProvider(r.route);
    if (provider) webhook.observe({ provider }, r.seconds);
  };

  const httpMiddleware: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      requestFinished({ route: routeLabel(req, res.statusCode), method: req.method, status: res.statusCode, seconds });
    });
    next();
  };

  return {
    registry,
    httpMiddleware,
    requestFinished,
    jobFinished(job, seconds, ok) {
      jobRuns.inc({ job });
      if (!ok) jobFailures.inc({ job });
      jobDuration.observe({ job }, seconds);
    },
    alertRaised(condition) {
      alertsRaised.inc({ condition });
    },
  };
}
