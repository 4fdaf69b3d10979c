-- Supabase compatibility.
--
-- Creates only what a Supabase project already has and plain PostgreSQL (or the
-- embedded PGlite) lacks: the roles anon, authenticated and service_role, the
-- auth schema with auth.users, auth.uid(), auth.role() and auth.jwt().
--
-- Every statement is guarded by existence, and nothing here touches an object
-- it did not create itself: on Supabase this file changes nothing. That matters
-- because there the migrating role `postgres` is not a superuser: Supabase's
-- own roles own the auth schema and its objects, and `postgres` may use them
-- but not create in `auth` (PostgreSQL checks CREATE on the schema before it
-- looks at IF NOT EXISTS, so even `create table if not exists auth.users`
-- fails there). scripts/supabase-shaped-db.sh builds such a database.

-- ---------------------------------------------------------------------------
-- Roles (cluster-wide: create only where missing)
-- ---------------------------------------------------------------------------
do $$
begin
  if not exists (select 1 from pg_roles where rolname = 'anon') then
    create role anon nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'authenticated') then
    create role authenticated nologin noinherit;
  end if;
  if not exists (select 1 from pg_roles where rolname = 'service_role') then
    create role service_role nologin noinherit bypassrls;
  end if;
end
$$;

-- The connecting role must be able to switch into the request roles
-- (Supabase's "authenticator" pattern). Supabase grants them to `postgres`
-- itself; elsewhere the migrating role grants them to itself, role by role,
-- only where it is not yet a member.
do $$
declare
  v_role name;
begin
  foreach v_role in array array['anon', 'authenticated', 'service_role']::name[] loop
    if not exists (
      select 1 from pg_auth_members m
      where m.roleid = (select oid from pg_roles where rolname = v_role)
        and m.member = (select oid from pg_roles where rolname = current_user)
    ) then
      begin
        execute format('grant %I to %I', v_role, current_user);
      exception when insufficient_privilege then
        -- A managed platform that does not let us: it grants the roles itself.
        null;
      end;
    end if;
  end loop;
end
$$;

-- ---------------------------------------------------------------------------
-- auth schema: only where Supabase Auth is not there. Whatever already exists
-- belongs to Supabase and is left exactly as it is (no grants on it either).
-- ---------------------------------------------------------------------------
do $$
begin
  if to_regnamespace('auth') is null then
    create schema auth;
    grant usage on schema auth to anon, authenticated, service_role;
  end if;

  if to_regclass('auth.users') is null then
    create table auth.users (
      id uuid primary key,
      email text,
      created_at timestamptz not null default now()
    );
  end if;

  if to_regprocedure('auth.jwt()') is null then
    create function auth.jwt() returns jsonb
    language sql stable
    as $body$
        select coalesce(
          nullif(current_setting('request.jwt.claim', true), ''),
          nullif(current_setting('request.jwt.claims', true), '')
        )::jsonb
      $body$;
    grant execute on function auth.jwt() to anon, authenticated, service_role;
  end if;

  if to_regprocedure('auth.uid()') is null then
    create function auth.uid() returns uuid
    language sql stable
    as $body$
        select coalesce(
          nullif(current_setting('request.jwt.claim.sub', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub')
        )::uuid
      $body$;
    grant execute on function auth.uid() to anon, authenticated, service_role;
  end if;

  if to_regprocedure('auth.role()') is null then
    create function auth.role() returns text
    language sql stable
    as $body$
        select coalesce(
          nullif(current_setting('request.jwt.claim.role', true), ''),
          (nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'role')
        )::text
      $body$;
    grant execute on function auth.role() to anon, authenticated, service_role;
  end if;
end
$$;
