-- Two things a killed job must not leave behind: a run that holds its job
-- back, and purged rows without their audit row.

-- ---------------------------------------------------------------------------
-- Who owns a running job run, so that the next claim can tell a live run
-- from one whose process was killed, at once instead of an hour later.
--
-- owner_lock: the key of a session-level advisory lock (class 7340) that the
--   owning process holds on a connection of its own while it has runs going.
--   When the process dies its session ends and the lock is free: the run is
--   dead. (PostgreSQL; null where the database has one session, PGlite.)
-- owner_host, owner_pid: the owning process. On the embedded database (one
--   machine by construction: it listens on 127.0.0.1 only) a run whose
--   process no longer exists is dead.
-- db_started_at: pg_postmaster_start_time() when the run was claimed. A
--   restarted database has ended every session, so a run claimed before the
--   restart is dead (on PGlite: the process that owned the files died).
-- ---------------------------------------------------------------------------
alter table public.job_runs
  add column if not exists owner_host text,
  add column if not exists owner_pid integer,
  add column if not exists owner_lock uuid,
  add column if not exists db_started_at timestamptz;

-- ---------------------------------------------------------------------------
-- One batch of the retention purge's transcripts, with its audit row, in one
-- statement (so one round trip, as the plain DELETE it replaces): deletes the
-- organisation's transcripts created in [p_from, p_before), or, with
-- p_tie_limit, at most that many created exactly at p_from; then, when any
-- went, appends a `retention.purged` audit row with p_audit and the count.
-- The batch commits without waiting for the disk (synchronous_commit off for
-- its own transaction): a crash of the database takes back the batch and its
-- audit row together, and the next run redoes it. Returns the count.
-- ---------------------------------------------------------------------------
create or replace function app.purge_transcripts_batch(
  p_org_id uuid, p_from timestamptz, p_before timestamptz, p_tie_limit integer, p_audit jsonb
)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  n integer;
begin
  perform pg_catalog.set_config('synchronous_commit', 'off', true);
  if p_tie_limit is null then
    delete from public.transcripts
    where org_id = p_org_id and created_at >= p_from and created_at < p_before;
  else
    delete from public.transcripts where ctid = any(array(
      select ctid from public.transcripts
      where org_id = p_org_id and created_at = p_from
      limit p_tie_limit));
  end if;
  get diagnostics n = row_count;
  if n > 0 then
    insert into public.audit_logs (org_id, actor_type, action, metadata)
    values (p_org_id, 'system', 'retention.purged', p_audit || pg_catalog.jsonb_build_object('transcripts_deleted', n));
  end if;
  return n;
end
$$;

revoke execute on function app.purge_transcripts_batch(uuid, timestamptz, timestamptz, integer, jsonb) from public;
grant execute on function app.purge_transcripts_batch(uuid, timestamptz, timestamptz, integer, jsonb) to service_role;
