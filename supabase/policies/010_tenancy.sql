-- Organisations, users, memberships and privacy preferences.
-- Applied on every `npm run db:migrate`: each policy is dropped and created again.

-- organizations ---------------------------------------------------------------
drop policy if exists "Members can read their organisations" on public.organizations;
create policy "Members can read their organisations" on public.organizations
  for select to authenticated
  using (app.is_org_member(id));

drop policy if exists "Owners and admins can rename their organisation" on public.organizations;
create policy "Owners and admins can rename their organisation" on public.organizations
  for update to authenticated
  using (app.has_org_role(id, array['owner', 'admin']))
  with check (app.has_org_role(id, array['owner', 'admin']));

-- users -----------------------------------------------------------------------
drop policy if exists "Users read themselves and people in their organisations" on public.users;
create policy "Users read themselves and people in their organisations" on public.users
  for select to authenticated
  using (id = (select auth.uid()) or app.shares_org_with(id));

-- No insert: the backend creates a user's row on their first request, with the
-- e-mail address of the verified token (src/auth/users-repo.ts). A user who could
-- insert it could claim anybody's address, and with it their invitations.
drop policy if exists "Users can create their own row" on public.users;

drop policy if exists "Users can update their own row" on public.users;
create policy "Users can update their own row" on public.users
  for update to authenticated
  using (id = (select auth.uid()))
  with check (id = (select auth.uid()));

-- memberships -----------------------------------------------------------------
drop policy if exists "Members can read the memberships of their organisations" on public.memberships;
create policy "Members can read the memberships of their organisations" on public.memberships
  for select to authenticated
  using (app.is_org_member(org_id));

drop policy if exists "Owners and admins can add members" on public.memberships;
create policy "Owners and admins can add members" on public.memberships
  for insert to authenticated
  with check (
    app.has_org_role(org_id, array['owner', 'admin'])
    -- only an owner can make another owner
    and (role <> 'owner' or app.has_org_role(org_id, array['owner']))
  );

drop policy if exists "Owners and admins can change roles" on public.memberships;
create policy "Owners and admins can change roles" on public.memberships
  for update to authenticated
  using (
    app.has_org_role(org_id, array['owner', 'admin'])
    -- only an owner can change another owner
    and (role <> 'owner' or app.has_org_role(org_id, array['owner']))
  )
  with check (
    app.has_org_role(org_id, array['owner', 'admin'])
    and (role <> 'owner' or app.has_org_role(org_id, array['owner']))
  );

drop policy if exists "Owners and admins can remove members" on public.memberships;
create policy "Owners and admins can remove members" on public.memberships
  for delete to authenticated
  using (
    app.has_org_role(org_id, array['owner', 'admin'])
    and (role <> 'owner' or app.has_org_role(org_id, array['owner']))
  );

-- privacy_preferences ---------------------------------------------------------
drop policy if exists "Members can read privacy preferences" on public.privacy_preferences;
create policy "Members can read privacy preferences" on public.privacy_preferences
  for select to authenticated
  using (app.is_org_member(org_id));

drop policy if exists "Owners and admins can change privacy preferences" on public.privacy_preferences;
create policy "Owners and admins can change privacy preferences" on public.privacy_preferences
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']))
  with check (app.has_org_role(org_id, array['owner', 'admin']));
