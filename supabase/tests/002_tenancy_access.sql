-- Tenancy: what each role can read and change, organisation by organisation.
--
-- Fixtures (inserted as the superuser running the test, which bypasses RLS):
--   org A  0a000000-0000-4000-8000-000000000000
--            owner  a1000000-0000-4000-8000-000000000000
--            admin  a2000000-0000-4000-8000-000000000000
--            member a3000000-0000-4000-8000-000000000000
--   org B  0b000000-0000-4000-8000-000000000000
--            owner  b1000000-0000-4000-8000-000000000000
--   outsider (no organisation)  c1000000-0000-4000-8000-000000000000
--   support operator (not a user row) d1000000-0000-4000-8000-000000000000
-- Org A and org B hold different numbers of rows, so any leak changes a count.
--
-- Requests are simulated the way PostgREST does it: SET ROLE to the request
-- role plus the JWT claims in request.jwt.claims (basejump's
-- tests.authenticate_as pattern, with small local helpers). Everything,
-- helpers included, is rolled back at the end.
BEGIN;
\ir lib/use-pgtap.sql

-- Helpers ------------------------------------------------------------------------
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

create or replace function tests.login_as_service_role()
returns void language plpgsql as $$
begin
  perform pg_catalog.set_config('role', 'service_role', true);
  perform pg_catalog.set_config('request.jwt.claims', '{"role":"service_role"}', true);
end
$$;

-- Back to the session user (the superuser running the tests).
create or replace function tests.logout()
returns void language plpgsql as $$
begin
  perform pg_catalog.set_config('role', 'none', true);
  perform pg_catalog.set_config('request.jwt.claims', '', true);
end
$$;

-- Runs a statement as the current role and checks how many rows it changed
-- (0 when RLS hides every row, or a DO INSTEAD NOTHING rule swallows it). An
-- error is a failed assertion, not an aborted test file.
create or replace function tests.changes_rows(p_sql text, p_expected integer, p_description text)
returns text language plpgsql as $$
declare
  v_count integer;
begin
  execute p_sql;
  get diagnostics v_count = row_count;
  return is(v_count, p_expected, p_description);
exception when others then
  return ok(false, p_description) || E'\n' || diag(format('    raised %s: %s', sqlstate, sqlerrm));
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

-- Fixtures -------------------------------------------------------------------------
insert into public.organizations (id, name, created_by) values
  ('0a000000-0000-4000-8000-000000000000', 'Org A', 'a1000000-0000-4000-8000-000000000000'),
  ('0b000000-0000-4000-8000-000000000000', 'Org B', 'b1000000-0000-4000-8000-000000000000');

insert into public.users (id, email, display_name) values
  ('a1000000-0000-4000-8000-000000000000', 'owner-a@example.test',  'Owner A'),
  ('a2000000-0000-4000-8000-000000000000', 'admin-a@example.test',  'Admin A'),
  ('a3000000-0000-4000-8000-000000000000', 'member-a@example.test', 'Member A'),
  ('b1000000-0000-4000-8000-000000000000', 'owner-b@example.test',  'Owner B'),
  ('c1000000-0000-4000-8000-000000000000', 'outsider@example.test', 'Outsider');

insert into public.memberships (org_id, user_id, role, accepted_at) values
  ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'owner',  now()),
  ('0a000000-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000000', 'admin',  now()),
  ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'member', now()),
  ('0b000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'owner',  now());

insert into public.privacy_preferences (org_id) values
  ('0a000000-0000-4000-8000-000000000000'),
  ('0b000000-0000-4000-8000-000000000000');

-- agents: A 2, B 3
insert into public.agents (id, org_id, name, language, first_message) values
  ('a9000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000', 'A reception', 'de', 'Guten Tag'),
  ('a9000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000000', 'A support',   'en', 'Hello'),
  ('b9000000-0000-4000-8000-000000000001', '0b000000-0000-4000-8000-000000000000', 'B reception', 'fr', 'Bonjour'),
  ('b9000000-0000-4000-8000-000000000002', '0b000000-0000-4000-8000-000000000000', 'B sales',     'fr', 'Bonjour'),
  ('b9000000-0000-4000-8000-000000000003', '0b000000-0000-4000-8000-000000000000', 'B night',     'nl', 'Hallo');

-- phone numbers: A 1, B 1
insert into public.phone_numbers (org_id, agent_id, e164) values
  ('0a000000-0000-4000-8000-000000000000', 'a9000000-0000-4000-8000-000000000001', '+493000000001'),
  ('0b000000-0000-4000-8000-000000000000', 'b9000000-0000-4000-8000-000000000001', '+333000000001');

-- calls: A 2, B 1
insert into public.calls (id, org_id, agent_id, twilio_call_sid, from_number, from_hash) values
  ('a8000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000', 'a9000000-0000-4000-8000-000000000001', 'CA-test-a-1', '+491700000001', '\x0a01'),
  ('a8000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000000', 'a9000000-0000-4000-8000-000000000002', 'CA-test-a-2', '+491700000002', '\x0a02'),
  ('b8000000-0000-4000-8000-000000000001', '0b000000-0000-4000-8000-000000000000', 'b9000000-0000-4000-8000-000000000001', 'CA-test-b-1', '+331700000001', '\x0b01');

-- proof of consent: A 2, B 1
insert into public.call_consents (org_id, call_id, twilio_call_sid, caller_hash, country, prompt_language, prompt_version, prompt_hash, digit, outcome) values
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000001', 'CA-test-a-1', '\x0a01', 'DE', 'de', 'v1', 'hash-v1', '1', 'given'),
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000002', 'CA-test-a-2', '\x0a02', 'DE', 'de', 'v1', 'hash-v1', '2', 'refused'),
  ('0b000000-0000-4000-8000-000000000000', 'b8000000-0000-4000-8000-000000000001', 'CA-test-b-1', '\x0b01', 'FR', 'fr', 'v1', 'hash-v1', '1', 'given');

-- leads: A 2, B 1
insert into public.leads (org_id, call_id, name, phone, phone_hash) values
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000001', 'Lead A1', '+491700000001', '\x0a01'),
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000002', 'Lead A2', '+491700000002', '\x0a02'),
  ('0b000000-0000-4000-8000-000000000000', 'b8000000-0000-4000-8000-000000000001', 'Lead B1', '+331700000001', '\x0b01');

-- recordings: A 1, B 1
insert into public.recordings (org_id, call_id, twilio_recording_sid, status) values
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000001', 'RE-test-a-1', 'completed'),
  ('0b000000-0000-4000-8000-000000000000', 'b8000000-0000-4000-8000-000000000001', 'RE-test-b-1', 'completed');

-- transcripts: A 2, B 1
insert into public.transcripts (org_id, call_id, content) values
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000001', '[{"role":"agent","text":"Guten Tag"}]'),
  ('0a000000-0000-4000-8000-000000000000', 'a8000000-0000-4000-8000-000000000002', '[{"role":"agent","text":"Hello"}]'),
  ('0b000000-0000-4000-8000-000000000000', 'b8000000-0000-4000-8000-000000000001', '[{"role":"agent","text":"Bonjour"}]');

-- data-subject requests and exports: A 1, B 1
insert into public.erasure_requests (org_id, source, subject_type, subject_hash, requested_by, due_at) values
  ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'phone', '\x0a01', 'a1000000-0000-4000-8000-000000000000', now() + interval '30 days'),
  ('0b000000-0000-4000-8000-000000000000', 'dashboard', 'phone', '\x0b01', 'b1000000-0000-4000-8000-000000000000', now() + interval '30 days');
insert into public.exports (org_id, requested_by, subject_type) values
  ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'organization'),
  ('0b000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'organization');

-- the member of org A was impersonated once
insert into public.impersonations (operator_id, target_user_id, org_id, reason, expires_at) values
  ('d1000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000',
   '0a000000-0000-4000-8000-000000000000', 'Support ticket 4711: agent greeting broken', now() + interval '1 hour');

-- one sub-processor, announced to each organisation's owner
insert into public.subprocessors (id, name, purpose, region, role, safeguards, effective_at) values
  ('e1000000-0000-4000-8000-000000000000', 'Test Speech GmbH', 'speech synthesis', 'EU', 'processor', 'Art. 28 DPA', now() + interval '30 days');
insert into public.subprocessor_notices (subprocessor_id, org_id, user_id) values
  ('e1000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000'),
  ('e1000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000');

-- audit log: A 2, B 1, platform 1
insert into public.audit_logs (org_id, actor_type, actor_id, action) values
  ('0a000000-0000-4000-8000-000000000000', 'user',   'a1000000-0000-4000-8000-000000000000', 'agent.created'),
  ('0a000000-0000-4000-8000-000000000000', 'user',   'a2000000-0000-4000-8000-000000000000', 'agent.updated'),
  ('0b000000-0000-4000-8000-000000000000', 'user',   'b1000000-0000-4000-8000-000000000000', 'agent.created'),
  (null,                                   'system', null,                                   'platform.retention_run');

select plan(155);

-- =====================================================================
-- anon: no table privilege at all, except the public sub-processor list
-- =====================================================================
select tests.login_as_anon();

select throws_ok('select * from public.organizations', '42501', 'permission denied for table organizations', 'anon cannot read organizations');
select throws_ok('select * from public.users',         '42501', 'permission denied for table users',         'anon cannot read users');
select throws_ok('select * from public.memberships',   '42501', 'permission denied for table memberships',   'anon cannot read memberships');
select throws_ok('select * from public.agents',        '42501', 'permission denied for table agents',        'anon cannot read agents');
select throws_ok('select * from public.calls',         '42501', 'permission denied for table calls',         'anon cannot read calls');
select throws_ok('select * from public.call_consents', '42501', 'permission denied for table call_consents', 'anon cannot read call_consents');
select throws_ok('select * from public.leads',         '42501', 'permission denied for table leads',         'anon cannot read leads');
select throws_ok('select * from public.recordings',    '42501', 'permission denied for table recordings',    'anon cannot read recordings');
select throws_ok('select * from public.transcripts',   '42501', 'permission denied for table transcripts',   'anon cannot read transcripts');
select throws_ok('select * from public.audit_logs',    '42501', 'permission denied for table audit_logs',    'anon cannot read audit_logs');
select throws_ok(
  $$ insert into public.organizations (name) values ('Anon Org') $$,
  '42501', 'permission denied for table organizations', 'anon cannot create organizations directly');
select throws_ok(
  $$ select app.create_organization('Anon Org') $$,
  '42501', 'permission denied for schema app', 'anon cannot call app.create_organization');
select ok((select count(*)::int from public.subprocessors) >= 1, 'anon can read the public sub-processor list');

-- =====================================================================
-- outsider: signed in, member of nothing
-- =====================================================================
select tests.login_as_user('c1000000-0000-4000-8000-000000000000');

select is((select count(*)::int from public.organizations), 0, 'outsider sees no organisation');
select is((select count(*)::int from public.memberships),   0, 'outsider sees no membership');
select is((select count(*)::int from public.agents),        0, 'outsider sees no agent');
select is((select count(*)::int from public.calls),         0, 'outsider sees no call');
select is((select count(*)::int from public.call_consents), 0, 'outsider sees no proof of consent');
select is((select count(*)::int from public.leads),         0, 'outsider sees no lead');
select is((select count(*)::int from public.transcripts),   0, 'outsider sees no transcript');
select is((select count(*)::int from public.audit_logs),    0, 'outsider sees no audit row');
select results_eq('select id from public.users', array['c1000000-0000-4000-8000-000000000000'::uuid],
  'outsider sees only their own user row');
select throws_ok(
  $$ insert into public.memberships (org_id, user_id, role) values ('0a000000-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000000', 'owner') $$,
  '42501', 'new row violates row-level security policy for table "memberships"',
  'outsider cannot make themselves owner of org A');
select tests.changes_rows($$ update public.organizations set name = 'Taken over' $$, 0, 'outsider cannot rename any organisation');

-- =====================================================================
-- member of org A: reads org A, changes nothing
-- =====================================================================
select tests.login_as_user('a3000000-0000-4000-8000-000000000000');

select results_eq('select id from public.organizations', array['0a000000-0000-4000-8000-000000000000'::uuid],
  'member sees only their own organisation');
select is((select count(*)::int from public.agents),              2, 'member sees the 2 agents of org A');
select is((select count(*)::int from public.phone_numbers),       1, 'member sees the phone number of org A');
select is((select count(*)::int from public.calls),               2, 'member sees the 2 calls of org A');
select is((select count(*)::int from public.call_consents),       2, 'member sees the 2 consent records of org A');
select is((select count(*)::int from public.leads),               2, 'member sees the 2 leads of org A');
select is((select count(*)::int from public.recordings),          1, 'member sees the recording of org A');
select is((select count(*)::int from public.transcripts),         2, 'member sees the 2 transcripts of org A');
select is((select count(*)::int from public.privacy_preferences), 1, 'member sees the privacy preferences of org A');
select is((select count(*)::int from public.memberships),         3, 'member sees the 3 memberships of org A');
select set_eq('select id from public.users',
  array['a1000000-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000']::uuid[],
  'member sees themselves and the people of org A, nobody else');
select is_empty(
  $$ select 'agents' from public.agents where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'calls' from public.calls where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'consents' from public.call_consents where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'leads' from public.leads where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'recordings' from public.recordings where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'transcripts' from public.transcripts where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'phone_numbers' from public.phone_numbers where org_id = '0b000000-0000-4000-8000-000000000000'
     union all select 'organizations' from public.organizations where id = '0b000000-0000-4000-8000-000000000000' $$,
  'member sees no row of org B');
select is((select count(*)::int from public.erasure_requests),     0, 'member cannot read erasure requests (owners and admins only)');
select is((select count(*)::int from public.exports),              0, 'member cannot read exports (owners and admins only)');
select is((select count(*)::int from public.audit_logs),           0, 'member cannot read the activity log (owners and admins only)');
select is((select count(*)::int from public.subprocessor_notices), 0, 'member cannot read sub-processor notices');
select is((select count(*)::int from public.impersonations),       1, 'member can see that they were impersonated');

select tests.changes_rows($$ update public.agents set name = 'Hijacked' $$, 0, 'member cannot update agents (0 rows)');
select tests.changes_rows($$ delete from public.agents $$, 0, 'member cannot delete agents (0 rows)');
select throws_ok(
  $$ insert into public.agents (org_id, name, language, first_message) values ('0a000000-0000-4000-8000-000000000000', 'Rogue', 'de', 'Hallo') $$,
  '42501', 'new row violates row-level security policy for table "agents"',
  'member cannot create agents');
select tests.changes_rows($$ update public.privacy_preferences set retention_days = 365 $$, 0, 'member cannot change privacy preferences (0 rows)');
select tests.changes_rows($$ update public.organizations set name = 'Renamed by member' $$, 0, 'member cannot rename the organisation');
select throws_ok($$ update public.calls set outcome = 'tampered' $$, '42501', 'permission denied for table calls', 'member cannot change calls (webhooks write them)');
select tests.changes_rows($$ delete from public.leads $$, 0, 'member cannot delete leads');
select tests.changes_rows($$ delete from public.transcripts $$, 0, 'member cannot delete transcripts');
select tests.changes_rows($$ delete from public.recordings $$, 0, 'member cannot delete recordings');
select throws_ok(
  $$ insert into public.calls (org_id, twilio_call_sid) values ('0a000000-0000-4000-8000-000000000000', 'CA-rogue') $$,
  '42501', 'permission denied for table calls', 'member cannot insert calls (webhooks write them)');
select throws_ok(
  $$ insert into public.memberships (org_id, user_id, role) values ('0a000000-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000000', 'member') $$,
  '42501', 'new row violates row-level security policy for table "memberships"',
  'member cannot add members');
select tests.changes_rows($$ update public.memberships set role = 'owner' where user_id = 'a3000000-0000-4000-8000-000000000000' $$, 0, 'member cannot promote themselves');
select tests.changes_rows($$ delete from public.memberships where user_id = 'a2000000-0000-4000-8000-000000000000' $$, 0, 'member cannot remove other members');
select tests.changes_rows($$ update public.users set display_name = 'Member A (edited)' where id = 'a3000000-0000-4000-8000-000000000000' $$, 1, 'a user can update their own user row');
select tests.changes_rows($$ update public.users set display_name = 'Defaced' where id = 'a1000000-0000-4000-8000-000000000000' $$, 0, 'a user cannot update somebody else''s user row');
select throws_ok(
  $$ insert into public.users (id, email) values ('f1000000-0000-4000-8000-000000000000', 'someone@example.test') $$,
  '42501', 'permission denied for table users',
  'a user cannot create a user row for somebody else');

-- =====================================================================
-- owner of org B: org B only
-- =====================================================================
select tests.login_as_user('b1000000-0000-4000-8000-000000000000');

select results_eq('select id from public.organizations', array['0b000000-0000-4000-8000-000000000000'::uuid],
  'owner of B sees only org B');
select is((select count(*)::int from public.agents),        3, 'owner of B sees the 3 agents of org B');
select is((select count(*)::int from public.calls),         1, 'owner of B sees the call of org B');
select is((select count(*)::int from public.call_consents), 1, 'owner of B sees the consent record of org B');
select is((select count(*)::int from public.leads),         1, 'owner of B sees the lead of org B');
select is((select count(*)::int from public.transcripts),   1, 'owner of B sees the transcript of org B');
select is((select count(*)::int from public.recordings),    1, 'owner of B sees the recording of org B');
select is((select count(*)::int from public.memberships),   1, 'owner of B sees only the membership of org B');
select is_empty(
  $$ select 'agents' from public.agents where org_id = '0a000000-0000-4000-8000-000000000000'
     union all select 'calls' from public.calls where org_id = '0a000000-0000-4000-8000-000000000000'
     union all select 'consents' from public.call_consents where org_id = '0a000000-0000-4000-8000-000000000000'
     union all select 'leads' from public.leads where org_id = '0a000000-0000-4000-8000-000000000000'
     union all select 'transcripts' from public.transcripts where org_id = '0a000000-0000-4000-8000-000000000000'
     union all select 'privacy' from public.privacy_preferences where org_id = '0a000000-0000-4000-8000-000000000000'
     union all select 'erasure' from public.erasure_requests where org_id = '0a000000-0000-4000-8000-000000000000' $$,
  'owner of B sees no row of org A');
select tests.changes_rows($$ update public.agents set name = 'Hijacked' where org_id = '0a000000-0000-4000-8000-000000000000' $$, 0, 'owner of B cannot update agents of org A');
select tests.changes_rows($$ delete from public.calls where org_id = '0a000000-0000-4000-8000-000000000000' $$, 0, 'owner of B cannot delete calls of org A');
select tests.changes_rows($$ update public.privacy_preferences set retention_days = 365 where org_id = '0a000000-0000-4000-8000-000000000000' $$, 0, 'owner of B cannot change the privacy preferences of org A');
select throws_ok(
  $$ insert into public.agents (org_id, name, language, first_message) values ('0a000000-0000-4000-8000-000000000000', 'Foreign', 'de', 'Hallo') $$,
  '42501', 'new row violates row-level security policy for table "agents"',
  'owner of B cannot create an agent in org A (cross-org insert)');
select throws_ok(
  $$ insert into public.memberships (org_id, user_id, role) values ('0a000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'owner') $$,
  '42501', 'new row violates row-level security policy for table "memberships"',
  'owner of B cannot join org A');
select throws_ok(
  $$ insert into public.exports (org_id, requested_by, subject_type) values ('0a000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'organization') $$,
  '42501', 'new row violates row-level security policy for table "exports"',
  'owner of B cannot export org A');
select throws_ok(
  $$ delete from public.memberships where user_id = 'b1000000-0000-4000-8000-000000000000' $$,
  'P0001', 'an organisation must keep at least one owner',
  'the last owner of org B cannot leave it');
select throws_ok(
  $$ update public.memberships set role = 'admin' where user_id = 'b1000000-0000-4000-8000-000000000000' $$,
  'P0001', 'an organisation must keep at least one owner',
  'the last owner of org B cannot demote themselves');

-- =====================================================================
-- admin of org A: changes org A, nothing elsewhere, never owners
-- =====================================================================
select tests.login_as_user('a2000000-0000-4000-8000-000000000000');

select tests.changes_rows($$ update public.agents set first_message = 'Guten Tag!' $$, 2, 'admin updates exactly the 2 agents of org A');
select tests.changes_rows($$ update public.agents set name = 'Hijacked' where org_id = '0b000000-0000-4000-8000-000000000000' $$, 0, 'admin of A cannot update agents of org B');
select lives_ok(
  $$ insert into public.agents (id, org_id, name, language, first_message) values ('a9000000-0000-4000-8000-000000000003', '0a000000-0000-4000-8000-000000000000', 'A night', 'de', 'Guten Abend') $$,
  'admin can create an agent in org A');
select throws_ok(
  $$ insert into public.agents (org_id, name, language, first_message) values ('0b000000-0000-4000-8000-000000000000', 'Foreign', 'fr', 'Bonjour') $$,
  '42501', 'new row violates row-level security policy for table "agents"',
  'admin of A cannot create an agent in org B (cross-org insert)');
select throws_ok(
  $$ update public.agents set org_id = '0b000000-0000-4000-8000-000000000000' where id = 'a9000000-0000-4000-8000-000000000002' $$,
  '42501', 'permission denied for table agents',
  'admin cannot move an agent into org B (org_id is not writable)');
select tests.changes_rows($$ delete from public.agents where id = 'a9000000-0000-4000-8000-000000000003' $$, 1, 'admin can delete an agent of org A');
select tests.changes_rows($$ update public.privacy_preferences set retention_days = 90 $$, 1, 'admin can change the privacy preferences of org A (1 row)');
select is((select retention_days from public.privacy_preferences where org_id = '0a000000-0000-4000-8000-000000000000'), 90,
  'the new retention period is stored');
select tests.changes_rows($$ update public.privacy_preferences set retention_days = 365 where org_id = '0b000000-0000-4000-8000-000000000000' $$, 0, 'admin of A cannot change the privacy preferences of org B');
select tests.changes_rows($$ update public.organizations set name = 'Org A GmbH' $$, 1, 'admin can rename org A, and only org A');
select throws_ok($$ update public.calls set outcome = 'lead' $$, '42501', 'permission denied for table calls', 'admin cannot rewrite calls either (webhooks write them)');
select tests.changes_rows($$ delete from public.transcripts where call_id = 'a8000000-0000-4000-8000-000000000002' $$, 1, 'admin can delete a transcript of org A');
select tests.changes_rows($$ delete from public.leads where org_id = '0b000000-0000-4000-8000-000000000000' $$, 0, 'admin of A cannot delete leads of org B');

-- membership management
select throws_ok(
  $$ insert into public.memberships (org_id, user_id, role) values ('0a000000-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000000', 'owner') $$,
  '42501', 'new row violates row-level security policy for table "memberships"',
  'admin cannot add an owner');
select lives_ok(
  $$ insert into public.memberships (org_id, user_id, role) values ('0a000000-0000-4000-8000-000000000000', 'c1000000-0000-4000-8000-000000000000', 'member') $$,
  'admin can add a member');
select throws_ok(
  $$ update public.memberships set role = 'owner' where user_id = 'a3000000-0000-4000-8000-000000000000' $$,
  '42501', 'new row violates row-level security policy for table "memberships"',
  'admin cannot promote a member to owner');
select throws_ok(
  $$ update public.memberships set role = 'owner' where user_id = 'a2000000-0000-4000-8000-000000000000' $$,
  '42501', 'new row violates row-level security policy for table "memberships"',
  'admin cannot promote themselves to owner');
select tests.changes_rows($$ update public.memberships set role = 'admin' where user_id = 'a3000000-0000-4000-8000-000000000000' $$, 1, 'admin can make a member an admin');
select tests.changes_rows($$ update public.memberships set role = 'member' where user_id = 'a3000000-0000-4000-8000-000000000000' $$, 1, 'admin can make an admin a member again');
select tests.changes_rows($$ update public.memberships set role = 'member' where user_id = 'a1000000-0000-4000-8000-000000000000' $$, 0, 'admin cannot demote an owner');
select tests.changes_rows($$ delete from public.memberships where user_id = 'a1000000-0000-4000-8000-000000000000' $$, 0, 'admin cannot remove an owner');
select tests.changes_rows($$ delete from public.memberships where user_id = 'c1000000-0000-4000-8000-000000000000' $$, 1, 'admin can remove a member');

-- requests and notices
select is((select count(*)::int from public.erasure_requests), 1, 'admin reads the erasure request of org A only');
select is((select count(*)::int from public.exports),          1, 'admin reads the export of org A only');
select lives_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at) values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'email', '\x0a09', 'confirmed', 'a2000000-0000-4000-8000-000000000000', now(), now() + interval '1 month') $$,
  'admin can file an erasure request for org A');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, status, completed_at, requested_by, due_at) values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'email', 'completed', now(), 'a2000000-0000-4000-8000-000000000000', now() + interval '30 days') $$,
  '42501', 'permission denied for table erasure_requests',
  'admin cannot file an erasure request that claims to be done already (completed_at is not writable)');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, requested_by, due_at) values ('0b000000-0000-4000-8000-000000000000', 'dashboard', 'email', 'a2000000-0000-4000-8000-000000000000', now() + interval '30 days') $$,
  '42501', 'new row violates row-level security policy for table "erasure_requests"',
  'admin of A cannot file an erasure request for org B');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, requested_by, due_at) values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'email', 'a1000000-0000-4000-8000-000000000000', now() + interval '30 days') $$,
  '42501', 'new row violates row-level security policy for table "erasure_requests"',
  'admin cannot file an erasure request in somebody else''s name');
select is((select count(*)::int from public.subprocessor_notices), 1, 'admin reads the sub-processor notice of org A only');
select tests.changes_rows($$ update public.subprocessor_notices set objected_at = now(), objection_reason = 'no' $$, 0, 'admin cannot object to a sub-processor (owners only)');

-- =====================================================================
-- owner of org A
-- =====================================================================
select tests.login_as_user('a1000000-0000-4000-8000-000000000000');

select tests.changes_rows($$ update public.subprocessor_notices set objected_at = now(), objection_reason = 'data leaves the EU' $$, 1, 'owner can object to a sub-processor for org A (1 row)');
select tests.changes_rows($$ update public.agents set name = 'Hijacked' where org_id = '0b000000-0000-4000-8000-000000000000' $$, 0, 'owner of A cannot update agents of org B');
select throws_ok(
  $$ insert into public.transcripts (org_id, content) values ('0a000000-0000-4000-8000-000000000000', '[]') $$,
  '42501', 'permission denied for table transcripts', 'even an owner cannot write transcripts (webhooks do)');

-- =====================================================================
-- The activity log: owners and admins read their organisation's rows;
-- anyone appends rows only about their own actions in their organisations.
-- =====================================================================
select is((select count(*)::int from public.audit_logs), 2, 'owner of A reads the 2 audit rows of org A');
select results_eq('select distinct org_id from public.audit_logs', array['0a000000-0000-4000-8000-000000000000'::uuid],
  'owner of A reads no audit row of org B nor platform rows');

select tests.login_as_user('a2000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.audit_logs), 2, 'admin of A reads the 2 audit rows of org A');

select tests.login_as_user('b1000000-0000-4000-8000-000000000000');
select results_eq('select action from public.audit_logs', array['agent.created'],
  'owner of B reads only the audit row of org B');

select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select lives_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  'a member can append an audit row about their own action');
select is((select count(*)::int from public.audit_logs), 0, 'and still cannot read the log');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'agent.deleted', 'agent', 'a9000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'an authenticated user cannot insert an audit row claiming another actor_id');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', null, 'agent.deleted', 'agent', 'a9000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'an authenticated user cannot insert an anonymous audit row');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, acting_as_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'agent.deleted', 'agent', 'a9000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'an authenticated user cannot claim to be acting as somebody else');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0b000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'agent.deleted', 'agent', 'a9000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'an authenticated user cannot append to another organisation''s log');
select throws_ok(
  $$ update public.audit_logs set action = 'x' returning id $$,
  '0A000', null,
  'UPDATE ... RETURNING on the audit log is refused outright (DO INSTEAD NOTHING rule)');

-- while a support operator impersonates the member, rows name the operator
select tests.login_as_user('a3000000-0000-4000-8000-000000000000', '{"impersonator_id": "d1000000-0000-4000-8000-000000000000"}');
select lives_ok(
  $$ insert into public.audit_logs (org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'operator', 'd1000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  'an impersonating operator appends rows as themselves, acting as the user');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'while impersonated, a row cannot hide the operator behind the user');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'operator', 'd2000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'while impersonated, a row cannot name another operator');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'operator', 'd1000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'while impersonated, a row cannot claim to act as another user');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id) values (null, 'operator', 'd1000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'while impersonated, no platform-wide row (org_id null)');

select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_type, actor_id, acting_as_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'operator', 'a3000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'a user who is not impersonated cannot write operator rows');

select tests.login_as_user('a1000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.audit_logs), 4, 'owner of A now reads 4 audit rows (2 + member + operator)');

-- =====================================================================
-- service_role: the backend, across organisations (bypasses RLS)
-- =====================================================================
select tests.login_as_service_role();

select is((select count(*)::int from public.organizations), 2, 'service_role sees both organisations');
select is((select count(*)::int from public.agents),        5, 'service_role sees the agents of both organisations');
select is((select count(*)::int from public.calls),         3, 'service_role sees the calls of both organisations');
select is((select count(*)::int from public.call_consents), 3, 'service_role sees the consent records of both organisations');
select set_eq('select distinct chain_key from public.audit_logs',
  array['0a000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', '00000000-0000-0000-0000-000000000000']::uuid[],
  'service_role sees every audit chain, platform chain included');
select is((select count(*)::int from public.agents where name = 'Hijacked'), 0, 'no refused update went through');
select is((select name from public.organizations where id = '0b000000-0000-4000-8000-000000000000'), 'Org B', 'org B kept its name');
select is((select retention_days from public.privacy_preferences where org_id = '0b000000-0000-4000-8000-000000000000'), 30,
  'org B kept its retention period');
select is((select count(*)::int from public.leads), 3, 'no lead was deleted');
select is((select count(*)::int from public.agents where org_id = '0b000000-0000-4000-8000-000000000000'), 3, 'org B kept its 3 agents');

-- =====================================================================
-- Owners and the last-owner guard
-- =====================================================================
select tests.login_as_user('a1000000-0000-4000-8000-000000000000');

select throws_ok(
  $$ delete from public.memberships where user_id = 'a1000000-0000-4000-8000-000000000000' $$,
  'P0001', 'an organisation must keep at least one owner',
  'the last owner of org A cannot leave');
select throws_ok(
  $$ update public.memberships set role = 'admin' where user_id = 'a1000000-0000-4000-8000-000000000000' $$,
  'P0001', 'an organisation must keep at least one owner',
  'the last owner of org A cannot demote themselves');
select throws_ok(
  $$ update public.memberships set org_id = '0b000000-0000-4000-8000-000000000000' where user_id = 'a3000000-0000-4000-8000-000000000000' $$,
  '42501', 'permission denied for table memberships',
  'an owner of A cannot move a membership into org B (org_id is not writable)');
select tests.changes_rows($$ update public.memberships set role = 'owner' where user_id = 'a3000000-0000-4000-8000-000000000000' $$, 1, 'an owner can promote a member to owner');

-- the new owner demotes the original one, and is then the last owner
select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select tests.changes_rows($$ update public.memberships set role = 'admin' where user_id = 'a1000000-0000-4000-8000-000000000000' $$, 1, 'with a second owner, an owner can be demoted by another owner');
select throws_ok(
  $$ delete from public.memberships where user_id = 'a3000000-0000-4000-8000-000000000000' $$,
  'P0001', 'an organisation must keep at least one owner',
  'the remaining owner cannot leave');
select tests.changes_rows($$ delete from public.memberships where user_id = 'a2000000-0000-4000-8000-000000000000' $$, 1, 'an owner can remove an admin');

-- the former owner, now an admin, can no longer touch the owner
select tests.login_as_user('a1000000-0000-4000-8000-000000000000');
select tests.changes_rows($$ update public.memberships set role = 'member' where user_id = 'a3000000-0000-4000-8000-000000000000' $$, 0, 'a demoted owner (now admin) cannot demote the owner');
select is((select role from public.memberships where user_id = 'a1000000-0000-4000-8000-000000000000'), 'admin',
  'the demoted owner is an admin now');

-- =====================================================================
-- Creating an organisation
-- =====================================================================
select tests.login_as_user('c1000000-0000-4000-8000-000000000000');

select ok(app.create_organization('Outsider Ltd') is not null, 'a signed-in user can create an organisation');
select results_eq('select name from public.organizations', array['Outsider Ltd'], 'the creator sees the new organisation');
select results_eq('select role from public.memberships', array['owner'], 'the creator is its owner');
select results_eq('select retention_days from public.privacy_preferences', array[30], 'it starts with the default privacy preferences');

select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.organizations where name = 'Outsider Ltd'), 0, 'other users do not see it');

select tests.logout();
select throws_ok(
  $$ select app.create_organization('Nobody''s Org') $$,
  '42501', 'not signed in', 'app.create_organization refuses a caller without a user id');

-- =====================================================================
-- Deleting an organisation cascades past the last-owner guard, and the
-- append-only records outlive it
-- =====================================================================
select lives_ok(
  $$ delete from public.organizations where id = '0b000000-0000-4000-8000-000000000000' $$,
  'an organisation can be deleted although it has a (last) owner');
select is((select count(*)::int from public.memberships where org_id = '0b000000-0000-4000-8000-000000000000'), 0,
  'its memberships are gone');
select is((select count(*)::int from public.agents where org_id = '0b000000-0000-4000-8000-000000000000'), 0,
  'its agents are gone');
select is((select count(*)::int from public.audit_logs where org_id = '0b000000-0000-4000-8000-000000000000'), 1,
  'its audit rows remain');
select is((select count(*)::int from public.call_consents where org_id = '0b000000-0000-4000-8000-000000000000'), 1,
  'its proof of consent remains');

select * from finish();
ROLLBACK;
