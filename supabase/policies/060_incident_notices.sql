-- A processor's breach notices (Art. 33(2)): each organisation's members read
-- the incidents that name their organisation and what they were told; the
-- rows are written by the backend (the notice job, the operator), and owners
-- and admins acknowledge through app.acknowledge_incident.

-- incident_organizations --------------------------------------------------------
drop policy if exists "Members read their organisation's incident notices" on public.incident_organizations;
create policy "Members read their organisation's incident notices" on public.incident_organizations
  for select to authenticated using (app.is_org_member(org_id));

-- security_incidents (column grants: what the organisation needs, not the register's internals)
drop policy if exists "Members read the incidents that name their organisation" on public.security_incidents;
create policy "Members read the incidents that name their organisation" on public.security_incidents
  for select to authenticated
  using (exists (
    select 1 from public.incident_organizations io
    where io.incident_id = security_incidents.id and app.is_org_member(io.org_id)
  ));
