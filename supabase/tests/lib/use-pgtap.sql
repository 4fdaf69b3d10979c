-- Included by every test file (\ir lib/use-pgtap.sql) right after its BEGIN:
-- quiet notices, find the schema pgTAP is installed in (extensions on
-- Supabase, public on a plain server) and put it on the search path; the
-- request roles get usage of it, for the tests that call pgTAP while one of
-- them is the current role. All of it is undone by the file's ROLLBACK.
set local client_min_messages to warning;

do $$
declare
  v_schema name;
begin
  select n.nspname into v_schema
    from pg_catalog.pg_extension e join pg_catalog.pg_namespace n on n.oid = e.extnamespace
    where e.extname = 'pgtap';
  if v_schema is null then
    raise exception 'pgTAP is not installed in this database (create extension pgtap)';
  end if;
  perform pg_catalog.set_config('search_path', format('public, %I', v_schema), true);
  execute format('grant usage on schema %I to anon, authenticated, service_role', v_schema);
end
$$;
