-- Customer recording storage: members read their organisation's configuration
-- (never the secret: it is left out of the column grants), owners and admins
-- set, change and remove it. Deliveries are the backend's (service role) only.

drop policy if exists "Members can read recording storage" on app.recording_storage;
create policy "Members can read recording storage" on app.recording_storage
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can set recording storage" on app.recording_storage;
create policy "Owners and admins can set recording storage" on app.recording_storage
  for insert to authenticated
  with check (app.has_org_role(org_id, array['owner', 'admin']) and updated_by = (select auth.uid()));
drop policy if exists "Owners and admins can change recording storage" on app.recording_storage;
create policy "Owners and admins can change recording storage" on app.recording_storage
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']))
  with check (app.has_org_role(org_id, array['owner', 'admin']) and updated_by = (select auth.uid()));
drop policy if exists "Owners and admins can remove recording storage" on app.recording_storage;
create policy "Owners and admins can remove recording storage" on app.recording_storage
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
