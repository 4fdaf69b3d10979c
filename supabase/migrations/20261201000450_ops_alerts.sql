-- Operational alerts, one row per episode of a condition (a job failing three
-- runs in a row, a provider deletion or webhook delivery marked failed, an
-- erasure request past due, ...). The alerts job opens a row when a condition
-- starts to hold and e-mails OPS_EMAIL once; it closes the row when the
-- condition clears, so a condition that returns is a new episode with a new
-- e-mail. A mail that could not be sent leaves notified_at empty and is sent
-- on a later run. Conditions are named by kind and, for jobs, by job name:
-- no personal data, no organisation. Only the backend's service connection
-- reaches this table.

create table app.ops_alerts (
  id uuid primary key default gen_random_uuid(),
  condition text not null,
  opened_at timestamptz not null,
  -- counts only (e.g. how many deliveries are failed), for the e-mail and the trust checks
  details jsonb not null default '{}'::jsonb,
  notified_at timestamptz,
  notify_attempts integer not null default 0,
  cleared_at timestamptz
);
create unique index ops_alerts_open_condition_idx on app.ops_alerts (condition) where cleared_at is null;
create index ops_alerts_opened_idx on app.ops_alerts (opened_at desc);

revoke all on app.ops_alerts from public, anon, authenticated;
grant select, insert, update, delete on app.ops_alerts to service_role;
