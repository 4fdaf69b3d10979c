-- Data-subject requests, exports, impersonations, sub-processor notices and
-- the audit log.

-- erasure_requests ------------------------------------------------------------
drop policy if exists "Owners and admins can read erasure requests" on public.erasure_requests;
create policy "Owners and admins can read erasure requests" on public.erasure_requests
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can file erasure requests" on public.erasure_requests;
create policy "Owners and admins can file erasure requests" on public.erasure_requests
  for insert to authenticated
  with check (
    app.has_org_role(org_id, array['owner', 'admin'])
    and requested_by = (select auth.uid())
    -- exactly what the dashboard route files: a confirmed request about one person,
    -- confirmed now (give or take a client's clock) and due one month later. Its
    -- contact address, outcome and later dates are the backend's (no column grant:
    -- see the data_api_invariants migration).
    and source = 'dashboard' and status = 'confirmed'
    and subject_type in ('email', 'phone') and subject_hash is not null
    and confirmed_at between now() - interval '5 minutes' and now() + interval '5 minutes'
    and due_at = confirmed_at + interval '1 month'
    and contact_email is null and completed_at is null and flagged_at is null
    and counts = '{}'::jsonb and receipts = '[]'::jsonb and affected_org_ids = '{}'
  );

-- exports ---------------------------------------------------------------------
drop policy if exists "Owners and admins can read exports" on public.exports;
create policy "Owners and admins can read exports" on public.exports
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can record exports" on public.exports;
create policy "Owners and admins can record exports" on public.exports
  for insert to authenticated
  with check (app.has_org_role(org_id, array['owner', 'admin']) and requested_by = (select auth.uid()));

-- impersonations: the impersonated user can see that it happened -------------
drop policy if exists "Users can see who impersonated them" on public.impersonations;
create policy "Users can see who impersonated them" on public.impersonations
  for select to authenticated using (target_user_id = (select auth.uid()));

-- subprocessors: public list --------------------------------------------------
drop policy if exists "Anyone can read the sub-processor list" on public.subprocessors;
create policy "Anyone can read the sub-processor list" on public.subprocessors
  for select to anon, authenticated using (true);

-- subprocessor_notices --------------------------------------------------------
drop policy if exists "Owners and admins can read their sub-processor notices" on public.subprocessor_notices;
create policy "Owners and admins can read their sub-processor notices" on public.subprocessor_notices
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners can object to a sub-processor" on public.subprocessor_notices;
create policy "Owners can object to a sub-processor" on public.subprocessor_notices
  for update to authenticated
  using (app.has_org_role(org_id, array['owner']))
  with check (app.has_org_role(org_id, array['owner']));

-- audit_logs ------------------------------------------------------------------
drop policy if exists "Owners and admins can read their activity log" on public.audit_logs;
create policy "Owners and admins can read their activity log" on public.audit_logs
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- A user writes audit rows only as themselves (or, while an operator
-- impersonates them, as that operator acting as them), for their own
-- organisations, and only what the product writes: one of its actions with its
-- target, ids, and no personal data (audit rows can never be erased).
drop policy if exists "Users can append audit rows about their own actions" on public.audit_logs;
create policy "Users can append audit rows about their own actions" on public.audit_logs
  for insert to authenticated
  -- (as themselves: actor_type 'user', actor_id = auth.uid(), no acting_as_id; impersonated:
  -- 'operator', the impersonator's id, acting as auth.uid(); the actions and the content
  -- rules: see the data_api_invariants migration)
  with check (app.may_append_audit(org_id, actor_type, actor_id, acting_as_id,
    action, target_type, target_id, request_id, ip, metadata));

-- provider_deletions: receipts of deletions at Twilio and ElevenLabs ---------
drop policy if exists "Owners and admins can read their deletion receipts" on public.provider_deletions;
create policy "Owners and admins can read their deletion receipts" on public.provider_deletions
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- legal_holds -------------------------------------------------------------------
drop policy if exists "Owners and admins can read legal holds" on public.legal_holds;
create policy "Owners and admins can read legal holds" on public.legal_holds
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can place legal holds" on public.legal_holds;
create policy "Owners and admins can place legal holds" on public.legal_holds
  for insert to authenticated
  with check (
    app.has_org_role(org_id, array['owner', 'admin'])
    and placed_by = (select auth.uid())
    and subject_hash is not null
  );
drop policy if exists "Owners and admins can end legal holds" on public.legal_holds;
create policy "Owners and admins can end legal holds" on public.legal_holds
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']))
  with check (
    app.has_org_role(org_id, array['owner', 'admin'])
    and ended_at is not null and ended_by = (select auth.uid())
  );

-- erasure_request_holds ---------------------------------------------------------
drop policy if exists "Owners and admins can read the holds on erasure requests" on public.erasure_request_holds;
create policy "Owners and admins can read the holds on erasure requests" on public.erasure_request_holds
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
