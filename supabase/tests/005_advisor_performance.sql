-- What Supabase's Performance Advisor would flag, checked for every table and
-- policy in schema public:
--   * unindexed_foreign_keys: every foreign key has an index whose leading
--     columns are the key's columns (a delete of the referenced row, or a join
--     along the key, otherwise scans the referencing table);
--   * auth_rls_initplan: no policy calls auth.uid(), auth.jwt(), auth.role()
--     or auth.email() outside a sub-select. Written `(select auth.uid())` the
--     call is evaluated once per statement (an InitPlan); bare, once per row.
-- The customer's own tables (tests.customer_tables) are not the project's and
-- are left out. Everything happens in one transaction that is rolled back.
BEGIN;
\ir lib/use-pgtap.sql

create temp view customer_tables as
  select unnest(coalesce(nullif(current_setting('tests.customer_tables', true), ''), '{}')::regclass[]) as oid;

-- Foreign keys of the tables in the given schemas with no index that starts
-- with the key's columns (in any order). Partial indexes do not count.
create function pg_temp.unindexed_foreign_keys(p_schemas name[])
returns setof text
language sql stable
as $$
  select c.conrelid::regclass::text || ' ' || c.conname
    from pg_catalog.pg_constraint c
    join pg_catalog.pg_class t on t.oid = c.conrelid
    join pg_catalog.pg_namespace n on n.oid = t.relnamespace
   where c.contype = 'f'
     and n.nspname = any (p_schemas)
     and c.conrelid not in (select oid from customer_tables)
     and not exists (
       select 1 from pg_catalog.pg_index i
        where i.indrelid = c.conrelid
          and i.indpred is null
          and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] @> c.conkey
          and (string_to_array(i.indkey::text, ' ')::int2[])[1:cardinality(c.conkey)] <@ c.conkey)
$$;

-- How many calls of auth.uid(), auth.jwt(), auth.role() or auth.email() in a
-- policy expression (as PostgreSQL prints it) are not inside a sub-select.
-- Walks the text keeping a stack of open parentheses, each marked by whether
-- it opens a `( SELECT ...`; string literals are skipped.
create function pg_temp.bare_auth_calls(p_expr text)
returns integer
language plpgsql immutable
as $$
declare
  v_expr text := coalesce(p_expr, '');
  v_len integer := length(coalesce(p_expr, ''));
  v_stack boolean[] := '{}';
  v_selects integer := 0;
  v_in_string boolean := false;
  v_count integer := 0;
  v_char text;
  v_opens_select boolean;
  i integer := 1;
begin
  while i <= v_len loop
    v_char := substr(v_expr, i, 1);
    if v_in_string then
      if v_char = '''' then
        v_in_string := false;
      end if;
    elsif v_char = '''' then
      v_in_string := true;
    elsif v_char = '(' then
      v_opens_select := substr(v_expr, i + 1, 20) ~* '^\s*select\M';
      v_stack := v_stack || v_opens_select;
      if v_opens_select then
        v_selects := v_selects + 1;
      end if;
    elsif v_char = ')' then
      if cardinality(v_stack) > 0 then
        if v_stack[cardinality(v_stack)] then
          v_selects := v_selects - 1;
        end if;
        v_stack := v_stack[1:cardinality(v_stack) - 1];
      end if;
    elsif v_selects = 0
      and substr(v_expr, i, 13) ~ '^auth\.(uid|jwt|role|email)\(\)'
      and (i = 1 or substr(v_expr, i - 1, 1) !~ '[A-Za-z0-9_."]') then
      v_count := v_count + 1;
    end if;
    i := i + 1;
  end loop;
  return v_count;
end
$$;

select plan(10);

-- The checks can fail ----------------------------------------------------------
select is(pg_temp.bare_auth_calls('(id = auth.uid())'), 1, 'a bare auth.uid() is found');
select is(pg_temp.bare_auth_calls('((id = ( SELECT auth.uid() AS uid)) OR (owner = auth.uid()))'), 1,
  'a bare call next to a wrapped one is found');
select is(pg_temp.bare_auth_calls('((auth.jwt() ->> ''email''::text) = email)'), 1, 'a bare auth.jwt() is found');
select is(
  pg_temp.bare_auth_calls('((id = ( SELECT auth.uid() AS uid)) AND (email = ( SELECT (auth.jwt() ->> ''email''::text))) AND (note <> ''auth.uid()''::text))'),
  0,
  'calls inside sub-selects, and text in string literals, are not counted'
);

create temp table fk_parent (id uuid primary key);
create temp table fk_probe (parent_id uuid references fk_parent (id));
select set_eq(
  $$ select * from pg_temp.unindexed_foreign_keys(array[pg_my_temp_schema()::regnamespace::name]) $$,
  array['fk_probe fk_probe_parent_id_fkey'],
  'a foreign key without an index is found'
);
create index on fk_probe (parent_id) where parent_id is not null;
select set_eq(
  $$ select * from pg_temp.unindexed_foreign_keys(array[pg_my_temp_schema()::regnamespace::name]) $$,
  array['fk_probe fk_probe_parent_id_fkey'],
  'a partial index does not count'
);

-- The schema --------------------------------------------------------------------
select cmp_ok(
  (select count(*)::int
     from pg_catalog.pg_constraint c join pg_catalog.pg_class t on t.oid = c.conrelid
    where c.contype = 'f' and t.relnamespace = 'public'::regnamespace),
  '>=', 27,
  'at least the 27 known foreign keys in public are checked'
);

select is_empty(
  $$ select * from pg_temp.unindexed_foreign_keys(array['public', 'app']::name[]) $$,
  'every foreign key in public and app has an index starting with its columns'
);

select cmp_ok(
  (select count(*)::int from pg_catalog.pg_policies
    where schemaname = 'public' and (qual ~ 'auth\.uid\(\)' or with_check ~ 'auth\.uid\(\)')),
  '>=', 5,
  'the policies that read auth.uid() (wrapped or not) are there to be checked'
);

select is_empty(
  $$ select pol.tablename::text || ': ' || pol.policyname
       from pg_catalog.pg_policies pol
      where pol.schemaname = 'public'
        and format('%I.%I', pol.schemaname, pol.tablename)::regclass not in (select oid from customer_tables)
        and pg_temp.bare_auth_calls(pol.qual) + pg_temp.bare_auth_calls(pol.with_check) > 0 $$,
  'no policy in public calls auth.uid(), auth.jwt(), auth.role() or auth.email() once per row'
);

select * from finish();
ROLLBACK;
