-- A processor's breach notices: each organisation's members read the incidents
-- naming their organisation (and only what it needs of them) and the notice
-- rows; only owners and admins acknowledge, through app.acknowledge_incident;
-- nobody but the backend writes the notice rows.
--
-- Fixtures: org A (owner a1…, admin a2…, member a3…), org B (owner b1…),
-- an outsider c1…; incident 1 names A and B, incident 2 names only B.
-- Everything is rolled back at the end.
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

create or replace function tests.logout()
returns void language plpgsql as $$
begin
  perform pg_catalog.set_config('role', 'none', true);
  perform pg_catalog.set_config('request.jwt.claims', '', true);
end
$$;

-- Runs a statement as the current role: the rows it changed, or the error's SQLSTATE.
create or replace function tests.outcome(p_sql text)
returns text language plpgsql as $$
declare
  v_count integer;
begin
  execute p_sql;
  get diagnostics v_count = row_count;
  return v_count::text;
exception when others then
  return sqlstate;
end
$$;

grant execute on all functions in schema tests to anon, authenticated, service_role;

select plan(16);

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
  ('0a000000-0000-4000-8000-000000000000'), ('0b000000-0000-4000-8000-000000000000');
insert into public.security_incidents (id, title, severity, detected_at, description, affected_org_ids) values
  ('e1000000-0000-4000-8000-000000000000', 'Both', 'high', now(), 'internal', '{0a000000-0000-4000-8000-000000000000,0b000000-0000-4000-8000-000000000000}'),
  ('e2000000-0000-4000-8000-000000000000', 'Only B', 'low', now(), 'internal', '{0b000000-0000-4000-8000-000000000000}');

-- The trigger wrote one notice row per organisation named --------------------------
select is((select count(*)::int from public.incident_organizations), 3, 'one notice row per organisation an incident names');

-- Reads ------------------------------------------------------------------------------
select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.incident_organizations), 1, 'a member of A sees only A''s notice');
select results_eq($$ select id from public.security_incidents $$, $$ values ('e1000000-0000-4000-8000-000000000000'::uuid) $$,
  'a member of A sees only the incident naming A');
select is(tests.outcome($$ select description from public.security_incidents $$), '42501', 'the register''s internal description is not readable');
select is(tests.outcome($$ select affected_org_ids from public.security_incidents $$), '42501', 'which other organisations are named is not readable');
select is(tests.outcome($$ select authority_reference from public.security_incidents $$), '42501', 'the authority reference is not readable');
select tests.logout();

select tests.login_as_user('b1000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.security_incidents), 2, 'the owner of B sees both incidents naming B');
select tests.logout();

select tests.login_as_user('c1000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.security_incidents) + (select count(*)::int from public.incident_organizations), 0,
  'an outsider sees no incident and no notice');
select tests.logout();

select tests.login_as_anon();
select is(tests.outcome($$ select 1 from public.incident_organizations $$), '42501', 'anon cannot read notices');
select tests.logout();

-- Writes -----------------------------------------------------------------------------
select tests.login_as_user('a1000000-0000-4000-8000-000000000000');
select is(tests.outcome($$ update public.incident_organizations set acknowledged_at = now(), acknowledged_via = 'api' $$), '42501',
  'an owner cannot write the notice row directly');
select is(tests.outcome($$ insert into public.incident_organizations (incident_id, org_id) values ('e2000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000') $$), '42501',
  'nobody names their organisation in an incident');
select tests.logout();

select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select is(tests.outcome($$ select app.acknowledge_incident('e1000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', now(), 'api') $$), '42501',
  'a member cannot acknowledge');
select tests.logout();

select tests.login_as_user('a2000000-0000-4000-8000-000000000000');
select is(tests.outcome($$ select app.acknowledge_incident('e2000000-0000-4000-8000-000000000000', '0b000000-0000-4000-8000-000000000000', now(), 'api') $$), '42501',
  'an admin of A cannot acknowledge for B');
select ok(app.acknowledge_incident('e1000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', now(), 'api'),
  'an admin of A acknowledges A''s notice');
select ok(not app.acknowledge_incident('e1000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000', now(), 'dashboard'),
  'a second acknowledgement changes nothing');
select tests.logout();

select results_eq(
  $$ select org_id, acknowledged_by, acknowledged_via from public.incident_organizations where acknowledged_at is not null $$,
  $$ values ('0a000000-0000-4000-8000-000000000000'::uuid, 'a2000000-0000-4000-8000-000000000000'::uuid, 'api'::text) $$,
  'only A''s notice is acknowledged, by the admin, through the API');

select * from finish();
ROLLBACK;
