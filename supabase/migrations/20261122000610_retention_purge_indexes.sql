-- Retention purge and job runs: indexes for the daily purge and the cron coordinator.
--
-- The purge (src/retention/retention-purge.ts) walks each organisation's rows
-- older than its window, oldest first. Rows it has already dealt with stay
-- (anonymised leads, recordings marked deleted, scrubbed calls), so plain
-- (org_id, created_at) indexes would make every daily run read the whole
-- history again. These partial indexes hold only the rows that still carry
-- something to remove: a run reads what expired since the last one.

-- ---------------------------------------------------------------------------
-- What the purge still has to do
-- ---------------------------------------------------------------------------
create index leads_retention_due_idx on public.leads (org_id, created_at)
  where anonymised_at is null;

create index recordings_retention_due_idx on public.recordings (org_id, created_at)
  where deleted_at is null;

-- Written once at insert (from_number, from_hash) or already indexed
-- (elevenlabs_conversation_id), so the call flow's updates stay HOT.
create index calls_retention_due_idx on public.calls (org_id, started_at)
  where from_number is not null or from_hash is not null or elevenlabs_conversation_id is not null;

-- ---------------------------------------------------------------------------
-- Cron coordination: every tick asks whether a run of the job is still going.
-- ---------------------------------------------------------------------------
create index job_runs_running_idx on public.job_runs (job_name, started_at)
  where status = 'running';
