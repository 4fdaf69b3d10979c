import http from 'node:http';
import https from 'node:https';
import { Webhook } from 'standardwebhooks';
import type { ServiceDb } from '../db/database.js';
import { backoffSeconds } from '../deletions/provider-deletions.js';
import { logger } from '../lib/logger.js';
import { checkEndpointUrl, guardedLookup, type EndpointPolicy } from './endpoint-url.js';
import * as repo from './webhooks-repo.js';
import type { Claimed } from './webhooks-repo.js';

/** After this many failed attempts (about a day and a half of backoff) a delivery is marked failed. */
export const MAX_WEBHOOK_ATTEMPTS = 12;
/** Delivered and failed deliveries are kept this long for the organisation to look at, then pruned. */
export const DELIVERY_HISTORY_DAYS = 30;
/**
 * The dashboard's registration forms are remembered this long after their
 * submission, then pruned: a form cannot come again once its session has ended
 * (an hour), since a new sign-in brings a new CSRF secret.
 */
export const FORM_SUBMISSION_HOURS = 24;
const USER_AGENT = 'eu-voice-agent-backend-webhooks/1';

export interface WebhookDeliveryDeps {
  serviceDb: ServiceDb;
  policy: EndpointPolicy;
  /** Per request, connection to last byte (default 10 s). */
  timeoutMs?: number;
  now?: () => Date;
}

export interface WebhookDeliveryCounts {
  claimed: number;
  delivered: number;
  retried: number;
  failed: number;
  pruned: number;
  /** Registration forms forgotten (older than FORM_SUBMISSION_HOURS). */
  formsPruned: number;
}

/**
 * POSTs the body and resolves with the HTTP status. Redirects are not followed
 * (a 3xx is a failure); the response body is read and dropped, never stored.
 * The URL is checked again before every connection under the deployment's
 * policy: its scheme, and an IP-literal host (which no DNS lookup sees) by the
 * same rules as the addresses a host name resolves to (guardedLookup).
 */
function post(url: string, body: string, headers: Record<string, string>, policy: EndpointPolicy, timeoutMs: number): Promise<number> {
  const target = new URL(checkEndpointUrl(url, policy));
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      target,
      {
        method: 'POST',
        headers: { ...headers, 'content-length': Buffer.byteLength(body).toString() },
        lookup: guardedLookup(policy),
        timeout: timeoutMs,
        signal: AbortSignal.timeout(timeoutMs),
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * Works the webhook_deliveries outbox: claims due deliveries with FOR UPDATE SKIP
 * LOCKED (a lease of five minutes, so a crashed worker's claims come back),
 * signs each per Standard Webhooks (webhook-id, webhook-timestamp,
 * webhook-signature "v1,<base64 HMAC-SHA256 of id.timestamp.body>") and POSTs it.
 * 2xx = delivered; anything else, a timeout or a refused address is retried with
 * exponential backoff, and after MAX_WEBHOOK_ATTEMPTS the delivery is marked failed
 * (kept, and visible to the organisation, for DELIVERY_HISTORY_DAYS). The same
 * event keeps its webhook-id across retries, so receivers can drop duplicates.
 */
export async function runWebhookDeliveries(
  deps: WebhookDeliveryDeps,
  opts: { batchSize?: number; maxBatches?: number; concurrency?: number } = {},
): Promise<WebhookDeliveryCounts> {
  const db = deps.serviceDb;
  const counts: WebhookDeliveryCounts = { claimed: 0, delivered: 0, retried: 0, failed: 0, pruned: 0, formsPruned: 0 };
  const batchSize = opts.batchSize ?? 50;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const now = deps.now ?? (() => new Date());

  async function deliver(row: Claimed): Promise<void> {
    const body = JSON.stringify(row.payload);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const timestamp = now();
      const signature = new Webhook(row.secret).sign(row.event_id, timestamp, body);
      status = await post(
        row.url,
        body,
        {
          'content-type': 'application/json',
          'user-agent': USER_AGENT,
          'webhook-id': row.event_id,
          'webhook-timestamp': Math.floor(timestamp.getTime() / 1000).toString(),
          'webhook-signature': signature,
        },
        deps.policy,
        timeoutMs,
      );
      if (status < 200 || status > 299) error = `HTTP ${status}`;
    } catch (err) {
      const e = err as Error & { code?: string };
      error = (e.code ? `${e.code}: ` : '') + e.message;
    }
    if (error === null) {
      await repo.markDelivered(db, row.id, status);
      counts.delivered += 1;
      return;
    }
    const attempts = row.attempts + 1;
    const giveUp = attempts >= MAX_WEBHOOK_ATTEMPTS;
    await repo.recordFailedAttempt(db, row.id, {
      attempts,
      lastStatus: status,
      lastError: error.slice(0, 300),
      status: giveUp ? 'failed' : 'pending',
      backoffSeconds: backoffSeconds(attempts),
    });
    if (giveUp) counts.failed += 1;
    else counts.retried += 1;
    logger.warn({ delivery_id: row.id, attempts, http_status: status, give_up: giveUp }, 'webhook delivery failed');
  }

  for (let batch = 0; batch < (opts.maxBatches ?? 20); batch += 1) {
    const rows = await repo.claimDeliveries(db, batchSize);
    counts.claimed += rows.length;
    // A few at a time: one slow endpoint does not hold up the others for long.
    const queue = [...rows];
    const workers = Array.from({ length: Math.min(opts.concurrency ?? 8, queue.length) }, async () => {
      for (let row = queue.shift(); row; row = queue.shift()) await deliver(row);
    });
    await Promise.all(workers);
    if (rows.length < batchSize) break;
  }
  // History past its time goes, a bounded batch per run; pending deliveries are never pruned.
  const pruned = await repo.pruneHistory(db, DELIVERY_HISTORY_DAYS);
  counts.pruned = pruned.count;
  counts.formsPruned = (await repo.pruneFormSubmissions(db, FORM_SUBMISSION_HOURS)).count;
  return counts;
}
