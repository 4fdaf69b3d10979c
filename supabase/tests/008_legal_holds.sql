-- Legal holds (Art. 17(3)) and lead rectification: an organisation's holds are
-- its owners' and admins' alone (read, place as themselves, end as themselves);
-- members read none; the holds recorded on erasure requests likewise; owners
-- and admins correct leads (not anonymised ones), members cannot.
--
-- Fixtures (as the superuser running the test, which bypasses RLS):
--   org A 0a000000-…  owner a1, admin a2, member a3; one hold, one lead
--   org B 0b000000-…  owner b1; one hold
-- Everything is rolled back at the end.
BEGIN;
\ir lib/use-pgtap.sql

create schema if not exists tests;
grant usage on schema tests to anon, authenticated, service_role;

create or replace function tests.login_as_user(p_user uuid, p_claims jsonb default '{}'::jsonb)
returns void language plpgsql as $$
begin
  perform pg_catalog.set_config('role', 'authenticated', true);
  perform pg_catalog.set_config('request.jwt.claims',
    (jsonb_build_object('sub', p_user, 'role', 'authenticated', 'aud', 'authenticated') || p_claims)::text, true);
end
$$;

create or replace function tests.login_as_anon()
returns void language plpgsql as $$
begin
  perform pg_catalog.set_config('role', 'anon', true);
  perform pg_catalog.set_config('request.jwt.claims', '{"role":"anon"}', true);
end
$$;

create or replace function tests.logout()
returns void language plpgsql as $$
begin
  perform pg_catalog.set_config('role', 'none', true);
  perform pg_catalog.set_config('request.jwt.claims', '', true);
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

insert into public.organizations (id, name, created_by) values
  ('0a000000-0000-4000-8000-000000000000', 'Org A', 'a1000000-0000-4000-8000-000000000000'),
  ('0b000000-0000-4000-8000-000000000000', 'Org B', 'b1000000-0000-4000-8000-000000000000');
insert into public.users (id, email) values
  ('a1000000-0000-4000-8000-000000000000', 'owner-a@example.test'),
  ('a2000000-0000-4000-8000-000000000000', 'admin-a@example.test'),
  ('a3000000-0000-4000-8000-000000000000', 'member-a@example.test'),
  ('b1000000-0000-4000-8000-000000000000', 'owner-b@example.test');
insert into public.memberships (org_id, user_id, role, accepted_at) values
  ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'owner',  now()),
  ('0a000000-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000000', 'admin',  now()),
  ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'member', now()),
  ('0b000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'owner',  now());
insert into public.legal_holds (id, org_id, subject_type, subject_hash, subject_hint, reason, placed_by) values
  ('1a000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', 'phone', '\x0a01', '+49•••01', 'Litigation A', 'a1000000-0000-4000-8000-000000000000'),
  ('1b000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', 'phone', '\x0a01', '+49•••01', 'Litigation B', 'b1000000-0000-4000-8000-000000000000');
insert into public.erasure_requests (id, source, subject_type, subject_hash, status, confirmed_at, due_at) values
  ('2e000000-0000-4000-8000-000000000000', 'public', 'phone', '\x0a01', 'completed', now(), now() + interval '1 month');
insert into public.erasure_request_holds (request_id, org_id, hold_id, reason) values
  ('2e000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', '1a000000-0000-4000-8000-000000000000', 'Litigation A'),
  ('2e000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', '1b000000-0000-4000-8000-000000000000', 'Litigation B');
insert into public.leads (id, org_id, name, phone) values
  ('3a000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', 'Erika', '+4930111'),
  ('3b000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', null, null);
update public.leads set anonymised_at = now() where id = '3b000000-0000-4000-8000-000000000000';

select plan(21);

select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.legal_holds'::regclass), true, 'RLS enabled on legal_holds');
select is((select relrowsecurity from pg_catalog.pg_class where oid = 'public.erasure_request_holds'::regclass), true, 'RLS enabled on erasure_request_holds');

-- An admin of A: A's holds only --------------------------------------------------------
select tests.login_as_user('a2000000-0000-4000-8000-000000000000');
select is((select array_agg(reason)::text from public.legal_holds), '{"Litigation A"}', 'admin of A reads A''s hold only');
select is((select count(*)::int from public.erasure_request_holds), 1, 'and the hold recorded on a request for A only');
select lives_ok(
  $$ insert into public.legal_holds (org_id, subject_type, subject_hash, reason, placed_by)
     values ('0a000000-0000-4000-8000-000000000000', 'email', '\x0a02', 'Tax records', 'a2000000-0000-4000-8000-000000000000') $$,
  'admin of A places a hold in A as themselves');
select throws_ok(
  $$ insert into public.legal_holds (org_id, subject_type, subject_hash, reason, placed_by)
     values ('0a000000-0000-4000-8000-000000000000', 'email', '\x0a03', 'Tax records', 'a1000000-0000-4000-8000-000000000000') $$,
  '42501', null, 'but not in someone else''s name');
select throws_ok(
  $$ insert into public.legal_holds (org_id, subject_type, subject_hash, reason, placed_by)
     values ('0b000000-0000-4000-8000-000000000000', 'email', '\x0a04', 'Tax records', 'a2000000-0000-4000-8000-000000000000') $$,
  '42501', null, 'nor in organisation B');
select throws_ok(
  $$ update public.legal_holds set reason = 'rewritten' where id = '1a000000-0000-4000-8000-000000000000' $$,
  '42501', null, 'a hold''s reason cannot be rewritten (no column grant)');
select lives_ok(
  $$ update public.legal_holds set ended_at = now(), ended_by = 'a2000000-0000-4000-8000-000000000000' where id = '1b000000-0000-4000-8000-000000000000' $$,
  'admin of A tries to end B''s hold (RLS: no row)');
select lives_ok(
  $$ update public.legal_holds set ended_at = now(), ended_by = 'a2000000-0000-4000-8000-000000000000' where id = '1a000000-0000-4000-8000-000000000000' $$,
  'admin of A ends A''s hold as themselves');
select throws_ok($$ delete from public.legal_holds $$, '42501', null, 'holds are never deleted by users');
select lives_ok($$ update public.leads set name = 'Erika Mustermann' where id = '3a000000-0000-4000-8000-000000000000' $$, 'admin of A corrects a lead of A');
select lives_ok($$ update public.leads set name = 'Back' where id = '3b000000-0000-4000-8000-000000000000' $$, 'and tries an anonymised one');
select tests.logout();
select is((select ended_at is null from public.legal_holds where id = '1b000000-0000-4000-8000-000000000000'), true, 'B''s hold is still active');
select is((select ended_by::text from public.legal_holds where id = '1a000000-0000-4000-8000-000000000000'), 'a2000000-0000-4000-8000-000000000000', 'A''s hold ended, by the admin');
select is((select array_agg(coalesce(name, '(none)') order by id)::text from public.leads), '{"Erika Mustermann",(none)}', 'the lead is corrected, the anonymised one untouched');

-- A member of A: no holds, no correction -------------------------------------------
select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.legal_holds), 0, 'member reads no hold');
select is((select count(*)::int from public.erasure_request_holds), 0, 'member reads no hold recorded on requests');
select lives_ok($$ update public.leads set name = 'x' where id = '3a000000-0000-4000-8000-000000000000' $$, 'member tries to correct a lead');
select tests.logout();
select is((select name from public.leads where id = '3a000000-0000-4000-8000-000000000000'), 'Erika Mustermann', 'the member changed nothing');

-- anon: nothing at all -------------------------------------------------------------
select tests.login_as_anon();
select throws_ok($$ select count(*) from public.legal_holds $$, '42501', null, 'anon cannot read legal holds');
select tests.logout();

select * from finish();
ROLLBACK;
