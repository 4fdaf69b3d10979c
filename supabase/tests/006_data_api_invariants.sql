-- What a signed-in user can write through Supabase's Data API is what the
-- product writes (see the data_api_invariants migration): no own users row,
-- audit rows of the product's actions without personal data, references inside
-- one organisation, erasure requests as the dashboard files them, webhook URLs
-- checked on every write.
--
-- Fixtures: org A (owner a1…, admin a2…, member a3…), org B (owner b1…).
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

grant execute on all functions in schema tests to anon, authenticated, service_role;

-- Fixtures -------------------------------------------------------------------------
insert into public.organizations (id, name) values
  ('0a000000-0000-4000-8000-000000000000', 'Org A'),
  ('0b000000-0000-4000-8000-000000000000', 'Org B');
insert into public.users (id, email) values
  ('a1000000-0000-4000-8000-000000000000', 'owner-a@example.test'),
  ('a2000000-0000-4000-8000-000000000000', 'admin-a@example.test'),
  ('a3000000-0000-4000-8000-000000000000', 'member-a@example.test'),
  ('b1000000-0000-4000-8000-000000000000', 'owner-b@example.test');
insert into public.memberships (org_id, user_id, role, accepted_at) values
  ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'owner', now()),
  ('0a000000-0000-4000-8000-000000000000', 'a2000000-0000-4000-8000-000000000000', 'admin', now()),
  ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'member', now()),
  ('0b000000-0000-4000-8000-000000000000', 'b1000000-0000-4000-8000-000000000000', 'owner', now());
insert into public.agents (id, org_id, name, language, first_message) values
  ('a9000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000', 'A reception', 'de', 'Guten Tag'),
  ('b9000000-0000-4000-8000-000000000001', '0b000000-0000-4000-8000-000000000000', 'B reception', 'fr', 'Bonjour');
insert into public.phone_numbers (id, org_id, agent_id, e164) values
  ('a7000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000', 'a9000000-0000-4000-8000-000000000001', '+493000000001');
insert into public.webhook_endpoints (id, org_id, url, events, secret) values
  ('a6000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000', 'https://hooks.example.com/crm', '{call.completed}',
   'whsec_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=');

-- Tables in public that are not the project's: a customer's own tables on
-- their Supabase project (scripts/pgtap.sh sets tests.customer_tables from
-- PGTAP_CUSTOMER_TABLES). The whole-schema checks leave them out.
create temp view customer_tables as
  select unnest(coalesce(nullif(current_setting('tests.customer_tables', true), ''), '{}')::regclass[]) as oid;

select plan(41);

-- =====================================================================
-- Privileges
-- =====================================================================
select ok(not has_table_privilege('authenticated', 'public.users', 'INSERT'), 'authenticated cannot insert users rows (the backend creates them)');
select set_eq(
  $$ select a.attname::text from pg_catalog.pg_attribute a
      where a.attrelid = 'public.users'::regclass and a.attnum > 0 and not a.attisdropped
        and has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE') $$,
  array['display_name', 'last_seen_at'],
  'authenticated may update only display_name and last_seen_at of users (never the e-mail address or its hash)');
select set_eq(
  $$ select a.attname::text from pg_catalog.pg_attribute a
      where a.attrelid = 'public.privacy_preferences'::regclass and a.attnum > 0 and not a.attisdropped
        and has_column_privilege('authenticated', a.attrelid, a.attnum, 'UPDATE') $$,
  array['retention_days', 'dtmf_consent', 'consent_scope', 'transcript_encryption', 'privacy_contact_email', 'updated_by'],
  'authenticated may update only the switches of privacy_preferences (consent_scope and the privacy contact among them), never its organisation');
select set_eq(
  $$ select a.attname::text from pg_catalog.pg_attribute a
      where a.attrelid = 'public.audit_logs'::regclass and a.attnum > 0 and not a.attisdropped
        and has_column_privilege('authenticated', a.attrelid, a.attnum, 'INSERT') $$,
  array['id', 'org_id', 'actor_type', 'actor_id', 'acting_as_id', 'action', 'target_type', 'target_id', 'request_id', 'ip', 'metadata'],
  'authenticated may not set the chain columns or the time of an audit row');
select set_eq(
  $$ select a.attname::text from pg_catalog.pg_attribute a
      where a.attrelid = 'public.erasure_requests'::regclass and a.attnum > 0 and not a.attisdropped
        and has_column_privilege('authenticated', a.attrelid, a.attnum, 'INSERT') $$,
  array['org_id', 'source', 'subject_type', 'subject_hash', 'status', 'requested_by', 'confirmed_at', 'due_at'],
  'authenticated may insert only the columns the dashboard route files into erasure_requests');
select is_empty(
  $$ select c.relname::text || '.' || a.attname
       from pg_catalog.pg_class c
       join pg_catalog.pg_namespace n on n.oid = c.relnamespace
       join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
      where n.nspname = 'public' and c.relkind in ('r', 'p')
        and c.oid not in (select oid from customer_tables)
        and a.attname in ('id', 'org_id', 'user_id', 'created_by', 'created_at', 'requested_by')
        and (has_column_privilege('authenticated', c.oid, a.attnum, 'UPDATE')
             or has_column_privilege('anon', c.oid, a.attnum, 'UPDATE')) $$,
  'no request role can change an id, an organisation, an owner or a creation time: no row moves to another organisation');
select ok(
  exists (select 1 from pg_catalog.pg_constraint
           where conrelid = 'public.phone_numbers'::regclass and contype = 'f'
             and confrelid = 'public.agents'::regclass
             and conkey = array[(select attnum from pg_catalog.pg_attribute where attrelid = 'public.phone_numbers'::regclass and attname = 'agent_id'),
                                (select attnum from pg_catalog.pg_attribute where attrelid = 'public.phone_numbers'::regclass and attname = 'org_id')]::int2[]),
  'phone_numbers (agent_id, org_id) references agents (id, org_id): a number''s agent is in the number''s organisation');

-- =====================================================================
-- Invitation takeover: no user creates their own row
-- =====================================================================
select tests.login_as_user('c1000000-0000-4000-8000-000000000000', '{"email": "newcomer@example.test"}');
select throws_ok(
  $$ insert into public.users (id, email, email_hash) values ('c1000000-0000-4000-8000-000000000000', 'owner-b@example.test', '\x01') $$,
  '42501', 'permission denied for table users',
  'a newcomer cannot create their own users row with somebody else''s address');
select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
select throws_ok(
  $$ update public.users set email = 'owner-b@example.test' where id = 'a3000000-0000-4000-8000-000000000000' $$,
  '42501', 'permission denied for table users',
  'a user cannot change the e-mail address of their row');
select throws_ok(
  $$ update public.users set email_hash = '\x01' where id = 'a3000000-0000-4000-8000-000000000000' $$,
  '42501', 'permission denied for table users',
  'a user cannot change the keyed hash of their address');

-- =====================================================================
-- Audit rows written by users
-- =====================================================================
select lives_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id, request_id, ip, metadata)
     values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call',
             'a8000000-0000-4000-8000-000000000001', 'req-0123456789', '203.0.113.0/24', '{"transcript": true, "recordings": 1}') $$,
  'a member appends what the product writes when they open a call');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'forged.entry') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'an action the product never writes is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'organization', 'a8000000-0000-4000-8000-000000000001') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'a product action with another target type is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'erika@example.com') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'a target that is not an id is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id, metadata) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001', '{"note": "erika.mustermann@example.com"}') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'an e-mail address in the metadata is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id, metadata) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001', '{"caller": "+49 151 2345 6789"}') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'a phone number in the metadata is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id, metadata) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001', '{"caller": "015123456789"}') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'a bare run of digits (a national number) in the metadata is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id, ip) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001', '203.0.113.7') $$,
  '42501', 'new row violates row-level security policy for table "audit_logs"',
  'a full client address (not the network prefix the backend writes) is refused');
select throws_ok(
  $$ insert into public.audit_logs (org_id, actor_id, action, target_type, target_id, created_at) values ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'a8000000-0000-4000-8000-000000000001', now() - interval '1 year') $$,
  '42501', 'permission denied for table audit_logs',
  'a user cannot backdate an audit row');
select tests.logout();
select ok(app.has_personal_data('{"contact": "x@y.example"}') and not app.has_personal_data('{"subject_hash": "' || repeat('ab', 32) || '", "at": "2026-11-30T12:00:00Z"}'),
  'the personal-data check finds addresses and lets keyed hashes and timestamps through');

-- =====================================================================
-- References never cross organisations
-- =====================================================================
select tests.login_as_user('a2000000-0000-4000-8000-000000000000');
select throws_ok(
  $$ insert into public.phone_numbers (org_id, agent_id, e164) values ('0a000000-0000-4000-8000-000000000000', 'b9000000-0000-4000-8000-000000000001', '+493000000002') $$,
  '23503', null,
  'an admin of A cannot add a number that points at an agent of B');
select throws_ok(
  $$ update public.phone_numbers set agent_id = 'b9000000-0000-4000-8000-000000000001' where id = 'a7000000-0000-4000-8000-000000000001' $$,
  '23503', null,
  'an admin of A cannot point a number of A at an agent of B');
select throws_ok(
  $$ update public.phone_numbers set org_id = '0b000000-0000-4000-8000-000000000000' where id = 'a7000000-0000-4000-8000-000000000001' $$,
  '42501', 'permission denied for table phone_numbers',
  'a number does not move to another organisation');
select tests.login_as_service_role();
select throws_ok(
  $$ update public.phone_numbers set agent_id = 'b9000000-0000-4000-8000-000000000001' where id = 'a7000000-0000-4000-8000-000000000001' $$,
  '23503', null,
  'not even the backend points a number at another organisation''s agent');
select throws_ok(
  $$ update public.agents set org_id = '0b000000-0000-4000-8000-000000000000' where id = 'a9000000-0000-4000-8000-000000000001' $$,
  '23503', null,
  'an agent with numbers does not move to another organisation');

-- =====================================================================
-- Erasure requests: what the dashboard files, nothing the backend owns
-- =====================================================================
select tests.login_as_user('a2000000-0000-4000-8000-000000000000');
select lives_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
     values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'phone', '\x0a09', 'confirmed', 'a2000000-0000-4000-8000-000000000000', now(), now() + interval '1 month') $$,
  'an admin files a dashboard erasure request as the route does');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at, contact_email)
     values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'phone', '\x0a09', 'confirmed', 'a2000000-0000-4000-8000-000000000000', now(), now() + interval '1 month', 'victim@example.com') $$,
  '42501', 'permission denied for table erasure_requests',
  'a contact address (which the platform would e-mail) is the backend''s');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
     values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'phone', '\x0a09', 'confirmed', 'a2000000-0000-4000-8000-000000000000', now(), now() - interval '1 day') $$,
  '42501', 'new row violates row-level security policy for table "erasure_requests"',
  'a deadline other than one month after confirmation is refused');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
     values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'phone', '\x0a09', 'confirmed', 'a2000000-0000-4000-8000-000000000000', now() - interval '60 days', now() - interval '29 days') $$,
  '42501', 'new row violates row-level security policy for table "erasure_requests"',
  'a confirmation in the past is refused');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, status, requested_by, confirmed_at, due_at)
     values ('0a000000-0000-4000-8000-000000000000', 'dashboard', 'organization', 'confirmed', 'a2000000-0000-4000-8000-000000000000', now(), now() + interval '1 month') $$,
  '42501', 'new row violates row-level security policy for table "erasure_requests"',
  'a request without a person (a whole organisation) is refused');
select throws_ok(
  $$ insert into public.erasure_requests (org_id, source, subject_type, subject_hash, status, requested_by, confirmed_at, due_at)
     values ('0a000000-0000-4000-8000-000000000000', 'public', 'email', '\x0a09', 'pending_confirmation', 'a2000000-0000-4000-8000-000000000000', now(), now() + interval '1 month') $$,
  '42501', 'new row violates row-level security policy for table "erasure_requests"',
  'a public request is refused');

-- =====================================================================
-- Webhook endpoint URLs
-- =====================================================================
select lives_ok(
  $$ insert into public.webhook_endpoints (org_id, url, events, secret, created_by)
     values ('0a000000-0000-4000-8000-000000000000', 'https://hooks.example.com/voice', '{call.completed}', 'whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=', 'a2000000-0000-4000-8000-000000000000') $$,
  'an admin adds a public https:// endpoint');
select throws_ok(
  $$ insert into public.webhook_endpoints (org_id, url, events, secret, created_by)
     values ('0a000000-0000-4000-8000-000000000000', 'https://[::127.0.0.1]/x', '{call.completed}', 'whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=', 'a2000000-0000-4000-8000-000000000000') $$,
  '23514', null,
  'an IPv4-compatible IPv6 loopback address is refused');
select throws_ok(
  $$ insert into public.webhook_endpoints (org_id, url, events, secret, created_by)
     values ('0a000000-0000-4000-8000-000000000000', 'http://hooks.example.com/x', '{call.completed}', 'whsec_BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB=', 'a2000000-0000-4000-8000-000000000000') $$,
  '23514', null,
  'plain http:// is refused');
select throws_ok(
  $$ update public.webhook_endpoints set url = 'https://169.254.169.254/latest/meta-data' where id = 'a6000000-0000-4000-8000-000000000001' $$,
  '23514', null,
  'changing the url to a link-local address is refused');
select throws_ok(
  $$ update public.webhook_endpoints set url = 'https://localhost:8080/x' where id = 'a6000000-0000-4000-8000-000000000001' $$,
  '23514', null,
  'changing the url to localhost is refused');
select tests.logout();
select is(app.webhook_url_refusal('https://[::ffff:7f00:1]/x', false) is not null, true, 'an IPv4-mapped loopback address is refused');
select is(app.webhook_url_refusal('https://[2606:4700::1111]/x', false), null, 'a global unicast IPv6 address is allowed');
select is(app.webhook_url_refusal('http://127.0.0.1:9000/hook', true), null, 'with private networks allowed (local mode), http:// and loopback are taken');
select tests.login_as_service_role();
select throws_ok(
  $$ update public.webhook_endpoints set url = 'https://10.0.0.8/x' where id = 'a6000000-0000-4000-8000-000000000001' $$,
  '23514', null,
  'the backend''s own connection is held to the same rules');
select lives_ok(
  $$ select set_config('app.webhooks_allow_private_network', 'on', true);
     update public.webhook_endpoints set url = 'http://127.0.0.1:9000/hook' where id = 'a6000000-0000-4000-8000-000000000001' $$,
  'a transaction of a deployment that allows private networks may store a loopback URL');

select * from finish();
ROLLBACK;
