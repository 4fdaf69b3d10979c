-- An invitation is not yet a membership.
--
-- Until now a membership row granted access from the moment it was written,
-- and signing in accepted every invitation silently. Now a membership counts
-- (in every policy, through the helpers below) only once the invited person
-- has accepted it (accepted_at is set). Until then the person sees only the
-- invitation itself: the organisation's name, the role and when it was sent
-- (app.my_invitations), and either accepts it (app.accept_invitation) or
-- declines it (app.decline_invitation, which removes the row). Nobody accepts
-- or declines an invitation for someone else: the functions act on auth.uid()'s
-- own pending row only, and accepted_at has no column grant.
--
-- An organisation's creator and the demo seed write accepted rows; rows already
-- accepted keep their access. Rows still pending keep waiting for their person.

-- ---------------------------------------------------------------------------
-- Policy helpers: accepted memberships only
-- ---------------------------------------------------------------------------
create or replace function app.is_org_member(p_org_id uuid)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.org_id = p_org_id and m.user_id = auth.uid() and m.accepted_at is not null
  )
$$;

create or replace function app.has_org_role(p_org_id uuid, p_roles text[])
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.org_id = p_org_id and m.user_id = auth.uid() and m.accepted_at is not null
      and m.role = any (p_roles)
  )
$$;

-- Users who share an organisation with the current user: one the current user
-- has accepted. Its invitees are among them (the members page lists them); an
-- invitee sees nobody of an organisation before accepting.
create or replace function app.shares_org_with(p_user_id uuid)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.memberships mine
    join public.memberships theirs on theirs.org_id = mine.org_id
    where mine.user_id = auth.uid() and mine.accepted_at is not null and theirs.user_id = p_user_id
  )
$$;

-- ---------------------------------------------------------------------------
-- The last owner: an organisation always keeps an owner who has accepted.
-- A pending owner invitation does not count as one, and can always be removed.
-- ---------------------------------------------------------------------------
create or replace function app.keep_last_owner()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.role = 'owner' and old.accepted_at is not null
     and (tg_op = 'DELETE' or new.role <> 'owner' or new.org_id <> old.org_id)
     and exists (select 1 from public.organizations o where o.id = old.org_id)
     and not exists (
       select 1 from public.memberships m
       where m.org_id = old.org_id and m.role = 'owner' and m.accepted_at is not null and m.id <> old.id
     )
  then
    raise exception 'an organisation must keep at least one owner'
      using errcode = 'P0001', hint = 'last_owner';
  end if;
  if tg_op = 'DELETE' then
    return old;
  end if;
  return new;
end
$$;

-- ---------------------------------------------------------------------------
-- The invited person's own invitations
-- ---------------------------------------------------------------------------
create or replace function app.my_invitations()
returns table (org_id uuid, org_name text, role text, invited_at timestamptz)
language sql stable security definer
set search_path = ''
as $$
  select m.org_id, o.name, m.role, coalesce(m.invited_at, m.created_at)
  from public.memberships m join public.organizations o on o.id = m.org_id
  where m.user_id = auth.uid() and m.accepted_at is null
  order by coalesce(m.invited_at, m.created_at) desc, m.org_id
$$;

-- Accepts the caller's own pending invitation; the role it was sent with, or
-- null when there is none (never invited, already accepted, or withdrawn).
create or replace function app.accept_invitation(p_org_id uuid)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if auth.uid() is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  update public.memberships set accepted_at = now()
  where org_id = p_org_id and user_id = auth.uid() and accepted_at is null
  returning role into v_role;
  return v_role;
end
$$;

-- Declines (removes) the caller's own pending invitation; the role it was sent
-- with, or null when there is none. An accepted membership is not touched.
create or replace function app.decline_invitation(p_org_id uuid)
returns text
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_role text;
begin
  if auth.uid() is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  delete from public.memberships
  where org_id = p_org_id and user_id = auth.uid() and accepted_at is null
  returning role into v_role;
  return v_role;
end
$$;

revoke execute on function app.my_invitations(), app.accept_invitation(uuid), app.decline_invitation(uuid) from public;
grant execute on function app.my_invitations(), app.accept_invitation(uuid), app.decline_invitation(uuid) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Audit rows: a user appends them for an organisation they have accepted. An
-- invitee appends only the answer to their own invitation (member.accepted,
-- member.declined, with themselves as the target) — declining is audited
-- before the row goes, while the invitation still exists.
-- ---------------------------------------------------------------------------
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
  v_answer boolean := p_action in ('member.accepted', 'member.declined');
  v_target_type text := case when v_answer then 'user' else app.user_audit_target_type(p_action) end;
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
  if v_answer then
    -- accepted: audited once the row is accepted; declined: while it is still pending
    return p_target_id = v_uid::text
      and exists (select 1 from public.memberships m where m.org_id = p_org_id and m.user_id = v_uid
                  and (m.accepted_at is not null) = (p_action = 'member.accepted'));
  end if;
  return exists (select 1 from public.memberships m where m.org_id = p_org_id and m.user_id = v_uid and m.accepted_at is not null);
end
$$;

revoke all on function app.may_append_audit(uuid, text, uuid, uuid, text, text, text, text, text, jsonb) from public;
grant execute on function app.may_append_audit(uuid, text, uuid, uuid, text, text, text, text, text, jsonb) to authenticated;
