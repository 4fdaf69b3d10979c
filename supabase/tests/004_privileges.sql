-- Privileges that back the RLS policies: what each request role may touch at
-- all, and how the helper functions are exposed. Rolled back at the end.
BEGIN;
\ir lib/use-pgtap.sql

-- Tables in public that are not the project's: a customer's own tables on
-- their Supabase project (scripts/pgtap.sh sets tests.customer_tables from
-- PGTAP_CUSTOMER_TABLES). The whole-schema checks leave them out.
create temp view customer_tables as
  select unnest(coalesce(nullif(current_setting('tests.customer_tables', true), ''), '{}')::regclass[]) as oid;

select plan(27);

-- Roles -----------------------------------------------------------------------
select is((select rolbypassrls from pg_catalog.pg_roles where rolname = 'service_role'), true,  'service_role bypasses RLS');
select is((select rolbypassrls from pg_catalog.pg_roles where rolname = 'authenticated'), false, 'authenticated does not bypass RLS');
select is((select rolbypassrls from pg_catalog.pg_roles where rolname = 'anon'), false, 'anon does not bypass RLS');
select is(
  (select count(*)::int from pg_catalog.pg_roles
    where rolname in ('anon', 'authenticated', 'service_role') and (rolsuper or rolcanlogin or rolcreaterole or rolcreatedb)),
  0,
  'the request roles are neither superusers nor login roles'
);

-- Table privileges --------------------------------------------------------------
select set_eq(
  $$ select c.relname::text || ':' || p.priv
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(priv)
      where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f')
        and c.oid not in (select oid from customer_tables)
        and has_table_privilege('anon', c.oid, p.priv) $$,
  array['subprocessors:SELECT'],
  'anon holds nothing in public but SELECT on the sub-processor list'
);

select is_empty(
  $$ select c.relname::text || ':' || r.rolname || ':' || p.priv
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       cross join unnest(array['TRUNCATE', 'REFERENCES', 'TRIGGER']) as p(priv)
       cross join (values ('anon'), ('authenticated'), ('service_role')) as r(rolname)
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and c.oid not in (select oid from customer_tables)
        and has_table_privilege(r.rolname, c.oid, p.priv) $$,
  'no request role holds TRUNCATE, REFERENCES or TRIGGER on a table in public'
);

select table_privs_are('public', 'audit_logs', 'anon',          array[]::text[],            'anon: no privilege on audit_logs');
select table_privs_are('public', 'audit_logs', 'authenticated', array['SELECT'],            'authenticated: SELECT on audit_logs (and INSERT of some columns, below)');
select table_privs_are('public', 'audit_logs', 'service_role',  array['INSERT', 'SELECT'],  'service_role: only INSERT and SELECT on audit_logs');
select table_privs_are('public', 'call_consents', 'anon',          array[]::text[],           'anon: no privilege on call_consents');
select table_privs_are('public', 'call_consents', 'authenticated', array['SELECT'],           'authenticated: only SELECT on call_consents');
select table_privs_are('public', 'call_consents', 'service_role',  array['INSERT', 'SELECT'], 'service_role: INSERT and SELECT on call_consents (table level)');

select set_eq(
  $$ select a.attname::text
       from pg_catalog.pg_attribute a
      where a.attrelid = 'public.call_consents'::regclass and a.attnum > 0 and not a.attisdropped
        and has_column_privilege('service_role', a.attrelid, a.attnum, 'UPDATE') $$,
  array['caller_hash', 'erased_at'],
  'service_role may UPDATE only caller_hash and erased_at of call_consents'
);

select is_empty(
  $$ select a.attname
       from pg_catalog.pg_attribute a
      where a.attrelid = 'public.call_consents'::regclass and a.attnum > 0 and not a.attisdropped
        and (has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE')
             or has_column_privilege('anon', a.attrelid, a.attnum, 'UPDATE')) $$,
  'anon and authenticated may UPDATE no column of call_consents'
);

-- Webhook signing secrets: written by owners and admins when they add an
-- endpoint, never read back by any user; deliveries are written by the database.
select ok(not has_column_privilege('authenticated', 'public.webhook_endpoints', 'secret', 'SELECT'),
  'authenticated cannot read webhook signing secrets');
select set_eq(
  $$ select p.priv from unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) as p(priv)
      where has_table_privilege('authenticated', 'public.webhook_deliveries', p.priv) $$,
  array['SELECT'],
  'authenticated only reads webhook deliveries'
);

-- Grants and policies agree (for authenticated): a granted command with no
-- policy is dead weight, a policy without the grant is dead code.
select is_empty(
  $$ select c.relname::text || ':' || p.cmd
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       cross join unnest(array['SELECT', 'INSERT', 'UPDATE', 'DELETE']) as p(cmd)
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and c.oid not in (select oid from customer_tables)
        and has_table_privilege('authenticated', c.oid, p.cmd)
        and not exists (
          select 1 from pg_catalog.pg_policies pol
           where pol.schemaname = 'public' and pol.tablename = c.relname
             and pol.cmd in (p.cmd, 'ALL')
             and pol.roles && array['authenticated', 'public']::name[]) $$,
  'every command granted to authenticated has a policy for it'
);

select is_empty(
  $$ select pol.tablename::text || ':' || pol.cmd || ':' || pol.policyname
       from pg_catalog.pg_policies pol
      where pol.schemaname = 'public'
        and format('%I.%I', pol.schemaname, pol.tablename)::regclass not in (select oid from customer_tables)
        and pol.roles && array['authenticated']::name[]
        and pol.cmd <> 'ALL'
        and not has_table_privilege('authenticated', format('public.%I', pol.tablename), pol.cmd)
        and not (pol.cmd in ('SELECT', 'INSERT', 'UPDATE')
                 and has_any_column_privilege('authenticated', format('public.%I', pol.tablename), pol.cmd)) $$,
  'every policy for authenticated is backed by a table or column privilege'
);

-- Schemas and functions -------------------------------------------------------
select ok(not has_schema_privilege('anon', 'app', 'USAGE'), 'anon cannot use schema app');
select ok(has_schema_privilege('authenticated', 'app', 'USAGE'), 'authenticated can use schema app (policy helpers)');

-- What PUBLIC (every role, anon included) may execute in app and public.
create temp view public_executable as
  select p.oid::regprocedure::text as fn, p.prosecdef, p.prorettype = 'trigger'::regtype as is_trigger
    from pg_catalog.pg_proc p
   where p.pronamespace in ('app'::regnamespace, 'public'::regnamespace)
     and (p.proacl is null
          or exists (select 1 from aclexplode(p.proacl) x where x.grantee = 0 and x.privilege_type = 'EXECUTE'))
     and not exists (select 1 from pg_catalog.pg_depend d
                      where d.classid = 'pg_proc'::regclass and d.objid = p.oid and d.deptype = 'e');

select is_empty(
  $$ select fn from public_executable where prosecdef and not is_trigger $$,
  'no callable security definer function in app or public is executable by PUBLIC');

-- The migrations revoke EXECUTE from PUBLIC globally by default and
-- explicitly for the trigger and hash functions.
select is_empty(
  $$ select fn from public_executable $$,
  'no function in app or public is executable by PUBLIC');

select is_empty(
  $$ select p.oid::regprocedure::text
       from pg_catalog.pg_proc p
      where p.pronamespace in ('app'::regnamespace, 'public'::regnamespace, 'auth'::regnamespace)
        and p.prosecdef
        and not exists (select 1 from unnest(p.proconfig) c where c like 'search_path=%') $$,
  'every security definer function pins its search_path'
);

select ok(has_function_privilege('authenticated', 'app.is_org_member(uuid)', 'EXECUTE'),
  'authenticated can execute app.is_org_member');
select ok(has_function_privilege('authenticated', 'app.has_org_role(uuid, text[])', 'EXECUTE'),
  'authenticated can execute app.has_org_role');
select ok(not has_function_privilege('anon', 'app.create_organization(text)', 'EXECUTE'),
  'anon cannot execute app.create_organization');
select ok(has_function_privilege('authenticated', 'app.create_organization(text)', 'EXECUTE'),
  'authenticated can execute app.create_organization');

select * from finish();
ROLLBACK;
