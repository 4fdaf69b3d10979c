-- Invitations: an invitation is not yet a membership. The invitee sees only
-- the invitation (app.my_invitations) and answers it themselves
-- (app.accept_invitation, app.decline_invitation); until accepted it grants
-- nothing, and a pending owner invitation does not count as an owner.
--
-- Fixtures (as the superuser running the test, which bypasses RLS):
--   org A 0a000000-…  owner a1 (accepted), pending: e1 member, e2 admin, e3 member, o1 owner
--   org B 0b000000-…  owner b1 (accepted)
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
  ('b1000000-0000-4000-8000-000000000000', 'owner-b@example.test'),
  ('e1000000-0000-4000-8000-000000000000', 'invitee-1@example.test'),
  ('e2000000-0000-4000-8000-000000000000', 'invitee-2@example.test'),
  ('e3000000-0000-4000-8000-000000000000', 'invitee-3@example.test'),
  ('f1000000-0000-4000-8000-000000000000', 'owner-invitee@example.test');
insert into public.memberships (org_id, user_id, role, invited_by, invited_at, accepted_at) values
  ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'owner',  null, null, now()),
  ('0b000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'owner',  null, null, now()),
  ('0a000000-0000-4000-8000-000000000000', 'e1000000-0000-4000-8000-000000000000', 'member', 'a1000000-0000-4000-8000-000000000000', now(), null),
  ('0a000000-0000-4000-8000-000000000000', 'e2000000-0000-4000-8000-000000000000', 'admin',  'a1000000-0000-4000-8000-000000000000', now(), null),
  ('0a000000-0000-4000-8000-000000000000', 'e3000000-0000-4000-8000-000000000000', 'member', 'a1000000-0000-4000-8000-000000000000', now(), null),
  ('0a000000-0000-4000-8000-000000000000', 'f1000000-0000-4000-8000-000000000000', 'owner',  'a1000000-0000-4000-8000-000000000000', now(), null);
insert into public.privacy_preferences (org_id) values
  ('0a000000-0000-4000-8000-000000000000'),
  ('0b000000-0000-4000-8000-000000000000');
insert into public.agents (org_id, name, language, first_message) values
  ('0a000000-0000-4000-8000-000000000000', 'A reception', 'de', 'Guten Tag'),
  ('0a000000-0000-4000-8000-000000000000', 'A support',   'en', 'Hello');

select plan(26);

-- A pending invitee: nothing of the organisation but the invitation ----------------
select tests.login_as_user('e1000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.organizations),       0, 'invitee reads no organisation');
select is((select count(*)::int from public.memberships),         0, 'invitee reads no membership');
select is((select count(*)::int from public.agents),              0, 'invitee reads no agent');
select is((select count(*)::int from public.privacy_preferences), 0, 'invitee reads no privacy preferences');
select is((select count(*)::int from public.users),               1, 'invitee reads only their own user row');
select is((select count(*)::int from app.my_invitations()),       1, 'invitee sees their one invitation');
select is((select org_name from app.my_invitations()), 'Org A', 'with the organisation''s name');
select is((select role from app.my_invitations()), 'member', 'and the role it was sent with');
select throws_ok(
  $$ update public.memberships set accepted_at = now() where user_id = 'e1000000-0000-4000-8000-000000000000' $$,
  '42501', null, 'invitee cannot set accepted_at directly (no column grant)');
select is(app.accept_invitation('0b000000-0000-4000-8000-000000000000'), null, 'nothing to accept where not invited');

-- Another invitee answers only their own invitation ---------------------------------
select tests.login_as_user('e2000000-0000-4000-8000-000000000000');
select is(app.accept_invitation('0a000000-0000-4000-8000-000000000000'), 'admin', 'invitee 2 accepts their own invitation (admin)');
select is((select count(*)::int from app.my_invitations()), 0, 'invitee 2 has no invitation left');
select tests.logout();
select ok((select accepted_at is null from public.memberships
            where user_id = 'e1000000-0000-4000-8000-000000000000'), 'invitee 1''s invitation is still pending');

-- An accepted admin cannot answer for the pending invitee
select tests.login_as_user('e2000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.memberships where user_id = 'e1000000-0000-4000-8000-000000000000'),
  1, 'an accepted admin sees the pending invitation in the member list');
select tests.logout();

-- Accepting makes the invitee a member -----------------------------------------------
select tests.login_as_user('e1000000-0000-4000-8000-000000000000');
select is(app.accept_invitation('0a000000-0000-4000-8000-000000000000'), 'member', 'invitee 1 accepts');
select is((select count(*)::int from public.organizations), 1, 'now reads the organisation');
select is((select count(*)::int from public.agents),        2, 'and its agents');
select is(app.accept_invitation('0a000000-0000-4000-8000-000000000000'), null, 'accepting twice does nothing');
select is(app.decline_invitation('0a000000-0000-4000-8000-000000000000'), null, 'an accepted membership cannot be "declined"');
select is((select count(*)::int from public.memberships where user_id = auth.uid()), 1, 'and stays');

-- Declining removes the invitation ---------------------------------------------------
select tests.login_as_user('e3000000-0000-4000-8000-000000000000');
select is(app.decline_invitation('0a000000-0000-4000-8000-000000000000'), 'member', 'invitee 3 declines');
select tests.logout();
select is((select count(*)::int from public.memberships where user_id = 'e3000000-0000-4000-8000-000000000000'), 0, 'the invitation is gone');

-- A pending owner invitation is not an owner -----------------------------------------
select throws_ok(
  $$ update public.memberships set role = 'admin' where user_id = 'a1000000-0000-4000-8000-000000000000' $$,
  'P0001', 'an organisation must keep at least one owner', 'the only accepted owner stays an owner despite a pending owner invitation');
select tests.login_as_user('f1000000-0000-4000-8000-000000000000');
select is(app.decline_invitation('0a000000-0000-4000-8000-000000000000'), 'owner', 'a pending owner invitation can be declined');
select tests.logout();

-- Nobody else reaches the functions ---------------------------------------------------
select tests.login_as_anon();
select throws_ok($$ select * from app.my_invitations() $$, '42501', null, 'anon cannot list invitations');
select throws_ok($$ select app.accept_invitation('0a000000-0000-4000-8000-000000000000') $$, '42501', null, 'anon cannot accept');
select tests.logout();

select * from finish();
ROLLBACK;
