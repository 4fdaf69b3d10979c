-- The sign-in trail and the installation record: app.sign_in_sessions and
-- app.installation are the backend's alone (no request role reaches them), and
-- auth.signed_in is an action only the backend writes: a user's own token
-- cannot append one, not even for themselves in their own organisation.
-- Everything is rolled back at the end.
BEGIN;
\ir lib/use-pgtap.sql

select plan(12);

select ok(not has_table_privilege('anon', 'app.sign_in_sessions', 'SELECT'), 'anon cannot read app.sign_in_sessions');
select ok(not has_table_privilege('authenticated', 'app.sign_in_sessions', 'SELECT'), 'authenticated cannot read app.sign_in_sessions');
select ok(not has_table_privilege('authenticated', 'app.sign_in_sessions', 'INSERT'), 'authenticated cannot insert into app.sign_in_sessions');
select ok(has_table_privilege('service_role', 'app.sign_in_sessions', 'INSERT'), 'service_role records sessions');
select ok(has_table_privilege('service_role', 'app.sign_in_sessions', 'DELETE'), 'service_role prunes sessions');
select ok(not has_table_privilege('authenticated', 'app.installation', 'SELECT'), 'authenticated cannot read app.installation');
select ok(not has_table_privilege('service_role', 'app.installation', 'UPDATE'), 'service_role cannot change when the installation began');
select is((select count(*)::int from app.installation), 1, 'one installation row');
select ok(not exists (select 1 from app.user_audit_actions where action = 'auth.signed_in'), 'auth.signed_in is not an action users may append');

-- A member of their own organisation tries to append a sign-in row of their own.
insert into public.users (id, email) values ('5a000000-0000-4000-8000-0000000000a1', null);
insert into public.organizations (id, name, created_by) values ('5a000000-0000-4000-8000-000000000000', 'Trail A', '5a000000-0000-4000-8000-0000000000a1');
insert into public.memberships (org_id, user_id, role, accepted_at) values ('5a000000-0000-4000-8000-000000000000', '5a000000-0000-4000-8000-0000000000a1', 'owner', now());

set local role authenticated;
select pg_catalog.set_config('request.jwt.claims', '{"sub": "5a000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select throws_ok(
  $$insert into public.audit_logs (org_id, actor_type, actor_id, action, target_type, target_id, metadata)
    values ('5a000000-0000-4000-8000-000000000000', 'user', '5a000000-0000-4000-8000-0000000000a1', 'auth.signed_in', 'user',
            '5a000000-0000-4000-8000-0000000000a1', '{"method": "magic_link"}')$$,
  '42501', null, 'a user cannot append an auth.signed_in row');
select lives_ok(
  $$insert into public.audit_logs (org_id, actor_type, actor_id, action, target_type, target_id, metadata)
    values ('5a000000-0000-4000-8000-000000000000', 'user', '5a000000-0000-4000-8000-0000000000a1', 'organization.updated', 'organization',
            '5a000000-0000-4000-8000-000000000000', '{}')$$,
  'the same user may append an action of theirs (the refusal is the action''s)');
select throws_ok($$select * from app.sign_in_sessions$$, '42501', null, 'a user reading app.sign_in_sessions is refused');
reset role;

select * from finish();
ROLLBACK;
