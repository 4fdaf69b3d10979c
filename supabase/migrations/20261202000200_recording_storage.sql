-- Recordings delivered to the customer's own S3-compatible storage.
--
-- app.recording_storage: one configuration per organisation (owners and admins
-- change it, members read it). The secret access key is stored only encrypted
-- (AES-256-GCM under STORAGE_KEYS, associated data binding it to the
-- organisation) and no user can read even that back: the column is left out of
-- the users' SELECT grant. The table is in the private `app` schema, which the
-- Data API does not expose; the backend reaches it under the user's token.
--
-- app.recording_deliveries: the durable queue of uploads (one per recording),
-- retried with backoff by the recording-deliveries job; written by the backend
-- (service role) only. Twilio's copy is queued for deletion only once the upload
-- is confirmed (provider_deletions reason 'delivered_to_storage').
--
-- provider_deletions gains the provider 'customer_storage' (resource_type
-- 'object'): retention and erasure delete the customer's copy too, with the
-- row as the receipt. A deletion the customer's store refuses (access removed)
-- is recorded there and told to the organisation as `erasure.partial`.

create table app.recording_storage (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  endpoint text not null check (endpoint ~ '^https?://' and length(endpoint) <= 2000),
  region text not null check (length(region) between 1 and 64),
  bucket text not null check (length(bucket) between 3 and 63),
  prefix text not null default '' check (length(prefix) <= 512),
  access_key_id text not null check (length(access_key_id) between 1 and 256),
  force_path_style boolean not null default false,
  -- v1.<kid>.<nonce>.<ciphertext>.<tag> (see src/recording-storage/storage-crypto.ts)
  secret_ciphertext text not null check (secret_ciphertext ~ '^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$'),
  key_id text not null,
  updated_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create trigger recording_storage_touch before update on app.recording_storage
  for each row execute function app.touch_updated_at();

alter table app.recording_storage enable row level security;
revoke all on app.recording_storage from public, anon, authenticated, service_role;
grant select (org_id, endpoint, region, bucket, prefix, access_key_id, force_path_style, key_id, updated_by, created_at, updated_at)
  on app.recording_storage to authenticated;
grant insert (org_id, endpoint, region, bucket, prefix, access_key_id, force_path_style, secret_ciphertext, key_id, updated_by)
  on app.recording_storage to authenticated;
grant update (endpoint, region, bucket, prefix, access_key_id, force_path_style, secret_ciphertext, key_id, updated_by)
  on app.recording_storage to authenticated;
grant delete on app.recording_storage to authenticated;
grant select, insert, update, delete on app.recording_storage to service_role;

create table app.recording_deliveries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  recording_id uuid not null unique references public.recordings (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  -- The step that failed last: never what a store answered.
  last_error text check (last_error in ('config', 'endpoint', 'download', 'upload', 'confirm', 'checksum')),
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index recording_deliveries_due_idx on app.recording_deliveries (next_attempt_at) where status = 'pending';
create index recording_deliveries_org_idx on app.recording_deliveries (org_id);
create index recording_deliveries_failed_idx on app.recording_deliveries (updated_at) where status = 'failed';

create trigger recording_deliveries_touch before update on app.recording_deliveries
  for each row execute function app.touch_updated_at();

alter table app.recording_deliveries enable row level security;
revoke all on app.recording_deliveries from public, anon, authenticated, service_role;
grant select, insert, update, delete on app.recording_deliveries to service_role;

-- Where a delivered recording lives: the object key in the organisation's bucket,
-- the store's ETag and when the upload was confirmed (its SHA-256 is `sha256`).
alter table public.recordings
  add column storage_bucket text,
  add column storage_object_key text,
  add column storage_etag text,
  add column storage_delivered_at timestamptz;

-- The queue: the customer's store as a provider, and the deletion of Twilio's copy after delivery.
alter table public.provider_deletions drop constraint provider_deletions_provider_check;
alter table public.provider_deletions add constraint provider_deletions_provider_check
  check (provider in ('twilio', 'elevenlabs', 'customer_storage'));
alter table public.provider_deletions drop constraint provider_deletions_resource_type_check;
alter table public.provider_deletions add constraint provider_deletions_resource_type_check
  check (resource_type in ('recording', 'conversation', 'agent', 'tool', 'object'));
alter table public.provider_deletions drop constraint provider_deletions_reason_check;
alter table public.provider_deletions add constraint provider_deletions_reason_check
  check (reason in ('no_consent', 'retention', 'erasure', 'call_deleted', 'account_deletion', 'agent_deleted', 'consent_withdrawn',
                    'delivered_to_storage'));

-- A delivered recording deleted by any path (a call deleted through the Data API
-- too) has its object in the customer's bucket queued for deletion as well.
create or replace function app.queue_recording_storage_deletion()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.storage_object_key is not null then
    insert into public.provider_deletions (org_id, provider, resource_type, resource_id, reason)
      values (old.org_id, 'customer_storage', 'object', old.storage_object_key, 'call_deleted')
    on conflict (provider, resource_type, resource_id) do nothing;
  end if;
  return old;
end;
$$;
revoke all on function app.queue_recording_storage_deletion() from public;
create trigger recordings_queue_storage_deletion before delete on public.recordings
  for each row execute function app.queue_recording_storage_deletion();

-- erasure.partial: a deletion in the customer's own store was refused (our access
-- removed, or the configuration deleted). Ids, states and times only.
alter table public.webhook_endpoints drop constraint webhook_endpoints_events_check;
alter table public.webhook_endpoints add constraint webhook_endpoints_events_check
  check (cardinality(events) > 0 and events <@ array['call.completed', 'erasure.completed', 'erasure.partial', 'incident.opened']);

create or replace function app.webhook_erasure_partial()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if new.org_id is not null then
    perform app.enqueue_webhook_event(new.org_id, 'erasure.partial', pg_catalog.jsonb_build_object(
      'erasure_request_id', new.erasure_request_id,
      'reason', new.reason,
      'provider', new.provider,
      'resource_type', new.resource_type,
      'resource_id', new.resource_id,
      'provider_status', new.provider_status,
      'failed_at', pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')));
  end if;
  return null;
end;
$$;
revoke all on function app.webhook_erasure_partial() from public;
create trigger provider_deletions_webhook_erasure_partial after update of status on public.provider_deletions
  for each row when (new.provider = 'customer_storage' and old.status <> 'failed' and new.status = 'failed')
  execute function app.webhook_erasure_partial();

insert into app.user_audit_actions (action, target_type) values
  ('recording_storage.updated', 'organization'),
  ('recording_storage.deleted', 'organization');
