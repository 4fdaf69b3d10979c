-- The public forget-me page: per-identifier rate limits and SMS codes.
--
-- Both tables hold only keyed hashes (HMAC under FORGET_ME_SECRET), never an
-- e-mail address, a phone number or a code. They live in schema app, which no
-- API exposes; RLS is on with no policy and nothing is granted to anon or
-- authenticated, so only the backend's own connection can touch them. They
-- are shared by every replica, so a limit holds however many servers run.

-- ---------------------------------------------------------------------------
-- Per-identifier rate limit: one counter per keyed hash and fixed window
-- ---------------------------------------------------------------------------
create table app.forget_me_limits (
  bucket bytea not null,
  window_start timestamptz not null,
  hits integer not null default 0 check (hits >= 0),
  primary key (bucket, window_start)
);
-- old windows are removed by the service as new ones are counted
create index forget_me_limits_window_idx on app.forget_me_limits (window_start);

alter table app.forget_me_limits enable row level security;
revoke all on app.forget_me_limits from public, anon, authenticated;
grant select, insert, update, delete on app.forget_me_limits to service_role;

-- ---------------------------------------------------------------------------
-- SMS codes proving a phone number (one per public erasure request)
-- ---------------------------------------------------------------------------
create table app.forget_me_codes (
  request_id uuid primary key references public.erasure_requests (id) on delete cascade,
  -- HMAC-SHA256 of the request id and the code: a leaked row does not give the code away
  code_hash bytea not null,
  expires_at timestamptz not null,
  attempts integer not null default 0 check (attempts >= 0),
  consumed_at timestamptz,
  created_at timestamptz not null default now()
);
create index forget_me_codes_expires_idx on app.forget_me_codes (expires_at);

alter table app.forget_me_codes enable row level security;
revoke all on app.forget_me_codes from public, anon, authenticated;
grant select, insert, update, delete on app.forget_me_codes to service_role;
