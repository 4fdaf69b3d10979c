-- The public /forget-me page offers a caller every right, not only erasure:
--   access (Art. 15): "send me my data", answered with single-use, expiring
--     downloads of the person's export, one per organisation holding data on them;
--   objection (Art. 21): "don't record my calls", a platform-wide do-not-record
--     list kept as a blind index of the caller's number.
-- Both are verified like an erasure (an e-mailed link, or an SMS code) and are
-- only reached by the backend's own connection: RLS is on with no policy and
-- nothing is granted to anon or authenticated.

-- ---------------------------------------------------------------------------
-- Public requests other than erasure (erasures stay in erasure_requests)
-- ---------------------------------------------------------------------------
create table public.privacy_requests (
  id uuid primary key default gen_random_uuid(),
  request_type text not null check (request_type in ('access', 'do_not_record')),
  subject_type text not null check (subject_type in ('email', 'phone')),
  -- The keyed hash (BLIND_INDEX_KEY) of the address or number; cleared once the request closes.
  subject_hash bytea,
  status text not null default 'pending_confirmation' check (status in ('pending_confirmation', 'completed', 'cancelled')),
  received_at timestamptz not null default now(),
  confirmed_at timestamptz,
  -- How many downloads an access request produced (organisations holding data); null otherwise.
  download_count integer check (download_count >= 0),
  created_at timestamptz not null default now(),
  -- An objection to recording is about calls: a phone number only.
  constraint privacy_requests_do_not_record_by_phone check (request_type <> 'do_not_record' or subject_type = 'phone')
);
create index privacy_requests_pending_idx on public.privacy_requests (received_at) where status = 'pending_confirmation';

-- An SMS code may prove a privacy request as well as an erasure request: the
-- code's request id is one or the other (both are random uuids).
alter table app.forget_me_codes drop constraint forget_me_codes_request_id_fkey;

-- ---------------------------------------------------------------------------
-- Access answers: one single-use, expiring download per organisation
-- ---------------------------------------------------------------------------
create table public.access_downloads (
  id uuid primary key default gen_random_uuid(),
  request_id uuid not null references public.privacy_requests (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  -- SHA-256 of the URL's random token: the token itself is never stored.
  token_hash bytea not null unique,
  -- The person's keyed hash, to build the export when the link is opened; cleared once used.
  subject_hash bytea,
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index access_downloads_request_idx on public.access_downloads (request_id);
create index access_downloads_org_idx on public.access_downloads (org_id);
create index access_downloads_expires_idx on public.access_downloads (expires_at);

-- ---------------------------------------------------------------------------
-- The do-not-record list: every organisation, including ones never called
-- ---------------------------------------------------------------------------
create table public.do_not_record_numbers (
  id uuid primary key default gen_random_uuid(),
  -- keyedHash('phone', E.164) under BLIND_INDEX_KEY: the same blind index as calls.from_hash,
  -- so call intake finds it with one unique-index look-up in the statement that stores the call.
  phone_hash bytea not null unique,
  request_id uuid references public.privacy_requests (id) on delete set null,
  created_at timestamptz not null default now()
);
create index do_not_record_numbers_request_idx on public.do_not_record_numbers (request_id);

alter table public.privacy_requests enable row level security;
alter table public.access_downloads enable row level security;
alter table public.do_not_record_numbers enable row level security;
revoke all on public.privacy_requests, public.access_downloads, public.do_not_record_numbers from public, anon, authenticated, service_role;
grant select, insert, update, delete on public.privacy_requests, public.access_downloads, public.do_not_record_numbers to service_role;

-- ---------------------------------------------------------------------------
-- Calls of a number on the list: connected unrecorded, never asked
-- ---------------------------------------------------------------------------
alter table public.calls drop constraint calls_consent_state_check;
alter table public.calls add constraint calls_consent_state_check
  check (consent_state in ('not_required', 'pending', 'given', 'refused', 'withdrawn', 'do_not_record'));

-- ---------------------------------------------------------------------------
-- access.completed: each organisation is told that a person's access request
-- was answered with a download of its data (ids and times only)
-- ---------------------------------------------------------------------------
alter table public.webhook_endpoints drop constraint webhook_endpoints_events_check;
alter table public.webhook_endpoints add constraint webhook_endpoints_events_check
  check (cardinality(events) > 0 and events <@ array['call.completed', 'erasure.completed', 'erasure.partial', 'incident.opened', 'access.completed']);

create or replace function app.webhook_access_completed()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_request public.privacy_requests%rowtype;
begin
  select * into v_request from public.privacy_requests where id = new.request_id;
  perform app.enqueue_webhook_event(new.org_id, 'access.completed', pg_catalog.jsonb_build_object(
    'access_request_id', new.request_id,
    'download_id', new.id,
    'subject_type', v_request.subject_type,
    'received_at', v_request.received_at,
    'completed_at', new.created_at,
    'download_expires_at', new.expires_at));
  return null;
end;
$$;

create trigger access_downloads_webhook_completed after insert on public.access_downloads
  for each row execute function app.webhook_access_completed();

revoke all on function app.webhook_access_completed() from public;
