-- Deletions at Twilio and ElevenLabs, as a durable queue.
--
-- Every deletion we owe a provider (a recording, a conversation, an agent) is
-- written here in the same transaction as the decision that causes it, then
-- worked by the provider-deletions job: claimed with FOR UPDATE SKIP LOCKED,
-- retried with exponential backoff on 5xx and timeouts, done on 2xx or 404.
-- A provider outage delays a deletion; it never loses it. Each row is the
-- receipt: when it was done and what the provider answered.

create table public.provider_deletions (
  id uuid primary key default gen_random_uuid(),
  org_id uuid,
  provider text not null check (provider in ('twilio', 'elevenlabs')),
  resource_type text not null check (resource_type in ('recording', 'conversation', 'agent')),
  resource_id text not null,
  reason text not null check (reason in ('no_consent', 'retention', 'erasure', 'call_deleted', 'account_deletion', 'agent_deleted')),
  erasure_request_id uuid references public.erasure_requests (id) on delete set null,
  status text not null default 'pending' check (status in ('pending', 'done', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_error text,
  provider_status integer,
  done_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (provider, resource_type, resource_id)
);
create index provider_deletions_due_idx on public.provider_deletions (next_attempt_at) where status = 'pending';
create index provider_deletions_erasure_idx on public.provider_deletions (erasure_request_id);
create index provider_deletions_org_idx on public.provider_deletions (org_id);

create trigger provider_deletions_touch before update on public.provider_deletions
  for each row execute function app.touch_updated_at();

alter table public.provider_deletions enable row level security;
revoke all on public.provider_deletions from public, anon, authenticated, service_role;
grant select, insert, update on public.provider_deletions to service_role;
-- Owners and admins may read their organisation's receipts.
grant select on public.provider_deletions to authenticated;
