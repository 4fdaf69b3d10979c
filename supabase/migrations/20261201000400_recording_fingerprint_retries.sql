-- The SHA-256 of a completed recording is computed from the audio fetched from
-- Twilio right after its recording callback. When that fetch fails (Twilio
-- down, the file not yet ready), the recording-fingerprints job tries again,
-- with exponential backoff, until every completed recording has its SHA-256.
-- These two columns are its queue: how many attempts failed, and when the next
-- one is due. Written by the backend's service connection only (no user grant).

alter table public.recordings
  add column fingerprint_attempts integer not null default 0,
  add column fingerprint_next_attempt_at timestamptz;

create index recordings_fingerprint_due_idx on public.recordings (fingerprint_next_attempt_at)
  where sha256 is null and status = 'completed' and deleted_at is null;
