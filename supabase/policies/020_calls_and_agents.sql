-- Agents, phone numbers, calls and the personal data that hangs off them.
-- Members read; owners and admins change. Webhooks write through the service role.

-- agents ----------------------------------------------------------------------
drop policy if exists "Members can read agents" on public.agents;
create policy "Members can read agents" on public.agents
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can create agents" on public.agents;
create policy "Owners and admins can create agents" on public.agents
  for insert to authenticated with check (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can change agents" on public.agents;
create policy "Owners and admins can change agents" on public.agents
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']))
  with check (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can delete agents" on public.agents;
create policy "Owners and admins can delete agents" on public.agents
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- phone_numbers ---------------------------------------------------------------
drop policy if exists "Members can read phone numbers" on public.phone_numbers;
create policy "Members can read phone numbers" on public.phone_numbers
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can add phone numbers" on public.phone_numbers;
create policy "Owners and admins can add phone numbers" on public.phone_numbers
  for insert to authenticated with check (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can change phone numbers" on public.phone_numbers;
create policy "Owners and admins can change phone numbers" on public.phone_numbers
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']))
  with check (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can remove phone numbers" on public.phone_numbers;
create policy "Owners and admins can remove phone numbers" on public.phone_numbers
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- calls -----------------------------------------------------------------------
drop policy if exists "Members can read calls" on public.calls;
create policy "Members can read calls" on public.calls
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can delete calls" on public.calls;
create policy "Owners and admins can delete calls" on public.calls
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- call_consents (append-only; written by the service role) --------------------
drop policy if exists "Members can read proof of consent" on public.call_consents;
create policy "Members can read proof of consent" on public.call_consents
  for select to authenticated using (app.is_org_member(org_id));

-- leads -----------------------------------------------------------------------
drop policy if exists "Members can read leads" on public.leads;
create policy "Members can read leads" on public.leads
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can delete leads" on public.leads;
create policy "Owners and admins can delete leads" on public.leads
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
-- Rectification (Art. 16): owners and admins correct a lead (the columns granted
-- in the legal holds migration); an anonymised lead stays anonymised.
drop policy if exists "Owners and admins can correct leads" on public.leads;
create policy "Owners and admins can correct leads" on public.leads
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']) and anonymised_at is null)
  with check (app.has_org_role(org_id, array['owner', 'admin']) and anonymised_at is null);

-- recordings ------------------------------------------------------------------
drop policy if exists "Members can read recordings" on public.recordings;
create policy "Members can read recordings" on public.recordings
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can delete recordings" on public.recordings;
create policy "Owners and admins can delete recordings" on public.recordings
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- transcripts -----------------------------------------------------------------
drop policy if exists "Members can read transcripts" on public.transcripts;
create policy "Members can read transcripts" on public.transcripts
  for select to authenticated using (app.is_org_member(org_id));
drop policy if exists "Owners and admins can delete transcripts" on public.transcripts;
create policy "Owners and admins can delete transcripts" on public.transcripts
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
