-- Every invariant in the database, not only in our routes.
--
-- On Supabase every signed-in user reaches every table in `public` directly
-- through the Data API (PostgREST) with their own token: PostgREST switches to
-- the `authenticated` (or `anon`) role, sets request.jwt.claims and runs the
-- INSERT, UPDATE or DELETE the client sent. So what a user may write is
-- limited here, by column grants, policies (supabase/policies/), foreign keys
-- and triggers, to what the product's own routes write:
--
--   * users: a user no longer creates their own row. The backend creates it on
--     the first request, on its own connection, with the e-mail address from
--     the verified token and its keyed hash (a key only the backend holds).
--     A user who could insert their row could claim anybody's address, and an
--     invitation to that address would make them the member.
--   * audit_logs: rows written as a user carry one of the product's actions
--     with its target type, ids, and no e-mail address or phone number
--     (app.may_append_audit; audit rows can never be erased).
--   * phone_numbers.agent_id: the agent belongs to the number's organisation
--     (a composite foreign key), and no user moves a row to another organisation.
--   * erasure_requests: a user files only what the dashboard route files; the
--     state, dates and contact address are the backend's.
--   * webhook_endpoints.url: checked on every write (app.webhook_url_refusal),
--     with the rules of src/webhooks/endpoint-url.ts.

-- ---------------------------------------------------------------------------
-- users: created by the backend only (policy dropped in supabase/policies/010_tenancy.sql)
-- ---------------------------------------------------------------------------
drop policy if exists "Users can create their own row" on public.users;
revoke insert on public.users from authenticated, anon;

-- ---------------------------------------------------------------------------
-- Column grants: what the routes write, and nothing that moves a row to
-- another organisation, or sets what the backend or a trigger owns.
-- (A table-level REVOKE also removes earlier column grants.)
-- ---------------------------------------------------------------------------
revoke update on public.organizations from authenticated;
grant update (name) on public.organizations to authenticated;
-- the organisation's country, where that column exists, is the owners' and admins' too
do $$
begin
  if exists (select 1 from pg_catalog.pg_attribute
             where attrelid = 'public.organizations'::regclass and attname = 'country' and not attisdropped) then
    execute 'grant update (country) on public.organizations to authenticated';
  end if;
end
$$;

revoke insert, update on public.memberships from authenticated;
grant insert (org_id, user_id, role, invited_by, invited_at) on public.memberships to authenticated;
grant update (role) on public.memberships to authenticated;

revoke update on public.privacy_preferences from authenticated;
grant update (retention_days, dtmf_consent, transcript_encryption, updated_by) on public.privacy_preferences to authenticated;

revoke insert, update on public.agents from authenticated;
grant insert (id, org_id, name, language, first_message, elevenlabs_agent_id, created_by) on public.agents to authenticated;
grant update (name, language, first_message, elevenlabs_agent_id) on public.agents to authenticated;

revoke insert, update on public.phone_numbers from authenticated;
grant insert (id, org_id, agent_id, e164) on public.phone_numbers to authenticated;
grant update (agent_id) on public.phone_numbers to authenticated;

revoke insert on public.exports from authenticated;
grant insert (org_id, requested_by, subject_type, subject_hash, counts) on public.exports to authenticated;

-- The dashboard route files (org_id, source, subject_type, subject_hash, status,
-- requested_by, confirmed_at, due_at); the policy pins their values. The contact
-- address, the outcome and every later date are the backend's.
revoke insert on public.erasure_requests from authenticated;
grant insert (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
  on public.erasure_requests to authenticated;

-- The chain columns and the time are set by the chain trigger.
revoke insert on public.audit_logs from authenticated;
grant insert (id, org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id, request_id, ip, metadata)
  on public.audit_logs to authenticated;

-- ---------------------------------------------------------------------------
-- A phone number's agent is in the number's organisation
-- ---------------------------------------------------------------------------
-- (detach any number that points across organisations today, so the key can be added)
update public.phone_numbers n set agent_id = null
  from public.agents a
  where a.id = n.agent_id and a.org_id <> n.org_id;

alter table public.agents add constraint agents_id_org_id_key unique (id, org_id);
alter table public.phone_numbers drop constraint if exists phone_numbers_agent_id_fkey;
alter table public.phone_numbers add constraint phone_numbers_agent_same_org_fkey
  foreign key (agent_id, org_id) references public.agents (id, org_id) on delete set null (agent_id);
-- the key's columns lead the index (deleting an agent looks its numbers up by both)
create index phone_numbers_agent_id_org_id_idx on public.phone_numbers (agent_id, org_id);
drop index if exists public.phone_numbers_agent_id_idx;

-- ---------------------------------------------------------------------------
-- Audit rows written as a user
-- ---------------------------------------------------------------------------

-- The actions the product writes on a user's behalf (in the user's transaction,
-- under RLS), each with the type of its target; null for anything else. A new
-- audited user action is added here.
create or replace function app.user_audit_target_type(p_action text)
returns text
language sql immutable
set search_path = ''
as $$
  select case p_action
    when 'organization.created' then 'organization'
    when 'privacy_preferences.updated' then 'organization'
    when 'member.invited' then 'user'
    when 'member.role_changed' then 'user'
    when 'member.removed' then 'user'
    when 'agent.created' then 'agent'
    when 'agent.updated' then 'agent'
    when 'agent.deleted' then 'agent'
    when 'call.read' then 'call'
    when 'call.deleted' then 'call'
    when 'erasure.requested' then 'erasure_request'
    when 'export.created' then 'export'
    when 'webhook_endpoint.created' then 'webhook_endpoint'
    when 'webhook_endpoint.deleted' then 'webhook_endpoint'
    when 'subprocessor.objected' then 'subprocessor'
  end
$$;

-- True when the text holds something that looks like an e-mail address or a
-- phone number: the rule of assertNoPersonalData in src/audit/audit.ts (ids,
-- SHA-256 hex and timestamps are taken out first; they may look like digit runs).
create or replace function app.has_personal_data(p_text text)
returns boolean
language sql immutable
set search_path = ''
as $$
  select v ~ '[^[:space:]@]+@[^[:space:]@]+\.[^[:space:]@]+'
      or v ~ '\+[0-9][0-9[:space:]().-]{6,}[0-9]'
      or v ~ '(^|[^0-9])[0-9]{9,15}([^0-9]|$)'
  from (select pg_catalog.regexp_replace(p_text,
          '\y[0-9a-f]{64}\y|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9]{4}-[0-9]{2}-[0-9]{2}(T[0-9:.]+Z?)?',
          ' ', 'gi') as v) s
$$;

-- The check behind "Users can append audit rows about their own actions": the
-- actor rule of the audit_append_check migration (as themselves, or while an
-- operator impersonates them as that operator acting as them, in their own
-- organisation), and now also what the row says: one of the product's actions
-- with its target type, a uuid target, the request id and network prefix in
-- the shapes the backend writes, and small metadata without personal data.
drop policy if exists "Users can append audit rows about their own actions" on public.audit_logs;
drop function if exists app.may_append_audit(uuid, text, uuid, uuid);

create or replace function app.may_append_audit(
  p_org_id uuid, p_actor_type text, p_actor_id uuid, p_acting_as_id uuid,
  p_action text, p_target_type text, p_target_id text, p_request_id text, p_ip text, p_metadata jsonb)
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
  -- as auth.uid(): the sub claim, from either form PostgREST sets
  v_uid uuid := coalesce(nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''), v_claims ->> 'sub')::uuid;
  -- as app.impersonator_id()
  v_operator uuid := nullif(v_claims ->> 'impersonator_id', '')::uuid;
  v_target_type text := app.user_audit_target_type(p_action);
  v_metadata text;
begin
  if p_org_id is null or v_uid is null then
    return false;
  end if;
  if v_operator is null then
    if p_actor_type is distinct from 'user' or p_actor_id is distinct from v_uid or p_acting_as_id is not null then
      return false;
    end if;
  elsif p_actor_type is distinct from 'operator' or p_actor_id is distinct from v_operator or p_acting_as_id is distinct from v_uid then
    return false;
  end if;
  if v_target_type is null or p_target_type is distinct from v_target_type
     or p_target_id is null or p_target_id !~ '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
     or (p_request_id is not null and p_request_id !~ '^[A-Za-z0-9._-]{8,64}$')
     or (p_ip is not null and p_ip !~ '^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.0/24$' and p_ip !~* '^[0-9a-f]{1,4}:[0-9a-f]{1,4}:[0-9a-f]{1,4}::/48$')
  then
    return false;
  end if;
  v_metadata := p_metadata::text;
  if p_metadata is null or pg_catalog.jsonb_typeof(p_metadata) <> 'object' or pg_catalog.length(v_metadata) > 2000
     or app.has_personal_data(v_metadata) then
    return false;
  end if;
  return exists (select 1 from public.memberships m where m.org_id = p_org_id and m.user_id = v_uid);
end
$$;

revoke all on function app.user_audit_target_type(text) from public;
revoke all on function app.has_personal_data(text) from public;
revoke all on function app.may_append_audit(uuid, text, uuid, uuid, text, text, text, text, text, jsonb) from public;
grant execute on function app.may_append_audit(uuid, text, uuid, uuid, text, text, text, text, text, jsonb) to authenticated;

-- ---------------------------------------------------------------------------
-- Webhook endpoint URLs, on every write
-- ---------------------------------------------------------------------------

-- Why an address may not receive webhooks (null: a public unicast address).
-- The same ranges as isPublicAddress in src/webhooks/endpoint-url.ts: an IPv4
-- address outside the special-purpose ranges; an IPv4-mapped IPv6 address as
-- its IPv4 address; any other IPv6 address only in global unicast 2000::/3,
-- outside its special-purpose blocks (so also no IPv4-compatible ::a.b.c.d,
-- NAT64, 6to4 or Teredo address, which lead to IPv4 addresses).
create or replace function app.webhook_address_refusal(p_ip inet)
returns text
language plpgsql immutable
set search_path = ''
as $$
declare
  v_ip inet := p_ip;
begin
  if pg_catalog.family(v_ip) = 6 then
    if v_ip <<= '::ffff:0:0/96'::inet then
      v_ip := '0.0.0.0'::inet + (v_ip - '::ffff:0.0.0.0'::inet);
    elsif not (v_ip <<= '2000::/3'::inet)
          or v_ip <<= any (array['2001::/23', '2001:db8::/32', '2002::/16', '2620:4f:8000::/48', '3fff::/20']::inet[]) then
      return 'the address is not a public one (loopback, private, link-local, unique-local, reserved or special-purpose)';
    else
      return null;
    end if;
  end if;
  if v_ip <<= any (array[
       '0.0.0.0/8', '10.0.0.0/8', '100.64.0.0/10', '127.0.0.0/8', '169.254.0.0/16', '172.16.0.0/12',
       '192.0.0.0/24', '192.0.2.0/24', '192.31.196.0/24', '192.52.193.0/24', '192.88.99.0/24', '192.168.0.0/16',
       '192.175.48.0/24', '198.18.0.0/15', '198.51.100.0/24', '203.0.113.0/24', '224.0.0.0/4', '240.0.0.0/4']::inet[]) then
    return 'the address is not a public one (loopback, private, link-local, shared, reserved or special-purpose)';
  end if;
  return null;
end
$$;

-- Why a URL may not receive webhooks (null: it may). Strict: https:// only, no
-- user name or password, no fragment, printable ASCII only (what the backend
-- stores after normalising; nothing a URL parser would drop, map or decode),
-- and a host that is a DNS name (not localhost, with a top-level label that
-- starts with a letter, so no URL parser reads it as an IPv4 address) or an
-- IP address in canonical form that is public. p_allow_private (local mode,
-- WEBHOOKS_ALLOW_PRIVATE_NETWORK) also takes http:// and any host.
-- DNS names are checked again at every connection, where they resolve.
create or replace function app.webhook_url_refusal(p_url text, p_allow_private boolean)
returns text
language plpgsql immutable
set search_path = ''
as $$
declare
  v_parts text[];
  v_host_port text[];
  v_host text;
  v_ip inet;
begin
  if p_url is null or pg_catalog.length(p_url) > 2000 then
    return 'the URL is missing or longer than 2000 characters';
  end if;
  if p_url ~ '[^!-~]' or pg_catalog.strpos(p_url, E'\\') > 0 then
    return 'the URL has spaces, control characters, backslashes or non-ASCII characters';
  end if;
  if pg_catalog.strpos(p_url, '#') > 0 then
    return 'the URL must not have a #fragment';
  end if;
  v_parts := pg_catalog.regexp_match(p_url, '^([A-Za-z][A-Za-z0-9+.-]*)://([^/?]*)([/?].*)?$');
  if v_parts is null then
    return 'the URL is not an absolute URL';
  end if;
  if pg_catalog.lower(v_parts[1]) <> 'https' and not (p_allow_private and pg_catalog.lower(v_parts[1]) = 'http') then
    return 'the URL must use https://';
  end if;
  if pg_catalog.strpos(v_parts[2], '@') > 0 then
    return 'the URL must not carry a user name or password';
  end if;
  v_host_port := pg_catalog.regexp_match(v_parts[2], '^(\[[0-9A-Fa-f:.]+\]|[^\[\]:]+)(:[0-9]{0,5})?$');
  if v_host_port is null then
    return 'the URL has no valid host';
  end if;
  if p_allow_private then
    return null;
  end if;

  v_host := pg_catalog.lower(v_host_port[1]);
  if pg_catalog.left(v_host, 1) = '[' then
    begin
      v_ip := pg_catalog.substr(v_host, 2, pg_catalog.length(v_host) - 2)::inet;
    exception when others then
      return 'the URL has no valid host';
    end;
    if pg_catalog.family(v_ip) <> 6 or pg_catalog.masklen(v_ip) <> 128 then
      return 'the URL has no valid host';
    end if;
    return app.webhook_address_refusal(v_ip);
  end if;
  v_host := pg_catalog.regexp_replace(v_host, '\.$', '');
  if v_host ~ '^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$' then
    return app.webhook_address_refusal(v_host::inet);
  end if;
  if pg_catalog.length(v_host) > 253 or v_host !~ '^([a-z0-9_-]{1,63}\.)+[a-z][a-z0-9_-]{0,62}$'
     or v_host ~ '(^|\.)localhost$' then
    return 'the URL''s host must be a public DNS name or a public IP address';
  end if;
  return null;
end
$$;

-- Every insert and every change of url, whoever writes it. The backend's own
-- route sets app.webhooks_allow_private_network for its transaction when the
-- deployment allows private networks (local mode); no Data API client can set it.
create or replace function app.check_webhook_endpoint_url()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
declare
  v_reason text := app.webhook_url_refusal(new.url,
    pg_catalog.current_setting('app.webhooks_allow_private_network', true) is not distinct from 'on');
begin
  if v_reason is not null then
    raise exception 'webhook endpoint URL refused: %', v_reason
      using errcode = '23514', hint = 'webhook_url_refused';
  end if;
  return new;
end
$$;

create trigger webhook_endpoints_check_url
  before insert or update of url on public.webhook_endpoints
  for each row execute function app.check_webhook_endpoint_url();

revoke all on function app.webhook_address_refusal(inet) from public;
revoke all on function app.webhook_url_refusal(text, boolean) from public;
revoke all on function app.check_webhook_endpoint_url() from public;
