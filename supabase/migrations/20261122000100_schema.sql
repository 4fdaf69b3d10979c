-- The whole schema.
--
-- Every tenant table carries org_id. RLS is enabled on every table in this
-- migration, next to the table, and privileges are written out explicitly:
-- Supabase grants anon/authenticated everything on new public tables by
-- default, plain PostgreSQL grants nothing, so we revoke first and grant only
-- what the policies in supabase/policies/ are written for.
-- Personal data (phone numbers, e-mail addresses) is looked up through keyed
-- hashes (blind indexes, *_hash columns), never by scanning.

create schema if not exists app;
revoke all on schema app from public;
grant usage on schema app to authenticated, service_role;

-- Functions are not executable by everyone unless granted. (A per-schema
-- default can only add to the global one, so this is the global default.)
alter default privileges revoke execute on functions from public;

-- ---------------------------------------------------------------------------
-- Organisations, users, memberships
-- ---------------------------------------------------------------------------
create table public.organizations (
  id uuid primary key default gen_random_uuid(),
  name text not null check (length(name) between 1 and 200),
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table public.users (
  id uuid primary key,
  email text,
  email_hash bytea,
  display_name text,
  created_at timestamptz not null default now(),
  last_seen_at timestamptz
);
create unique index users_email_hash_key on public.users (email_hash);

create table public.memberships (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  role text not null check (role in ('owner', 'admin', 'member')),
  invited_by uuid,
  invited_at timestamptz,
  accepted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (org_id, user_id)
);
create index memberships_user_id_idx on public.memberships (user_id);

create table public.privacy_preferences (
  org_id uuid primary key references public.organizations (id) on delete cascade,
  retention_days integer not null default 30 check (retention_days in (30, 90, 180, 365)),
  dtmf_consent boolean not null default true,
  transcript_encryption boolean not null default false,
  updated_by uuid,
  updated_at timestamptz not null default now()
);

-- ---------------------------------------------------------------------------
-- Agents and phone numbers
-- ---------------------------------------------------------------------------
create table public.agents (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  name text not null check (length(name) between 1 and 200),
  language text not null check (language ~ '^[a-z]{2}(-[a-z]{2})?$'),
  first_message text not null,
  elevenlabs_agent_id text unique,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index agents_org_id_idx on public.agents (org_id);

create table public.phone_numbers (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  agent_id uuid references public.agents (id) on delete set null,
  e164 text not null unique check (e164 ~ '^\+[1-9][0-9]{6,14}$'),
  twilio_sid text,
  created_at timestamptz not null default now()
);
create index phone_numbers_org_id_idx on public.phone_numbers (org_id);
create index phone_numbers_agent_id_idx on public.phone_numbers (agent_id);

-- ---------------------------------------------------------------------------
-- Calls and what hangs off them
-- ---------------------------------------------------------------------------
create table public.calls (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  agent_id uuid references public.agents (id) on delete set null,
  phone_number_id uuid references public.phone_numbers (id) on delete set null,
  twilio_call_sid text not null unique,
  from_number text,
  from_hash bytea,
  to_number text,
  caller_country text,
  direction text not null default 'inbound',
  status text not null default 'ringing',
  consent_state text not null default 'not_required'
    check (consent_state in ('not_required', 'pending', 'given', 'refused')),
  consent_attempts integer not null default 0,
  recording_allowed boolean not null default false,
  elevenlabs_conversation_id text,
  -- the TwiML that connected the call, answered again when Twilio retries a webhook
  answer_twiml text,
  started_at timestamptz not null default now(),
  answered_at timestamptz,
  ended_at timestamptz,
  duration_seconds integer,
  outcome text,
  erased_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index calls_org_id_started_at_idx on public.calls (org_id, started_at desc);
create index calls_from_hash_idx on public.calls (from_hash) where from_hash is not null;
-- set after the call, so an insert does not touch it
create index calls_elevenlabs_conversation_id_idx on public.calls (elevenlabs_conversation_id)
  where elevenlabs_conversation_id is not null;

-- Proof of consent (GDPR Art. 7(1)). Append-only: see the audit migration.
create table public.call_consents (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null,
  call_id uuid,
  twilio_call_sid text not null,
  caller_hash bytea,
  country text,
  prompt_language text not null,
  prompt_version text not null,
  prompt_hash text not null,
  digit text,
  outcome text not null check (outcome in ('given', 'refused', 'no_input', 'invalid')),
  attempt integer not null default 1,
  created_at timestamptz not null default now()
);
create index call_consents_org_id_idx on public.call_consents (org_id, created_at desc);
-- one proof per prompt: Twilio's retries of the same answer do not add rows
create unique index call_consents_call_sid_attempt_key on public.call_consents (twilio_call_sid, attempt);
create index call_consents_caller_hash_idx on public.call_consents (caller_hash);

create table public.leads (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid references public.calls (id) on delete set null,
  name text,
  phone text,
  phone_hash bytea,
  email text,
  email_hash bytea,
  notes text,
  anonymised_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index leads_org_id_idx on public.leads (org_id, created_at desc);
create index leads_phone_hash_idx on public.leads (phone_hash);
create index leads_email_hash_idx on public.leads (email_hash);
create index leads_call_id_idx on public.leads (call_id);

create table public.recordings (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid references public.calls (id) on delete set null,
  twilio_recording_sid text not null unique,
  status text not null,
  duration_seconds integer,
  channels integer,
  sha256 text,
  media_url text,
  deleted_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index recordings_org_id_idx on public.recordings (org_id, created_at);
create index recordings_call_id_idx on public.recordings (call_id);

create table public.transcripts (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  call_id uuid references public.calls (id) on delete set null,
  elevenlabs_conversation_id text,
  content jsonb,
  ciphertext text,
  key_id text,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  check (content is null or ciphertext is null)
);
create unique index transcripts_call_id_key on public.transcripts (call_id);
create index transcripts_org_id_idx on public.transcripts (org_id, created_at);
create index transcripts_key_id_idx on public.transcripts (key_id) where key_id is not null;

-- ---------------------------------------------------------------------------
-- Data-subject requests
-- ---------------------------------------------------------------------------
create table public.erasure_requests (
  id uuid primary key default gen_random_uuid(),
  -- null: a public request that applies to every organisation
  org_id uuid references public.organizations (id) on delete set null,
  source text not null check (source in ('public', 'dashboard', 'account_deletion')),
  subject_type text not null check (subject_type in ('email', 'phone', 'organization')),
  subject_hash bytea,
  -- where the completion notice goes; cleared once the request is closed
  contact_email text,
  status text not null default 'pending_confirmation'
    check (status in ('pending_confirmation', 'confirmed', 'in_progress', 'completed', 'flagged', 'cancelled')),
  requested_by uuid,
  received_at timestamptz not null default now(),
  confirmed_at timestamptz,
  due_at timestamptz not null,
  extended_until timestamptz,
  extension_reason text,
  extension_notified_at timestamptz,
  completed_at timestamptz,
  completion_notified_at timestamptz,
  flagged_at timestamptz,
  flag_reason text,
  due_soon_paged_at timestamptz,
  counts jsonb not null default '{}'::jsonb,
  receipts jsonb not null default '[]'::jsonb,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index erasure_requests_org_id_idx on public.erasure_requests (org_id, received_at desc);
create index erasure_requests_status_idx on public.erasure_requests (status, due_at);
create index erasure_requests_subject_hash_idx on public.erasure_requests (subject_hash);

create table public.exports (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  requested_by uuid,
  subject_type text not null check (subject_type in ('email', 'phone', 'organization')),
  subject_hash bytea,
  counts jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now()
);
create index exports_org_id_idx on public.exports (org_id, created_at desc);

-- ---------------------------------------------------------------------------
-- Operator support access
-- ---------------------------------------------------------------------------
create table public.impersonations (
  id uuid primary key default gen_random_uuid(),
  operator_id uuid not null,
  target_user_id uuid not null references public.users (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  reason text not null check (length(reason) between 10 and 1000),
  started_at timestamptz not null default now(),
  expires_at timestamptz not null,
  ended_at timestamptz
);
create index impersonations_operator_idx on public.impersonations (operator_id, started_at desc);

-- ---------------------------------------------------------------------------
-- Accountability
-- ---------------------------------------------------------------------------
create table public.security_incidents (
  id uuid primary key default gen_random_uuid(),
  title text not null,
  severity text not null check (severity in ('low', 'medium', 'high', 'critical')),
  description text not null default '',
  affected_org_ids uuid[] not null default '{}',
  aware_at timestamptz,
  detected_at timestamptz not null,
  contained_at timestamptz,
  notified_at timestamptz,
  authority_reference text,
  nature text,
  data_categories text[],
  approx_subjects integer,
  approx_records integer,
  contact_point text,
  likely_consequences text,
  measures text,
  delay_reason text,
  art34_required boolean,
  art34_exemption text,
  last_paged_at timestamptz,
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index security_incidents_open_idx on public.security_incidents (detected_at) where notified_at is null;

create table public.subprocessors (
  id uuid primary key default gen_random_uuid(),
  name text not null unique,
  purpose text not null,
  data_categories text[] not null default '{}',
  region text not null,
  role text not null,
  safeguards text not null,
  status text not null default 'announced' check (status in ('announced', 'live', 'retired')),
  announced_at timestamptz not null default now(),
  effective_at timestamptz not null,
  created_at timestamptz not null default now(),
  check (effective_at >= announced_at)
);

create table public.subprocessor_notices (
  id uuid primary key default gen_random_uuid(),
  subprocessor_id uuid not null references public.subprocessors (id) on delete cascade,
  org_id uuid not null references public.organizations (id) on delete cascade,
  user_id uuid not null references public.users (id) on delete cascade,
  status text not null default 'pending' check (status in ('pending', 'sent', 'failed')),
  attempts integer not null default 0,
  last_error text,
  sent_at timestamptz,
  objected_at timestamptz,
  objection_reason text,
  objection_resolved_at timestamptz,
  created_at timestamptz not null default now(),
  unique (subprocessor_id, org_id, user_id)
);
create index subprocessor_notices_org_idx on public.subprocessor_notices (org_id);

create table public.job_runs (
  id uuid primary key default gen_random_uuid(),
  job_name text not null,
  slot timestamptz not null,
  claimed_by text not null,
  status text not null default 'running' check (status in ('running', 'succeeded', 'failed')),
  started_at timestamptz not null default now(),
  finished_at timestamptz,
  counts jsonb not null default '{}'::jsonb,
  error text,
  unique (job_name, slot)
);
create index job_runs_name_started_idx on public.job_runs (job_name, started_at desc);

-- ---------------------------------------------------------------------------
-- Row-level security on every table (policies: supabase/policies/)
-- ---------------------------------------------------------------------------
alter table public.organizations enable row level security;
alter table public.users enable row level security;
alter table public.memberships enable row level security;
alter table public.privacy_preferences enable row level security;
alter table public.agents enable row level security;
alter table public.phone_numbers enable row level security;
alter table public.calls enable row level security;
alter table public.call_consents enable row level security;
alter table public.leads enable row level security;
alter table public.recordings enable row level security;
alter table public.transcripts enable row level security;
alter table public.erasure_requests enable row level security;
alter table public.exports enable row level security;
alter table public.impersonations enable row level security;
alter table public.security_incidents enable row level security;
alter table public.subprocessors enable row level security;
alter table public.subprocessor_notices enable row level security;
alter table public.job_runs enable row level security;

-- ---------------------------------------------------------------------------
-- Privileges: nothing by default, then exactly what the policies expect
-- ---------------------------------------------------------------------------
-- Table by table: the customer's own tables in public keep their grants.
revoke all on
  public.organizations, public.users, public.memberships, public.privacy_preferences,
  public.agents, public.phone_numbers, public.calls, public.call_consents, public.leads,
  public.recordings, public.transcripts, public.erasure_requests, public.exports,
  public.impersonations, public.security_incidents, public.subprocessors,
  public.subprocessor_notices, public.job_runs
  from public, anon, authenticated, service_role;

grant select, update on public.organizations to authenticated;
-- a user may create their own row and keep their display name; the e-mail
-- address and its keyed hash come from sign-in, not from the user
grant select, insert on public.users to authenticated;
grant update (display_name, last_seen_at) on public.users to authenticated;
grant select, insert, update, delete on public.memberships to authenticated;
grant select, update on public.privacy_preferences to authenticated;
grant select, insert, update, delete on public.agents to authenticated;
grant select, insert, update, delete on public.phone_numbers to authenticated;
-- calls, leads and recordings are written by webhooks (service role); users read and delete
grant select, delete on public.calls to authenticated;
grant select on public.call_consents to authenticated;
grant select, delete on public.leads to authenticated;
grant select, delete on public.recordings to authenticated;
grant select, delete on public.transcripts to authenticated;
grant select, insert on public.erasure_requests to authenticated;
grant select, insert on public.exports to authenticated;
grant select on public.impersonations to authenticated;
grant select on public.subprocessors to anon, authenticated;
grant select on public.subprocessor_notices to authenticated;
-- owners object; whether an objection is resolved is the operator's to say
grant update (objected_at, objection_reason) on public.subprocessor_notices to authenticated;

-- service_role: the backend's cross-organisation work (webhooks, jobs, operators).
grant select, insert, update, delete on
  public.organizations, public.users, public.memberships, public.privacy_preferences,
  public.agents, public.phone_numbers, public.calls, public.leads, public.recordings,
  public.transcripts, public.erasure_requests, public.exports, public.impersonations,
  public.security_incidents, public.subprocessors, public.subprocessor_notices, public.job_runs
  to service_role;
grant select, insert on public.call_consents to service_role;
