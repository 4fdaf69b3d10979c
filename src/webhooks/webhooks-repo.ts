/**
 * SQL for public.webhook_endpoints (customers' endpoints, under RLS) and
 * public.webhook_deliveries (written by the database, sent by the
 * webhook-deliveries job through the service connection). Each function takes
 * the transaction or connection to run on.
 */
import type { ServiceDb, Tx } from '../db/database.js';
import type { WebhookEndpoint, WebhookEvent } from './webhooks-service.js';

type Db = ServiceDb | Tx;

const ENDPOINT_COLUMNS = 'id, url, events, description, created_at, updated_at';

/** A delivery claimed for sending, with its endpoint's URL and secret. */
export interface Claimed {
  id: string;
  event_id: string;
  payload: unknown;
  attempts: number;
  url: string;
  secret: string;
}

export function listEndpoints(tx: Tx, orgId: string) {
  return tx<WebhookEndpoint[]>`
          select ${tx.unsafe(ENDPOINT_COLUMNS)} from public.webhook_endpoints where org_id = ${orgId} order by created_at`;
}

/** Serialises creates per organisation (so the cap holds) for the rest of the transaction. */
export function lockEndpointCreates(tx: Tx, orgId: string) {
  return tx`select pg_advisory_xact_lock(7302, hashtext(${orgId}))`;
}

export function countEndpoints(tx: Tx, orgId: string) {
  return tx`select count(*)::int as n from public.webhook_endpoints where org_id = ${orgId}`;
}

/** Lets the database's URL check accept private networks, for this transaction only (local mode). */
export function allowPrivateNetworkHere(tx: Tx) {
  return tx`select set_config('app.webhooks_allow_private_network', 'on', true)`;
}

export function insertEndpoint(
  tx: Tx,
  e: { orgId: string; url: string; events: WebhookEvent[]; description: string; secret: string; createdBy: string },
) {
  return tx<WebhookEndpoint[]>`
          insert into public.webhook_endpoints (org_id, url, events, description, secret, created_by)
          values (${e.orgId}, ${e.url}, ${e.events}::text[], ${e.description}, ${e.secret}, ${e.createdBy})
          returning ${tx.unsafe(ENDPOINT_COLUMNS)}`;
}

/**
 * Whether the dashboard's registration form `formId` was submitted before: one
 * row with the endpoint it registered (null when deleted since), or none.
 */
export function findFormSubmission(tx: Tx, orgId: string, formId: string) {
  return tx<{ endpoint_id: string | null }[]>`select endpoint_id from app.webhook_form_submission(${orgId}, ${formId})`;
}

/** Records that the form `formId` registered `endpointId` (a second record of the same form fails). */
export function recordFormSubmission(tx: Tx, orgId: string, formId: string, endpointId: string) {
  return tx`select app.record_webhook_form_submission(${orgId}, ${formId}, ${endpointId})`;
}

/** The endpoint, if it is still there (listed columns only). */
export function getEndpoint(tx: Tx, orgId: string, endpointId: string) {
  return tx<WebhookEndpoint[]>`
          select ${tx.unsafe(ENDPOINT_COLUMNS)} from public.webhook_endpoints where id = ${endpointId} and org_id = ${orgId}`;
}

/** Form submissions older than `hours` go (they cannot come again: their session has ended). `count` says how many. */
export function pruneFormSubmissions(db: Db, hours: number) {
  return db`delete from app.webhook_form_submissions where submitted_at < now() - make_interval(hours => ${hours})`;
}

/** `count` is 0 when there was no such endpoint. */
export function deleteEndpoint(tx: Tx, orgId: string, endpointId: string) {
  return tx`delete from public.webhook_endpoints where id = ${endpointId} and org_id = ${orgId}`;
}

export function findEndpoint(tx: Tx, orgId: string, endpointId: string) {
  return tx`select id from public.webhook_endpoints where id = ${endpointId} and org_id = ${orgId}`;
}

/** The endpoint's most recent deliveries, newest first. */
export function listDeliveries(tx: Tx, endpointId: string, limit: number) {
  return tx`
          select id, event_id, event_type, status, attempts, last_status, last_error, next_attempt_at, delivered_at, created_at, payload
          from public.webhook_deliveries where endpoint_id = ${endpointId}
          order by created_at desc limit ${limit}`;
}

/** Leases up to `batchSize` due deliveries (next attempt five minutes out) with their endpoints. */
export function claimDeliveries(db: Db, batchSize: number) {
  return db<Claimed[]>`
      with claimed as (
        update public.webhook_deliveries d
        set next_attempt_at = now() + interval '5 minutes'
        where d.id in (
          select id from public.webhook_deliveries
          where status = 'pending' and next_attempt_at <= now()
          order by next_attempt_at
          limit ${batchSize}
          for update skip locked)
        returning d.id, d.endpoint_id, d.event_id, d.payload, d.attempts)
      select c.id, c.event_id, c.payload, c.attempts, e.url, e.secret
      from claimed c join public.webhook_endpoints e on e.id = c.endpoint_id`;
}

export function markDelivered(db: Db, id: string, httpStatus: number | null) {
  return db`
        update public.webhook_deliveries
        set status = 'delivered', delivered_at = now(), attempts = attempts + 1, last_status = ${httpStatus}, last_error = null
        where id = ${id}`;
}

/** A failed attempt: retried after the backoff, or given up (`status` failed). */
export function recordFailedAttempt(
  db: Db,
  id: string,
  f: { attempts: number; lastStatus: number | null; lastError: string; status: 'failed' | 'pending'; backoffSeconds: number },
) {
  return db`
      update public.webhook_deliveries
      set attempts = ${f.attempts}, last_status = ${f.lastStatus}, last_error = ${f.lastError},
          status = ${f.status},
          next_attempt_at = now() + make_interval(secs => ${f.backoffSeconds})
      where id = ${id}`;
}

/** History past its time goes, at most 1000 rows; pending deliveries are never pruned. `count` says how many. */
export function pruneHistory(db: Db, days: number) {
  return db`
    delete from public.webhook_deliveries where id in (
      select id from public.webhook_deliveries
      where status <> 'pending' and created_at < now() - make_interval(days => ${days})
      limit 1000)`;
}
