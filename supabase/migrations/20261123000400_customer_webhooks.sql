-- Outgoing webhooks: an organisation registers HTTPS endpoints and receives
-- `call.completed`, `erasure.completed` and `incident.opened` events, signed
-- per the Standard Webhooks scheme (HMAC-SHA256 over id.timestamp.body).
--
-- Events are written as deliveries (one per subscribed endpoint) by triggers in
-- the same transaction as the change they report, so no path that completes a
-- call, an erasure or opens an incident can forget one (an outbox). The
-- webhook-deliveries job sends them, with retries and exponential backoff.
-- Payloads carry ids, states and times only, never personal data.

create table public.webhook_endpoints (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  url text not null check (url ~ '^https?://' and length(url) <= 2000),
  events text[] not null
    check (cardinality(events) > 0 and events <@ array['call.completed', 'erasure.completed', 'incident.opened']),
  description text not null default '' check (length(description) <= 200),
  -- The signing secret ("whsec_" + base64). Shown to the user once, when the
  -- endpoint is created; readable by the service role only (column grants below).
  secret text not null check (secret ~ '^whsec_[A-Za-z0-9+/=]{32,}$'),
  created_by uuid,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);
create index webhook_endpoints_org_idx on public.webhook_endpoints (org_id);

create trigger webhook_endpoints_touch before update on public.webhook_endpoints
  for each row execute function app.touch_updated_at();

create table public.webhook_deliveries (
  id uuid primary key default gen_random_uuid(),
  org_id uuid not null references public.organizations (id) on delete cascade,
  endpoint_id uuid not null references public.webhook_endpoints (id) on delete cascade,
  -- The event: one id per event, the same for every endpoint and every retry
  -- (the receiver's key for ignoring a duplicate).
  event_id uuid not null,
  event_type text not null,
  payload jsonb not null,
  status text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
  attempts integer not null default 0,
  next_attempt_at timestamptz not null default now(),
  last_status integer,
  last_error text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (endpoint_id, event_id)
);
create index webhook_deliveries_due_idx on public.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_endpoint_idx on public.webhook_deliveries (endpoint_id, created_at desc);
create index webhook_deliveries_org_idx on public.webhook_deliveries (org_id);
-- history past DELIVERY_HISTORY_DAYS is pruned by the delivery job
create index webhook_deliveries_history_idx on public.webhook_deliveries (created_at) where status <> 'pending';

create trigger webhook_deliveries_touch before update on public.webhook_deliveries
  for each row execute function app.touch_updated_at();

-- The organisations an erasure touched (a public request names none itself).
alter table public.erasure_requests add column affected_org_ids uuid[] not null default '{}';

-- ---------------------------------------------------------------------------
-- The outbox
-- ---------------------------------------------------------------------------
create or replace function app.enqueue_webhook_event(p_org uuid, p_type text, p_data jsonb)
returns void
language plpgsql security definer
set search_path = ''
as $$
declare
  v_event uuid := pg_catalog.gen_random_uuid();
begin
  insert into public.webhook_deliveries (org_id, endpoint_id, event_id, event_type, payload)
    select e.org_id, e.id, v_event, p_type,
           pg_catalog.jsonb_build_object(
             'id', v_event,
             'type', p_type,
             'created_at', pg_catalog.to_char(pg_catalog.now() at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
             'org_id', p_org,
             'data', p_data)
    from public.webhook_endpoints e
    where e.org_id = p_org and p_type = any (e.events);
end;
$$;

-- call.completed: the call reached its end (Twilio's final status).
create or replace function app.webhook_call_completed()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  perform app.enqueue_webhook_event(new.org_id, 'call.completed', pg_catalog.jsonb_build_object(
    'call_id', new.id,
    'agent_id', new.agent_id,
    'status', new.status,
    'outcome', new.outcome,
    'caller_country', new.caller_country,
    'consent_state', new.consent_state,
    'recording_allowed', new.recording_allowed,
    'started_at', new.started_at,
    'ended_at', new.ended_at,
    'duration_seconds', new.duration_seconds));
  return null;
end;
$$;

create trigger calls_webhook_completed after update of ended_at on public.calls
  for each row when (old.ended_at is null and new.ended_at is not null)
  execute function app.webhook_call_completed();

-- erasure.completed: told to the requesting organisation, or for a public
-- request to each organisation it found data in.
create or replace function app.webhook_erasure_completed()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  for v_org in
    select distinct o from pg_catalog.unnest(
      case when new.org_id is null then new.affected_org_ids else pg_catalog.array_append(new.affected_org_ids, new.org_id) end) as o
  loop
    perform app.enqueue_webhook_event(v_org, 'erasure.completed', pg_catalog.jsonb_build_object(
      'erasure_request_id', new.id,
      'source', new.source,
      'subject_type', new.subject_type,
      'received_at', new.received_at,
      'completed_at', new.completed_at));
  end loop;
  return null;
end;
$$;

create trigger erasure_requests_webhook_completed_insert after insert on public.erasure_requests
  for each row when (new.status = 'completed')
  execute function app.webhook_erasure_completed();
create trigger erasure_requests_webhook_completed after update of status on public.erasure_requests
  for each row when (old.status <> 'completed' and new.status = 'completed')
  execute function app.webhook_erasure_completed();

-- incident.opened: to each affected organisation, when the incident is
-- registered or when an organisation is added to it later.
create or replace function app.webhook_incident_opened()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_org uuid;
begin
  for v_org in
    select distinct o from pg_catalog.unnest(new.affected_org_ids) as o
    where tg_op = 'INSERT' or not (o = any (old.affected_org_ids))
  loop
    perform app.enqueue_webhook_event(v_org, 'incident.opened', pg_catalog.jsonb_build_object(
      'incident_id', new.id,
      'severity', new.severity,
      'detected_at', new.detected_at,
      'data_categories', new.data_categories));
  end loop;
  return null;
end;
$$;

create trigger security_incidents_webhook_opened after insert or update of affected_org_ids on public.security_incidents
  for each row execute function app.webhook_incident_opened();

revoke all on function app.enqueue_webhook_event(uuid, text, jsonb) from public;
revoke all on function app.webhook_call_completed() from public;
revoke all on function app.webhook_erasure_completed() from public;
revoke all on function app.webhook_incident_opened() from public;

-- ---------------------------------------------------------------------------
-- Privileges (policies in supabase/policies/040_webhooks.sql)
-- ---------------------------------------------------------------------------
alter table public.webhook_endpoints enable row level security;
alter table public.webhook_deliveries enable row level security;
revoke all on public.webhook_endpoints, public.webhook_deliveries from public, anon, authenticated, service_role;

-- Owners and admins manage endpoints; the secret is written once and never read back.
grant select (id, org_id, url, events, description, created_by, created_at, updated_at) on public.webhook_endpoints to authenticated;
grant insert (org_id, url, events, description, secret, created_by) on public.webhook_endpoints to authenticated;
grant update (url, events, description) on public.webhook_endpoints to authenticated;
grant delete on public.webhook_endpoints to authenticated;
grant select on public.webhook_deliveries to authenticated;

grant select, insert, update, delete on public.webhook_endpoints, public.webhook_deliveries to service_role;
