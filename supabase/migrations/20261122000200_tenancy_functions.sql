-- Tenancy helpers used by the RLS policies, and the database-side guards of
-- organisation membership.
--
-- The helpers are security definer with an empty search_path: they read
-- public.memberships without going through its own policies (which would
-- recurse) and cannot be tricked by objects on the caller's search_path.

-- ---------------------------------------------------------------------------
-- Policy helpers
-- ---------------------------------------------------------------------------
create or replace function app.is_org_member(p_org_id uuid)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.org_id = p_org_id and m.user_id = auth.uid()
  )
$$;

create or replace function app.has_org_role(p_org_id uuid, p_roles text[])
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1 from public.memberships m
    where m.org_id = p_org_id and m.user_id = auth.uid() and m.role = any (p_roles)
  )
$$;

-- Users who share at least one organisation with the current user.
create or replace function app.shares_org_with(p_user_id uuid)
returns boolean
language sql stable security definer
set search_path = ''
as $$
  select exists (
    select 1
    from public.memberships mine
    join public.memberships theirs on theirs.org_id = mine.org_id
    where mine.user_id = auth.uid() and theirs.user_id = p_user_id
  )
$$;

-- The operator who is impersonating the current user, from the verified claims.
create or replace function app.impersonator_id()
returns uuid
language sql stable
set search_path = ''
as $$
  select nullif(nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'impersonator_id', '')::uuid
$$;

revoke execute on function app.is_org_member(uuid), app.has_org_role(uuid, text[]),
  app.shares_org_with(uuid), app.impersonator_id() from public;
grant execute on function app.is_org_member(uuid), app.has_org_role(uuid, text[]),
  app.shares_org_with(uuid), app.impersonator_id() to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Creating an organisation: the organisation, its owner and its default
-- privacy preferences in one step, for the signed-in user only.
-- ---------------------------------------------------------------------------
create or replace function app.create_organization(p_name text)
returns uuid
language plpgsql volatile security definer
set search_path = ''
as $$
declare
  v_user uuid := auth.uid();
  v_org uuid;
begin
  if v_user is null then
    raise exception 'not signed in' using errcode = '42501';
  end if;
  insert into public.organizations (name, created_by) values (p_name, v_user) returning id into v_org;
  insert into public.memberships (org_id, user_id, role, accepted_at) values (v_org, v_user, 'owner', now());
  insert into public.privacy_preferences (org_id, updated_by) values (v_org, v_user);
  return v_org;
end
$$;

revoke execute on function app.create_organization(text) from public;
grant execute on function app.create_organization(text) to authenticated, service_role;

-- ---------------------------------------------------------------------------
-- Guard: an organisation always keeps at least one owner.
-- The API checks this first with a clear message; this trigger makes it true
-- whatever path the change takes. Deleting the organisation itself cascades
-- past it (the organisation row is gone by then).
-- ---------------------------------------------------------------------------
create or replace function app.keep_last_owner()
returns trigger
language plpgsql security definer
set search_path = ''
as $$
begin
  if old.role = 'owner'
     and (tg_op = 'DELETE' or new.role <> 'owner' or new.org_id <> old.org_id)
     and exists (select 1 from public.organizations o where o.id = old.org_id)
     and not exists (
       select 1 from public.memberships m
       where m.org_id = old.org_id and m.role = 'owner' and m.id <> old.id
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

create trigger memberships_keep_last_owner
  before update or delete on public.memberships
  for each row execute function app.keep_last_owner();

-- Keep updated_at honest.
create or replace function app.touch_updated_at()
returns trigger
language plpgsql
set search_path = ''
as $$
begin
  new.updated_at := now();
  return new;
end
$$;

create trigger organizations_touch before update on public.organizations
  for each row execute function app.touch_updated_at();
create trigger memberships_touch before update on public.memberships
  for each row execute function app.touch_updated_at();
create trigger privacy_preferences_touch before update on public.privacy_preferences
  for each row execute function app.touch_updated_at();
create trigger agents_touch before update on public.agents
  for each row execute function app.touch_updated_at();
create trigger calls_touch before update on public.calls
  for each row execute function app.touch_updated_at();
create trigger leads_touch before update on public.leads
  for each row execute function app.touch_updated_at();
create trigger recordings_touch before update on public.recordings
  for each row execute function app.touch_updated_at();
create trigger transcripts_touch before update on public.transcripts
  for each row execute function app.touch_updated_at();
create trigger erasure_requests_touch before update on public.erasure_requests
  for each row execute function app.touch_updated_at();
create trigger security_incidents_touch before update on public.security_incidents
  for each row execute function app.touch_updated_at();

revoke execute on function app.keep_last_owner(), app.touch_updated_at() from public;
