import { Router } from 'express';
import type { Feature } from '../config/env.js';
import { safeEqual } from '../lib/crypto.js';
import { AppError, UnauthorizedError } from '../lib/errors.js';
import type { Metrics } from './metrics.js';

export interface MetricsRouteOptions {
  /** METRICS_TOKEN: when set, a scrape must send it as a bearer token. */
  token?: string;
  /** Off in production without METRICS_TOKEN: the metrics are not served to anyone. */
  feature: Feature;
}

/** GET /metrics: Prometheus's text format, behind the bearer token when one is configured. */
export function metricsRoutes(metrics: Metrics, opts: MetricsRouteOptions): Router {
  const router = Router();
  router.get('/metrics', async (req, res) => {
    if (!opts.feature.on) throw new AppError(503, 'feature_unavailable', opts.feature.reason ?? 'Metrics are off.');
    if (opts.token) {
      const header = req.get('authorization') ?? '';
      const sent = /^Bearer (.+)$/i.exec(header)?.[1] ?? '';
      if (!safeEqual(sent, opts.token)) {
        res.set('WWW-Authenticate', 'Bearer realm="metrics"');
        throw new UnauthorizedError('Scraping the metrics needs the METRICS_TOKEN bearer token.');
      }
    }
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store');
    res.send(await metrics.registry.metrics());
  });
  return router;
}
