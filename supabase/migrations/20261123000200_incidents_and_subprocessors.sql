-- The breach register's history and paging record, sub-processor objections.

-- ---------------------------------------------------------------------------
-- Security incidents (Art. 33(5)): every change to an incident is appended
-- here; the incident row holds the current state. Append-only like the audit log.
-- ---------------------------------------------------------------------------
create table public.security_incident_events (
  id uuid primary key default gen_random_uuid(),
  incident_id uuid not null,
  actor_id uuid,
  kind text not null check (kind in ('created', 'updated', 'notified')),
  changes jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index security_incident_events_incident_idx on public.security_incident_events (incident_id, created_at);

create rule prevent_incident_event_update as on update to public.security_incident_events do instead nothing;
create rule prevent_incident_event_delete as on delete to public.security_incident_events do instead nothing;
create trigger prevent_incident_event_truncate
  before truncate on public.security_incident_events
  for each statement execute function app.refuse_truncate();

-- Incidents are never deleted: notified or not, they stay in the register.
create rule prevent_incident_delete as on delete to public.security_incidents do instead nothing;

-- Each page to the DPO: when, to whom, and what happened.
create table public.incident_pages (
  id uuid primary key default gen_random_uuid(),
  incident_id uuid not null references public.security_incidents (id),
  recipient text not null,
  result text not null check (result in ('sent', 'failed')),
  error text,
  hours_left numeric(8, 2) not null,
  paged_at timestamptz not null default now()
);
create index incident_pages_incident_idx on public.incident_pages (incident_id, paged_at desc);

alter table public.security_incident_events enable row level security;
alter table public.incident_pages enable row level security;
revoke all on public.security_incident_events, public.incident_pages from public, anon, authenticated, service_role;
grant select, insert on public.security_incident_events, public.incident_pages to service_role;

-- ---------------------------------------------------------------------------
-- Sub-processor notices: a claim while an e-mail is being sent, so two
-- replicas never send the same notice.
-- ---------------------------------------------------------------------------
alter table public.subprocessor_notices drop constraint subprocessor_notices_status_check;
alter table public.subprocessor_notices add constraint subprocessor_notices_status_check
  check (status in ('pending', 'sending', 'sent', 'failed'));
alter table public.subprocessor_notices add column claimed_at timestamptz;
alter table public.subprocessors add column updated_at timestamptz not null default now();

-- The sub-processors this product uses, in their EU regions.
insert into public.subprocessors (name, purpose, data_categories, region, role, safeguards, status, announced_at, effective_at)
values
  ('Supabase', 'Database hosting (PostgreSQL) and sign-in',
   array['account data', 'call metadata', 'transcripts', 'leads', 'audit log'], 'EU (Frankfurt, eu-central-1)', 'processor',
   'Data processing agreement (Art. 28); data stored in the EU; encryption at rest and in transit', 'live', '2026-01-01', '2026-01-01'),
  ('Twilio Ireland Limited', 'Telephony: carrying calls, call recordings, SMS verification codes',
   array['phone numbers', 'call audio', 'call recordings', 'SMS content'], 'EU (Ireland, ie1 / Dublin edge)', 'processor',
   'Data processing addendum (Art. 28); EU region ie1; Binding Corporate Rules', 'live', '2026-01-01', '2026-01-01'),
  ('ElevenLabs', 'AI voice agent: speech recognition, conversation and speech synthesis',
   array['call audio', 'transcripts', 'phone numbers'], 'EU (EU data residency)', 'processor',
   'Data processing agreement (Art. 28); EU data residency; retention set per organisation', 'live', '2026-01-01', '2026-01-01'),
  ('E-mail delivery provider (SMTP)', 'Sending sign-in links, confirmations and notices',
   array['e-mail addresses', 'message content'], 'EU', 'processor',
   'Data processing agreement (Art. 28); EU data centres', 'live', '2026-01-01', '2026-01-01')
on conflict (name) do nothing;
