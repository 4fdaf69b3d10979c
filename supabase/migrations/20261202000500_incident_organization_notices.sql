-- A processor's breach duty (Art. 33(2)): the platform tells each affected
-- organisation (the controller) of a breach without undue delay, and can prove
-- when it did and when the organisation acknowledged.
--
--   * privacy_preferences.privacy_contact_email: the organisation's DPO or
--     privacy contact, told of incidents with its owners.
--   * incident_organizations: one row per organisation an incident names
--     (written by a trigger from security_incidents.affected_org_ids, so an
--     organisation added later gets its row too). `notified_at` is when the
--     platform told the organisation (the incident's own `notified_at` stays
--     "the supervisory authority was told"); the notice job pages every 30
--     minutes until `acknowledged_at` is set.
--   * app.incident_ack_tokens: the keyed hash of each e-mailed
--     acknowledgement link's token (single use, expiring); never the token.

-- ---------------------------------------------------------------------------
-- The organisation's privacy contact
-- ---------------------------------------------------------------------------
alter table public.privacy_preferences add column privacy_contact_email text
  check (privacy_contact_email is null
         or (length(privacy_contact_email) between 3 and 254 and privacy_contact_email ~ '^[^\s@]+@[^\s@]+$'));
grant update (privacy_contact_email) on public.privacy_preferences to authenticated;

-- ---------------------------------------------------------------------------
-- Each organisation an incident names, and what it was told
-- ---------------------------------------------------------------------------
create table public.incident_organizations (
  id uuid primary key default gen_random_uuid(),
  incident_id uuid not null references public.security_incidents (id),
  -- No foreign key: the breach register outlives the organisation (as affected_org_ids does).
  org_id uuid not null,
  added_at timestamptz not null default now(),
  -- when the platform first told the organisation (an e-mail accepted by the mail server)
  notified_at timestamptz,
  last_paged_at timestamptz,
  pages_sent integer not null default 0 check (pages_sent >= 0),
  last_error text,
  -- a notice job's claim while its e-mails are sent, so two replicas never page twice
  claimed_at timestamptz,
  acknowledged_at timestamptz,
  -- the member who acknowledged (api, dashboard); null for the e-mailed link
  acknowledged_by uuid,
  acknowledged_via text check (acknowledged_via in ('api', 'dashboard', 'email_link')),
  unique (incident_id, org_id),
  check ((acknowledged_at is null) = (acknowledged_via is null)),
  check (acknowledged_via is distinct from 'email_link' or acknowledged_by is null)
);
create index incident_organizations_org_idx on public.incident_organizations (org_id, added_at desc);
create index incident_organizations_due_idx on public.incident_organizations (last_paged_at nulls first) where acknowledged_at is null;

-- The record of a notice is never deleted (Art. 33(5)).
create rule prevent_incident_organization_delete as on delete to public.incident_organizations do instead nothing;

alter table public.incident_organizations enable row level security;
revoke all on public.incident_organizations from public, anon, authenticated, service_role;
grant select on public.incident_organizations to authenticated;
grant select, insert, update on public.incident_organizations to service_role;

-- Members read the incidents that name their organisation: what the
-- organisation needs to assess it, not the platform's internal notes, its
-- authority reference, or which other organisations it names.
grant select (id, title, severity, aware_at, detected_at, contained_at, nature, data_categories, approx_subjects, approx_records,
              contact_point, likely_consequences, measures, created_at)
  on public.security_incidents to authenticated;

create or replace function app.incident_organizations_from_incident()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  insert into public.incident_organizations (incident_id, org_id)
  select distinct new.id, o from pg_catalog.unnest(new.affected_org_ids) as o
  on conflict (incident_id, org_id) do nothing;
  return null;
end;
$$;

create trigger security_incidents_organizations after insert or update of affected_org_ids on public.security_incidents
  for each row execute function app.incident_organizations_from_incident();

-- Incidents registered before this migration keep their paging to the DPO only:
-- their organisations were (or were not) told outside this record.

-- ---------------------------------------------------------------------------
-- Acknowledging as an owner or admin (the API and the dashboard, under RLS):
-- the row is the backend's, so the one change a member may make goes through
-- here. The app schema is not exposed by the Data API.
-- ---------------------------------------------------------------------------
create or replace function app.acknowledge_incident(p_incident uuid, p_org uuid, p_at timestamptz, p_via text)
returns boolean
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_count integer;
begin
  if auth.uid() is null or not app.has_org_role(p_org, array['owner', 'admin']) then
    raise exception 'only owners and admins acknowledge incidents' using errcode = '42501';
  end if;
  if p_via not in ('api', 'dashboard') then
    raise exception 'acknowledged through api or dashboard' using errcode = '22023';
  end if;
  update public.incident_organizations
     set acknowledged_at = p_at, acknowledged_by = auth.uid(), acknowledged_via = p_via
   where incident_id = p_incident and org_id = p_org and acknowledged_at is null;
  get diagnostics v_count = row_count;
  return v_count = 1;
end;
$$;

revoke all on function app.incident_organizations_from_incident() from public;
revoke all on function app.acknowledge_incident(uuid, uuid, timestamptz, text) from public;
grant execute on function app.acknowledge_incident(uuid, uuid, timestamptz, text) to authenticated;

insert into app.user_audit_actions (action, target_type) values ('incident.acknowledged', 'security_incident');

-- ---------------------------------------------------------------------------
-- The e-mailed acknowledgement links: only the SHA-256 of each token
-- ---------------------------------------------------------------------------
create table app.incident_ack_tokens (
  token_hash bytea primary key,
  incident_organization_id uuid not null references public.incident_organizations (id),
  expires_at timestamptz not null,
  used_at timestamptz,
  created_at timestamptz not null default now()
);
create index incident_ack_tokens_notice_idx on app.incident_ack_tokens (incident_organization_id);
create index incident_ack_tokens_expires_idx on app.incident_ack_tokens (expires_at);

alter table app.incident_ack_tokens enable row level security;
revoke all on app.incident_ack_tokens from public, anon, authenticated;
grant select, insert, update, delete on app.incident_ack_tokens to service_role;
