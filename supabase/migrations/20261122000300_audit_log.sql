-- The audit log, and the append-only proof of consent.
--
-- audit_logs is append-only three ways: the rules prevent_audit_update and
-- prevent_audit_delete turn UPDATE and DELETE into nothing, a statement trigger
-- refuses TRUNCATE, and no application role holds UPDATE, DELETE or TRUNCATE.
-- A superuser can still go around all three, so each organisation's rows form
-- a hash chain (row_hash covers the row and the previous row's hash) that
-- `npm run audit:verify` recomputes.
--
-- Rows hold ids and keyed hashes only, never raw personal data: they can never
-- be erased. There is deliberately no foreign key to organizations: the log
-- outlives the organisation, and rules break cascading deletes.

create table public.audit_logs (
  id uuid primary key default gen_random_uuid(),
  -- the organisation's chain; the nil uuid for platform-wide events
  chain_key uuid not null,
  chain_index bigint not null,
  org_id uuid,
  actor_type text not null default 'user' check (actor_type in ('user', 'operator', 'system', 'provider', 'public')),
  actor_id uuid,
  acting_as_id uuid,
  action text not null check (action ~ '^[a-z][a-z0-9_.]*$'),
  target_type text,
  target_id text,
  request_id text,
  ip text,
  metadata jsonb not null default '{}'::jsonb,
  created_at timestamptz not null default now(),
  prev_hash text,
  row_hash text not null default '',
  unique (chain_key, chain_index)
);

-- The content a row's hash covers, in a fixed order and format.
create or replace function app.audit_row_hash(a public.audit_logs)
returns text
language sql stable
set search_path = ''
as $$
  -- A JSON array: unambiguous field boundaries, null distinct from any string.
  select encode(pg_catalog.sha256(convert_to(pg_catalog.jsonb_build_array(
    a.id,
    a.chain_key,
    a.chain_index,
    a.org_id,
    a.actor_type,
    a.actor_id,
    a.acting_as_id,
    a.action,
    a.target_type,
    a.target_id,
    a.request_id,
    a.ip,
    a.metadata,
    to_char(a.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US'),
    a.prev_hash
  )::text, 'UTF8')), 'hex')
$$;

-- Links each new row to the end of its organisation's chain. Serialised per
-- chain with a transaction-scoped advisory lock so concurrent writers cannot
-- fork it; security definer because the writer may not see earlier rows.
create or replace function app.audit_chain_link()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_prev record;
begin
  new.chain_key := coalesce(new.org_id, '00000000-0000-0000-0000-000000000000'::uuid);
  perform pg_catalog.pg_advisory_xact_lock(7301, pg_catalog.hashtext(new.chain_key::text));
  select chain_index, row_hash into v_prev
    from public.audit_logs
    where chain_key = new.chain_key
    order by chain_index desc
    limit 1;
  new.chain_index := coalesce(v_prev.chain_index, 0) + 1;
  new.prev_hash := v_prev.row_hash;
  new.created_at := now();
  new.row_hash := app.audit_row_hash(new);
  return new;
end
$$;

create trigger audit_logs_chain
  before insert on public.audit_logs
  for each row execute function app.audit_chain_link();

create rule prevent_audit_update as on update to public.audit_logs do instead nothing;
create rule prevent_audit_delete as on delete to public.audit_logs do instead nothing;

create or replace function app.refuse_truncate()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  raise exception '% is append-only: TRUNCATE is not allowed', tg_table_name
    using errcode = '42501';
end
$$;

create trigger prevent_audit_truncate
  before truncate on public.audit_logs
  for each statement execute function app.refuse_truncate();

alter table public.audit_logs enable row level security;
revoke all on public.audit_logs from public, anon, authenticated, service_role;
grant select, insert on public.audit_logs to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Proof of consent: append-only like the audit log. The one change allowed is
-- erasure of the caller's keyed hash (and recording when that happened), so a
-- consent record survives an erasure request without pointing at the person.
-- ---------------------------------------------------------------------------
alter table public.call_consents add column erased_at timestamptz;

create rule prevent_consent_update as on update to public.call_consents
  where (new.id, new.org_id, new.call_id, new.twilio_call_sid, new.country, new.prompt_language,
         new.prompt_version, new.prompt_hash, new.digit, new.outcome, new.attempt, new.created_at)
        is distinct from
        (old.id, old.org_id, old.call_id, old.twilio_call_sid, old.country, old.prompt_language,
         old.prompt_version, old.prompt_hash, old.digit, old.outcome, old.attempt, old.created_at)
     or new.caller_hash is not null and new.caller_hash is distinct from old.caller_hash
     or new.erased_at is null and old.erased_at is not null
  do instead nothing;
create rule prevent_consent_delete as on delete to public.call_consents do instead nothing;

create trigger prevent_consent_truncate
  before truncate on public.call_consents
  for each statement execute function app.refuse_truncate();

-- Erasure is the service role's job, and only through this narrow grant.
grant update (caller_hash, erased_at) on public.call_consents to service_role;

revoke execute on function app.audit_row_hash(public.audit_logs), app.audit_chain_link(), app.refuse_truncate() from public;
grant execute on function app.audit_row_hash(public.audit_logs) to service_role;
