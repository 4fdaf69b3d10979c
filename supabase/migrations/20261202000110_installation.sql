-- When this installation began, for the trust checks keyed on a job's runs: a
-- job that has never run yet is "not yet run" (pending) on a fresh install, not
-- failing, until its first run was due; past that, never having run is a
-- failure. One row. An installation older than this migration gets the time it
-- was migrated, so its never-run jobs are reported as failing one grace period
-- after the upgrade. Only the backend's service connection reaches this table.

create table app.installation (
  singleton boolean primary key default true check (singleton),
  installed_at timestamptz not null default now()
);
insert into app.installation default values;

revoke all on app.installation from public, anon, authenticated;
grant select on app.installation to service_role;
