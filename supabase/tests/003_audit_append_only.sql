-- The audit log and the proof of consent are append-only; the audit log is a
-- per-organisation hash chain.
--
-- Fixtures: org A (owner a1…, member a3…), org B. Everything, helpers
-- included, is rolled back at the end.
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
insert into public.organizations (id, name) values
  ('0a000000-0000-4000-8000-000000000000', 'Org A'),
  ('0b000000-0000-4000-8000-000000000000', 'Org B');
insert into public.users (id) values
  ('a1000000-0000-4000-8000-000000000000'),
  ('a3000000-0000-4000-8000-000000000000');
insert into public.memberships (org_id, user_id, role, accepted_at) values
  ('0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'owner', now()),
  ('0a000000-0000-4000-8000-000000000000', 'a3000000-0000-4000-8000-000000000000', 'member', now());

insert into public.call_consents (id, org_id, twilio_call_sid, caller_hash, country, prompt_language, prompt_version, prompt_hash, digit, outcome) values
  ('c0000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000', 'CA-consent-1', '\x0a01', 'DE', 'de', 'v1', 'hash-v1', '1', 'given'),
  ('c0000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000000', 'CA-consent-2', '\x0a02', 'DE', 'de', 'v1', 'hash-v1', '2', 'refused');

select plan(67);

-- =====================================================================
-- The guards exist
-- =====================================================================
select has_rule('public', 'audit_logs', 'prevent_audit_update', 'rule prevent_audit_update exists');
select rule_is_on('public', 'audit_logs', 'prevent_audit_update', 'update', 'prevent_audit_update is an ON UPDATE rule');
select rule_is_instead('public', 'audit_logs', 'prevent_audit_update', 'prevent_audit_update is a DO INSTEAD rule');
select has_rule('public', 'audit_logs', 'prevent_audit_delete', 'rule prevent_audit_delete exists');
select rule_is_on('public', 'audit_logs', 'prevent_audit_delete', 'delete', 'prevent_audit_delete is an ON DELETE rule');
select rule_is_instead('public', 'audit_logs', 'prevent_audit_delete', 'prevent_audit_delete is a DO INSTEAD rule');
select is_empty(
  $$ select r.rulename from pg_catalog.pg_rewrite r
      where r.ev_class in ('public.audit_logs'::regclass, 'public.call_consents'::regclass) and r.ev_enabled = 'D' $$,
  'no append-only rule is disabled');
select is(
  (select count(*)::int from pg_catalog.pg_rewrite r
    where r.ev_class = 'public.audit_logs'::regclass
      and r.rulename in ('prevent_audit_update', 'prevent_audit_delete')
      and r.is_instead and r.ev_qual::text = '<>'
      and pg_catalog.pg_get_ruledef(r.oid) ~ 'DO INSTEAD NOTHING;?\s*$'),
  2, 'both audit rules are unconditional and do nothing instead');

select has_trigger('public', 'audit_logs', 'prevent_audit_truncate', 'truncate trigger exists on audit_logs');
select trigger_is('public', 'audit_logs', 'prevent_audit_truncate', 'app', 'refuse_truncate',
  'prevent_audit_truncate calls app.refuse_truncate');
select is(
  (select (t.tgtype::int & 32) <> 0 and t.tgenabled <> 'D' from pg_catalog.pg_trigger t
    where t.tgrelid = 'public.audit_logs'::regclass and t.tgname = 'prevent_audit_truncate'),
  true, 'prevent_audit_truncate is enabled and fires on TRUNCATE');
select has_trigger('public', 'audit_logs', 'audit_logs_chain', 'hash-chain trigger exists on audit_logs');
select trigger_is('public', 'audit_logs', 'audit_logs_chain', 'app', 'audit_chain_link',
  'audit_logs_chain calls app.audit_chain_link');

select has_rule('public', 'call_consents', 'prevent_consent_update', 'rule prevent_consent_update exists');
select has_rule('public', 'call_consents', 'prevent_consent_delete', 'rule prevent_consent_delete exists');
select has_trigger('public', 'call_consents', 'prevent_consent_truncate', 'truncate trigger exists on call_consents');

-- =====================================================================
-- Hash chain
-- =====================================================================
insert into public.audit_logs (id, org_id, actor_id, action, metadata) values
  ('1a000000-0000-4000-8000-000000000001', '0a000000-0000-4000-8000-000000000000',
   'a1000000-0000-4000-8000-000000000000', 'agent.created', '{"agent": "reception"}');

-- the second row of org A comes from a member, who cannot read the first one:
-- linking must not depend on the writer's visibility
select tests.login_as_user('a3000000-0000-4000-8000-000000000000');
insert into public.audit_logs (id, org_id, actor_id, action, target_type, target_id) values
  ('1a000000-0000-4000-8000-000000000002', '0a000000-0000-4000-8000-000000000000',
   'a3000000-0000-4000-8000-000000000000', 'call.read', 'call', 'c8000000-0000-4000-8000-000000000001');
select tests.logout();

insert into public.audit_logs (id, org_id, actor_type, actor_id, action) values
  ('1b000000-0000-4000-8000-000000000001', '0b000000-0000-4000-8000-000000000000', 'system', null, 'org.created'),
  ('1f000000-0000-4000-8000-000000000001', null, 'system', null, 'platform.retention_run');

select results_eq(
  $$ select chain_index from public.audit_logs where org_id = '0a000000-0000-4000-8000-000000000000' order by chain_index $$,
  array[1, 2]::bigint[],
  'two rows for org A get chain_index 1 and 2');
select results_eq(
  $$ select chain_key from public.audit_logs where org_id = '0a000000-0000-4000-8000-000000000000' $$,
  array['0a000000-0000-4000-8000-000000000000', '0a000000-0000-4000-8000-000000000000']::uuid[],
  'org A''s rows are on org A''s chain');
select is(
  (select prev_hash from public.audit_logs where id = '1a000000-0000-4000-8000-000000000001'),
  null, 'the first row of a chain has no prev_hash');
select is(
  (select prev_hash from public.audit_logs where id = '1a000000-0000-4000-8000-000000000002'),
  (select row_hash from public.audit_logs where id = '1a000000-0000-4000-8000-000000000001'),
  'prev_hash of the second row is the row_hash of the first');
select is(
  (select app.audit_row_hash(a) from public.audit_logs a where a.id = '1a000000-0000-4000-8000-000000000001'),
  (select row_hash from public.audit_logs where id = '1a000000-0000-4000-8000-000000000001'),
  'app.audit_row_hash(first row) = its row_hash');
select is(
  (select app.audit_row_hash(a) from public.audit_logs a where a.id = '1a000000-0000-4000-8000-000000000002'),
  (select row_hash from public.audit_logs where id = '1a000000-0000-4000-8000-000000000002'),
  'app.audit_row_hash(second row) = its row_hash');
select is_empty(
  $$ select a.id from public.audit_logs a
      where a.row_hash !~ '^[0-9a-f]{64}$' or app.audit_row_hash(a) is distinct from a.row_hash $$,
  'every row carries a valid SHA-256 row_hash');
select results_eq(
  $$ select chain_key, chain_index, prev_hash from public.audit_logs where id = '1b000000-0000-4000-8000-000000000001' $$,
  $$ values ('0b000000-0000-4000-8000-000000000000'::uuid, 1::bigint, null::text) $$,
  'org B has its own chain, starting at 1');
select results_eq(
  $$ select chain_key, chain_index from public.audit_logs where id = '1f000000-0000-4000-8000-000000000001' $$,
  $$ values ('00000000-0000-0000-0000-000000000000'::uuid, 1::bigint) $$,
  'platform-wide rows go on the nil-uuid chain');

-- a writer cannot choose the chain fields
insert into public.audit_logs (id, chain_key, chain_index, org_id, actor_id, action, created_at, prev_hash, row_hash) values
  ('1a000000-0000-4000-8000-000000000003', '0b000000-0000-4000-8000-000000000000', 99,
   '0a000000-0000-4000-8000-000000000000', 'a1000000-0000-4000-8000-000000000000', 'agent.deleted',
   '2000-01-01T00:00:00Z', 'forged', 'forged');
select results_eq(
  $$ select chain_key, chain_index, prev_hash, created_at = now() from public.audit_logs where id = '1a000000-0000-4000-8000-000000000003' $$,
  $$ select '0a000000-0000-4000-8000-000000000000'::uuid, 3::bigint, row_hash, true
       from public.audit_logs where id = '1a000000-0000-4000-8000-000000000002' $$,
  'chain_key, chain_index, prev_hash and created_at supplied by the writer are overwritten');
select is(
  (select app.audit_row_hash(a) = a.row_hash from public.audit_logs a where a.id = '1a000000-0000-4000-8000-000000000003'),
  true, 'a forged row_hash is replaced by the real one');

-- Everything below must leave the log exactly as it is now.
create temp table audit_before on commit drop as select * from public.audit_logs;

-- =====================================================================
-- UPDATE / DELETE / TRUNCATE as an owner (authenticated)
-- =====================================================================
select tests.login_as_user('a1000000-0000-4000-8000-000000000000');

select tests.changes_rows($$ update public.audit_logs set action = 'tampered' $$, 0,
  'authenticated: UPDATE of audit_logs changes no row');
select tests.changes_rows($$ update public.audit_logs set metadata = '{}' where id = '1a000000-0000-4000-8000-000000000001' $$, 0,
  'authenticated: targeted UPDATE of an own audit row changes no row');
select tests.changes_rows($$ delete from public.audit_logs $$, 0,
  'authenticated: DELETE from audit_logs removes no row');
select throws_ok($$ truncate public.audit_logs $$, '42501', null,
  'authenticated: TRUNCATE of audit_logs is refused');
select is((select count(*)::int from public.audit_logs), 3, 'the owner still reads all 3 rows of org A');

select tests.logout();
select set_eq('select * from public.audit_logs', 'select * from audit_before',
  'audit_logs unchanged after the attempts as authenticated');

-- =====================================================================
-- ... as service_role
-- =====================================================================
select tests.login_as_service_role();

select tests.changes_rows($$ update public.audit_logs set action = 'tampered' $$, 0,
  'service_role: UPDATE of audit_logs changes no row');
select tests.changes_rows($$ update public.audit_logs set row_hash = '' where org_id = '0b000000-0000-4000-8000-000000000000' $$, 0,
  'service_role: UPDATE of another organisation''s rows changes no row');
select tests.changes_rows($$ delete from public.audit_logs $$, 0,
  'service_role: DELETE from audit_logs removes no row');
select throws_ok($$ truncate public.audit_logs $$, '42501', null,
  'service_role: TRUNCATE of audit_logs is refused');
select lives_ok(
  $$ insert into public.audit_logs (org_id, actor_type, action) values ('0b000000-0000-4000-8000-000000000000', 'provider', 'call.completed') $$,
  'service_role can still append');
select is(
  (select chain_index from public.audit_logs where action = 'call.completed'), 2::bigint,
  'the appended row continues org B''s chain');

select tests.logout();
select set_eq('select * from public.audit_logs where action <> ''call.completed''', 'select * from audit_before',
  'existing audit rows unchanged after the attempts as service_role');
delete from audit_before;
insert into audit_before select * from public.audit_logs;

-- =====================================================================
-- ... and even as the superuser (the rules and the trigger apply to everyone)
-- =====================================================================
select tests.changes_rows($$ update public.audit_logs set action = 'tampered' $$, 0,
  'superuser: UPDATE of audit_logs changes no row');
select tests.changes_rows($$ delete from public.audit_logs $$, 0,
  'superuser: DELETE from audit_logs removes no row');
select throws_ok($$ truncate public.audit_logs $$, '42501', 'audit_logs is append-only: TRUNCATE is not allowed',
  'superuser: TRUNCATE of audit_logs is refused by the trigger');
select set_eq('select * from public.audit_logs', 'select * from audit_before',
  'audit_logs unchanged after the attempts as superuser');

-- =====================================================================
-- call_consents: append-only, except erasing the caller hash
-- =====================================================================
select tests.login_as_service_role();

select throws_ok(
  $$ update public.call_consents set outcome = 'refused' where id = 'c0000000-0000-4000-8000-000000000001' $$,
  '42501', 'permission denied for table call_consents',
  'service_role: changing the outcome is refused (no column privilege)');
select tests.changes_rows($$ update public.call_consents set caller_hash = null, erased_at = now() where id = 'c0000000-0000-4000-8000-000000000001' $$, 1,
  'service_role: setting caller_hash to null with erased_at is applied');
select results_eq(
  $$ select caller_hash is null, erased_at is not null, outcome from public.call_consents where id = 'c0000000-0000-4000-8000-000000000001' $$,
  $$ values (true, true, 'given') $$,
  'the consent record survives the erasure without the caller hash');
select tests.changes_rows($$ update public.call_consents set caller_hash = '\x0bad' where id = 'c0000000-0000-4000-8000-000000000001' $$, 0,
  'service_role: an erased caller hash cannot be put back');
select tests.changes_rows($$ update public.call_consents set erased_at = null where id = 'c0000000-0000-4000-8000-000000000001' $$, 0,
  'service_role: erased_at cannot be cleared');
select tests.changes_rows($$ update public.call_consents set caller_hash = '\x0bad' where id = 'c0000000-0000-4000-8000-000000000002' $$, 0,
  'service_role: a caller hash cannot be replaced by another');
select tests.changes_rows($$ delete from public.call_consents $$, 0,
  'service_role: DELETE from call_consents removes no row');
select throws_ok($$ truncate public.call_consents $$, '42501', null,
  'service_role: TRUNCATE of call_consents is refused');
select lives_ok(
  $$ insert into public.call_consents (org_id, twilio_call_sid, prompt_language, prompt_version, prompt_hash, digit, outcome) values ('0a000000-0000-4000-8000-000000000000', 'CA-consent-3', 'de', 'v1', 'hash-v1', '1', 'given') $$,
  'service_role can record new consent');

select tests.login_as_user('a1000000-0000-4000-8000-000000000000');
select is((select count(*)::int from public.call_consents), 3, 'the owner reads the 3 consent records of org A');
select throws_ok(
  $$ update public.call_consents set caller_hash = null where id = 'c0000000-0000-4000-8000-000000000002' $$,
  '42501', 'permission denied for table call_consents',
  'authenticated: no update of call_consents at all');
select tests.changes_rows($$ delete from public.call_consents $$, 0,
  'authenticated: DELETE from call_consents removes no row');
select throws_ok($$ truncate public.call_consents $$, '42501', null,
  'authenticated: TRUNCATE of call_consents is refused');

select tests.logout();
select tests.changes_rows($$ update public.call_consents set outcome = 'given' where id = 'c0000000-0000-4000-8000-000000000002' $$, 0,
  'superuser: an update that changes outcome is a no-op');
select tests.changes_rows($$ update public.call_consents set caller_hash = null, erased_at = now(), digit = '1' where id = 'c0000000-0000-4000-8000-000000000002' $$, 0,
  'superuser: an erasure that also changes another column is refused as a whole');
select tests.changes_rows($$ update public.call_consents set created_at = now() - interval '1 day' where id = 'c0000000-0000-4000-8000-000000000002' $$, 0,
  'superuser: created_at cannot be back-dated');
select tests.changes_rows($$ delete from public.call_consents $$, 0,
  'superuser: DELETE from call_consents removes no row');
select throws_ok($$ truncate public.call_consents $$, '42501', 'call_consents is append-only: TRUNCATE is not allowed',
  'superuser: TRUNCATE of call_consents is refused by the trigger');
select results_eq(
  $$ select outcome, digit, caller_hash, erased_at from public.call_consents where id = 'c0000000-0000-4000-8000-000000000002' $$,
  $$ values ('refused'::text, '2'::text, '\x0a02'::bytea, null::timestamptz) $$,
  'the second consent record is exactly as recorded');
select tests.changes_rows($$ update public.call_consents set caller_hash = null, erased_at = now() where id = 'c0000000-0000-4000-8000-000000000002' $$, 1,
  'superuser: a pure erasure is applied');
select is((select count(*)::int from public.call_consents), 3, 'no consent record was lost');

-- =====================================================================
-- The hash chain catches what gets around the rules. A superuser can skip
-- rules with session_replication_role = replica; the recomputed hash of the
-- changed row then no longer matches.
-- =====================================================================
set local session_replication_role = replica;
update public.audit_logs set action = 'agent.renamed' where id = '1a000000-0000-4000-8000-000000000002';
set local session_replication_role = origin;

select is((select action from public.audit_logs where id = '1a000000-0000-4000-8000-000000000002'), 'agent.renamed',
  'with replication role replica the rules do not fire (superuser only)');
select results_eq(
  $$ select a.id from public.audit_logs a where app.audit_row_hash(a) <> a.row_hash $$,
  array['1a000000-0000-4000-8000-000000000002'::uuid],
  'the recomputed hash exposes exactly the tampered row');

select * from finish();
ROLLBACK;
