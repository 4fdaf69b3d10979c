-- Row-level security is on for every table in schema public.
--
-- Run with scripts/pgtap.sh (fresh database, migrations + policies applied,
-- pgTAP installed once by the runner). Everything happens in one transaction
-- that is rolled back.
BEGIN;
\ir lib/use-pgtap.sql

-- Tables in public that are not the project's: a customer's own tables on
-- their Supabase project (scripts/pgtap.sh sets tests.customer_tables from
-- PGTAP_CUSTOMER_TABLES). The whole-schema checks leave them out.
create temp view customer_tables as
  select unnest(coalesce(nullif(current_setting('tests.customer_tables', true), ''), '{}')::regclass[]) as oid;

select plan(22);

-- The whole schema: no ordinary or partitioned table without RLS ------------
select is_empty(
  $$ select c.relname
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relrowsecurity
        and c.oid not in (select oid from customer_tables) $$,
  'every table in schema public has row-level security enabled'
);

-- The same through pg_tables, and a floor on the count so an empty schema
-- (migrations not applied) cannot pass silently.
select cmp_ok(
  (select count(*)::int from pg_catalog.pg_tables where schemaname = 'public' and rowsecurity),
  '>=', 19,
  'at least the 19 known tables in public have rowsecurity = true'
);

select is(
  (select count(*)::int from pg_catalog.pg_tables
    where schemaname = 'public' and not rowsecurity
      and format('%I.%I', schemaname, tablename)::regclass not in (select oid from customer_tables)),
  0,
  'pg_tables lists no table in public with rowsecurity = false'
);

-- Table by table -------------------------------------------------------------
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.organizations'::regclass),        true, 'RLS enabled on organizations');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.users'::regclass),                true, 'RLS enabled on users');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.memberships'::regclass),          true, 'RLS enabled on memberships');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.privacy_preferences'::regclass),  true, 'RLS enabled on privacy_preferences');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.agents'::regclass),               true, 'RLS enabled on agents');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.phone_numbers'::regclass),        true, 'RLS enabled on phone_numbers');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.calls'::regclass),                true, 'RLS enabled on calls');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.call_consents'::regclass),        true, 'RLS enabled on call_consents');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.leads'::regclass),                true, 'RLS enabled on leads');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.recordings'::regclass),           true, 'RLS enabled on recordings');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.transcripts'::regclass),          true, 'RLS enabled on transcripts');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.erasure_requests'::regclass),     true, 'RLS enabled on erasure_requests');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.exports'::regclass),              true, 'RLS enabled on exports');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.audit_logs'::regclass),           true, 'RLS enabled on audit_logs');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.impersonations'::regclass),       true, 'RLS enabled on impersonations');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.subprocessor_notices'::regclass), true, 'RLS enabled on subprocessor_notices');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.subprocessors'::regclass),        true, 'RLS enabled on subprocessors');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.security_incidents'::regclass),   true, 'RLS enabled on security_incidents');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.job_runs'::regclass),             true, 'RLS enabled on job_runs');

select * from finish();
ROLLBACK;
