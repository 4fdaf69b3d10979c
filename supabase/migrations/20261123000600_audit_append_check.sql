-- The check behind "Users can append audit rows about their own actions"
-- (supabase/policies/030_requests_and_audit.sql), as one PL/pgSQL function.
--
-- The policy used to call app.impersonator_id() three times, auth.uid() and
-- app.is_org_member(): SQL functions with a SET clause are not inlined, so each
-- was parsed and planned again for every audited statement (about a quarter of a
-- millisecond per audit row, more than the row's insert and hash chain). A
-- PL/pgSQL function reads the claims once and keeps its plan for the session.
-- The rule is unchanged: a user appends rows only as themselves (actor_type
-- 'user', no acting_as_id) or, while an operator impersonates them, as that
-- operator acting as them, and only for an organisation they belong to.

create or replace function app.may_append_audit(p_org_id uuid, p_actor_type text, p_actor_id uuid, p_acting_as_id uuid)
returns boolean
language plpgsql stable security definer
set search_path = ''
as $$
declare
  v_claims jsonb := nullif(pg_catalog.current_setting('request.jwt.claims', true), '')::jsonb;
  -- as auth.uid(): the sub claim, from either form PostgREST sets
  v_uid uuid := coalesce(nullif(pg_catalog.current_setting('request.jwt.claim.sub', true), ''), v_claims ->> 'sub')::uuid;
  -- as app.impersonator_id()
  v_operator uuid := nullif(v_claims ->> 'impersonator_id', '')::uuid;
begin
  if p_org_id is null or v_uid is null then
    return false;
  end if;
  if v_operator is null then
    if p_actor_type is distinct from 'user' or p_actor_id is distinct from v_uid or p_acting_as_id is not null then
      return false;
    end if;
  elsif p_actor_type is distinct from 'operator' or p_actor_id is distinct from v_operator or p_acting_as_id is distinct from v_uid then
    return false;
  end if;
  return exists (select 1 from public.memberships m where m.org_id = p_org_id and m.user_id = v_uid);
end
$$;

revoke all on function app.may_append_audit(uuid, text, uuid, uuid) from public;
grant execute on function app.may_append_audit(uuid, text, uuid, uuid) to authenticated;
