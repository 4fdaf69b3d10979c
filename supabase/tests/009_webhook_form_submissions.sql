-- The webhook registration form's one-time ids: app.webhook_form_submissions
-- is the backend's (no request role reads or writes it directly); an owner or
-- admin reaches it only through app.webhook_form_submission and
-- app.record_webhook_form_submission, for their own organisation, and a form
-- id registers once. Everything is rolled back at the end.
BEGIN;
\ir lib/use-pgtap.sql

select plan(16);

select ok(not has_table_privilege('anon', 'app.webhook_form_submissions', 'SELECT'), 'anon cannot read app.webhook_form_submissions');
select ok(not has_table_privilege('authenticated', 'app.webhook_form_submissions', 'SELECT'), 'authenticated cannot read app.webhook_form_submissions');
select ok(not has_table_privilege('authenticated', 'app.webhook_form_submissions', 'INSERT'), 'authenticated cannot insert into app.webhook_form_submissions');
select ok(not has_table_privilege('authenticated', 'app.webhook_form_submissions', 'DELETE'), 'authenticated cannot delete from app.webhook_form_submissions');
select ok(has_table_privilege('service_role', 'app.webhook_form_submissions', 'DELETE'), 'service_role prunes old form ids');
select ok((select relrowsecurity from pg_catalog.pg_class where oid = 'app.webhook_form_submissions'::regclass), 'RLS enabled on app.webhook_form_submissions');
select ok(not has_function_privilege('anon', 'app.record_webhook_form_submission(uuid, uuid, uuid)', 'EXECUTE'), 'anon cannot record a form submission');
select ok(not has_function_privilege('anon', 'app.webhook_form_submission(uuid, uuid)', 'EXECUTE'), 'anon cannot look a form submission up');

-- An owner of organisation A with an endpoint; a member of A; organisation B.
insert into public.users (id, email) values
  ('6b000000-0000-4000-8000-0000000000a1', null),
  ('6b000000-0000-4000-8000-0000000000a2', null),
  ('6b000000-0000-4000-8000-0000000000b1', null);
insert into public.organizations (id, name, created_by) values
  ('6b000000-0000-4000-8000-00000000000a', 'Forms A', '6b000000-0000-4000-8000-0000000000a1'),
  ('6b000000-0000-4000-8000-00000000000b', 'Forms B', '6b000000-0000-4000-8000-0000000000b1');
insert into public.memberships (org_id, user_id, role, accepted_at) values
  ('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000a1', 'owner', now()),
  ('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000a2', 'member', now()),
  ('6b000000-0000-4000-8000-00000000000b', '6b000000-0000-4000-8000-0000000000b1', 'owner', now());
insert into public.webhook_endpoints (id, org_id, url, events, secret, created_by) values
  ('6b000000-0000-4000-8000-0000000000e1', '6b000000-0000-4000-8000-00000000000a', 'https://hooks.example.com/a', array['call.completed'], 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=', '6b000000-0000-4000-8000-0000000000a1'),
  ('6b000000-0000-4000-8000-0000000000e2', '6b000000-0000-4000-8000-00000000000b', 'https://hooks.example.com/b', array['call.completed'], 'whsec_dGVzdHRlc3R0ZXN0dGVzdHRlc3R0ZXN0dGVzdHRlc3Q=', '6b000000-0000-4000-8000-0000000000b1');

set local role authenticated;
select pg_catalog.set_config('request.jwt.claims', '{"sub": "6b000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select is_empty($$select * from app.webhook_form_submission('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000f1')$$,
  'a fresh form id was not submitted');
select lives_ok($$select app.record_webhook_form_submission('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000f1', '6b000000-0000-4000-8000-0000000000e1')$$,
  'the owner records the form that registered their endpoint');
select results_eq($$select endpoint_id from app.webhook_form_submission('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000f1')$$,
  $$values ('6b000000-0000-4000-8000-0000000000e1'::uuid)$$, 'the form is found submitted, with its endpoint');
select throws_ok($$select app.record_webhook_form_submission('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000f1', '6b000000-0000-4000-8000-0000000000e1')$$,
  '23505', null, 'the same form id cannot be recorded twice');
select throws_ok($$select app.record_webhook_form_submission('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000f2', '6b000000-0000-4000-8000-0000000000e2')$$,
  '23503', null, 'a form cannot be recorded with another organisation''s endpoint');
select throws_ok($$select * from app.webhook_form_submission('6b000000-0000-4000-8000-00000000000b', '6b000000-0000-4000-8000-0000000000f1')$$,
  '42501', null, 'no look-up in an organisation one is not an owner or admin of');
select throws_ok($$select * from app.webhook_form_submissions$$, '42501', null, 'a user reading the table directly is refused');

select pg_catalog.set_config('request.jwt.claims', '{"sub": "6b000000-0000-4000-8000-0000000000a2", "role": "authenticated"}', true);
select throws_ok($$select app.record_webhook_form_submission('6b000000-0000-4000-8000-00000000000a', '6b000000-0000-4000-8000-0000000000f3', '6b000000-0000-4000-8000-0000000000e1')$$,
  '42501', null, 'a member cannot record a form submission');
reset role;

select * from finish();
ROLLBACK;
