/**
 * SQL for the metrics scrape: how deep each of the service's queues is, and
 * how many database connections the backend holds. Counts across every
 * organisation (the service connection); no row, id or personal data leaves.
 */
import type { ServiceDb } from '../db/database.js';

export interface QueueDepths {
  provider_deletions_pending: number;
  provider_deletions_failed: number;
  webhook_deliveries_pending: number;
  webhook_deliveries_failed: number;
  erasure_requests_open: number;
  erasure_requests_overdue: number;
  incidents_not_notified: number;
  recordings_without_sha256: number;
  recording_deliveries_pending: number;
  recording_deliveries_failed: number;
}

/** Every queue's depth at `now`, in one statement. */
export async function queueDepths(db: ServiceDb, now: Date): Promise<QueueDepths> {
  const [row] = await db<QueueDepths[]>`
    select
      (select count(*) from public.provider_deletions where status = 'pending')::int as provider_deletions_pending,
      (select count(*) from public.provider_deletions where status = 'failed')::int as provider_deletions_failed,
      (select count(*) from public.webhook_deliveries where status = 'pending')::int as webhook_deliveries_pending,
      (select count(*) from public.webhook_deliveries where status = 'failed')::int as webhook_deliveries_failed,
      (select count(*) from public.erasure_requests where status not in ('completed', 'cancelled'))::int as erasure_requests_open,
      (select count(*) from public.erasure_requests
        where status not in ('completed', 'cancelled') and coalesce(extended_until, due_at) < ${now})::int as erasure_requests_overdue,
      (select count(*) from public.security_incidents where notified_at is null)::int as incidents_not_notified,
      (select count(*) from public.recordings where status = 'completed' and sha256 is null and deleted_at is null)::int as recordings_without_sha256,
      (select count(*) from app.recording_deliveries where status = 'pending')::int as recording_deliveries_pending,
      (select count(*) from app.recording_deliveries where status = 'failed')::int as recording_deliveries_failed`;
  return row!;
}

/** The backend's connections to the database (by its application name), and how many are running a statement. */
export async function databaseConnections(db: ServiceDb, applicationName: string): Promise<{ open: number; active: number }> {
  const [row] = await db<{ open: number; active: number }[]>`
    select count(*)::int as open, count(*) filter (where state = 'active' and pid <> pg_backend_pid())::int as active
      from pg_stat_activity where application_name = ${applicationName}`;
  return row ?? { open: 0, active: 0 };
}
