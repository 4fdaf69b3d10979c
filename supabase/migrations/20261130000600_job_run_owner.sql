-- Who owns a running job run, so that the next claim can tell a live run
-- from one whose process was killed, at once instead of an hour later.
--
-- owner_lock: the key of a session-level advisory lock (class 7302) that the
--   owning process holds on a connection of its own while it has runs going.
--   When the process dies its session ends and the lock is free: the run is
--   dead. (PostgreSQL; null where the database has one session, PGlite.)
-- owner_host, owner_pid: the owning process. On the embedded database (one
--   machine by construction: it listens on 127.0.0.1 only) a run whose
--   process no longer exists is dead.
-- db_started_at: pg_postmaster_start_time() when the run was claimed. A
--   restarted database has ended every session, so a run claimed before the
--   restart is dead (on PGlite: the process that owned the files died).

alter table public.job_runs
  add column if not exists owner_host text,
  add column if not exists owner_pid integer,
  add column if not exists owner_lock uuid,
  add column if not exists db_started_at timestamptz;
