-- The caller's rights on /forget-me: the do-not-record list, access requests and their
-- downloads are the backend's alone (no request role reads them), and a call of a listed number
-- may carry consent_state do_not_record.
BEGIN;
\ir lib/use-pgtap.sql

-- Tables in public that are not the project's: a customer's own tables on
-- their Supabase project (scripts/pgtap.sh sets tests.customer_tables from
-- PGTAP_CUSTOMER_TABLES). The whole-schema checks leave them out.
create temp view customer_tables as
  select unnest(coalesce(nullif(current_setting('tests.customer_tables', true), ''), '{}')::regclass[]) as oid;

select plan(14);

select table_privs_are('public', 'do_not_record_numbers', 'anon',          array[]::text[], 'anon: no privilege on do_not_record_numbers');
select table_privs_are('public', 'do_not_record_numbers', 'authenticated', array[]::text[], 'authenticated: no privilege on do_not_record_numbers');
select table_privs_are('public', 'privacy_requests', 'anon',          array[]::text[], 'anon: no privilege on privacy_requests');
select table_privs_are('public', 'privacy_requests', 'authenticated', array[]::text[], 'authenticated: no privilege on privacy_requests');
select table_privs_are('public', 'access_downloads', 'anon',          array[]::text[], 'anon: no privilege on access_downloads');
select table_privs_are('public', 'access_downloads', 'authenticated', array[]::text[], 'authenticated: no privilege on access_downloads');
select table_privs_are('public', 'do_not_record_numbers', 'service_role', array['DELETE', 'INSERT', 'SELECT', 'UPDATE'], 'service_role: reads and writes the do-not-record list');

-- As authenticated, with RLS on and no policy, even a granted read would see nothing; the grant is absent too.
set local role authenticated;
select throws_ok($$ select 1 from public.do_not_record_numbers $$, '42501', null, 'authenticated cannot read the do-not-record list');
select throws_ok($$ select 1 from public.access_downloads $$, '42501', null, 'authenticated cannot read access downloads');
reset role;

-- The new consent state, and the objection being by phone only.
select col_has_check('public', 'calls', 'consent_state', 'calls.consent_state has a check');
select is(
  (select count(*)::int from pg_catalog.pg_constraint
    where conname = 'calls_consent_state_check' and pg_catalog.pg_get_constraintdef(oid) like '%do_not_record%'),
  1,
  'the consent_state check allows do_not_record');
select throws_ok(
  $$ insert into public.privacy_requests (request_type, subject_type) values ('do_not_record', 'email') $$,
  '23514', null, 'a do-not-record request by e-mail address is refused by the database');

select throws_ok(
  $$ insert into public.privacy_requests (request_type, subject_type) values ('recording_allowed', 'email') $$,
  '23514', null, 'a request to allow recording again by e-mail address is refused by the database');
select lives_ok(
  $$ insert into public.privacy_requests (request_type, subject_type) values ('recording_allowed', 'phone') $$,
  'a request to allow recording again by phone number is accepted');

select * from finish();
ROLLBACK;
