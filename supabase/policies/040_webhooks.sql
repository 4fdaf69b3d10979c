-- Outgoing webhooks: owners and admins manage their organisation's endpoints and
-- read its deliveries. Deliveries are written by triggers and the delivery job
-- (service role); the signing secret is not readable by users (column grants).

-- webhook_endpoints -------------------------------------------------------------
drop policy if exists "Owners and admins can read webhook endpoints" on public.webhook_endpoints;
create policy "Owners and admins can read webhook endpoints" on public.webhook_endpoints
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can add webhook endpoints" on public.webhook_endpoints;
create policy "Owners and admins can add webhook endpoints" on public.webhook_endpoints
  for insert to authenticated
  with check (app.has_org_role(org_id, array['owner', 'admin']) and created_by = (select auth.uid()));
drop policy if exists "Owners and admins can change webhook endpoints" on public.webhook_endpoints;
create policy "Owners and admins can change webhook endpoints" on public.webhook_endpoints
  for update to authenticated
  using (app.has_org_role(org_id, array['owner', 'admin']))
  with check (app.has_org_role(org_id, array['owner', 'admin']));
drop policy if exists "Owners and admins can remove webhook endpoints" on public.webhook_endpoints;
create policy "Owners and admins can remove webhook endpoints" on public.webhook_endpoints
  for delete to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));

-- webhook_deliveries ------------------------------------------------------------
drop policy if exists "Owners and admins can read webhook deliveries" on public.webhook_deliveries;
create policy "Owners and admins can read webhook deliveries" on public.webhook_deliveries
  for select to authenticated using (app.has_org_role(org_id, array['owner', 'admin']));
