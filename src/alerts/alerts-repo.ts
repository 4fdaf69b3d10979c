/**
 * SQL for app.ops_alerts (one row per episode of an alert condition) and the
 * platform-wide state the conditions read. Service connection only.
 */
import type { ServiceDb, Tx } from '../db/database.js';

export interface OpenAlert {
  id: string;
  condition: string;
  opened_at: Date;
  details: Record<string, number>;
  notified_at: Date | null;
  notify_attempts: number;
}

export function openAlerts(db: ServiceDb | Tx) {
  return db<OpenAlert[]>`
    select id, condition, opened_at, details, notified_at, notify_attempts
      from app.ops_alerts where cleared_at is null order by opened_at, condition`;
}

/** Opens an episode for a condition that now holds; nothing when one is open already. */
export function openAlert(tx: Tx, condition: string, details: Record<string, number>, at: Date) {
  return tx<{ id: string }[]>`
    insert into app.ops_alerts (condition, opened_at, details) values (${condition}, ${at}, ${tx.json(details)})
    on conflict (condition) where cleared_at is null do nothing
    returning id`;
}

export function refreshAlertDetails(tx: Tx, id: string, details: Record<string, number>) {
  return tx`update app.ops_alerts set details = ${tx.json(details)} where id = ${id}`;
}

export function clearAlert(tx: Tx, id: string, at: Date) {
  return tx`update app.ops_alerts set cleared_at = ${at} where id = ${id} and cleared_at is null`;
}

/** Locks one open, not yet notified alert for sending its e-mail (another runner skips it). */
export function lockUnnotified(tx: Tx, id: string) {
  return tx<OpenAlert[]>`
    select id, condition, opened_at, details, notified_at, notify_attempts from app.ops_alerts
     where id = ${id} and notified_at is null and cleared_at is null
     for update skip locked`;
}

export function markNotified(tx: Tx, id: string, at: Date) {
  return tx`update app.ops_alerts set notified_at = ${at}, notify_attempts = notify_attempts + 1 where id = ${id}`;
}

export function countNotifyAttempt(db: ServiceDb | Tx, id: string) {
  return db`update app.ops_alerts set notify_attempts = notify_attempts + 1 where id = ${id}`;
}

/** Jobs whose last three finished runs (within a week of `now`) all failed. */
export function jobsFailingThreeTimes(db: ServiceDb | Tx, now: Date) {
  return db<{ job_name: string; last_failed_at: Date }[]>`
    select job_name, max(finished_at) as last_failed_at from (
      select job_name, status, finished_at, row_number() over (partition by job_name order by started_at desc) as rn
        from public.job_runs
       where status in ('succeeded', 'failed') and started_at > ${now}::timestamptz - interval '7 days'
    ) r
    where rn <= 3
    group by job_name
    having count(*) = 3 and bool_and(status = 'failed')
    order by job_name`;
}
